"""The switch to the compiled hot path (``seamrec.model._speedups``), when it was built.

``shape.make_shape_function`` and ``conform.compile_value``/``compile_args`` ask this
module for their compiled twins (``runtime.rebuild`` its key and copier of replayed
values); the pure Python functions stay the reference and the fallback.
``SEAMREC_PURE=1`` forces the fallback. The compiled walker handles values made only of
exact builtin data and gives back None for anything else (classes the classifier decides,
cuts, cycles), where the Python walker takes over; compiled checks are built here the way
``conform`` builds its closures, and a node C does not decide wraps the Python one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from seamrec.compiled import PURE_VARIABLE, compiled_module
from seamrec.model import conform, formats, objectfit, strictobjects
from seamrec.model.classify import Kind, type_path
from seamrec.model.formats import FORMAT_KINDS, asserted
from seamrec.model.shape import (
    FORMAT_CLASSIFIERS,
    LEAF_SHAPES,
    Shape,
    ShapeFunction,
    column_leaf_union,
    format_union,
    sort_keysets,
)

MAX_C_DEPTH = 64  # deeper walks stay in Python (C stack frames; default max_depth is 32)


def _load() -> tuple[ModuleType | None, str]:
    """The compiled module and why it is missing ("" when loaded)."""
    _speedups, missing = compiled_module("seamrec.model._speedups")
    if _speedups is None:
        return None, missing
    _speedups.configure(
        formats.classify,
        formats._cache,
        formats.classify_bytes,
        formats.classify_number,
        formats.label_fits,
        column_leaf_union,
        format_union,
        type_path,
        sort_keysets,
        {cls: (shape,) for cls, shape in LEAF_SHAPES.items() if cls not in FORMAT_CLASSIFIERS},
    )
    return _speedups, ""


compiled, missing = _load()
"""The compiled module (None: pure Python) and why it is missing."""

tree_key: Callable[[Any], Any] | None = None if compiled is None else compiled.TreeKey
"""`tree_key(tree)`: a payload tree as a dict key, equal to another exactly when the two
trees pack to the same bytes (`codec.pack`, the reference), without packing; raises
TypeError or ValueError for a tree it cannot key. None without C (key by the bytes)."""

fresh_copy: Callable[[Any], Any] | None = None if compiled is None else compiled.fresh_copy
"""`fresh_copy(value)`: a replayed value copied the way `runtime.rebuild`'s copy plan
copies it (lists, dicts, sets and bytearrays new, the rest shared), in C; None without
C, where the plan's own Python copy runs."""


_T = TypeVar("_T")


def _as_is(value: _T) -> _T:
    return value


untrack: Callable[[_T], _T] = _as_is if compiled is None else compiled.untrack
"""`untrack(value)`: `value`, its exact tuples untracked by the garbage collector where a
collection would untrack them (items first) when C is built; as it is without C. A
tuple's items are made after it (a shape walked in C, one unpacked by msgpack), so the
collector, which looks at a generation in the order its objects were made, would
untrack a deep tuple kept for the run one level per full collection and walk the rest
every time until then."""


def notice(module: ModuleType | None = None, reason: str | None = None) -> str | None:
    """The one line a seamrec run prints when the accelerator could not be loaded (None
    when it is loaded, or when SEAMREC_PURE asked for pure Python)."""
    module, reason = (compiled, missing) if reason is None else (module, reason)
    if module is not None or reason.startswith(PURE_VARIABLE):
        return None
    return (
        f"seamrec: the C accelerator is {reason}; the hot path runs in pure Python "
        "(slower; reinstall with a C compiler to build it)"
    )


def shape_function(
    pure: ShapeFunction,
    max_depth: int,
    max_nodes: int,
    kind: Callable[[type], Kind],
    cuts: bool = True,
) -> ShapeFunction:
    """`pure` with builtin data walked in C (the same shapes); `pure` itself without C.
    `kind` is the walker's classification: exact datetimes and times are walked in C
    only where it walks them as clocks (an `opaque_types` entry can say otherwise).
    `cuts`: C cuts builtin data past `max_nodes` as `pure` does (False: `pure` walks it,
    for a walker that is told of its cuts)."""
    if compiled is None or max_depth > MAX_C_DEPTH:
        return pure
    clocks = int(kind(dt.datetime) is Kind.DATETIME) | int(kind(dt.time) is Kind.TIME) << 1
    walk: Callable[[object], Shape | None] = compiled.Walker(max_depth, max_nodes, clocks, cuts)

    def shape_of(value: object) -> Shape:
        shape = walk(value)
        return pure(value) if shape is None else shape

    shape_of.pure = pure  # type: ignore[attr-defined]
    shape_of.kind_of_class = kind  # type: ignore[attr-defined]  # read by `objectfit`
    shape_of.max_depth = max_depth  # type: ignore[attr-defined]  # read by `strictobjects`
    return shape_of


def pure_walker(shape_of: ShapeFunction) -> ShapeFunction:
    """The pure Python walker behind `shape_of` (itself when nothing is compiled)."""
    found: ShapeFunction = getattr(shape_of, "pure", shape_of)
    return found


class _Undecidable(Exception):
    """A strict check cannot be decided cheaply (mirrors conform's)."""


def compile_value(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False, objects: bool = False
) -> conform.Check | None:
    """`conform.compile_value`, compiled (None when no cheap strict check exists).
    `objects`: a strict check also takes the members `strictobjects` checks."""
    depth = 0 if objects and strict and strictobjects.walker_fits(shape_of) else None
    try:
        check: conform.Check = _union((shape,), shape_of, strict, depth)
    except _Undecidable:
        return None
    return check


def compile_args(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False, objects: bool = False
) -> conform.ArgsCheck | None:
    """`conform.compile_args`, compiled (`objects`: as in `compile_value`)."""
    assert compiled is not None
    if shape[:1] != ("args",):
        return None
    depth = 0 if objects and strict and strictobjects.walker_fits(shape_of) else None
    try:
        checks = tuple(
            compiled.self_check(u[0][1])
            if u and u[0][0] == "self"
            else _union(u, shape_of, strict, depth)
            for u in shape[2]
        )
    except _Undecidable:
        return None
    check: conform.ArgsCheck = compiled.args_check(shape[1], checks)
    return check


def _python(check: conform.Check) -> Any:
    assert compiled is not None
    return compiled.python_check(check)


def _union(union: Shape, shape_of: ShapeFunction, strict: bool, depth: int | None = None) -> Any:
    """The check of a union; `depth`: where its values lie in the walk when a strict
    check also takes `strictobjects`' members (None: it does not). A fit check is
    compiled once per union in the run (`conform.fit_kept`)."""
    if strict:
        return _compile_union(union, shape_of, strict, depth)
    return conform.fit_kept(
        union, _fields(shape_of), lambda: _compile_union(union, shape_of, False, None)
    )


def _compile_union(
    union: Shape, shape_of: ShapeFunction, strict: bool, depth: int | None = None
) -> Any:
    """`_union`, compiled."""
    assert compiled is not None
    if not union:
        return compiled.empty() if strict else compiled.always()
    is_leaf = conform._is_leaf
    leaves = [m for m in union if is_leaf(m)]
    leaf_types = {conform._LEAF_TYPES[m[0]] for m in leaves}
    others = [m for m in union if not is_leaf(m)]
    formatted = any(m[0] in FORMAT_KINDS for m in leaves)
    if not others and formatted and strict:
        if len(leaves) == 1:
            (leaf,) = leaves
            return compiled.strict_format(
                conform._LEAF_TYPES[leaf[0]], leaf[1] if len(leaf) == 2 else None
            )
        return _python(conform._strict_format_check(leaves))
    if not others and any(len(m) == 2 for m in leaves):
        return _format(leaves)
    if not others:
        return compiled.leaf(tuple(leaf_types), strict)
    if not leaf_types and len(others) == 1:
        return _shape(others[0], shape_of, strict, depth)
    if strict:
        raise _Undecidable
    return _per_value(union, shape_of)


def _format(leaves: list[Shape]) -> Any:
    """conform._format_check: labels per type; None stands for an observation."""
    assert compiled is not None
    plain = frozenset(conform._LEAF_TYPES[m[0]] for m in leaves if len(m) == 1)
    labels: dict[type, list[str | None]] = {}
    for member in leaves:
        cls = conform._LEAF_TYPES[member[0]]
        if len(member) == 2 and cls not in plain:
            labels.setdefault(cls, []).append(member[1] if asserted(member[1]) else None)
    return compiled.format(tuple(plain), {cls: tuple(found) for cls, found in labels.items()})


def _shape(shape: Shape, shape_of: ShapeFunction, strict: bool, depth: int | None = None) -> Any:
    assert compiled is not None
    kind = shape[0]
    if kind == "dict" and shape[1] == "dict":
        return _dict(shape, shape_of, strict, depth)
    if kind == "coll" and shape[1] == "list":
        items = _union(shape[2], shape_of, strict, _below(depth))
        return compiled.list_check(items, not strict or not shape[2])
    if kind == "tuple" and shape[1] == "tuple":
        return compiled.tuple_check(
            tuple(_union(u, shape_of, strict, _below(depth)) for u in shape[2])
        )
    if kind in conform._CLOCK_TYPES:
        return compiled.clock_check(conform._CLOCK_TYPES[kind], kind.endswith("+tz"))
    if kind in ("enum", "opaque"):
        return _python(conform._shape(shape, shape_of, strict))
    if strict:
        if depth is None or not strictobjects.handled(shape):
            raise _Undecidable
        kind_of = objectfit.kind_function(shape_of)
        if kind_of is None:
            raise _Undecidable
        try:
            member = strictobjects.member_check(
                shape, kind_of, lambda union, at: _union(union, shape_of, True, at), depth
            )
        except strictobjects.Undecidable:
            raise _Undecidable from None
        return _python(member)
    return _per_value((shape,), shape_of)


def _per_value(union: Shape, shape_of: ShapeFunction) -> Any:
    """conform._per_value_check, the members' own fit checks compiled in C."""
    assert compiled is not None
    if conform.fits_anything(union):
        return compiled.always()
    fields = _fields(shape_of)
    return conform.per_value_kept(
        union,
        fields,  # stands for the walker: the compiled checks' key differs from conform's
        lambda: _python(
            conform._per_value_check(
                union, shape_of, lambda member: _union((member,), shape_of, False), fields
            )
        ),
    )


@functools.lru_cache(maxsize=64)  # one per walker: `objectfit` keeps checks by it
def _fields(shape_of: ShapeFunction) -> conform.CompileMember:
    """The compiled fit check of a union (of an object's field)."""

    def compile_union(union: Shape) -> Any:
        return _union(union, shape_of, False)

    return compile_union


class _Twin:
    """The Python check of a dict shape, compiled when C first needs it (a key C does
    not compare)."""

    def __init__(self, shape: Shape, shape_of: ShapeFunction, strict: bool) -> None:
        self.args = (shape, shape_of, strict)
        self.check: conform.Check | None = None

    def __call__(self, column: list[Any]) -> bool:
        if self.check is None:
            try:
                self.check = conform._dict_check(*self.args)
            except conform._Undecidable:  # a member only the compiled strict checks take
                self.check = _never
        return self.check(column)


def _never(column: list[Any]) -> bool:
    return False


def _below(depth: int | None) -> int | None:
    return None if depth is None else depth + 1


def _dict(shape: Shape, shape_of: ShapeFunction, strict: bool, depth: int | None = None) -> Any:
    """conform._dict_check's fields, decided the same way."""
    assert compiled is not None
    keys: tuple[str, ...] = shape[2]
    unions: tuple[Shape, ...] = shape[3]
    types = tuple(conform._field_type(u) for u in unions)
    plain: list[tuple[int, type]] = []
    found: list[tuple[int, type, str | None]] = []
    for index, (cls, u) in enumerate(zip(types, unions, strict=True)):
        if cls is None or len(u) != 1 or u[0][0] not in conform._LEAF_TYPES:
            continue
        label = u[0][1] if len(u[0]) == 2 and u[0][0] in FORMAT_KINDS else None
        if cls in FORMAT_CLASSIFIERS and (strict or (label is not None and asserted(label))):
            found.append((index, cls, label))
        elif len(u[0]) == 1 or u[0][0] in FORMAT_KINDS:
            plain.append((index, cls))
    done = {index for index, _ in plain} | {f[0] for f in found}
    deeper = tuple(
        (index, _union(u, shape_of, strict, _below(depth)))
        for index, u in enumerate(unions)
        if index not in done
    )
    exact = None not in types
    return compiled.dict_check(
        keys,
        tuple(t if t is not None else type(None) for t in types),
        exact,
        tuple(plain),
        tuple(found),
        deeper,
        strict,
        _Twin(shape, shape_of, strict),
    )


# ---------------------------------------------------------------- payload packing


def _load_packer() -> ModuleType | None:
    """The compiled payload packer (None under SEAMREC_PURE or when not built)."""
    if compiled is None:
        return None
    try:
        from seamrec.model import _packer  # type: ignore[attr-defined]
    except ImportError:
        return None
    module: ModuleType = _packer
    return module


packer_module = _load_packer()
"""`seamrec.model._packer` (None: payloads are packed by `codec.make_packer`'s Python)."""

PayloadPacker = Callable[[object], bytes]
_NATIVE_SET, _NATIVE_DATETIME, _NATIVE_DATE, _NATIVE_DECIMAL = 1, 2, 4, 8


def payload_packer(
    pure: PayloadPacker,
    default: Callable[[object], Any],
    self_type: type,
    max_depth: int,
    max_nodes: int,
    kind: Callable[[type], Kind],
    cut: PayloadPacker | None = None,
    plan: Callable[[type], Any] | None = None,
) -> PayloadPacker:
    """`pure` (`codec.make_packer`'s packer, the reference) with payloads packed in C
    where C gives the same bytes; `pure` itself without C. `default` is the reference's
    hook for a value msgpack has no word for (C calls it for the values it does not
    encode; a `self_type` value's ext, which depends on its class only, is kept per
    class); `kind` the classifier's: C encodes a set, datetime, date or Decimal itself
    only where the classifier walks it as the standard type. `cut`: what `pure` gives a
    payload over its size limit (C finds that limit without the reference's whole walk).
    `plan`: how an object inside a node is encoded (`codec.NodePlan`); None: by `default`."""
    if packer_module is None or max_depth > MAX_C_DEPTH:
        return pure
    import decimal

    import msgpack

    clocks = (Kind.LEAF, Kind.DATETIME, Kind.TIME)
    native = (
        _NATIVE_SET * (kind(set) not in clocks and kind(frozenset) not in clocks)
        | _NATIVE_DATETIME * (kind(dt.datetime) is Kind.DATETIME)
        | _NATIVE_DATE * (kind(dt.date) is Kind.LEAF)
        | _NATIVE_DECIMAL * (kind(decimal.Decimal) is Kind.LEAF)
    )
    fast: Callable[[object], bytes | bool | None] = packer_module.Packer(
        default, msgpack.ExtType, decimal.Decimal, self_type, max_depth, max_nodes, native, plan
    )

    over_limit = cut or pure

    def pack_payload(value: object) -> bytes:
        data = fast(value)
        if type(data) is bytes:
            return data
        return pure(value) if data is None else over_limit(value)  # False: over the limit

    pack_payload.pure = pure  # type: ignore[attr-defined]
    return pack_payload
