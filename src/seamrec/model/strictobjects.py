"""Strict checks (record mode's reuse of the last shape) of the members a plain dict,
list or tuple check does not cover: class instances (a service's fields too), mappings
of other classes, named collections and subclasses of leaf types.

Before, such a member made the strict check undecidable, so a seam taking a DRF
``Request`` or returning a ``QueryDict`` walked its value on every call. A check here
reads the value the way the walker reads it (its class's kind, its fields through
``classify``, never a property) and says True only where the walker would give exactly
the recorded member; any doubt says False (the value is walked, as before):

- every value of a column is of one class, of the recorded type path and kind;
- a service's field recorded by type (``shape.plain_fields``) is a service or foreign
  object of that type, or a builtin container of that type holding one directly; any
  other field of a service is checked only where its recorded shape names no object
  (then the shallow walk inside a service gives what the deep one gives);
- a collection recorded with items is not empty, and one recorded empty is empty;
- a named tuple's or an exception's items (its `args`) are checked as a plain tuple.

The walker cuts a cycle only between values at depth `shape.CYCLE_CHECK_DEPTH` or
deeper. A value fitting a strict check is finite where the check reads it all the way
down; the checks by type here do not read further, so a service (whose fields may be
checked by type) is taken only above that depth, where no value of its fields can be
cut as a cycle: every check is compiled knowing the depth of its values. The walker
must reach a little deeper than that (`walker_fits`). Like every strict check, the node
budget of the walker is not counted.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from itertools import chain
from typing import Any, cast

from seamrec.model.classify import (
    ClassMemo,
    Kind,
    instance_fields,
    mapping_items,
    orm_fields,
    read_fields,
    type_path,
)
from seamrec.model.objectfit import classes_named
from seamrec.model.shape import (
    CYCLE_CHECK_DEPTH,
    FORMAT_CLASSIFIERS,
    LEAF_SHAPES,
    dataclass_fields,
    leaf_of_subclass,
)
from seamrec.model.shape_types import FORMAT_KINDS, Shape, children

Check = Callable[[list[Any]], bool]
CompileUnion = Callable[[Shape, int], Check]  # a union's strict check at a depth
KindOf = Callable[[type], Kind]

_OBJECT_KINDS = frozenset({Kind.OBJECT, Kind.SLOTS, Kind.SERVICE, Kind.DATACLASS, Kind.ORM})
_DATA_KINDS = _OBJECT_KINDS - {Kind.SERVICE}  # walked into inside a service's field
_BY_TYPE = frozenset({Kind.SERVICE, Kind.OPAQUE})  # ("opaque", type path) in a service
_CONTAINERS = (list, tuple, dict, set, frozenset)  # by type in a service when holding one
_NEVER_BY_TYPE = frozenset(LEAF_SHAPES) | frozenset(FORMAT_CLASSIFIERS) | frozenset(_CONTAINERS)
_MIN_DEPTH = CYCLE_CHECK_DEPTH + 2  # a service's field's items are walked this deep
_MISSING = object()


class Undecidable(Exception):
    """No exact strict check of a member is made here."""


def handled(member: Shape) -> bool:
    """Whether `member_check` makes a check of `member` (without making it)."""
    kind, size = member[0], len(member)
    if kind == "obj":
        return size == 4
    if kind == "dict":
        return size == 4 and member[1] != "dict"
    if kind == "coll":
        return size == 3 and member[1] != "list"
    if kind == "ntuple":
        return size == 4
    if kind == "exc":
        return size == 3
    return size == 1 and ":" in kind


def walker_fits(shape_of: Callable[[object], Shape]) -> bool:
    """Whether `shape_of` walks deep enough for these checks: below a service taken
    (above the cycle check's depth), the items of its fields recorded by type."""
    max_depth = getattr(shape_of, "max_depth", None)
    return type(max_depth) is int and max_depth >= _MIN_DEPTH


def member_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion, depth: int) -> Check:
    """The strict check of one member of a `handled` kind, its values at `depth` of the
    walk; `compile_union` compiles a strict check of a union (raising when it cannot).
    Raises `Undecidable`."""
    kind = member[0]
    if kind == "obj" and len(member) == 4:
        kinds = _OBJECT_KINDS if depth < CYCLE_CHECK_DEPTH else _DATA_KINDS
        return _object_check(member, kind_of, compile_union, depth, kinds)
    if kind == "dict" and len(member) == 4 and member[1] != "dict":
        return _mapping_check(member, kind_of, compile_union, depth)
    if kind == "coll" and len(member) == 3 and member[1] != "list":
        return _collection_check(member, kind_of, compile_union, depth)
    if kind == "ntuple" and len(member) == 4:
        return _named_tuple_check(member, kind_of, compile_union, depth)
    if kind == "exc" and len(member) == 3:
        return _exception_check(member, kind_of, compile_union, depth)
    if len(member) == 1 and ":" in kind:
        return _leaf_subclass_check(member, kind_of)
    raise Undecidable


def _one_class(column: list[Any]) -> type | None:
    """The class of every value of a non-empty column (None: several, or none)."""
    if not column:
        return None
    cls = type(column[0])
    for value in column:
        if type(value) is not cls:
            return None
    return cls


def _object_check(
    member: Shape,
    kind_of: KindOf,
    compile_union: CompileUnion,
    depth: int,
    kinds: frozenset[Kind],
) -> Check:
    """("obj", type, names, unions): one class's instances (of one of `kinds`), their
    fields (read as the walker reads them) in order, each column fitting its union
    strictly."""
    names: tuple[str, ...] = member[2]
    unions: tuple[Shape, ...] = member[3]
    kind_for = classes_named(member[1], kind_of, kinds)
    compiled: dict[bool, list[Check] | None] = {}  # service? -> the field checks

    def field_checks(service: bool) -> list[Check] | None:
        if service not in compiled:
            try:
                if service:
                    made = [_service_field(u, kind_of, compile_union, depth + 1) for u in unions]
                else:
                    made = [compile_union(u, depth + 1) for u in unions]
            except Exception:  # a field without an exact strict check: never reused
                compiled[service] = None
            else:
                compiled[service] = made
        return compiled[service]

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        kind = None if cls is None else kind_for(cls)
        if cls is None or kind is None:
            return False
        rows: list[list[Any]] = []
        for value in column:
            if kind is Kind.DATACLASS:
                declared = dataclass_fields(cls)
                if declared != names:
                    return False
                rows.append(read_fields(value, declared))
            else:
                fields = orm_fields(value) if kind is Kind.ORM else instance_fields(value, kind)
                if tuple(fields) != names:
                    return False
                rows.append(list(fields.values()))
        if not names:
            return True
        checks = field_checks(kind is Kind.SERVICE)
        if checks is None:
            return False
        if len(rows) == 1:
            return all(fits([field]) for fits, field in zip(checks, rows[0], strict=True))
        columns = zip(*rows, strict=True)
        return all(fits(list(values)) for fits, values in zip(checks, columns, strict=True))

    return check


def _service_field(union: Shape, kind_of: KindOf, compile_union: CompileUnion, depth: int) -> Check:
    """A service's field as `shape.plain_fields` recorded it from the shallow walk:
    leaves; one type recorded by type only; one shape naming no object; or a data
    object (not a service: the shallow walk records a service by type) whose fields
    name none."""
    if all(_is_plain_leaf(m) for m in union):
        return compile_union(union, depth)
    if len(union) != 1:
        raise Undecidable
    (member,) = union
    if len(member) == 2 and member[0] == "opaque":
        return _by_type(member[1], kind_of)
    if member[0] == "obj" and len(member) == 4 and not _fields_name_objects(member):
        return _object_check(member, kind_of, compile_union, depth, _DATA_KINDS)
    if _names_objects(member):
        raise Undecidable
    return compile_union(union, depth)


def _is_plain_leaf(member: Shape) -> bool:
    """A builtin leaf, or a format-bearing one."""
    kind = member[0]
    return kind in _LEAF_KINDS and (len(member) == 1 or kind in FORMAT_KINDS)


_LEAF_KINDS = frozenset(shape[0] for shape in LEAF_SHAPES.values())


def _fields_name_objects(member: Shape) -> bool:
    """Whether a field of an ("obj", ...) shape names an object (`_names_objects`)."""
    return any(_names_objects(m) for union in member[3] for m in union)


def _names_objects(member: Shape) -> bool:
    """A shape naming an object, a cut or anything walked only by class anywhere."""
    kind = member[0]
    if kind in ("obj", "opaque", "self", "cut", "row", "exc", "ntuple"):
        return True
    if kind in ("dict", "coll", "map", "tuple") and member[1] not in ("dict", "list", "tuple"):
        return True  # a mapping or collection of another class
    if len(member) == 1 and ":" in kind:
        return True
    return any(_names_objects(m) for _, u in children(member) for m in u)


def _by_type(name: str, kind_of: KindOf) -> Check:
    """("opaque", `name`) in a service's field: services or foreign objects of that type
    (the shallow walk records them by type), or builtin containers of that type each
    holding one among its items, keys or values (recorded by type for holding it)."""
    memo: ClassMemo[bool] = ClassMemo()  # keeps no class alive
    known = memo.held

    def decide(cls: type) -> bool:
        return cls not in _NEVER_BY_TYPE and kind_of(cls) in _BY_TYPE

    def is_object(cls: type) -> bool:
        found = known.get(cls, _MISSING)
        if found is _MISSING:
            found = memo.missed(cls, decide)
        return found is True

    def holds_object(value: Any) -> bool:
        items = chain(value, value.values()) if type(value) is dict else value
        return any(is_object(type(item)) for item in items)

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        if cls is None:
            return False
        if cls in _CONTAINERS:
            return cls.__name__ == name and any(map(holds_object, column))
        return is_object(cls) and type_path(cls) == name

    return check


def _mapping_check(
    member: Shape, kind_of: KindOf, compile_union: CompileUnion, depth: int
) -> Check:
    """("dict", type, keys, unions) of a class other than dict: one class's mappings,
    read as the walker reads them, checked as plain dicts of these keys."""
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.DICT, Kind.MAPPING}))
    plain = compile_union((("dict", "dict", member[2], member[3]),), depth)

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        kind = None if cls is None else kind_for(cls)
        if cls is None or kind is None:
            return False
        if kind is Kind.DICT:
            if issubclass(cls, collections.Counter):
                return False  # a Counter is always a map
            return plain([dict(value) for value in column])
        try:
            read = [dict(mapping_items(value)) for value in column]
        except Exception:  # a mapping that cannot be read is recorded by type
            return False
        return plain(read)

    return check


def _collection_check(
    member: Shape, kind_of: KindOf, compile_union: CompileUnion, depth: int
) -> Check:
    """("coll", type, items) of a class other than list: one class's collections, their
    items together fitting the union (empty exactly when it is empty); a set's items
    (ordered by canonical_union) only when they are leaves."""
    name: str = member[1]
    items_union: Shape = member[2]
    kind_for = classes_named(name, kind_of, frozenset({Kind.COLL}))
    leaves_only = all(_is_plain_leaf(m) for m in items_union)
    items_fit = compile_union(items_union, depth + 1)

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        if cls is None or kind_for(cls) is None:
            return False
        if not leaves_only and issubclass(cls, set | frozenset):
            return False
        items = list(chain.from_iterable(column))
        if not items:
            return not items_union
        return bool(items_union) and items_fit(items)

    return check


def _named_tuple_check(
    member: Shape, kind_of: KindOf, compile_union: CompileUnion, depth: int
) -> Check:
    """("ntuple", type, fields, unions): one named tuple class of these fields, its
    items checked as plain tuples of these positions."""
    names: tuple[str, ...] = member[2]
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.NTUPLE}))
    plain = compile_union((("tuple", "tuple", member[3]),), depth)

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        if cls is None or kind_for(cls) is None or tuple(cast(Any, cls)._fields) != names:
            return False
        return plain([tuple(value) for value in column])

    return check


def _exception_check(
    member: Shape, kind_of: KindOf, compile_union: CompileUnion, depth: int
) -> Check:
    """("exc", type, unions): one exception class whose `args` is the builtin one
    (what the walker reads, read without running any class's code), checked as plain
    tuples of these positions."""
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.EXC}))
    plain = compile_union((("tuple", "tuple", member[2]),), depth)
    memo: ClassMemo[bool] = ClassMemo()  # keeps no class alive
    known = memo.held

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        if cls is None or kind_for(cls) is None:
            return False
        builtin = known.get(cls)
        if builtin is None:
            builtin = memo.missed(cls, _builtin_args)
        if not builtin:
            return False
        found = [_ARGS.__get__(value) for value in column]
        return all(type(args) is tuple for args in found) and plain(found)

    return check


_ARGS: Any = vars(BaseException)["args"]


def _builtin_args(cls: type) -> bool:
    """Whether `cls.args` is BaseException's own descriptor (read from the classes'
    `__dict__`s along the MRO)."""
    for base in cls.__mro__:
        found = vars(base).get("args", _MISSING)
        if found is not _MISSING:
            return found is _ARGS
    return False


def _leaf_subclass_check(member: Shape, kind_of: KindOf) -> Check:
    """("str:app.Sku",): values of one subclass of a leaf type, of that name."""
    name = member[0].partition(":")[2]
    kind_for = classes_named(name, kind_of, frozenset({Kind.LEAF}))

    def check(column: list[Any]) -> bool:
        cls = _one_class(column)
        return cls is not None and kind_for(cls) is not None and leaf_of_subclass(cls) == member

    return check
