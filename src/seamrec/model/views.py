"""The values a decoded payload holds where the recorded type is not rebuilt: a user's
object, row, enum member or exception comes back as a view carrying its recorded type
path (`ObjectView`, `RowView`, `EnumView`...), never as an instance of that type.

Imported when a payload is first decoded (`codec.unpack`), never by a clean check run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from seamrec.frozen import FrozenRecord
from seamrec.model.codec import decode_pairs
from seamrec.model.payload import Ext


def _hash_key(value: Any) -> Any:
    """A hashable stand-in for a decoded value (lists, dicts and sets inside views)."""
    if isinstance(value, list | tuple):
        return tuple(map(_hash_key, value))
    if isinstance(value, dict):
        return frozenset((_hash_key(k), _hash_key(v)) for k, v in value.items())
    if isinstance(value, set):
        return frozenset(value)
    return value


def _view_hash(self: Any) -> int:
    """Views hash by their content, deeply: a recorded object whose fields hold lists,
    dicts or sets can be a set member or a dict key, as the live object was."""
    return hash((type(self).__name__, *(_hash_key(getattr(self, f.name)) for f in _compared(self))))


def _compared(view: Any) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(view) if f.compare)


# Views are dataclasses without generated methods (see `seamrec.frozen`); each writes its
# own `__repr__` and `__hash__`.
@dataclasses.dataclass(init=False, repr=False, eq=False)
class ObjectView(FrozenRecord):
    """A recorded dataclass, plain object or namedtuple: its type path and fields."""

    type_path: str
    fields: tuple[tuple[str, Any], ...]
    kind: str = "object"

    def __init__(
        self, type_path: str, fields: tuple[tuple[str, Any], ...], kind: str = "object"
    ) -> None:
        object.__setattr__(self, "type_path", type_path)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "kind", kind)

    def get(self, name: str) -> Any:
        """The recorded value of one field."""
        return dict(self.fields)[name]

    __hash__ = _view_hash

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields)
        return f"{self.type_path}({inner})"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class RowView(FrozenRecord):
    """A recorded database row: its type path, column names and values."""

    type_path: str
    columns: tuple[str, ...]
    values: tuple[Any, ...]

    def __init__(self, type_path: str, columns: tuple[str, ...], values: tuple[Any, ...]) -> None:
        object.__setattr__(self, "type_path", type_path)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "values", values)

    __hash__ = _view_hash

    def __repr__(self) -> str:
        inner = ", ".join(f"{c}={v!r}" for c, v in zip(self.columns, self.values, strict=True))
        return f"{self.type_path}({inner})"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class TypedCollectionView(FrozenRecord):
    """A recorded subclass of dict/list/set/tuple (OrderedDict, deque, Counter...)."""

    type_path: str
    items: Any
    mapping: bool = dataclasses.field(default=False, compare=False)

    def __init__(self, type_path: str, items: Any, mapping: bool = False) -> None:
        object.__setattr__(self, "type_path", type_path)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "mapping", mapping)

    def as_python(self) -> Any:
        """The items as a dict (for mappings) or as they are."""
        return dict(self.items) if self.mapping else self.items

    __hash__ = _view_hash

    def __repr__(self) -> str:
        return f"{self.type_path}({self.items!r})"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class EnumView(FrozenRecord):
    """A recorded Enum member."""

    type_path: str
    name: str
    value: Any

    def __init__(self, type_path: str, name: str, value: Any) -> None:
        object.__setattr__(self, "type_path", type_path)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "value", value)

    __hash__ = _view_hash

    def __repr__(self) -> str:
        return f"{self.type_path}.{self.name}"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class ExceptionView(FrozenRecord):
    """A recorded exception: type path, args and message."""

    type_path: str
    args: tuple[Any, ...]
    message: str

    def __init__(self, type_path: str, args: tuple[Any, ...], message: str) -> None:
        object.__setattr__(self, "type_path", type_path)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "message", message)

    __hash__ = _view_hash

    def __repr__(self) -> str:
        return f"{self.type_path}({', '.join(map(repr, self.args))})"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class OpaqueView(FrozenRecord):
    """A value recorded by type only (connections, files, functions, mocks...)."""

    type_path: str

    def __init__(self, type_path: str) -> None:
        object.__setattr__(self, "type_path", type_path)

    def __hash__(self) -> int:
        return hash((self.type_path,))

    def __repr__(self) -> str:
        return f"<{self.type_path}>"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class SelfView(FrozenRecord):
    """The `self`/`cls` argument, recorded as its type name."""

    type_path: str

    def __init__(self, type_path: str) -> None:
        object.__setattr__(self, "type_path", type_path)

    def __hash__(self) -> int:
        return hash((self.type_path,))

    def __repr__(self) -> str:
        return f"<self: {self.type_path}>"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class LeafSubclassView(FrozenRecord):
    """A value of a subclass of str/int/float/bytes, with its type path."""

    type_path: str
    value: Any

    def __init__(self, type_path: str, value: Any) -> None:
        object.__setattr__(self, "type_path", type_path)
        object.__setattr__(self, "value", value)

    __hash__ = _view_hash

    def __repr__(self) -> str:
        return f"{self.type_path}({self.value!r})"


@dataclasses.dataclass(init=False, repr=False, eq=False)
class CutView(FrozenRecord):
    """Where a value was cut by a limit: reason ('depth', 'cycle', 'items', 'str'...)."""

    reason: str
    detail: Any = None

    def __init__(self, reason: str, detail: Any = None) -> None:
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "detail", detail)

    __hash__ = _view_hash

    def __repr__(self) -> str:
        return (
            f"<cut: {self.reason} {self.detail!r}>"
            if self.detail is not None
            else (f"<cut: {self.reason}>")
        )


@dataclasses.dataclass(init=False, repr=False, eq=False)
class RedactedView(FrozenRecord):
    """A value replaced at write time; keeps its type path so shapes still compare."""

    type_path: str

    def __init__(self, type_path: str) -> None:
        object.__setattr__(self, "type_path", type_path)

    def __hash__(self) -> int:
        return hash((self.type_path,))

    def __repr__(self) -> str:
        return f"<redacted {self.type_path}>"


def view_of(kind: Ext, found: Any, inner: Any) -> Any:
    """The view of one decoded ext value of a view `kind` (see `VIEW_KINDS`): `found`
    is its layout by name, `inner` its unpacked value."""
    if kind is Ext.ENUM:
        return EnumView(str(found.type_path), str(found.name), found.value)
    if kind is Ext.TYPED_COLLECTION:
        if found.layout == "dict":
            pairs = tuple(decode_pairs(found.items).items())
            return TypedCollectionView(str(found.type_path), pairs, mapping=True)
        return TypedCollectionView(str(found.type_path), tuple(found.items))
    if kind is Ext.NAMEDTUPLE:
        fields = tuple(zip(found.names, found.items, strict=True))
        return ObjectView(str(found.type_path), fields, "namedtuple")
    if kind is Ext.OBJECT:
        fields = tuple((str(k), v) for k, v in found.fields.items())
        return ObjectView(str(found.type_path), fields)
    if kind is Ext.ROW:
        return RowView(str(found.type_path), tuple(found.columns), tuple(found.values))
    if kind is Ext.EXCEPTION:
        return ExceptionView(str(found.type_path), tuple(found.args), str(found.message))
    if kind is Ext.OPAQUE:
        return OpaqueView(str(inner))
    if kind is Ext.SELF:
        return SelfView(str(inner))
    if kind is Ext.CUT:
        detail = found.detail
        return CutView(str(found.reason), tuple(detail) if isinstance(detail, list) else detail)
    if kind is Ext.LEAF_SUBCLASS:
        return LeafSubclassView(str(found.type_path), found.value)
    if kind is Ext.REDACTED:
        return RedactedView(str(inner))
    raise ValueError(f"{kind!r} is not decoded into a view")  # pragma: no cover
