"""Rebuild recorded payloads into real Python values for replay.

Cassettes are data: rebuilding constructs values and nothing else. Only a fixed list of
standard-library types, classes defined in the configured boundaries, and type paths
listed in ``replay_types`` may be built; objects are created without running their
``__init__`` (``object.__new__`` and the recorded fields), exceptions with their recorded
args. Anything else — an opaque connection, a cut value, a type that is not allowed —
raises ``ReplayError`` naming the type and the fix.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import datetime as dt
import decimal
import importlib
import sqlite3
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any

import msgpack

from seamrec.codec import Ext
from seamrec.exceptions import ReplayError

STDLIB_TYPES: dict[str, type] = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.defaultdict": collections.defaultdict,
    "collections.Counter": collections.Counter,
    "collections.deque": collections.deque,
    "sqlite3.Row": sqlite3.Row,
}
STDLIB_EXCEPTION_MODULES = ("builtins", "sqlite3", "json.decoder", "decimal", "zoneinfo")


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
        raise ReplayError(
            f"cannot rebuild a recorded {path}: only standard types and classes of the "
            f'configured boundaries are built; allow it with replay_types = ["{path}"] '
            "in [tool.seamrec]",
            type_path=path,
        )


def _splits(path: str) -> list[tuple[str, str]]:
    parts = path.split(".")
    return [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]


class Rebuilder:
    """Turns a recorded payload tree (with raw ext values) into real values."""

    def __init__(self, resolver: TypeResolver) -> None:
        self._resolver = resolver

    def rebuild(self, tree: Any) -> Any:
        """A fresh value equal in type and content to what was recorded."""
        if isinstance(tree, list):
            return [self.rebuild(item) for item in tree]
        if isinstance(tree, dict):
            return {self.rebuild(k): self.rebuild(v) for k, v in tree.items()}
        if isinstance(tree, msgpack.ExtType):
            return self._ext(tree.code, msgpack.unpackb(tree.data, raw=False, strict_map_key=False))
        return tree

    def _ext(self, code: int, inner: Any) -> Any:
        kind = Ext(code)
        simple = _SIMPLE.get(kind)
        if simple is not None:
            return simple(inner, self.rebuild)
        if kind is Ext.MAP:
            return {self.rebuild(k): self.rebuild(v) for k, v in inner}
        if kind is Ext.ENUM:
            cls: Any = self._resolver.resolve(inner[0])
            return cls[inner[1]]
        if kind is Ext.TYPED_COLLECTION:
            return self._typed_collection(*inner)
        if kind is Ext.NAMEDTUPLE:
            cls = self._resolver.resolve(inner[0])
            return tuple.__new__(cls, self.rebuild(inner[2]))
        if kind is Ext.OBJECT:
            return self._object(inner[0], inner[1])
        if kind is Ext.ROW:
            return self._row(inner[0], inner[1], self.rebuild(inner[2]))
        if kind is Ext.EXCEPTION:
            return self._exception(inner)
        if kind is Ext.LEAF_SUBCLASS:
            cls = self._resolver.resolve(inner[0])
            plain = self.rebuild(inner[1])
            for base in (bool, int, float, str, bytes):
                if issubclass(cls, base):
                    return base.__new__(cls, plain)
            return cls(plain)
        if kind is Ext.REDACTED:
            raise ReplayError(
                f"a recorded {inner} was redacted when it was recorded and cannot be given "
                "back; narrow the replay patterns so that this seam runs for real",
                type_path=str(inner),
            )
        if kind is Ext.OPAQUE:
            raise ReplayError(
                f"a recorded {inner} cannot be rebuilt (only its type was recorded)",
                type_path=str(inner),
            )
        if kind is Ext.CUT:
            raise ReplayError(
                f"a recorded value was cut by a limit ({inner[0]}) and cannot be rebuilt; "
                "raise max_depth/max_items/max_str in [tool.seamrec] and re-record",
                type_path=str(inner[0]),
            )
        raise ReplayError(f"a recorded value of kind {kind.name} cannot be rebuilt", type_path="")

    def _typed_collection(self, path: str, shape: str, items: Any) -> Any:
        cls: Any = self._resolver.resolve(path)
        if shape == "dict":
            pairs = [(self.rebuild(k), self.rebuild(v)) for k, v in items]
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
        values = self.rebuild(items)
        if cls.__module__ == "collections":
            return cls(values)
        for base, fill in ((list, list.extend), (set, set.update)):
            if issubclass(cls, base):
                value = cls.__new__(cls)
                fill(value, values)
                return value
        if issubclass(cls, tuple | frozenset):
            return cls.__new__(cls, values)
        raise ReplayError(
            f"a recorded {path} is not a collection seamrec can build", type_path=path
        )

    def _object(self, path: str, fields: dict[str, Any]) -> Any:
        cls: Any = self._resolver.resolve(path)
        value = object.__new__(cls)
        for name, item in fields.items():
            object.__setattr__(value, name, self.rebuild(item))
        if dataclasses.is_dataclass(cls):
            for field in dataclasses.fields(cls):
                if field.name not in fields:
                    raise ReplayError(
                        f"a recorded {path} lacks its field {field.name!r}; re-record",
                        type_path=path,
                    )
        return value

    def _row(self, path: str, columns: list[str], values: list[Any]) -> Any:
        if path != "sqlite3.Row":
            self._resolver.resolve(path)
            return dict(zip(columns, values, strict=True))
        connection = sqlite3.connect(":memory:")
        try:
            connection.row_factory = sqlite3.Row
            names = ", ".join(f'? AS "{c.replace(chr(34), chr(34) * 2)}"' for c in columns)
            row = connection.execute(f"SELECT {names}", values).fetchone()
        finally:
            connection.close()
        return row

    def _exception(self, inner: list[Any]) -> BaseException:
        path, args = inner[0], self.rebuild(inner[1])
        cls: Any = self._resolver.resolve(path)
        if not issubclass(cls, BaseException):
            raise ReplayError(f"{path} is not an exception class", type_path=path)
        exc: BaseException = cls.__new__(cls, *args)
        exc.args = tuple(args)
        for name, item in (inner[3] if len(inner) > 3 else {}).items():
            setattr(exc, name, self.rebuild(item))
        return exc


def _datetime(inner: list[Any], _: Callable[[Any], Any]) -> dt.datetime:
    value = dt.datetime.fromisoformat(inner[0])  # carries the recorded UTC offset
    return value.astimezone(zoneinfo.ZoneInfo(inner[1])) if inner[1] else value


def _time(inner: list[Any], _: Callable[[Any], Any]) -> dt.time:
    value = dt.time.fromisoformat(inner[0])
    return value.replace(tzinfo=zoneinfo.ZoneInfo(inner[1])) if inner[1] else value


_SIMPLE: dict[Ext, Callable[[Any, Callable[[Any], Any]], Any]] = {
    Ext.TUPLE: lambda inner, rebuild: tuple(rebuild(inner)),
    Ext.SET: lambda inner, rebuild: set(rebuild(inner)),
    Ext.FROZENSET: lambda inner, rebuild: frozenset(rebuild(inner)),
    Ext.BIGINT: lambda inner, _: int(inner),
    Ext.DECIMAL: lambda inner, _: decimal.Decimal(inner),
    Ext.DATETIME: _datetime,
    Ext.DATE: lambda inner, _: dt.date.fromisoformat(inner),
    Ext.TIME: _time,
    Ext.TIMEDELTA: lambda inner, _: dt.timedelta(inner[0], inner[1], inner[2]),
    Ext.UUID: lambda inner, _: uuid.UUID(bytes=bytes(inner)),
    Ext.COMPLEX: lambda inner, _: complex(inner[0], inner[1]),
    Ext.BYTEARRAY: lambda inner, _: bytearray(inner),
    Ext.SURROGATE_STR: lambda inner, _: bytes(inner).decode("utf-8", "surrogatepass"),
}
