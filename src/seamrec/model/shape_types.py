"""Named shape kinds: one NamedTuple per layout, with builders, a view and the grammar check.

A shape stays a plain tuple (that is its encoding: cassettes store it as a msgpack array,
the hot path and the accelerator build and hash plain tuples). This module is the one
place outside the walker that knows the positions; everything else reads shapes by name::

    match view(shape):
        case RecordShape(kind="dict", names=names, unions=unions): ...
        case CollShape(items=items): ...

A view is a NamedTuple, so it is equal to and hashes like the shape it was made from.
Builders return plain tuples, so what they build packs, pickles and prints as before.

    kind                          layout                                 named type
    "str" "bytes" "int" "float"   (kind,) or (kind, format)             LeafShape / FormatShape
    any other leaf                (kind,)  e.g. ("int",) ("str:shop.Sku",)  LeafShape
    "dict" "obj" "row" "ntuple"   (kind, type_name, names, unions)      RecordShape
    "args"                        ("args", names, unions)               ArgsShape
    "map"                         ("map", type_name, keys, values)      MapShape
    "coll"                        ("coll", type_name, items)            CollShape
    "tuple" "exc"                 (kind, type_name, unions)             PositionalShape
    "enum" "opaque" "self"        (kind, type_name)                     TypedShape
    "cut"                         ("cut", reason)                       CutShape

`names` are str, `unions`/`keys`/`values`/`items` are unions: tuples of shapes.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeAlias, TypeVar, cast

from seamrec.model.formats import FORMAT_KINDS as FORMAT_KINDS
from seamrec.model.paths import ITEMS_KEY, KEYS_KEY, VALUES_KEY

__all__ = [
    "FORMAT_KINDS",
    "KEYED_KINDS",
    "POSITIONAL_KINDS",
    "RECORD_KINDS",
    "TYPED_KINDS",
    "ArgsShape",
    "CollShape",
    "Composite",
    "CutShape",
    "FormatShape",
    "LeafShape",
    "MapShape",
    "PositionalShape",
    "RecordShape",
    "Shape",
    "ShapeUnion",
    "ShapeView",
    "TypedShape",
    "check_shape",
    "children",
    "is_leaf",
    "shape_kind",
    "view",
    "view_as",
    "with_children",
]

Shape: TypeAlias = tuple[Any, ...]
ShapeUnion: TypeAlias = tuple[Shape, ...]

RECORD_KINDS = frozenset({"dict", "obj", "row", "ntuple"})
POSITIONAL_KINDS = frozenset({"tuple", "exc"})
TYPED_KINDS = frozenset({"enum", "opaque", "self"})
KEYED_KINDS = frozenset({"dict", "obj", "row"})  # records whose key order is not drift


class LeafShape(NamedTuple):
    """A leaf without a format: ``("int",)``, ``("datetime+tz",)``, ``("str:shop.Sku",)``."""

    kind: str

    @staticmethod
    def build(kind: str) -> Shape:
        """``(kind,)``."""
        return (kind,)


class FormatShape(NamedTuple):
    """A str, bytes, int or float leaf with the format class of its values."""

    kind: str
    label: str  # e.g. "hex(32)", "iso-datetime T +hh:mm" (see seamrec.model.formats)

    @staticmethod
    def build(kind: str, label: str | None) -> Shape:
        """``(kind, label)``, or the plain leaf ``(kind,)`` when there is no label."""
        return (kind,) if label is None else (kind, label)


class RecordShape(NamedTuple):
    """A record with named fields: str-keyed dict, object, db row or namedtuple."""

    kind: str  # "dict" | "obj" | "row" | "ntuple"
    type_name: str
    names: tuple[str, ...]
    unions: tuple[ShapeUnion, ...]

    @staticmethod
    def build(
        kind: str, type_name: str, names: tuple[str, ...], unions: tuple[ShapeUnion, ...]
    ) -> Shape:
        """``(kind, type_name, names, unions)``."""
        return (kind, type_name, names, unions)


class ArgsShape(NamedTuple):
    """The bound arguments of one call: parameter names and a union for each."""

    kind: str  # "args"
    names: tuple[str, ...]
    unions: tuple[ShapeUnion, ...]

    @staticmethod
    def build(names: tuple[str, ...], unions: tuple[ShapeUnion, ...]) -> Shape:
        """``("args", names, unions)``."""
        return ("args", names, unions)


class MapShape(NamedTuple):
    """A mapping whose keys are data (not str identifiers): one union of keys, one of values."""

    kind: str  # "map"
    type_name: str
    keys: ShapeUnion
    values: ShapeUnion

    @staticmethod
    def build(type_name: str, keys: ShapeUnion, values: ShapeUnion) -> Shape:
        """``("map", type_name, keys, values)``."""
        return ("map", type_name, keys, values)


class CollShape(NamedTuple):
    """A list, set, deque... (or the items a generator yielded): one union of items."""

    kind: str  # "coll"
    type_name: str  # "list", "set", ..., "yield" for a generator's items
    items: ShapeUnion

    @staticmethod
    def build(type_name: str, items: ShapeUnion) -> Shape:
        """``("coll", type_name, items)``."""
        return ("coll", type_name, items)


class PositionalShape(NamedTuple):
    """A tuple (each position its own union) or an exception (the unions of its args)."""

    kind: str  # "tuple" | "exc"
    type_name: str
    unions: tuple[ShapeUnion, ...]

    @staticmethod
    def build(kind: str, type_name: str, unions: tuple[ShapeUnion, ...]) -> Shape:
        """``(kind, type_name, unions)``."""
        return (kind, type_name, unions)


class TypedShape(NamedTuple):
    """A value recorded by its type only: an enum member, a foreign object, `self`/`cls`."""

    kind: str  # "enum" | "opaque" | "self"
    type_name: str

    @staticmethod
    def build(kind: str, type_name: str) -> Shape:
        """``(kind, type_name)``."""
        return (kind, type_name)


class CutShape(NamedTuple):
    """A walk that stopped: "cycle", "depth", "budget", "unfinished"..."""

    kind: str  # "cut"
    reason: str

    @staticmethod
    def build(reason: str) -> Shape:
        """``("cut", reason)``."""
        return ("cut", reason)


ShapeView: TypeAlias = (
    LeafShape
    | FormatShape
    | RecordShape
    | ArgsShape
    | MapShape
    | CollShape
    | PositionalShape
    | TypedShape
    | CutShape
)
Composite: TypeAlias = RecordShape | ArgsShape | MapShape | CollShape | PositionalShape

_VIEWS: dict[str, type[ShapeView]] = {
    **dict.fromkeys(FORMAT_KINDS, FormatShape),
    **dict.fromkeys(RECORD_KINDS, RecordShape),
    "args": ArgsShape,
    "map": MapShape,
    "coll": CollShape,
    **dict.fromkeys(POSITIONAL_KINDS, PositionalShape),
    **dict.fromkeys(TYPED_KINDS, TypedShape),
    "cut": CutShape,
}


def view(shape: Shape) -> ShapeView:
    """The named type of `shape` (a plain or named tuple), equal to it. Raises ValueError
    for a tuple that is not a shape of a known kind and layout."""
    size = len(shape)
    cls = LeafShape if size == 1 else _VIEWS.get(shape[0]) if size else None
    if cls is None or size != _SIZES[cls]:
        raise ValueError(f"not a shape: {shape!r:.60}")
    if type(shape) is cls:
        return shape  # already its view
    return cast(ShapeView, _new(cls, shape))  # the C constructor: cheap


_SIZES: dict[type[ShapeView], int] = {c: len(c._fields) for c in (LeafShape, *_VIEWS.values())}
_new = tuple.__new__
_View = TypeVar("_View", bound=ShapeView)


def view_as(cls: type[_View], shape: Shape) -> _View:
    """The view of `shape` when it is of named type `cls`; else ValueError."""
    found = view(shape)
    if not isinstance(found, cls):
        raise ValueError(f"not a {cls.__name__}: {shape!r:.60}")
    return found


def shape_kind(shape: Shape) -> str:
    """The kind of `shape`: "dict", "coll", "int", "str:shop.Sku", ..."""
    return str(shape[0])


def is_leaf(shape: Shape) -> bool:
    """Whether `shape` is a leaf (with or without a format class)."""
    return len(shape) == 1 or (len(shape) == 2 and shape[0] in FORMAT_KINDS)


def children(shape: Shape) -> list[tuple[Any, ShapeUnion]]:
    """(path step, union) of each child position of a composite shape: a field name, a
    tuple position, or `ITEMS_KEY`, `KEYS_KEY`, `VALUES_KEY` (seamrec.model.paths); none for
    a leaf."""
    kind = shape[0]
    if len(shape) < 3:
        return []
    if kind in RECORD_KINDS:
        return list(zip(shape[2], shape[3], strict=True))
    if kind == "args":
        return list(zip(shape[1], shape[2], strict=True))
    if kind == "coll":
        return [(ITEMS_KEY, shape[2])]
    if kind == "map":
        return [(KEYS_KEY, shape[2]), (VALUES_KEY, shape[3])]
    if kind in POSITIONAL_KINDS:
        return list(enumerate(shape[2]))
    return []


def with_children(shape: Shape, unions: tuple[ShapeUnion, ...]) -> Shape:
    """`shape` with the unions of its child positions (in `children` order) replaced."""
    kind = shape[0]
    if kind in RECORD_KINDS:
        return (kind, shape[1], shape[2], unions)
    if kind == "args":
        return ("args", shape[1], unions)
    if kind == "coll":
        return ("coll", shape[1], unions[0])
    if kind == "map":
        return ("map", shape[1], unions[0], unions[1])
    return (kind, shape[1], unions)


def check_shape(shape: Any) -> None:
    """Raise ValueError unless `shape` (read from a file) follows the layouts above."""
    if not isinstance(shape, tuple) or not shape or not isinstance(shape[0], str):
        raise ValueError(f"bad shape {shape!r:.60}")
    kind, size = shape[0], len(shape)
    if size == 1:
        return
    names_ok = size > 1 and isinstance(shape[1], str)
    if kind in _NAMED_ONLY and size == 2 and names_ok:
        return
    if kind in FORMAT_KINDS and size == 2 and names_ok:
        return  # a leaf with its format class; without one (size 1) it asserts none
    if kind in RECORD_KINDS and size == 4 and names_ok:
        _check_names(shape[2], len(shape[3]))
        _check_unions(shape[3])
    elif kind == "args" and size == 3:
        _check_names(shape[1], len(shape[2]))
        _check_unions(shape[2])
    elif kind == "map" and size == 4 and names_ok:
        _check_unions((shape[2], shape[3]))
    elif kind == "coll" and size == 3 and names_ok:
        _check_unions((shape[2],))
    elif kind in POSITIONAL_KINDS and size == 3 and names_ok:
        _check_unions(shape[2])
    else:
        raise ValueError(f"bad {kind!r} shape {shape!r:.60}")


_NAMED_ONLY = TYPED_KINDS | {"cut"}


def _check_names(names: Any, count: int) -> None:
    if not isinstance(names, tuple) or len(names) != count:
        raise ValueError(f"bad names {names!r:.60}")
    if not all(isinstance(name, str) for name in names):
        raise ValueError(f"bad names {names!r:.60}")


def _check_unions(unions: Any) -> None:
    if not isinstance(unions, tuple):
        raise ValueError(f"bad unions {unions!r:.60}")
    for union in unions:
        if not isinstance(union, tuple):
            raise ValueError(f"bad union {union!r:.60}")
        for member in union:
            check_shape(member)
