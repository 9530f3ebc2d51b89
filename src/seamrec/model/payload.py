"""Payload trees: the msgpack ext codes and the layout of each ext value, read by name.

An encoded payload is a msgpack tree: dicts, lists and scalars, with an ext value for every
type msgpack has no word for. Each ext holds one packed *inner* value; this module is the
one place that knows its layout (`seamrec.model.codec` writes it, and the codec, the
rebuild of replayed values, redaction and the cassette store read it through `node`)::

    code              inner                                      named node
    TUPLE SET FROZENSET  [item, ...]                             (the list itself)
    MAP               [[key, value], ...]                        (the list itself)
    BIGINT DECIMAL DATE  str; UUID BYTEARRAY SURROGATE_STR bytes (the value itself)
    OPAQUE SELF REDACTED  type path                              (the str itself)
    DATETIME TIME     [isoformat, zone key | None]               ClockNode
    TIMEDELTA         [days, seconds, microseconds]              TimedeltaNode
    COMPLEX           [real, imag]                               ComplexNode
    TYPED_COLLECTION  [type path, "dict"|"list"|"tuple", items]  CollectionNode
    NAMEDTUPLE        [type path, field names, items]            NamedTupleNode
    ENUM              [type path, member name, value]            EnumNode
    OBJECT            [type path, {field: value}]                ObjectNode
    ROW               [type path, column names, values]          RowNode
    EXCEPTION         [type path, args, message(, {field: value})]  ExceptionNode
    CUT               [reason, detail]                           CutNode
    LEAF_SUBCLASS     [type path, plain value]                   LeafSubclassNode

A `"dict"` collection's items are ``[key, value]`` pairs. Exceptions recorded before their
public fields were kept have three items (`ExceptionNode.fields` is None).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

import msgpack

__all__ = [
    "TYPED_NODES",
    "ClockNode",
    "CollectionNode",
    "ComplexNode",
    "CutNode",
    "EnumNode",
    "ExceptionNode",
    "Ext",
    "LeafSubclassNode",
    "NamedTupleNode",
    "Node",
    "ObjectNode",
    "RowNode",
    "TimedeltaNode",
    "ext",
    "ext_code",
    "inner",
    "node",
    "read",
    "type_path_of",
]


class Ext(enum.IntEnum):
    """msgpack ext type codes of the payload format (never renumber; add new ones)."""

    TUPLE = 1
    SET = 2
    FROZENSET = 3
    BIGINT = 4
    DECIMAL = 5
    DATETIME = 6
    DATE = 7
    TIME = 8
    TIMEDELTA = 9
    UUID = 10
    ENUM = 11
    MAP = 12
    TYPED_COLLECTION = 13
    NAMEDTUPLE = 14
    OBJECT = 15
    ROW = 16
    EXCEPTION = 17
    OPAQUE = 18
    SELF = 19
    CUT = 20
    COMPLEX = 21
    BYTEARRAY = 22
    LEAF_SUBCLASS = 23
    REDACTED = 24
    SURROGATE_STR = 25  # a str holding lone surrogates (not UTF-8): its surrogatepass bytes


class ClockNode(NamedTuple):
    """A datetime or time: ISO text (with its UTC offset) and the zoneinfo key, if any."""

    iso: str
    zone: str | None


class TimedeltaNode(NamedTuple):
    """A timedelta, as Python normalises it."""

    days: int
    seconds: int
    microseconds: int


class ComplexNode(NamedTuple):
    """A complex number."""

    real: float
    imag: float


class CollectionNode(NamedTuple):
    """A subclass of dict, list, set or tuple (OrderedDict, deque, Counter...)."""

    type_path: str
    layout: str  # "dict" (items are [key, value] pairs), "list" or "tuple"
    items: list[Any]


class NamedTupleNode(NamedTuple):
    """A namedtuple: its field names and items."""

    type_path: str
    names: list[str]
    items: list[Any]


class EnumNode(NamedTuple):
    """An Enum member: its name and (encoded) value."""

    type_path: str
    name: str
    value: Any


class ObjectNode(NamedTuple):
    """A dataclass, ORM or plain object: its fields by name."""

    type_path: str
    fields: dict[str, Any]


class RowNode(NamedTuple):
    """A database row: column names and values."""

    type_path: str
    columns: list[str]
    values: list[Any]


class ExceptionNode(NamedTuple):
    """An exception: its args, message and public fields (None: recorded without)."""

    type_path: str
    args: list[Any]
    message: Any
    fields: dict[str, Any] | None = None


class CutNode(NamedTuple):
    """Where a value was cut by a limit ("depth", "cycle", "items", "str", "budget"...)."""

    reason: str
    detail: Any


class LeafSubclassNode(NamedTuple):
    """A value of a subclass of str, int, float, bytes...: the plain value."""

    type_path: str
    value: Any


Node = (
    ClockNode
    | TimedeltaNode
    | ComplexNode
    | CollectionNode
    | NamedTupleNode
    | EnumNode
    | ObjectNode
    | RowNode
    | ExceptionNode
    | CutNode
    | LeafSubclassNode
)
_NODES: dict[int, type[Node]] = {
    Ext.DATETIME: ClockNode,
    Ext.TIME: ClockNode,
    Ext.TIMEDELTA: TimedeltaNode,
    Ext.COMPLEX: ComplexNode,
    Ext.TYPED_COLLECTION: CollectionNode,
    Ext.NAMEDTUPLE: NamedTupleNode,
    Ext.ENUM: EnumNode,
    Ext.OBJECT: ObjectNode,
    Ext.ROW: RowNode,
    Ext.EXCEPTION: ExceptionNode,
    Ext.CUT: CutNode,
    Ext.LEAF_SUBCLASS: LeafSubclassNode,
}
TYPED_NODES = (  # the nodes that carry a type path
    CollectionNode,
    NamedTupleNode,
    EnumNode,
    ObjectNode,
    RowNode,
    ExceptionNode,
    LeafSubclassNode,
)


def inner(tree: msgpack.ExtType) -> Any:
    """The unpacked inner value of an ext, its own ext values left packed."""
    return msgpack.unpackb(tree.data, raw=False, strict_map_key=False)


_SIZED = {code: (cls, len(cls._fields)) for code, cls in _NODES.items()}
_CODES = {int(code): code for code in Ext}
_new = tuple.__new__


def ext_code(code: int) -> Ext:
    """The `Ext` of a code (a dict lookup: `Ext(code)` costs a Python call); ValueError
    for an unknown code, as `Ext(code)`."""
    found = _CODES.get(code)
    return Ext(code) if found is None else found


def node(code: int, value: Any) -> Any:
    """The inner `value` of an ext with `code` as its named node (the value itself for
    the codes without one, see the table above). TypeError when it has the wrong size."""
    sized = _SIZED.get(code)
    if sized is None:
        return value
    cls, size = sized
    if type(value) is list and len(value) == size:
        return _new(cls, value)  # the C constructor: a node per ext value, kept cheap
    return cls(*value)  # an exception without its fields, or TypeError


def read(tree: msgpack.ExtType) -> Any:
    """`node` of a packed ext value."""
    return node(tree.code, inner(tree))


def ext(code: int, value: Any) -> msgpack.ExtType:
    """An ext value holding `value` (a node, or the inner value of a code without one)."""
    if type(value) is ExceptionNode and value.fields is None:
        value = value[:3]  # as it was recorded: without public fields
    return msgpack.ExtType(int(code), msgpack.packb(value, use_bin_type=True))


def type_path_of(tree: msgpack.ExtType) -> str | None:
    """The recorded type path an ext value names, if its layout has one."""
    found = read(tree)
    if isinstance(found, TYPED_NODES):
        return found.type_path
    if tree.code in (Ext.OPAQUE, Ext.SELF, Ext.REDACTED):
        return str(found)
    return None
