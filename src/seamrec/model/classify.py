"""Which part of a value is data: one decision per class, shared by the shape walker and
the codec so that a shape and its payload always agree.

Data types are walked wherever they are defined: the standard types, rows
(``sqlite3.Row``, SQLAlchemy ``Row``), mappings, dataclasses, namedtuples, attrs classes,
pydantic models (declared fields) and SQLAlchemy entities (loaded columns). An object of
a class defined in the boundaries that is not a data type is a *service* (an app, a
repository, a client): recorded by type and its plain fields; a field holding another
service or a foreign object, even inside a list, is its type only (``shape.plain_fields``).
Anything else defined outside the boundaries is *opaque*: its type path only (an
unevaluated Django ``QuerySet`` adds what it will yield). ``record_types`` and
``opaque_types`` override per type path or module prefix.

Classification never touches an instance: it reads ``type()``, the class ``__dict__``
along the MRO and ``issubclass`` against concrete classes."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import os
import sqlite3
import sys
import uuid
import weakref
from collections.abc import Callable, Mapping
from types import FunctionType, MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from seamrec.config import in_packages

if TYPE_CHECKING:
    from seamrec.config import Settings

_T = TypeVar("_T")

LEAF_TYPES: tuple[type, ...] = (
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    bytearray,
    decimal.Decimal,
    dt.date,
    dt.timedelta,
    uuid.UUID,
)


class ClassMemo(Generic[_T]):
    """Values kept per class without keeping a class alive: `held` (a plain dict, read
    first by the caller) has the classes their module holds, which live as long as it;
    any other class (a test's model made in a function, a factory's class) is kept by a
    weak reference, so that a cache never keeps it, and all it refers to, alive."""

    __slots__ = ("_weak", "held")

    def __init__(self) -> None:
        self.held: dict[type, _T] = {}
        # by id, with the weak reference that proves it (a class's `__eq__`, which a
        # WeakKeyDictionary's lookup would run, is never asked)
        self._weak: dict[int, tuple[weakref.ref[type], _T]] = {}

    def missed(self, cls: type, compute: Callable[[type], _T]) -> _T:
        """The value of a class not in `held`: the one kept weakly, else `compute`d
        and kept."""
        kept = self._weak.get(id(cls))
        if kept is not None and kept[0]() is cls:
            return kept[1]
        value = compute(cls)
        if held_by_module(cls):
            self.held[cls] = value
        else:
            with contextlib.suppress(TypeError):  # a class without weak references
                self._weak[id(cls)] = (weakref.ref(cls, self._forget(id(cls))), value)
        return value

    def _forget(self, key: int) -> Callable[[weakref.ref[type]], None]:
        """The callback dropping the entry of a dead class (not a later class's that
        took its id)."""
        weak = self._weak

        def forget(ref: weakref.ref[type]) -> None:
            kept = weak.get(key)
            if kept is not None and kept[0] is ref:
                weak.pop(key, None)

        return forget

    def clear(self) -> None:
        """Forget every class."""
        self.held.clear()
        self._weak.clear()

    def __len__(self) -> int:
        return len(self.held) + len(self._weak)


def held_by_module(cls: type) -> bool:
    """Whether the namespace of `cls`'s module names it by its qualified name (a class
    of the module, or nested in one); a class defined in a function, or made by a
    factory, is not. Read from `__dict__`s only (type's own `__qualname__` descriptor:
    a metaclass's attribute could run code). A static type (a builtin's, a C
    extension's) lives as long as the process: held too."""
    if not _FLAGS.__get__(cls) & _HEAP_TYPE:
        return True
    module = sys.modules.get(module_of(cls))
    qualname = _QUALNAME.__get__(cls)
    if module is None or type(qualname) is not str:
        return False
    namespace = _MODULE_DICT.__get__(module) if issubclass(type(module), ModuleType) else None
    if type(namespace) is not dict:
        return False  # a stand-in for a module in sys.modules: not read
    parts = qualname.split(".")
    found: object = namespace.get(parts[0])
    for part in parts[1:]:
        if not issubclass(type(found), type):  # (its type only: a proxy is not asked)
            return False
        found = _TYPE_DICT.__get__(found).get(part)
    return found is cls


_QUALNAME: Any = vars(type)["__qualname__"]
_TYPE_DICT: Any = vars(type)["__dict__"]
_MODULE_DICT: Any = vars(ModuleType)["__dict__"]
_FLAGS: Any = vars(type)["__flags__"]
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made at run time, which can die


_PER_TYPE: list[ClassMemo[Any]] = []  # the memos of `per_type`, for `forget_classes`


def per_type(compute: Callable[[type], _T]) -> Callable[[type], _T]:
    """Cache a fact about a class (classes are few; instances are many), in a
    `ClassMemo` (which keeps no class alive)."""
    memo: ClassMemo[_T] = ClassMemo()
    _PER_TYPE.append(memo)
    held = memo.held

    def lookup(cls: type) -> _T:
        try:
            return held[cls]
        except KeyError:
            return memo.missed(cls, compute)

    lookup.__doc__ = compute.__doc__
    return lookup


def forget_classes() -> None:
    """Empty every `per_type` memo (a run's end: each class not held by its module is
    kept with a weak reference, its callback and their cells, which pytest's last
    garbage collections would walk several times). A later run computes them again."""
    for memo in _PER_TYPE:
        memo.clear()


SHOWN_AS = "__seamrec_shown_as__"
"""The class attribute naming the type path a stand-in class shows (see `type_path`)."""


def module_of(cls: type) -> str:
    """The module `cls` names; "" when its `__module__` is not a string (a stand-in class,
    such as seamrec's pure call proxy, may forward `__module__` with a property)."""
    module = cls.__module__
    return module if type(module) is str else ""


@per_type
def type_path(cls: type) -> str:
    """`module.Qualname` of a class; builtins by bare name. A class that stands in for
    another (seamrec's own seam wrappers) names, in its own `__dict__` under
    `SHOWN_AS`, the type path it shows: a wrapped function records as `function`."""
    shown = vars(cls).get(SHOWN_AS)
    if type(shown) is str:
        return shown
    module = module_of(cls)
    if module == "builtins":
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


class Kind(enum.Enum):
    """How a value of one type is walked; decided once per type."""

    DICT = "dict"
    MAPPING = "mapping"  # a non-dict mapping read through items()
    ENVIRON = "environ"  # an environment mapping: always a map, never a schema
    COLL = "coll"
    TUPLE = "tuple"
    NTUPLE = "ntuple"
    DATACLASS = "dataclass"  # declared fields: dataclasses, attrs, pydantic models
    OBJECT = "obj"
    SLOTS = "slots"
    SERVICE = "service"  # a boundary object that is not data: its fields, shallowly
    ROW = "row"
    EXC = "exc"
    ENUM = "enum"
    DATETIME = "datetime"
    TIME = "time"
    OPAQUE = "opaque"
    ORM = "orm"  # an ORM entity: its declared columns that are loaded
    LAZY = "lazy"  # an unevaluated query result: opaque, named with its static description
    LEAF = "leaf"


_STDLIB_ROOTS = frozenset(sys.stdlib_module_names) | {"builtins"}
_ENVIRON_TYPES: tuple[type, ...] = (type(os.environ),)
_CACHED_DESCRIPTORS = frozenset({"cached_property", "cachedproperty", "reify", "lazy_property"})
_LAZY_PROXIES = frozenset({"LazyObject", "SimpleLazyObject", "LazySettings", "LocalProxy"})


class Classifier:
    """Decides, once per class, how values of that class are recorded.

    `boundaries=None` counts every class as the app's own (no settings: unit tests and
    tools that only read shapes).
    """

    def __init__(
        self,
        boundaries: tuple[str, ...] | None = None,
        record_types: tuple[str, ...] = (),
        opaque_types: tuple[str, ...] = (),
    ) -> None:
        self.boundaries = boundaries
        self.record_types = record_types
        self.opaque_types = opaque_types
        self._memo: ClassMemo[Kind] = ClassMemo()
        self._kinds = self._memo.held

    @classmethod
    def from_settings(cls, settings: Settings) -> Classifier:
        """The classifier of a run's `Settings` (boundaries and type overrides)."""
        return cls(settings.boundaries, settings.record_types, settings.opaque_types)

    def kind(self, cls: type) -> Kind:
        """How values of `cls` are walked (cached)."""
        try:
            return self._kinds[cls]
        except KeyError:
            return self._memo.missed(cls, self._classify)

    def in_boundaries(self, cls: type) -> bool:
        """True when `cls` is defined in a boundary module."""
        if self.boundaries is None:
            return True
        return in_packages(module_of(cls), self.boundaries)

    def _override(self, cls: type) -> bool | None:
        """True: listed in record_types; False: in opaque_types; None: neither."""
        if not (self.record_types or self.opaque_types):
            return None
        path = type_path(cls)
        record = _best_match(path, self.record_types)
        opaque = _best_match(path, self.opaque_types)
        if record == opaque == -1:
            return None
        return record > opaque

    def _classify(self, cls: type) -> Kind:
        override = self._override(cls)
        if override is False:
            return Kind.OPAQUE
        kind = standard_kind(cls)
        if kind is not None:
            return kind
        if self.in_boundaries(cls):
            if _has_attr(cls, "keys") and _has_attr(cls, "__getitem__"):
                return Kind.MAPPING
            if override:
                return _object_kind(cls)
            return Kind.SERVICE if _object_kind(cls) is not Kind.OPAQUE else Kind.OPAQUE
        if override:
            return _object_kind(cls)
        return Kind.OPAQUE


def _best_match(path: str, patterns: tuple[str, ...]) -> int:
    """The length of the longest pattern naming `path` (itself or a module prefix), -1."""
    best = -1
    for pattern in patterns:
        if (path == pattern or path.startswith(pattern + ".")) and len(pattern) > best:
            best = len(pattern)
    return best


def _is_mock(cls: type) -> bool:
    """A `unittest.mock` class: looked up where it is loaded (importing it costs ~20 ms,
    and no mock exists before its module is imported)."""
    mock = sys.modules.get("unittest.mock")
    return mock is not None and issubclass(cls, mock.NonCallableMock)


@per_type
def standard_kind(cls: type) -> Kind | None:
    """The kind of a data type wherever it is defined, or OPAQUE for code, handles and
    stdlib objects; None for a class whose kind depends on the boundaries."""
    if _is_mock(cls):
        return Kind.OPAQUE
    if _django_queryset(cls):
        return Kind.LAZY
    if issubclass(cls, enum.Enum):
        return Kind.ENUM
    if issubclass(cls, BaseException):
        return Kind.EXC
    if issubclass(cls, dt.datetime):
        return Kind.DATETIME
    if issubclass(cls, dt.time):
        return Kind.TIME
    if issubclass(cls, LEAF_TYPES):
        return Kind.LEAF
    if sa_row(cls):
        return Kind.ROW
    if issubclass(cls, tuple):
        return Kind.NTUPLE if isinstance(_static(cls, "_fields"), tuple) else Kind.TUPLE
    if cls is sqlite3.Row:
        return Kind.ROW
    if issubclass(cls, _ENVIRON_TYPES):
        return Kind.ENVIRON
    if issubclass(cls, dict | MappingProxyType):
        return Kind.DICT
    if issubclass(cls, list | set | frozenset | collections.deque):
        return Kind.COLL
    if orm_columns(cls) is not None:
        return Kind.ORM
    if declared_fields(cls) is not None:
        return Kind.DATACLASS
    if issubclass(cls, type | FunctionType | ModuleType) or callable_only(cls):
        return Kind.OPAQUE
    if _lazy_proxy(cls):
        return Kind.OPAQUE
    if issubclass(cls, Mapping):
        return Kind.MAPPING
    if module_of(cls).partition(".")[0] in _STDLIB_ROOTS:
        return Kind.OPAQUE
    return None


def _object_kind(cls: type) -> Kind:
    if _has_attr(cls, "__dict__"):
        return Kind.OBJECT
    if slot_names(cls):
        return Kind.SLOTS
    return Kind.OPAQUE


def sa_row(cls: type) -> bool:
    """A SQLAlchemy-style row: `_fields` and `_mapping` descriptors, no `keys()`."""
    return (
        _has_attr(cls, "_mapping")
        and _has_attr(cls, "_fields")
        and not isinstance(_static(cls, "_fields"), tuple)
        and any(base.__name__ in ("Row", "BaseRow") for base in cls.__mro__)
    )


def _django_queryset(cls: type) -> bool:
    return any(
        base.__name__ == "QuerySet" and module_of(base).startswith("django.")
        for base in cls.__mro__
    )


def lazy_description(value: object) -> str:
    """The type path of an unevaluated query result with what it will yield, read from
    its `__dict__` without running it: `QuerySet[shop.models.Book, ValuesIterable: id,
    title]`. A change from `values()` to `values_list()` or to model instances shows."""
    name = type_path(type(value))
    try:
        state = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return name
    model, iterable, fields = state.get("model"), state.get("_iterable_class"), state.get("_fields")
    parts = [type_path(model) if isinstance(model, type) else "?"]
    if isinstance(iterable, type):
        parts.append(iterable.__name__)
    described = ", ".join(parts)
    if isinstance(fields, tuple) and all(type(f) is str for f in fields):
        described += ": " + ", ".join(fields)
    return f"{name}[{described}]"


def _lazy_proxy(cls: type) -> bool:
    return any(base.__name__ in _LAZY_PROXIES for base in cls.__mro__)


def callable_only(cls: type) -> bool:
    """Functions, methods and other callables defined in C carry no data of their own."""
    return module_of(cls) == "builtins" and _has_attr(cls, "__call__")


def _has_attr(cls: type, name: str) -> bool:
    return any(name in vars(base) for base in cls.__mro__)


def _static(cls: type, name: str) -> object:
    """A class attribute found along the MRO without running descriptors, else None."""
    for base in cls.__mro__:
        found = vars(base).get(name)
        if found is not None:
            return found
    return None


@per_type
def slot_names(cls: type) -> tuple[str, ...]:
    """Public `__slots__` names declared along the MRO."""
    names: list[str] = []
    for base in cls.__mro__:
        slots = vars(base).get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if not name.startswith("_") and name not in names:
                names.append(name)
    return tuple(names)


@per_type
def declared_fields(cls: type) -> tuple[str, ...] | None:
    """The declared field names of a dataclass, attrs class or pydantic model, in order;
    None for other classes. Read from the class only (no validator or property runs)."""
    if isinstance(_static(cls, "__dataclass_fields__"), dict):
        return tuple(f.name for f in dataclasses.fields(cls))
    attrs = _static(cls, "__attrs_attrs__")
    if attrs is not None and isinstance(attrs, tuple):
        return tuple(str(getattr(a, "name", "")) for a in attrs)
    for base in cls.__mro__:
        pydantic = vars(base).get("__pydantic_fields__")  # pydantic 2
        if isinstance(pydantic, dict) and _is_pydantic(cls):
            return tuple(str(name) for name in pydantic)
        legacy = vars(base).get("__fields__")  # pydantic 1
        if isinstance(legacy, dict) and _is_pydantic(cls):
            return tuple(str(name) for name in legacy)
    return None


def _is_pydantic(cls: type) -> bool:
    return any(
        base.__name__ == "BaseModel" and module_of(base).startswith("pydantic")
        for base in cls.__mro__
    )


@per_type
def orm_columns(cls: type) -> tuple[str, ...] | None:
    """The column attributes of a SQLAlchemy-mapped class (from its mapper, not from an
    instance), or None for other classes."""
    mapper = _static(cls, "__mapper__")
    kind = type(mapper)
    if kind.__name__ != "Mapper" or not module_of(kind).startswith("sqlalchemy."):
        return None
    try:
        return tuple(str(p.key) for p in cast(Any, mapper).column_attrs)
    except Exception:  # an unconfigurable mapper: the class is recorded like others
        return None


def orm_fields(value: object) -> dict[str, object]:
    """The loaded column values of an ORM entity, read from its `__dict__`: an expired
    or deferred column is left out rather than loaded, and relationships (loaded lazily,
    like a cache) are never fields."""
    try:
        state = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return {}
    return {name: state[name] for name in orm_columns(type(value)) or () if name in state}


@per_type
def cached_names(cls: type) -> frozenset[str]:
    """Names whose class attribute caches its value in the instance `__dict__`
    (`functools.cached_property` and its look-alikes): never recorded fields."""
    names: set[str] = set()
    for base in cls.__mro__:
        for name, attribute in vars(base).items():
            if isinstance(attribute, functools.cached_property) or (
                type(attribute).__name__ in _CACHED_DESCRIPTORS
            ):
                names.add(name)
    return frozenset(names)


def object_fields(value: object) -> dict[str, object]:
    """Public instance attributes, read from `__dict__` without running properties;
    lazily cached values (`cached_property`) are left out."""
    try:
        attributes = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return {}
    if type(attributes) is not dict:
        return {}
    cached = cached_names(type(value))
    return {
        k: v
        for k, v in attributes.items()
        if type(k) is str and not k.startswith("_") and k.isidentifier() and k not in cached
    }


def read_slots(value: object, names: tuple[str, ...]) -> dict[str, object]:
    """Values of the set slots among `names`."""
    fields: dict[str, object] = {}
    for name in names:
        try:
            fields[name] = object.__getattribute__(value, name)
        except AttributeError:
            continue
    return fields


def instance_fields(value: object, kind: Kind) -> dict[str, object]:
    """The recorded fields of an object of kind OBJECT, SLOTS or SERVICE."""
    if kind is Kind.SLOTS:
        return read_slots(value, slot_names(type(value)))
    fields = object_fields(value)
    if kind is Kind.SERVICE and not fields:
        return read_slots(value, slot_names(type(value)))
    return fields


def read_fields(value: object, names: tuple[str, ...]) -> list[object]:
    """Declared field values read from the instance `__dict__` or its slots, without
    running properties or other descriptors (an unloaded ORM attribute reads as None)."""
    try:
        attributes = object.__getattribute__(value, "__dict__")
    except AttributeError:
        attributes = {}
    cls = type(value)
    values: list[object] = []
    for name in names:
        if name in attributes:
            values.append(attributes[name])
            continue
        slot = _static(cls, name)
        if type(slot).__name__ == "member_descriptor":
            try:
                values.append(object.__getattribute__(value, name))
                continue
            except AttributeError:
                pass
        values.append(None)
    return values


def read_row(value: Any) -> tuple[tuple[str, ...], list[object]]:
    """Columns and values of a row: `sqlite3.Row` (`keys()`) or a SQLAlchemy `Row`
    (`_fields`). Rows are data: reading them runs no query."""
    if type(value) is sqlite3.Row:
        return tuple(value.keys()), list(value)
    return tuple(str(k) for k in value._fields), list(value)


def mapping_items(value: Any) -> list[tuple[object, object]]:
    """The items of a non-dict mapping: through `items()` where the class has it (item
    access can reorder an LRU cache), else `keys()` and item access."""
    if _has_attr(type(value), "items"):
        return list(value.items())
    return [(key, value[key]) for key in list(value.keys())]


DEFAULT = Classifier()
