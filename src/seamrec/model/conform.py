"""Fast conformance: does a live value still have a shape we already know?

Computing a shape builds tuples for every node; checking that a value has a known shape
only compares, mostly inside C (``map``, ``set``, ``zip``, tuple equality). A shape is
compiled once into a ``Check`` (a function over a column of values) and reused for every
later call of the seam. A check that says False is not drift: the caller then computes the
real shape and compares it the careful way (``shape.compatible``).

Two strengths: *fit* (check mode) accepts what ``shape.compatible`` accepts, where an
empty recorded collection fits anything; *strict* (record mode, reusing the previous
call's shape) accepts only values whose shape is exactly the compiled one, and gives up
(None) where that cannot be decided cheaply.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from itertools import chain
from typing import Any, TypeVar

from seamrec.model import objectfit
from seamrec.model.formats import FORMAT_KINDS, asserted, label_fits, value_check
from seamrec.model.shape import (
    FORMAT_CLASSIFIERS,
    LEAF_SHAPES,
    Shape,
    ShapeFunction,
    column_leaf_union,
    compatible,
    type_path,
)

Check = Callable[[list[Any]], bool]
_C = TypeVar("_C")
Classify = Callable[[Any], str | None]
ArgsCheck = Callable[[tuple[str, ...], list[Any]], bool]

_LEAF_TYPES: dict[str, type] = {shape[0]: cls for cls, shape in LEAF_SHAPES.items()}
_CONTAINER_TYPES: dict[str, type] = {"dict": dict, "list": list, "tuple": tuple}
_CLOCK_TYPES: dict[str, type] = {
    "datetime": dt.datetime,
    "datetime+tz": dt.datetime,
    "time": dt.time,
    "time+tz": dt.time,
}


class _Undecidable(Exception):
    """Raised while compiling a strict check that cannot be decided cheaply."""


def compile_value(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False, objects: bool = False
) -> Check | None:
    """A check for values of `shape` (None: no cheap strict check exists). `objects`:
    with C, a strict check also takes class instances, mappings of other classes, named
    collections and leaf subclasses (``seamrec.model.strictobjects``)."""
    from seamrec.model import accel  # the compiled checks, when built

    if accel.compiled is not None:
        return accel.compile_value(shape, shape_of, strict=strict, objects=objects)
    from seamrec.model import checkgen  # the closures below, written out per shape

    return checkgen.compile_value(shape, shape_of, strict=strict)


def pure_compile_value(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False
) -> Check | None:
    """`compile_value` in pure Python (the reference)."""
    try:
        return _union((shape,), shape_of, strict)
    except _Undecidable:
        return None


def compile_args(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False, objects: bool = False
) -> ArgsCheck | None:
    """A check of bound arguments (names and values) against an ("args", ...) shape
    (`objects`: as in `compile_value`)."""
    from seamrec.model import accel  # the compiled checks, when built

    if accel.compiled is not None:
        return accel.compile_args(shape, shape_of, strict=strict, objects=objects)
    from seamrec.model import checkgen  # the closures below, written out per shape

    return checkgen.compile_args(shape, shape_of, strict=strict)


def pure_compile_args(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False
) -> ArgsCheck | None:
    """`compile_args` in pure Python (the reference)."""
    if shape[:1] != ("args",):
        return None
    try:
        checks = [
            _self_check(u[0]) if u and u[0][0] == "self" else _union(u, shape_of, strict)
            for u in shape[2]
        ]
    except _Undecidable:
        return None
    names = shape[1]

    def check(live_names: tuple[str, ...], values: list[Any]) -> bool:
        if live_names != names:
            return False
        index = 0
        for value in values:
            if not checks[index]([value]):
                return False
            index += 1
        return True

    return check


def _union(union: Shape, shape_of: ShapeFunction, strict: bool) -> Check:
    """Every value of a column fits one member of `union`."""
    if not union:
        return _empty if strict else _always
    leaves = [m for m in union if _is_leaf(m)]
    leaf_types = {_LEAF_TYPES[m[0]] for m in leaves}
    others = [m for m in union if not _is_leaf(m)]
    formatted = any(m[0] in FORMAT_KINDS for m in leaves)
    if not others and formatted and strict:
        return _strict_format_check(leaves)
    if not others and any(len(m) == 2 for m in leaves):
        return _format_check(leaves)
    if not others:
        return _leaf_check(frozenset(leaf_types), strict)
    if not leaf_types and len(others) == 1:
        return _shape(others[0], shape_of, strict)
    if strict:
        raise _Undecidable
    return per_value_kept(union, shape_of, lambda: _per_value_check(union, shape_of))


def _shape(shape: Shape, shape_of: ShapeFunction, strict: bool) -> Check:
    """Every value of a column has this one (non-plain-leaf) shape."""
    kind = shape[0]
    if kind == "dict" and shape[1] == "dict":
        return _dict_check(shape, shape_of, strict)
    if kind == "coll" and shape[1] == "list":
        return _list_check(shape, shape_of, strict)
    if kind == "tuple" and shape[1] == "tuple":
        return _tuple_check(shape, shape_of, strict)
    if kind in _CLOCK_TYPES:
        return _clock_check(kind)
    if kind in ("enum", "opaque"):
        name = shape[1]
        return lambda column: all(type_path(type(v)) == name for v in column)
    if strict:
        raise _Undecidable
    return per_value_kept((shape,), shape_of, lambda: _per_value_check((shape,), shape_of))


def _is_leaf(shape: Shape) -> bool:
    """A plain leaf, or a format-bearing one (``("str", "uuid")``)."""
    return shape[0] in _LEAF_TYPES and (len(shape) == 1 or shape[0] in FORMAT_KINDS)


def _format_check(leaves: list[Shape]) -> Check:
    """Fit: each value is of a leaf type of the union and keeps one of its format classes
    (a plain leaf of its type asserts none)."""
    plain = frozenset(_LEAF_TYPES[m[0]] for m in leaves if len(m) == 1)
    checks: dict[type, list[Callable[[object], bool]]] = {}
    for member in leaves:
        cls = _LEAF_TYPES[member[0]]
        if len(member) == 2 and cls not in plain:
            checks.setdefault(cls, []).append(value_check(member[1]))

    def check(column: list[Any]) -> bool:
        for value in column:
            cls = type(value)
            if cls in plain:
                continue
            found = checks.get(cls)
            if found is None or not any(c(value) for c in found):
                return False
        return True

    return check


def _strict_format_check(leaves: list[Shape]) -> Check:
    """Strict: the column's leaves, with their format classes, are exactly these."""
    expected = frozenset(leaves)
    types = frozenset(_LEAF_TYPES[m[0]] for m in leaves)
    single = {(_LEAF_TYPES[m[0]], m[1] if len(m) == 2 else None) for m in leaves}
    classifiers = FORMAT_CLASSIFIERS

    def check(column: list[Any]) -> bool:
        if len(column) == 1 and len(leaves) == 1:
            value = column[0]
            cls = type(value)
            classify_one = classifiers.get(cls)
            if classify_one is None:
                return cls in types
            return (cls, classify_one(value)) in single
        found = set(map(type, column))
        if found != types:
            return False
        for cls in found:
            if cls in classifiers:
                members = column if len(found) == 1 else [v for v in column if type(v) is cls]
                if column_leaf_union(cls, members)[0] not in expected:
                    return False
        return True

    return check


def _always(column: list[Any]) -> bool:
    return True


def _empty(column: list[Any]) -> bool:
    return not column


def _self_check(shape: Shape) -> Check:
    name = shape[1]

    def check(column: list[Any]) -> bool:
        value = column[0]
        cls = value if issubclass(type(value), type) else type(value)  # never its __class__
        return bool(type_path(cls) == name)

    return check


def _leaf_check(types: frozenset[type], strict: bool) -> Check:
    if len(types) == 1:
        (only,) = types

        def check_one(column: list[Any]) -> bool:
            if len(column) == 1:
                return type(column[0]) is only
            return set(map(type, column)) == {only}

        return check_one

    def check(column: list[Any]) -> bool:
        found = set(map(type, column))
        return found == types if strict else found <= types

    return check


def _clock_check(kind: str) -> Check:
    cls = _CLOCK_TYPES[kind]
    aware = kind.endswith("+tz")

    def check(column: list[Any]) -> bool:
        for value in column:
            if type(value) is not cls or (_tzinfo(value) is not None) is not aware:
                return False
        return True

    return check


def _tzinfo(value: Any) -> object:
    return value.tzinfo


class _KeptChecks:
    """Checks made once per (union, owner) and kept for the run, up to `limit` (then
    started again); a union that cannot be a key is made each time."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.table: dict[tuple[Shape, object], Any] = {}

    def get(self, union: Shape, owner: object, make: Callable[[], _C]) -> _C:
        key = (union, owner)
        try:
            found: _C = self.table[key]
            return found
        except KeyError:
            pass
        except TypeError:
            return make()
        made = make()
        if len(self.table) >= self.limit:
            self.table.clear()
        self.table[key] = made
        return made


_per_values = _KeptChecks(2048)
_fit_unions = _KeptChecks(8192)


def per_value_kept(union: Shape, owner: object, make: Callable[[], _C]) -> _C:
    """`make()`, a per-value check of `union`, made once per union and `owner` (the
    walker the check shapes with, or what stands for it): a union of objects appears in
    many recorded shapes (every call passing a request), and its check holds only what
    any of them may share (the members' checks, the verdicts by live shape)."""
    return _per_values.get(union, owner, make)


def fit_kept(union: Shape, owner: object, make: Callable[[], _C]) -> _C:
    """`make()`, the fit check of `union`, made once per union and `owner` (what stands
    for the walker and the kind of check): the recorded shapes of a suite share most of
    their unions (the same rows, the same arguments, beside the one that differs), and
    a fit check holds nothing of the shape it was compiled within. Compiled unions are
    found by value (hashing a union walks it, much faster than compiling it)."""
    return _fit_unions.get(union, owner, make)


def forget() -> None:
    """Drop the kept per-value, union and member checks (a run's end)."""
    _per_values.table.clear()
    _fit_unions.table.clear()
    objectfit.forget()


def _per_value_check(
    union: Shape,
    shape_of: ShapeFunction,
    compile_member: CompileMember | None = None,
    compile_union: CompileMember | None = None,
) -> Check:
    """Every value of a column fits a member of `union` (shapes of several kinds, or one
    no direct check covers): a value one of the members' own fit checks accepts fits
    that member (a fit check accepts only what `compatible` accepts), so only the values
    none of them accepts are shaped and compared. `compile_member` compiles a member's
    fit check (C when built; conform's closures by default); an object, a mapping of
    another class, a named tuple... is read field by field (`objectfit`), its fields'
    unions compiled by `compile_union` (conform's by default). The member that fitted
    last is tried first. The verdicts of the comparison are kept per live shape (by
    value). A union holding a cut fits every value (a cut recorded nothing to compare
    with)."""
    if fits_anything(union):
        return _always
    if compile_member is None:
        compile_member = _pure_member(shape_of)
    kind_of = objectfit.kind_function(shape_of)
    members: list[Check] = []
    for member in union:
        try:
            if _directly_checked(member):
                members.append(compile_member(member))
            elif kind_of is not None:
                fields = compile_union or _pure_union(shape_of)
                found = objectfit.member_check(member, kind_of, fields)
                if found is not None:
                    members.append(found)
        except Exception:  # no fit check of its own: its values are compared by shape
            continue
    verdicts: dict[Shape, bool] = {}

    def shaped_fits(value: Any) -> bool:
        live = shape_of(value)
        try:
            return verdicts[live]
        except KeyError:
            pass
        except TypeError:  # a live shape that cannot be a key: compared each time
            return any(compatible(member, live) for member in union)
        found = any(compatible(member, live) for member in union)
        if len(verdicts) >= _MAX_VERDICTS:
            verdicts.clear()
        verdicts[live] = found
        return found

    count = len(members)
    last = [0]  # the member that fitted last: the next value is likely of its kind

    def member_fits(value: Any) -> bool:
        one = [value]
        first = last[0]
        for step in range(count):
            position = (first + step) % count
            try:
                if members[position](one):
                    last[0] = position
                    return True
            except Exception:  # the comparison of shapes decides
                pass
        return False

    def check(column: list[Any]) -> bool:
        for value in column:
            if not member_fits(value) and not shaped_fits(value):
                return False
        return True

    return check


def fits_anything(union: Shape) -> bool:
    """A union every live value fits: it holds a cut (see `shape.fits`)."""
    return any(member[0] == "cut" for member in union)


CompileMember = Callable[[Shape], Check]
_MAX_VERDICTS = 256  # live shapes whose verdict a per-value check keeps


def _pure_member(shape_of: ShapeFunction) -> CompileMember:
    """conform's fit check of one union member (the reference)."""

    def compile_member(member: Shape) -> Check:
        return _union((member,), shape_of, False)

    return compile_member


@functools.lru_cache(maxsize=64)  # one per walker: `objectfit` keeps checks by it
def _pure_union(shape_of: ShapeFunction) -> CompileMember:
    """conform's fit check of a union (the reference)."""

    def compile_union(union: Shape) -> Check:
        return _union(union, shape_of, False)

    return compile_union


def _directly_checked(member: Shape) -> bool:
    """A member whose fit check does not itself fall back to `_per_value_check` on it: a
    leaf, a plain dict, list or tuple, a clock, an enum or an opaque type."""
    kind = member[0]
    if _is_leaf(member) or kind in _CLOCK_TYPES or kind in ("enum", "opaque"):
        return True
    return len(member) > 1 and member[1] == _DIRECT_CONTAINERS.get(kind)


_DIRECT_CONTAINERS = {"dict": "dict", "coll": "list", "tuple": "tuple"}


def _field_type(union: Shape) -> type | None:
    """The one exact Python type every value of this field has, if the union says so."""
    if len(union) != 1:
        return None
    member = union[0]
    if len(member) == 1 or (len(member) == 2 and member[0] in FORMAT_KINDS):
        return _LEAF_TYPES.get(member[0]) or _CLOCK_TYPES.get(member[0])
    if member[0] in ("dict", "coll", "tuple") and member[1] in _CONTAINER_TYPES:
        return _CONTAINER_TYPES[member[1]]
    return None


def _dict_check(shape: Shape, shape_of: ShapeFunction, strict: bool) -> Check:
    keys: tuple[str, ...] = shape[2]
    unions: tuple[Shape, ...] = shape[3]
    types = tuple(_field_type(u) for u in unions)
    exact = None not in types
    plain: list[tuple[int, type]] = []  # fields checked by their type only
    formats: list[tuple[int, type, Classify, str | None]] = []  # ... and format class
    for index, (cls, u) in enumerate(zip(types, unions, strict=True)):
        if cls is None or len(u) != 1 or u[0][0] not in _LEAF_TYPES:
            continue
        label = u[0][1] if len(u[0]) == 2 and u[0][0] in FORMAT_KINDS else None
        if cls in FORMAT_CLASSIFIERS and (strict or (label is not None and asserted(label))):
            formats.append((index, cls, FORMAT_CLASSIFIERS[cls], label))
        elif len(u[0]) == 1 or u[0][0] in FORMAT_KINDS:
            plain.append((index, cls))
    done = {index for index, _ in plain} | {f[0] for f in formats}
    deeper = [
        (index, _union(u, shape_of, strict)) for index, u in enumerate(unions) if index not in done
    ]

    def keeps(label: str | None, found: str | None) -> bool:
        return found == label or (not strict and label is not None and label_fits(label, found))

    def check_one(value: Any) -> bool:
        if type(value) is not dict or tuple(value) != keys:
            return False
        values = list(value.values())
        if exact:
            if tuple(map(type, values)) != types:
                return False
        else:
            for index, cls in plain:
                if type(values[index]) is not cls:
                    return False
        for index, cls, classify_one, label in formats:
            found = values[index]
            if type(found) is not cls or not keeps(label, classify_one(found)):
                return False
        for index, field_check in deeper:
            if not field_check([values[index]]):
                return False
        return True

    def check(column: list[Any]) -> bool:
        if len(column) == 1:
            return check_one(column[0])
        if set(map(type, column)) != {dict} or set(map(tuple, column)) != {keys}:
            return False
        if not keys:
            return True
        fields = list(zip(*map(dict.values, column), strict=True))
        for index, cls in plain:
            if set(map(type, fields[index])) != {cls}:
                return False
        for index, cls, classify_one, label in formats:
            field = list(fields[index])
            if set(map(type, field)) != {cls}:
                return False
            if strict:
                if column_leaf_union(cls, field)[0][1:] != ((label,) if label else ()):
                    return False
            elif not all(keeps(label, classify_one(v)) for v in field):
                return False
        for index, field_check in deeper:
            if not field_check(list(fields[index])):
                return False
        return True

    return check


def _list_check(shape: Shape, shape_of: ShapeFunction, strict: bool) -> Check:
    items = _union(shape[2], shape_of, strict)
    empty_fits = not strict or not shape[2]

    def check(column: list[Any]) -> bool:
        if len(column) == 1:
            value = column[0]
            if type(value) is not list:
                return False
            return items(value) if value else empty_fits
        if set(map(type, column)) != {list}:
            return False
        flat = list(chain.from_iterable(column))
        return items(flat) if flat else empty_fits

    return check


def _tuple_check(shape: Shape, shape_of: ShapeFunction, strict: bool) -> Check:
    unions: tuple[Shape, ...] = shape[2]
    length = len(unions)
    positions = [_union(u, shape_of, strict) for u in unions]

    def check(column: list[Any]) -> bool:
        if len(column) == 1:
            value = column[0]
            if type(value) is not tuple or len(value) != length:
                return False
            index = 0
            for item in value:
                if not positions[index]([item]):
                    return False
                index += 1
            return True
        if set(map(type, column)) != {tuple} or set(map(len, column)) != {length}:
            return False
        if not length:
            return True
        index = 0
        for values in zip(*column, strict=True):
            if not positions[index](list(values)):
                return False
            index += 1
        return True

    return check
