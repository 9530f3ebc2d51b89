"""Rebuild recorded payloads into real Python values for replay.

Cassettes are data: rebuilding constructs values and nothing else. Only a fixed list of
standard-library types, classes defined in the configured boundaries, and type paths
listed in ``replay_types`` may be built; objects are created without running their
``__init__`` (``object.__new__`` and the recorded fields; SQLAlchemy mapped objects through
their class manager, Django models with the ``_state`` of a loaded row), exceptions with
their recorded args. Anything else — an opaque connection, a cut value, a redacted value,
a type that is not allowed — raises ``RebuildError`` naming where it is and the fix.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import importlib
import inspect
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import msgpack

from seamrec.exceptions import ReplayError
from seamrec.model import accel
from seamrec.model.codec import pack
from seamrec.model.payload import (
    ClockNode,
    CollectionNode,
    EnumNode,
    ExceptionNode,
    Ext,
    ext_code,
    node,
    read,
)

STDLIB_TYPES: dict[str, type] = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.defaultdict": collections.defaultdict,
    "collections.Counter": collections.Counter,
    "collections.deque": collections.deque,
    "sqlite3.Row": sqlite3.Row,
}
# SQLAlchemy's rows and their `_mapping`: data, rebuilt through SQLAlchemy itself
SQLALCHEMY_ROWS = frozenset({"sqlalchemy.engine.row.Row", "sqlalchemy.engine.row.LegacyRow"})
SQLALCHEMY_MAPPINGS = frozenset({"sqlalchemy.engine.row.RowMapping"})
QUOTED_NAME = "sqlalchemy.sql.elements.quoted_name"  # a column name in a RowMapping
STDLIB_EXCEPTION_MODULES = ("builtins", "sqlite3", "json.decoder", "decimal", "zoneinfo")
NARROW = "narrow the replay patterns so that this seam runs for real"
# What SQLAlchemy keeps a mapped relationship in; rebuilt as the plain collection, which
# the mapped attribute adapts when it is set.
ORM_COLLECTIONS = {
    "sqlalchemy.orm.collections.InstrumentedList": "list",
    "sqlalchemy.orm.collections.InstrumentedSet": "set",
    "sqlalchemy.orm.collections.InstrumentedDict": "dict",
}


class RebuildError(ReplayError):
    """A recorded value that cannot be given back: `where` in the outcome (`return['a']`),
    `what` went wrong and the `fix`, each said once."""

    def __init__(self, what: str, fix: str, *, type_path: str = "", where: str = "") -> None:
        super().__init__(
            f"{where}: {what}; {fix}" if where else f"{what}; {fix}", type_path=type_path
        )
        self.what = what
        self.fix = fix
        self.where = where

    def at(self, where: str) -> RebuildError:
        """The same error, placed at `where` (set once, by the innermost value)."""
        if not self.where:
            self.where = where
            self.args = (f"{where}: {self.what}; {self.fix}",)
        return self


class _Walk(Exception):
    """Raised by the fast decoder for an ext kind the walk must build."""


class TypeResolver:
    """Finds the class of a recorded type path, if it may be built."""

    def __init__(self, in_scope: Callable[[str], bool], allowed: tuple[str, ...] = ()) -> None:
        self._in_scope = in_scope
        self._allowed = frozenset(allowed)
        self._cache: dict[str, type] = {}

    def resolve(self, path: str) -> type:
        """The class named by `path`, or ReplayError saying how to allow it."""
        found = self._cache.get(path)
        if found is None:
            found = self._cache[path] = self._find(path)
        return found

    def _find(self, path: str) -> type:
        if path in STDLIB_TYPES:
            return STDLIB_TYPES[path]
        builtin = getattr(builtins, path, None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return builtin
        for module, qualname in _splits(path):
            exception_module = module in STDLIB_EXCEPTION_MODULES
            if not (self._in_scope(module) or path in self._allowed or exception_module):
                continue
            try:
                target: Any = importlib.import_module(module)
                for part in qualname.split("."):
                    target = getattr(target, part)
            except (ImportError, AttributeError):
                continue
            if isinstance(target, type):
                if exception_module and not issubclass(target, BaseException):
                    continue
                return target
        raise RebuildError(
            f"cannot rebuild a recorded {path}: only standard types and classes of the "
            "configured boundaries are built",
            f'allow it with replay_types = ["{path}"] in [tool.seamrec]',
            type_path=path,
        )


def _splits(path: str) -> list[tuple[str, str]]:
    parts = path.split(".")
    return [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]


class Rebuilder:
    """Turns a recorded payload tree (with raw ext values) into real values."""

    def __init__(self, resolver: TypeResolver) -> None:
        self._resolver = resolver
        self._copies: dict[Any, Any] = {}  # key of a payload (see `replay`) -> its copier
        # id of a payload tree replayed before -> (that tree, its copier): the same tree
        # again (a cassette's trees are read, never changed; `store.load(shared=True)`
        # gives the same tree for the same bytes in every test) is answered by one lookup
        self._by_tree: dict[int, tuple[Any, Callable[[], Any]]] = {}

    def replay(self, tree: Any, where: str = "") -> Any:
        """`rebuild` of a recorded result given back to a caller. A value built only of
        standard data types is built once per distinct payload (its packed bytes, or the
        ext value that holds them) and then handed out as a fresh copy (immutable parts
        shared, containers copied, so no caller sees another's changes); any other value
        is rebuilt each time. A recorded scalar is its own value. A tree object replayed
        before is found by its identity, before any key is made."""
        kind = type(tree)
        if kind in _SCALAR_TREES:
            return tree  # what the decoder builds from its bytes: immutable, nothing to copy
        known = self._by_tree.get(id(tree))
        if known is not None and known[0] is tree:
            return known[1]()
        key: Any = tree if kind is msgpack.ExtType else _tree_key(tree)
        if key is not None:  # a key without packing: the ext value's bytes, or C's key
            copy = self._copies.get(key, _UNKNOWN)
            if copy is not _UNKNOWN and copy is not None:
                self._know(tree, copy)
                return copy()
            packed = pack(tree)
        else:
            packed = key = pack(tree)
        if len(packed) > _COPIED_BYTES:
            return self._built(packed, tree, where)
        copy = self._copies.get(key, _UNKNOWN)
        if copy is _UNKNOWN:
            value = self._built(packed, tree, where)  # raises before anything is kept
            copy = _copier(value)
            if len(self._copies) >= _COPIES_MAX:
                self._copies.clear()
            self._copies[key] = copy
            if copy is None:
                return value
            self._know(tree, copy)
            return copy()  # the kept value is never handed out
        if copy is None:
            return self._built(packed, tree, where)
        self._know(tree, copy)
        return copy()

    @property
    def known_trees(self) -> dict[int, tuple[Any, Callable[[], Any]]]:
        """The trees replayed before whose values are copied, by id: `(tree, copier)`,
        where `copier()` is what `replay(tree)` hands out (the entry is for `tree` only
        when its first item is that very object). Read it; only `replay` fills it."""
        return self._by_tree

    def _know(self, tree: Any, copy: Callable[[], Any]) -> None:
        """Remember the copier of `tree` by its identity (the tree is held, so its id is
        not given to another object while the entry lives)."""
        if len(self._by_tree) >= _TREES_MAX:
            self._by_tree.clear()  # (in place: `known_trees` is this dict)
        self._by_tree[id(tree)] = (tree, copy)

    def rebuild(self, tree: Any, where: str = "") -> Any:
        """A fresh value equal in type and content to what was recorded; `where` names the
        value (`return`) in a RebuildError, which then also says where inside it.

        Most payloads are built by msgpack's C decoder with `_fast_ext` for the ext values
        it knows; anything else, and any failure, goes through the walk below, which
        builds the same value or raises the error naming where it is."""
        return self._built(pack(tree), tree, where)

    def _built(self, packed: bytes, tree: Any, where: str) -> Any:
        try:
            return msgpack.unpackb(packed, ext_hook=self._fast_ext, raw=False, strict_map_key=False)
        except Exception:  # a kind `_fast_ext` leaves to the walk, or a value that fails
            pass
        try:
            return self._rebuild(tree, where or "the value")
        except RebuildError as error:
            raise error.at(where or "the value") from None
        except ReplayError:
            raise
        except Exception as exc:  # a recorded value that no longer fits its class
            raise RebuildError(
                f"the recorded value no longer fits its class ({type(exc).__name__}: {exc})",
                f"re-record, or {NARROW}",
                where=where or "the value",
            ) from None

    def _fast_ext(self, code: int, data: bytes) -> Any:
        """The value of one ext whose parts msgpack has already built: the simple kinds
        and enum members; `_Walk` for every other kind (the walk builds those)."""
        simple = _FAST.get(code)
        if simple is not None:
            inner = msgpack.unpackb(data, ext_hook=self._fast_ext, raw=False, strict_map_key=False)
            return simple(node(code, inner), _same)
        if code == Ext.ENUM:
            found: EnumNode = read(msgpack.ExtType(code, data))
            cls: Any = self._resolver.resolve(found.type_path)
            return cls[found.name]
        raise _Walk

    def _rebuild(self, tree: Any, where: str = "") -> Any:
        if isinstance(tree, list):
            return [self._inside(item, f"{where}[{i}]") for i, item in enumerate(tree)]
        if isinstance(tree, dict):
            return {
                self._inside(k, where): self._inside(v, f"{where}[{_key(k)}]")
                for k, v in tree.items()
            }
        if isinstance(tree, msgpack.ExtType):
            return self._ext(tree.code, read(tree), where)
        return tree

    def _inside(self, tree: Any, where: str) -> Any:
        """`_rebuild` of a part, naming its place in an error (innermost place wins)."""
        try:
            return self._rebuild(tree, where)
        except RebuildError as error:
            raise (error.at(where) if where else error) from None

    def _ext(self, code: int, inner: Any, where: str) -> Any:
        """The value of one ext; `inner` is its node (`seamrec.model.payload`)."""
        kind = ext_code(code)
        simple = _SIMPLE.get(kind)
        if simple is not None:
            return simple(inner, lambda tree: self._inside(tree, where))
        if kind is Ext.MAP:
            return {
                self._inside(k, where): self._inside(v, f"{where}[{_key(k)}]") for k, v in inner
            }
        if kind is Ext.ENUM:
            cls: Any = self._resolver.resolve(inner.type_path)
            return cls[inner.name]
        if kind is Ext.TYPED_COLLECTION:
            return self._typed_collection(inner.type_path, inner.layout, inner.items, where=where)
        if kind is Ext.NAMEDTUPLE:
            cls = self._resolver.resolve(inner.type_path)
            return tuple.__new__(cls, self._inside(inner.items, where))
        if kind is Ext.OBJECT:
            return self._object(inner.type_path, inner.fields, where)
        if kind is Ext.ROW:
            return self._row(inner.type_path, inner.columns, self._inside(inner.values, where))
        if kind is Ext.EXCEPTION:
            return self._exception(inner, where)
        if kind is Ext.LEAF_SUBCLASS:
            cls = self._resolver.resolve(inner.type_path)
            plain = self._inside(inner.value, where)
            for base in (bool, int, float, str, bytes):
                if issubclass(cls, base):
                    return base.__new__(cls, plain)
            return cls(plain)
        if kind is Ext.REDACTED:
            raise RebuildError(
                f"the recorded {inner} was redacted when it was recorded and cannot be given back",
                f"{NARROW}, or stop redacting this field if it holds no secret",
                type_path=str(inner),
            )
        if kind is Ext.OPAQUE:
            raise RebuildError(
                f"a recorded {inner} cannot be rebuilt (only its type was recorded)",
                NARROW,
                type_path=str(inner),
            )
        if kind is Ext.CUT:
            raise RebuildError(
                f"a recorded value was cut by a limit ({inner.reason}) and cannot be rebuilt",
                "raise max_depth/max_items/max_str in [tool.seamrec] and re-record",
                type_path=str(inner.reason),
            )
        raise RebuildError(f"a recorded value of kind {kind.name} cannot be rebuilt", NARROW)

    def _typed_collection(self, path: str, layout: str, items: Any, *, where: str) -> Any:
        if path in SQLALCHEMY_MAPPINGS and layout == "dict":
            keys = [_column_name(k) for k, _ in items]
            values = [
                self._inside(v, f"{where}[{k!r}]") for k, (_, v) in zip(keys, items, strict=True)
            ]
            return _sqlalchemy_row(keys, values)._mapping
        cls: Any = self._resolver.resolve(path)
        if layout == "dict":
            pairs = [
                (self._inside(k, where), self._inside(v, f"{where}[{_key(k)}]")) for k, v in items
            ]
            if cls is collections.defaultdict:
                return collections.defaultdict(None, pairs)
            if cls is collections.Counter:
                return collections.Counter(dict(pairs))
            if cls.__module__ == "collections":
                return cls(pairs)
            if not issubclass(cls, dict):
                raise ReplayError(
                    f"a recorded {path} is a mapping seamrec cannot build (not a dict)",
                    type_path=path,
                )
            value = cls.__new__(cls)  # a user's dict subclass: no __init__ runs
            dict.update(value, pairs)
            return value
        values = self._inside(items, where)
        if cls.__module__ == "collections":
            return cls(values)
        for base, fill in ((list, list.extend), (set, set.update)):
            if issubclass(cls, base):
                value = cls.__new__(cls)
                fill(value, values)
                return value
        if issubclass(cls, tuple | frozenset):
            return cls.__new__(cls, values)
        raise RebuildError(
            f"a recorded {path} is not a collection seamrec can build", NARROW, type_path=path
        )

    def _object(self, path: str, fields: dict[str, Any], where: str) -> Any:
        cls: Any = self._resolver.resolve(path)
        manager = _sqlalchemy_manager(cls)
        if manager is not None:
            return self._mapped(manager, path, fields, where)
        if _is_django_model(cls):
            return self._django(cls, fields, where)
        value = object.__new__(cls)
        for name, item in fields.items():
            object.__setattr__(value, name, self._inside(item, f"{where}.{name}"))
        if dataclasses.is_dataclass(cls):
            for field in dataclasses.fields(cls):
                if field.name not in fields:
                    raise RebuildError(
                        f"a recorded {path} lacks its field {field.name!r}",
                        "re-record",
                        type_path=path,
                    )
        return value

    def _mapped(self, manager: Any, path: str, fields: dict[str, Any], where: str) -> Any:
        """A SQLAlchemy mapped object, made by its class manager (so it has its instance
        state) and filled through the mapped attributes, as a transient object; refused
        when it has relationships, which load lazily and so are never recorded (replaying
        them empty would hand the caller wrong data)."""
        relationships = manager.mapper.relationships.keys()  # iterating gives the values
        unrecorded = [name for name in relationships if name not in fields]
        if unrecorded:
            names = ", ".join(unrecorded)
            raise RebuildError(
                f"a recorded {path} leaves out its relationships ({names}): seamrec records an "
                "ORM entity's loaded columns, never its lazily loaded relationships",
                f"{NARROW}, or have the seam return plain data (rows, dataclasses)",
                type_path=path,
            )
        value = manager.new_instance()
        for name, item in fields.items():
            part = f"{where}.{name}"
            if _orm_collection(item) is not None:
                rebuilt: Any = self._orm_collection(item, part)
            else:
                rebuilt = self._inside(item, part)
            setattr(value, name, rebuilt)
        return value

    def _django(self, cls: Any, fields: dict[str, Any], where: str) -> Any:
        """A Django model instance as `Model.from_db` leaves one: its recorded field
        values in its `__dict__` (no `__init__`, no signal) and a `_state` saying it came
        from the database, so its managers, related fields and `save()` work."""
        state_class: Any = importlib.import_module("django.db.models.base").ModelState
        value = cls.__new__(cls)
        for name, item in fields.items():
            if not name.startswith("_"):
                value.__dict__[name] = self._inside(item, f"{where}.{name}")
        state = state_class()
        state.adding = False
        state.db = "default"
        value.__dict__["_state"] = state
        return value

    def _orm_collection(self, tree: msgpack.ExtType, where: str) -> Any:
        collection: CollectionNode = read(tree)
        path, items = collection.type_path, collection.items
        plain = ORM_COLLECTIONS[path]
        if plain == "dict":
            return {
                self._inside(k, where): self._inside(v, f"{where}[{_key(k)}]") for k, v in items
            }
        values = self._inside(items, where)
        return set(values) if plain == "set" else list(values)

    def _row(self, path: str, columns: list[str], values: list[Any]) -> Any:
        """A row of the recorded kind holding the rebuilt values as they are (a datetime
        stays a datetime: no value goes through SQL and no converter runs)."""
        if path == "sqlite3.Row":
            return _sqlite_row(columns, values)
        if path in SQLALCHEMY_ROWS:
            return _sqlalchemy_row(columns, values)
        self._resolver.resolve(path)
        return dict(zip(columns, values, strict=True))

    def _exception(self, inner: ExceptionNode, where: str) -> BaseException:
        path, args = inner.type_path, self._inside(inner.args, f"{where}.args")
        cls: Any = self._resolver.resolve(path)
        if not issubclass(cls, BaseException):
            raise RebuildError(f"{path} is not an exception class", NARROW, type_path=path)
        exc: BaseException = cls.__new__(cls, *args)
        exc.args = tuple(args)
        for name, item in (inner.fields or {}).items():
            setattr(exc, name, self._inside(item, f"{where}.{name}"))
        return exc


def _sqlite_row(columns: list[str], values: list[Any]) -> sqlite3.Row:
    """A `sqlite3.Row` over a cursor that only lends it the column names; the connection
    is made by its class, never through `sqlite3.connect` (which the database seam wraps)."""
    connection = sqlite3.Connection(":memory:")
    try:
        names = ", ".join(f'NULL AS "{c.replace(chr(34), chr(34) * 2)}"' for c in columns)
        cursor = connection.execute(f"SELECT {names or 'NULL'}")
        return sqlite3.Row(cursor, tuple(values))
    finally:
        connection.close()


def _column_name(tree: Any) -> str:
    """A column name as recorded in a row mapping: a str, or SQLAlchemy's `quoted_name`
    (a table's column), made again as one."""
    if type(tree) is str:
        return tree
    if type(tree) is msgpack.ExtType and tree.code == Ext.LEAF_SUBCLASS:
        path, plain = read(tree)
        if path == QUOTED_NAME and type(plain) is str:
            quoted_name = importlib.import_module("sqlalchemy.sql.elements").quoted_name
            name: str = quoted_name(plain, None)
            return name
    raise RebuildError("a recorded row mapping has a key that is not a column name", NARROW)


def _sqlalchemy_row(columns: list[str], values: list[Any]) -> Any:
    """A SQLAlchemy `Row` with these fields and values (as `Query` builds its rows)."""
    result_tuple = importlib.import_module("sqlalchemy.engine.result").result_tuple
    return result_tuple(columns)(values)


def _key(key: Any) -> str:
    """A dict key as it reads in a path: `'name'`, `3` (other keys by their type)."""
    return repr(key) if type(key) in (str, int, bool, float) or key is None else "…"


def _sqlalchemy_manager(cls: type) -> Any:
    """The class manager of a SQLAlchemy mapped class (set in its `__dict__` by the
    mapping), or None; read statically, nothing of SQLAlchemy runs."""
    manager = inspect.getattr_static(cls, "_sa_class_manager", None)
    if manager is None or type(manager).__module__ != "sqlalchemy.orm.instrumentation":
        return None
    return manager


def _is_django_model(cls: type) -> bool:
    return any(
        base.__module__ == "django.db.models.base" and base.__name__ == "Model"
        for base in cls.__mro__
    )


def _orm_collection(tree: Any) -> str | None:
    """The plain collection a recorded SQLAlchemy relationship collection becomes."""
    if type(tree) is not msgpack.ExtType or tree.code != Ext.TYPED_COLLECTION:
        return None
    try:
        path = read(tree).type_path
    except Exception:
        return None
    return ORM_COLLECTIONS.get(path) if type(path) is str else None


def _zone(key: str) -> dt.tzinfo:
    """The recorded IANA zone; zoneinfo is imported by the first value that has one."""
    import zoneinfo

    return zoneinfo.ZoneInfo(key)


def _datetime(clock: ClockNode, _: Callable[[Any], Any]) -> dt.datetime:
    value = dt.datetime.fromisoformat(clock.iso)  # carries the recorded UTC offset
    return value.astimezone(_zone(clock.zone)) if clock.zone else value


def _time(clock: ClockNode, _: Callable[[Any], Any]) -> dt.time:
    value = dt.time.fromisoformat(clock.iso)
    return value.replace(tzinfo=_zone(clock.zone)) if clock.zone else value


_SIMPLE: dict[Ext, Callable[[Any, Callable[[Any], Any]], Any]] = {
    Ext.TUPLE: lambda inner, rebuild: tuple(rebuild(inner)),
    Ext.SET: lambda inner, rebuild: set(rebuild(inner)),
    Ext.FROZENSET: lambda inner, rebuild: frozenset(rebuild(inner)),
    Ext.BIGINT: lambda inner, _: int(inner),
    Ext.DECIMAL: lambda inner, _: decimal.Decimal(inner),
    Ext.DATETIME: _datetime,
    Ext.DATE: lambda inner, _: dt.date.fromisoformat(inner),
    Ext.TIME: _time,
    Ext.TIMEDELTA: lambda delta, _: dt.timedelta(delta.days, delta.seconds, delta.microseconds),
    Ext.UUID: lambda inner, _: uuid.UUID(bytes=bytes(inner)),
    Ext.COMPLEX: lambda number, _: complex(number.real, number.imag),
    Ext.BYTEARRAY: lambda inner, _: bytearray(inner),
    Ext.SURROGATE_STR: lambda inner, _: bytes(inner).decode("utf-8", "surrogatepass"),
}


def _same(value: Any) -> Any:
    return value


# The kinds built from their decoded parts alone, by code (for msgpack's ext_hook).
_FAST: dict[int, Callable[[Any, Callable[[Any], Any]], Any]] = {
    int(kind): build for kind, build in _SIMPLE.items()
}


_UNKNOWN: Any = object()
# The payload trees that decode to themselves: str, int, float, bool, None and bytes
# (a big int, a subclass or any other type is an ext value).
_SCALAR_TREES = frozenset({str, int, float, bool, type(None), bytes})
_SHARE: Any = object()  # a plan: the value is immutable, handed out as it is
_COPIED_BYTES = 16 * 1024  # larger payloads are rebuilt each time (bounds the memory held)
_COPIES_MAX = 128
_TREES_MAX = 512  # trees held by identity (each at most _COPIED_BYTES packed)
_MAX_DEPTH = 32
_IMMUTABLE = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        bytes,
        complex,
        decimal.Decimal,
        uuid.UUID,
        dt.datetime,
        dt.date,
        dt.time,
        dt.timedelta,
    }
)


def _copy_plan(value: Any, depth: int) -> Any:
    """How to hand out a fresh copy of a rebuilt value: `_SHARE` (immutable), a function
    making the copy, or None when it holds a type this leaves to a rebuild (objects,
    rows, exceptions, collections other than the builtin ones)."""
    kind = type(value)
    if kind in _IMMUTABLE or isinstance(value, enum.Enum):
        return _SHARE
    if depth > _MAX_DEPTH:
        return None
    if kind is list or kind is tuple:
        plans = [_copy_plan(item, depth + 1) for item in value]
        if None in plans:
            return None
        if all(plan is _SHARE for plan in plans):
            return _SHARE if kind is tuple else value.copy
        parts = [_part(item, plan) for item, plan in zip(value, plans, strict=True)]
        if kind is tuple:
            return lambda: tuple([part() for part in parts])
        return lambda: [part() for part in parts]
    if kind is dict:
        if any(_copy_plan(key, depth + 1) is not _SHARE for key in value):
            return None
        plans = [_copy_plan(item, depth + 1) for item in value.values()]
        if None in plans:
            return None
        if all(plan is _SHARE for plan in plans):
            return value.copy
        pairs = [
            (key, _part(item, plan)) for (key, item), plan in zip(value.items(), plans, strict=True)
        ]
        return lambda: {key: part() for key, part in pairs}
    if kind is frozenset or kind is set:
        if any(_copy_plan(item, depth + 1) is not _SHARE for item in value):
            return None
        return _SHARE if kind is frozenset else value.copy
    if kind is bytearray:
        return lambda: bytearray(value)
    return None


def _tree_key(tree: Any) -> Any:
    """`tree` as a key equal where its packed bytes are, made in C (None: without C, or
    a tree C cannot key; then the packed bytes are the key)."""
    make = accel.tree_key
    if make is None:
        return None
    try:
        return make(tree)
    except (TypeError, ValueError, RecursionError):
        return None


def _copier(value: Any) -> Callable[[], Any] | None:
    """What hands out fresh copies of a rebuilt value (None: it is rebuilt each time): the
    value itself when immutable, else its copy plan, made in C when built."""
    plan = _copy_plan(value, 0)
    if plan is None:
        return None
    if plan is _SHARE:
        return lambda: value
    if accel.fresh_copy is not None:
        return functools.partial(accel.fresh_copy, value)
    return plan  # type: ignore[no-any-return]


def _part(value: Any, plan: Any) -> Callable[[], Any]:
    return (lambda: value) if plan is _SHARE else plan
