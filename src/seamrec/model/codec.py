"""Type-faithful payloads: Python values to msgpack trees (with ext types) and back to views.

Encoding keeps every type that matters at a seam (tuple vs list, int vs bool, Decimal,
aware datetimes, dataclasses, rows, enums, exceptions...) and never stores a memory
address. What is data is decided by the same ``seamrec.model.classify.Classifier`` as the
shape: foreign objects are opaque, service objects are stored one level deep. It reads
only data (``__dict__``, slots, items, row columns): no properties, no iterators. Limits
cut deep, cyclic, large and over-budget values with a visible ``CutView`` marker.
Sets are sorted by their encoded bytes, so the bytes never depend on ``PYTHONHASHSEED``.

Decoding never imports or instantiates anything but fixed types: user classes come back
as ``ObjectView``/``EnumView``/... (``seamrec.model.views``, imported on first decode)
that carry the recorded type path. Views hash by their content, so a recorded object
whose fields hold lists or sets still works as a set member or a dict key, as the live
object did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import msgpack

from seamrec.config import Limits
from seamrec.model.classify import (
    DEFAULT,
    Classifier,
    ClassMemo,
    Kind,
    declared_fields,
    instance_fields,
    lazy_description,
    mapping_items,
    object_fields,
    orm_fields,
    read_fields,
    read_row,
    type_path,
)
from seamrec.model.payload import Ext as Ext  # the codes live with their layouts
from seamrec.model.payload import ext_code, node

if TYPE_CHECKING:  # at run time the views are imported on first use (`__getattr__`)
    from seamrec.model.views import CutView as CutView
    from seamrec.model.views import EnumView as EnumView
    from seamrec.model.views import ExceptionView as ExceptionView
    from seamrec.model.views import LeafSubclassView as LeafSubclassView
    from seamrec.model.views import ObjectView as ObjectView
    from seamrec.model.views import OpaqueView as OpaqueView
    from seamrec.model.views import RedactedView as RedactedView
    from seamrec.model.views import RowView as RowView
    from seamrec.model.views import SelfView as SelfView
    from seamrec.model.views import TypedCollectionView as TypedCollectionView

INT64_MIN = -(2**63)
UINT64_MAX = 2**64 - 1


class PackerPool:
    """Reusable msgpack Packers: building one per call costs a large buffer each time.

    Packing is re-entered from ``default`` hooks (an ext value packs its inner tree), so
    each nested or concurrent use takes its own Packer from the free list.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._free: list[msgpack.Packer] = []

    def pack(self, value: object) -> bytes:
        """msgpack bytes of `value`."""
        free = self._free
        packer = free.pop() if free else msgpack.Packer(**self._options)
        try:
            data: bytes = packer.pack(value)
        except BaseException:
            packer = msgpack.Packer(**self._options)  # its buffer may hold a partial value
            raise
        finally:
            free.append(packer)
        return data


_TREES = PackerPool(use_bin_type=True)


def pack(tree: object) -> bytes:
    """msgpack bytes of an encoded tree."""
    return _TREES.pack(tree)


def _ext(code: Ext, inner: object) -> msgpack.ExtType:
    # built without ExtType's Python-level argument checks: our codes are valid
    return _new_ext(msgpack.ExtType, (int(code), pack(inner)))


_new_ext = tuple.__new__


def _is_opaque(encoded: object) -> bool:
    return type(encoded) is msgpack.ExtType and encoded.code == int(Ext.OPAQUE)


Encoder = Callable[[object], Any]


ENCODE_BUDGET = 20_000  # composite values encoded per payload before it is cut


def make_encoder(
    limits: Limits, classifier: Classifier | None = None, max_nodes: int = ENCODE_BUDGET
) -> Encoder:
    """Build `encode(value) -> tree` bounded by `limits` (depth, items, string length) and
    by `max_nodes` composite values per call. `classifier` decides what is data; give the
    shape walker the same one. Inside a service object's fields other services are
    opaque, as in the shape."""
    max_depth, max_items, max_str = limits.max_depth, limits.max_items, limits.max_str
    kind_of = (classifier or DEFAULT).kind
    active: set[int] = set()
    budget = [0]
    opaque_count = [0]  # values recorded by type only so far: see `plain_fields`

    def cut(reason: str, detail: object = None) -> msgpack.ExtType:
        return _ext(Ext.CUT, [reason, detail])

    def opaque(name: str) -> msgpack.ExtType:
        opaque_count[0] += 1
        return _ext(Ext.OPAQUE, name)

    def encode(value: Any, depth: int, shallow: bool = False) -> Any:
        cls = type(value)
        if value is None or cls is bool or cls is float:
            return value
        if cls is int:
            if INT64_MIN <= value <= UINT64_MAX:
                return value
            return _ext(Ext.BIGINT, str(value))
        if cls is str:
            if len(value) > max_str:
                return cut("str", [len(value), _text(value[:max_str])])
            return value if value.isascii() else _text(value)
        if cls is bytes:
            return value if len(value) <= max_str else cut("bytes", [len(value), value[:max_str]])
        if depth >= max_depth:
            return cut("depth", type_path(cls))
        if id(value) in active:
            return cut("cycle", type_path(cls))
        budget[0] += 1
        if budget[0] > max_nodes:
            return cut("budget", type_path(cls))
        active.add(id(value))
        try:
            return encode_composite(value, cls, depth + 1, shallow)
        finally:
            active.discard(id(value))

    def unordered(values: Any, depth: int, shallow: bool) -> list[Any]:
        """Set items sorted by their bytes before the cut, so the seed never matters."""
        encoded = sorted((encode(item, depth, shallow) for item in values), key=pack)
        if len(encoded) > max_items:
            return [*encoded[:max_items], cut("items", len(encoded) - max_items)]
        return encoded

    def items(values: Any, depth: int, shallow: bool) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(values):
            if index >= max_items:
                out.append(cut("items", len(values) - max_items))
                break
            out.append(encode(item, depth, shallow))
        return out

    def pairs(mapping: Any, depth: int, shallow: bool) -> list[list[Any]]:
        found = mapping.items() if type(mapping) is dict else mapping_items(mapping)
        out: list[list[Any]] = []
        for index, (key, item) in enumerate(found):
            if index >= max_items:
                out.append([cut("items", len(found) - max_items), None])
                break
            out.append([encode(key, depth, shallow), encode(item, depth, shallow)])
        return out

    def encode_dict(value: Mapping[Any, Any], depth: int, shallow: bool) -> Any:
        if len(value) <= max_items:
            return {encode(k, depth, shallow): encode(v, depth, shallow) for k, v in value.items()}
        return _ext(Ext.MAP, pairs(value, depth, shallow))

    def fields(found: Mapping[str, Any], depth: int, shallow: bool) -> dict[str, Any]:
        return {f: encode(v, depth, shallow) for f, v in found.items()}

    def plain_fields(found: Mapping[str, Any], depth: int) -> dict[str, Any]:
        """A service's fields: a value holding a service or a foreign object anywhere
        inside is recorded by its type only (as `shape.plain_fields` does)."""
        encoded: dict[str, Any] = {}
        for name, value in found.items():
            before = opaque_count[0]
            field = encode(value, depth, True)
            if opaque_count[0] != before and not _is_opaque(field):
                field = _ext(Ext.OPAQUE, type_path(type(value)))
            encoded[name] = field
        return encoded

    def encode_composite(value: Any, cls: type, depth: int, shallow: bool) -> Any:
        if cls is dict:
            return encode_dict(value, depth, shallow)
        if cls is list:
            return items(value, depth, shallow)
        if cls is tuple:
            return _ext(Ext.TUPLE, items(value, depth, shallow))
        kind = kind_of(cls)
        name = type_path(cls)
        if kind is Kind.LEAF:
            return encode_leaf(value, cls, name, depth)
        if kind is Kind.DATETIME:
            return _ext(Ext.DATETIME, [value.isoformat(), _tz_key(value.tzinfo)])
        if kind is Kind.TIME:
            return _ext(Ext.TIME, [value.isoformat(), _tz_key(value.tzinfo)])
        if cls is set or cls is frozenset:
            code = Ext.SET if cls is set else Ext.FROZENSET
            return _ext(code, unordered(value, depth, shallow))
        if kind is Kind.DICT or kind is Kind.ENVIRON:
            return _ext(Ext.TYPED_COLLECTION, [name, "dict", pairs(value, depth, shallow)])
        if kind is Kind.MAPPING:
            try:
                readable = dict(mapping_items(value))
            except Exception:  # a mapping that cannot be read is recorded by type, as in
                return opaque(name)  # its shape
            return _ext(Ext.TYPED_COLLECTION, [name, "dict", pairs(readable, depth, shallow)])
        if kind is Kind.COLL:
            unsorted = isinstance(value, set | frozenset)
            encoded = unordered(value, depth, shallow) if unsorted else items(value, depth, shallow)
            return _ext(Ext.TYPED_COLLECTION, [name, "list", encoded])
        if kind is Kind.TUPLE:
            return _ext(Ext.TYPED_COLLECTION, [name, "tuple", items(value, depth, shallow)])
        if kind is Kind.NTUPLE:
            names = list(cast(Any, cls)._fields)
            return _ext(Ext.NAMEDTUPLE, [name, names, items(value, depth, shallow)])
        if kind is Kind.ENUM:
            return _ext(Ext.ENUM, [name, value.name, encode(value.value, depth, shallow)])
        if kind is Kind.EXC:
            public = fields(object_fields(value), depth, True)
            args = items(value.args, depth, shallow)
            return _ext(Ext.EXCEPTION, [name, args, _text(_safe_str(value)), public])
        if kind is Kind.ROW:
            columns, values = read_row(value)
            return _ext(Ext.ROW, [name, list(columns), items(values, depth, shallow)])
        if kind is Kind.DATACLASS:
            declared = declared_fields(cls) or ()
            found = dict(zip(declared, read_fields(value, declared), strict=True))
            return _ext(Ext.OBJECT, [name, fields(found, depth, shallow)])
        if kind is Kind.ORM:
            return _ext(Ext.OBJECT, [name, fields(orm_fields(value), depth, shallow)])
        if kind is Kind.SERVICE:
            if shallow:
                return opaque(name)  # a service is never walked into from another
            return _ext(Ext.OBJECT, [name, plain_fields(instance_fields(value, kind), depth)])
        if kind is Kind.OBJECT or kind is Kind.SLOTS:
            found = instance_fields(value, kind)
            return _ext(Ext.OBJECT, [name, fields(found, depth, shallow)])
        if kind is Kind.LAZY:
            return opaque(lazy_description(value))
        return opaque(name)

    def encode_leaf(value: Any, cls: type, name: str, depth: int) -> Any:
        if cls is decimal.Decimal:
            return _ext(Ext.DECIMAL, str(value))
        if cls is dt.date:
            return _ext(Ext.DATE, value.isoformat())
        if cls is dt.timedelta:
            return _ext(Ext.TIMEDELTA, [value.days, value.seconds, value.microseconds])
        if cls is uuid.UUID:
            return _ext(Ext.UUID, value.bytes)
        if cls is complex:
            return _ext(Ext.COMPLEX, [value.real, value.imag])
        if cls is bytearray:
            return _ext(Ext.BYTEARRAY, bytes(value[:max_str]))
        plain = _plain_leaf(value)
        if plain is None:
            return opaque(name)
        return _ext(Ext.LEAF_SUBCLASS, [name, encode(plain, depth)])

    def encode_value(value: object) -> Any:
        budget[0] = 0
        try:
            return encode(value, 0)
        finally:
            active.clear()

    return encode_value


def _text(value: str) -> Any:
    """A str as msgpack can store it: lone surrogates (not valid UTF-8) go in an ext."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return _ext(Ext.SURROGATE_STR, value.encode("utf-8", "surrogatepass"))
    return value


def _plain_leaf(value: object) -> object:
    """The value of a str/int/float/... subclass instance as its plain base type."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(str(value))
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=value.int)
    return None


MAX_FAST_PAYLOAD = 64 * 1024


class SelfRef:
    """Stands for the `self`/`cls` argument in a payload: only its type is recorded."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


Packer = Callable[[object], bytes]


def make_packer(limits: Limits, classifier: Classifier | None = None) -> Packer:
    """Build `pack_payload(value) -> bytes`: msgpack's C packer walks dicts, lists and
    scalars; the other types go through the Python encoder. Cyclic or large payloads
    (over 64 KiB packed) are encoded by the Python encoder alone, which cuts them. With
    the C accelerator, `accel.payload_packer` packs the same bytes in C and this packer
    is its reference (`pure_packer`).
    `classifier`: the one the shape walker uses (see `make_encoder`)."""
    encode_tree = make_encoder(limits, classifier)
    # Inside the fast path the total size is the limit: values are not cut item by item.
    encode_whole = make_encoder(
        dataclasses.replace(limits, max_items=MAX_FAST_PAYLOAD, max_str=MAX_FAST_PAYLOAD),
        classifier,
    )

    kind_of = (classifier or DEFAULT).kind
    by_class_memo: ClassMemo[msgpack.ExtType] = ClassMemo()  # keeps no class alive
    by_class = by_class_memo.held  # classes recorded by type only: their ext
    whole_by_class = limits.max_depth > 0  # (a walk cut at depth 0 records a cut instead)

    def default(value: object) -> Any:
        cls = type(value)
        if cls is SelfRef:
            return encode_self(cast(SelfRef, value).value)
        known = by_class.get(cls)
        if known is not None:
            return known
        if whole_by_class and kind_of(cls) is Kind.OPAQUE and cls not in _WALKED_BY_TYPE:
            # what `encode_whole` gives a value recorded by its type only, kept per class
            # (generators, classes, connections...: a suite passes the same few types)
            if len(by_class_memo) >= _BY_CLASS_MAX:
                by_class_memo.clear()
            return by_class_memo.missed(cls, _opaque_ext)
        return encode_whole(value)

    plans: ClassMemo[NodePlan] = ClassMemo()  # keeps no class alive

    def node_plan(cls: type) -> NodePlan:
        """How `encode_composite` encodes a value of `cls` inside a node, for C."""
        name = type_path(cls)
        if cls in _WALKED_BY_TYPE or cls is SelfRef:
            return (PLAN_PYTHON, name, None)
        kind = kind_of(cls)
        if kind is Kind.OPAQUE:
            return (PLAN_OPAQUE, name, None)
        if kind is Kind.SERVICE or kind is Kind.OBJECT or kind is Kind.SLOTS:
            code = PLAN_SERVICE if kind is Kind.SERVICE else PLAN_FIELDS
            return (code, name, lambda value: instance_fields(value, kind))
        if kind is Kind.DATACLASS:
            return (PLAN_FIELDS, name, _declared_found)
        if kind is Kind.ORM:
            return (PLAN_FIELDS, name, orm_fields)
        if kind is Kind.DICT or kind is Kind.ENVIRON:
            return (PLAN_PAIRS, name, mapping_items)
        if kind is Kind.MAPPING:
            return (PLAN_PAIRS, name, _readable_items)
        if kind is Kind.COLL and not issubclass(cls, set | frozenset):
            return (PLAN_ITEMS, name, list)
        if kind is Kind.LEAF:
            for base, plain in _PLAIN_LEAVES:
                if issubclass(cls, base):
                    return (PLAN_LEAF, name, plain)
        return (PLAN_PYTHON, name, None)

    def plan_of(cls: type) -> NodePlan:
        found = plans.held.get(cls)
        if found is None:
            if len(plans) >= _BY_CLASS_MAX:
                plans.clear()
            found = plans.missed(cls, node_plan)
        return found

    packers = PackerPool(default=default, strict_types=True, use_bin_type=True)

    def pack_payload(value: object) -> bytes:
        try:
            data = packers.pack(value)
        except (ValueError, OverflowError, TypeError, RecursionError):
            return pack(encode_tree(value))
        if len(data) > MAX_FAST_PAYLOAD:
            return pack(encode_tree(value))
        return data

    from seamrec.model import accel  # the compiled twin; accel imports the shape modules

    kind = (classifier or DEFAULT).kind

    def cut_payload(value: object) -> bytes:
        return pack(encode_tree(value))  # what `pack_payload` gives a payload over its limit

    return accel.payload_packer(
        pack_payload, default, SelfRef, limits.max_depth, ENCODE_BUDGET, kind, cut_payload, plan_of
    )


NodePlan = tuple[int, str, Callable[[Any], Any] | None]
"""How the C packer encodes an object inside a node (`_packer.c`): (code, the class's type
path, the reader of what is encoded: its fields for `PLAN_FIELDS` and `PLAN_SERVICE`, its
(key, value) items for `PLAN_PAIRS`, its items for `PLAN_ITEMS`, its plain value for
`PLAN_LEAF`)."""
PLAN_PYTHON, PLAN_FIELDS, PLAN_SERVICE, PLAN_OPAQUE = 0, 1, 2, 3
PLAN_PAIRS, PLAN_ITEMS, PLAN_LEAF = 4, 5, 6  # typed dict, typed list, leaf subclass
# a leaf subclass's plain value, as `_plain_leaf` reads it (the first base that matches)
_PLAIN_LEAVES: tuple[tuple[type, Callable[[Any], object]], ...] = (
    (int, int),
    (float, float),
    (str, str.__str__),
)


def _readable_items(value: object) -> list[tuple[object, object]]:
    """A mapping of another class's items as `encode_composite` reads them (a dict of
    them first: a key seen twice keeps its last value)."""
    return list(dict(mapping_items(value)).items())


def _declared_found(value: object) -> dict[str, object]:
    """A dataclass's fields as `encode_composite` reads them."""
    declared = declared_fields(type(value)) or ()
    return dict(zip(declared, read_fields(value, declared), strict=True))


_BY_CLASS_MAX = 1_024


def _opaque_ext(cls: type) -> msgpack.ExtType:
    """What `encode_whole` gives a value of `cls` recorded by its type only."""
    return _ext(Ext.OPAQUE, type_path(cls))


# types `encode` reads before it asks the classifier: never recorded by class alone
_WALKED_BY_TYPE = frozenset({type(None), bool, float, int, str, bytes, dict, list, tuple})
_WALKED_BY_TYPE |= {set, frozenset}


def pure_packer(pack_payload: Packer) -> Packer:
    """The Python packer behind `pack_payload` (the reference; itself without C)."""
    found: Packer = getattr(pack_payload, "pure", pack_payload)
    return found


def encode_self(value: object) -> msgpack.ExtType:
    """`self`/`cls` recorded as its type name only."""
    cls = value if isinstance(value, type) else type(value)
    return _ext(Ext.SELF, type_path(cls))


def _tz_key(tz: dt.tzinfo | None) -> str | None:
    if tz is None:
        return None
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else None


_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")


def _safe_str(exc: BaseException) -> str:
    """The exception's message without memory addresses (they change every run)."""
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not break recording
        return f"<unprintable {type(exc).__name__}>"
    return _ADDRESS.sub("", text)


# ---------------------------------------------------------------------------- decoding


def decode_ext(code: int, data: bytes) -> Any:
    """Turn one ext value back into a view; only fixed types are ever built."""
    inner = unpack(data)
    kind = ext_code(code)
    found = node(code, inner)  # the layout by name (the inner value for scalar codes)
    if kind is Ext.TUPLE:
        return tuple(inner)
    if kind is Ext.SET:
        return _hashable_set(inner, set)
    if kind is Ext.FROZENSET:
        return _hashable_set(inner, frozenset)
    if kind is Ext.BIGINT:
        return int(inner)
    if kind is Ext.DECIMAL:
        return decimal.Decimal(inner)
    if kind is Ext.DATETIME:
        return dt.datetime.fromisoformat(found.iso)
    if kind is Ext.DATE:
        return dt.date.fromisoformat(inner)
    if kind is Ext.TIME:
        return dt.time.fromisoformat(found.iso)
    if kind is Ext.TIMEDELTA:
        return dt.timedelta(days=found.days, seconds=found.seconds, microseconds=found.microseconds)
    if kind is Ext.UUID:
        return uuid.UUID(bytes=bytes(inner))
    if kind is Ext.COMPLEX:
        return complex(found.real, found.imag)
    if kind is Ext.BYTEARRAY:
        return bytearray(inner)
    if kind is Ext.MAP:
        return decode_pairs(inner)
    if kind in VIEW_KINDS:
        from seamrec.model.views import view_of  # views are built only when decoded

        return view_of(kind, found, inner)
    if kind is Ext.SURROGATE_STR:
        return bytes(inner).decode("utf-8", "surrogatepass")
    raise ValueError(f"unknown ext code {code}")  # pragma: no cover - Ext(code) raised first


# The ext codes decoded into a view of `seamrec.model.views`.
VIEW_KINDS = frozenset(
    {
        Ext.ENUM,
        Ext.TYPED_COLLECTION,
        Ext.NAMEDTUPLE,
        Ext.OBJECT,
        Ext.ROW,
        Ext.EXCEPTION,
        Ext.OPAQUE,
        Ext.SELF,
        Ext.CUT,
        Ext.LEAF_SUBCLASS,
        Ext.REDACTED,
    }
)
_VIEWS = frozenset(
    {
        "CutView",
        "EnumView",
        "ExceptionView",
        "LeafSubclassView",
        "ObjectView",
        "OpaqueView",
        "RedactedView",
        "RowView",
        "SelfView",
        "TypedCollectionView",
    }
)


def __getattr__(name: str) -> Any:
    """The view classes, still importable from here, imported on first use: a run
    that decodes no payload never builds them."""
    if name not in _VIEWS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from seamrec.model import views

    value = getattr(views, name)
    globals()[name] = value
    return value


def decode_pairs(items: list[list[Any]]) -> dict[Any, Any]:
    """Decoded map items as a dict, their keys made hashable."""
    return {_freeze(k): v for k, v in items}


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a decoded key (lists and dicts become tuples)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((_freeze(k), _freeze(v)) for k, v in value.items())
    return value


def _hashable_set(items: list[Any], cls: type[set[Any]] | type[frozenset[Any]]) -> Any:
    return cls(_freeze(i) for i in items)


def raw_tree(data: bytes | None) -> Any:
    """Payload bytes as a tree with ext values left packed (what cassettes store)."""
    if data is None:
        return None
    return msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_raw_ext)


def _raw_ext(code: int, data: bytes) -> msgpack.ExtType:
    """An ext value as the unpacker gives it by default, made without ExtType's
    Python-level argument checks (the unpacker gives an int code and bytes), except
    for a code ExtType refuses (it raises as the default does)."""
    if code < 0:
        return msgpack.ExtType(code, data)
    return _new_ext(msgpack.ExtType, (code, data))


def unpack(data: bytes) -> Any:
    """Decode msgpack bytes of an encoded tree into views."""
    return msgpack.unpackb(
        data, ext_hook=decode_ext, raw=False, strict_map_key=False, use_list=True
    )


def short_repr(value: object) -> str:
    """A one-line, bounded repr for failure messages."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
