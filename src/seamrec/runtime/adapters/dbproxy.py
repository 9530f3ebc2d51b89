"""The DB-API proxies of the database seam: a driver's `connect`, its connections and
cursors, wrapped with `wrapt` so that queries and fetched rows reach `DatabaseSeams`;
psycopg's `AsyncConnection` and `AsyncCursor` get awaitable twins (`AsyncConnect`,
`AsyncConnectionProxy`, `AsyncCursorProxy`).

A proxy is transparent: `isinstance(conn, sqlite3.Connection)` holds, and every
attribute, setting and context manager of the driver's object passes through. seamrec's
own failures inside a proxy are counted, never raised.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from seamrec.compiled import compiled_module
from seamrec.runtime.wraptimport import wrapt

if TYPE_CHECKING:
    from seamrec.runtime.adapters.dbapi import DatabaseSeams, Query

    _Proxy = wrapt.ObjectProxy[Any]
else:
    _Proxy = wrapt.ObjectProxy


def _descriptor(cls: type, name: str) -> Any:
    """The descriptor `name` is read through on `cls` (a slot or wrapt's `__wrapped__`),
    from the class dicts of its MRO; None when it is no descriptor."""
    for klass in cls.__mro__:
        found = vars(klass).get(name)
        if found is not None and hasattr(type(found), "__get__"):
            return found
    return None


def _slot_reader(cls: type, name: str) -> Callable[[Any], Any]:
    """`name`'s value read through its descriptor on `cls`, bound once: an attribute read
    through a proxy subclass goes through CPython's `__getattr__` hook and wrapt's lookup,
    several times slower."""
    found = _descriptor(cls, name)
    if found is None:
        return operator.attrgetter(name)  # wrapt without its C extension: a plain attribute
    return cast("Callable[[Any], Any]", found.__get__)


_WRAPPED = _descriptor(_Proxy, "__wrapped__")  # None: wrapt without its C extension
_wrapped_of = _slot_reader(_Proxy, "__wrapped__")


class Forward:
    """One public attribute of the driver's class, read, set and deleted on the proxy's
    wrapped object: found on the proxy's class, it spares each read wrapt's failed lookup
    (an `AttributeError` made and cleared) and its `__getattr__` call. Compiled as
    `_dbforward.Forward` when built."""

    __slots__ = ("name",)

    def __init__(self, name: str, wrapped: object = None) -> None:
        self.name = name

    def __get__(self, proxy: Any, owner: type | None = None) -> Any:
        if proxy is None:
            return self
        return getattr(_wrapped_of(proxy), self.name)

    def __set__(self, proxy: Any, value: Any) -> None:
        setattr(_wrapped_of(proxy), self.name, value)

    def __delete__(self, proxy: Any) -> None:
        delattr(_wrapped_of(proxy), self.name)


def _compiled_forwarding() -> tuple[Callable[[str, object], object], Callable[..., Any] | None]:
    """The forwarding descriptor's type and `direct_getattro` (compiled when built and
    wrapt's `__wrapped__` is a C getset descriptor), else `Forward` and None."""
    module = compiled_module("seamrec.runtime.adapters._dbforward")[0]
    if module is None or type(_WRAPPED).__name__ != "getset_descriptor":
        return Forward, None
    return module.Forward, module.direct_getattro


_FORWARD, _direct_getattro = _compiled_forwarding()


def _lookup_base(cls: type) -> type | None:
    """The class of `cls`'s MRO whose attribute lookup its instances use: the first
    that defines `__getattr__` or `__getattribute__`, if that is a C slot (wrapt's)."""
    for klass in cls.__mro__:
        names = vars(klass)
        if "__getattr__" in names or "__getattribute__" in names:
            slot = names.get("__getattribute__")
            return klass if type(slot).__name__ == "wrapper_descriptor" else None
    return None


def _forwarded(proxy: type[_Proxy], named: type) -> dict[str, object]:
    """A forwarding descriptor per public name of `named` (its class attributes, without
    dunders) that `proxy` does not define itself."""
    own = {name for klass in proxy.__mro__ for name in vars(klass)}
    return {
        name: _FORWARD(name, _WRAPPED)
        for name in dir(named)
        if not name.startswith("__") and name not in own
    }


def dressed(proxy: type[_Proxy], named: type, seams: DatabaseSeams) -> type[Any]:
    """A subclass of `proxy` reporting to `seams` (its class attribute `_self_seams`: a
    proxy is made without a Python `__init__`) and named like `named` (module and
    qualname), so that a connection or cursor passed through a seam is recorded as
    `sqlite3.Connection`, never as seamrec's proxy, whether the database seam is on or
    off; one per proxy kind, class and `seams`. The public attributes of `named` are
    forwarded by descriptors (`Forward`), and, compiled, the class looks attributes up
    with wrapt's own lookup, without CPython's `__getattr__` hook around it."""
    found = seams.proxy_classes.get((proxy, named))
    if found is None:
        namespace = {
            **_forwarded(proxy, named),
            "__module__": named.__module__,
            "__qualname__": named.__qualname__,
            "_self_seams": seams,
        }
        found = seams.proxy_classes[(proxy, named)] = type(named.__name__, (proxy,), namespace)
        base = _lookup_base(found) if _direct_getattro is not None else None
        if _direct_getattro is not None and base is not None:
            _direct_getattro(found, base)
    return found


class Connect:
    """A driver's `connect`, handing back a proxy of the connection it made."""

    def __init__(self, original: Callable[..., Any], seams: DatabaseSeams) -> None:
        self.__wrapped__ = original
        self._seams = seams
        self.__doc__ = original.__doc__
        self.__name__ = "connect"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _connection_proxy(ConnectionProxy, self.__wrapped__(*args, **kwargs), self._seams)


class AsyncConnect(Connect):
    """psycopg's `AsyncConnection.connect`: awaited, it hands back a proxy of the
    connection it made."""

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        connection = await self.__wrapped__(*args, **kwargs)
        return _connection_proxy(AsyncConnectionProxy, connection, self._seams)


class ConnectMethod:
    """A driver class's `connect` classmethod (psycopg's `Connection.connect`, which pools
    and `Connection.connect(...)` callers use, and `AsyncConnection.connect`): bound to
    the class it is read from, it is a `Connect` (or `AsyncConnect`) of the original."""

    def __init__(self, original: Any, seams: DatabaseSeams, kind: type[Connect]) -> None:
        self.__wrapped__ = original  # the classmethod object, put back by `uninstall`
        self._seams = seams
        self._kind = kind

    def __get__(self, instance: object, owner: type | None = None) -> Connect:
        return self._kind(self.__wrapped__.__get__(instance, owner), self._seams)


def _connection_proxy(
    proxy: type[ConnectionProxy | AsyncConnectionProxy], connection: Any, seams: DatabaseSeams
) -> Any:
    """`connection` behind a proxy of `proxy`'s kind (once: a proxy is handed back as it is)."""
    if issubclass(type(connection), (ConnectionProxy, AsyncConnectionProxy)):
        return connection  # `psycopg.connect` reached through a patched classmethod
    try:
        return dressed(proxy, type(connection), seams)(connection)
    except Exception as exc:  # seamrec's own failure: the app gets its connection
        seams.recorder.internal_error(exc, "the queries of a new connection")
        return connection


class ConnectionProxy(_Proxy):
    """A DB-API connection whose `execute` shortcuts and cursors record queries. Made
    by `dressed` (its seams are an attribute of its class), its methods read their state
    through `_wrapped_of` and its class."""

    _self_seams: DatabaseSeams  # set on the class `dressed` makes for them

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        cursor = _wrapped_of(self).cursor(*args, **kwargs)
        return cursor_proxy(type(self)._self_seams, cursor, None)

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = type(self)._self_seams
        try:
            params = args[0] if args else _named_params(kwargs)
            query = seams.start(sql, params, False)  # the caller: one frame up
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        try:
            cursor = _wrapped_of(self).execute(sql, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        return _cursor_of(seams, query, cursor)

    def executemany(self, sql: Any, seq: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = type(self)._self_seams
        if type(seq) not in (list, tuple):
            seq = list(seq)  # the driver reads every item anyway
        try:
            query = seams.start(sql, seq, True)  # the caller: one frame up
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        try:
            cursor = _wrapped_of(self).executemany(sql, seq, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        return _cursor_of(seams, query, cursor)

    def backup(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        if issubclass(type(target), ConnectionProxy):
            target = target.__wrapped__
        return self.__wrapped__.backup(target, *args, **kwargs)

    def __enter__(self) -> Any:
        entered = self.__wrapped__.__enter__()
        return self if entered is self.__wrapped__ else entered

    def __exit__(self, *exc: Any) -> Any:
        return self.__wrapped__.__exit__(*exc)


class CursorProxy(_Proxy):
    """A DB-API cursor that records what it executes and the rows the caller fetches.
    Made by `cursor_proxy`: its seams are an attribute of its class, so making one runs
    no Python `__init__` (a cursor per query). Its query is a slot, set when it is made;
    its methods read their state through `_query_of`, `_wrapped_of` and its class."""

    __slots__ = ("_self_query",)  # the query whose rows this cursor fetches (None: none)
    _self_seams: DatabaseSeams  # set on the class `cursor_proxy` makes for them

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = type(self)._self_seams
        previous = _query_of(self)
        if previous is not None:
            seams.finish(previous)
        try:
            params = args[0] if args else _named_params(kwargs)
            query = seams.start(sql, params, False)  # the caller: one frame up
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        self._self_query = query
        wrapped = _wrapped_of(self)
        try:
            result = wrapped.execute(sql, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        if query is not None:
            seams.described(query, wrapped)
        return self if result is wrapped else result

    def executemany(self, sql: Any, seq: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = type(self)._self_seams
        seams.finish(_query_of(self))
        if type(seq) not in (list, tuple):
            seq = list(seq)  # the driver reads every item anyway
        try:
            query = seams.start(sql, seq, True)  # the caller: one frame up
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        self._self_query = query
        wrapped = _wrapped_of(self)
        try:
            result = wrapped.executemany(sql, seq, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        if query is not None:
            seams.described(query, wrapped)
        return self if result is wrapped else result

    def fetchone(self) -> Any:
        row = _wrapped_of(self).fetchone()
        query = _query_of(self)
        if query is not None and not query.done:
            if row is None:
                type(self)._self_seams.finish(query)
            else:
                type(self)._self_seams.note_row(query, row)
        return row

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        rows = _wrapped_of(self).fetchmany(*args, **kwargs)
        query = _query_of(self)
        if query is not None:
            _guarded(type(self)._self_seams, query, rows if rows else None)
        return rows

    def fetchall(self) -> Any:
        rows = _wrapped_of(self).fetchall()
        query = _query_of(self)
        if query is not None:
            type(self)._self_seams.fetched_all(query, rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        query = _query_of(self)
        if query is None:
            return iter(_wrapped_of(self))
        return self._rows(query)

    def _rows(self, query: Query) -> Iterator[Any]:
        seams: DatabaseSeams = type(self)._self_seams
        for row in _wrapped_of(self):
            if not query.done:
                seams.note_row(query, row)
            yield row
        seams.finish(query)

    def __next__(self) -> Any:
        try:
            row = next(_wrapped_of(self))
        except StopIteration:
            type(self)._self_seams.finish(_query_of(self))
            raise
        query = _query_of(self)
        if query is not None and not query.done:
            type(self)._self_seams.note_row(query, row)
        return row

    def close(self) -> Any:
        type(self)._self_seams.finish(_query_of(self))
        return _wrapped_of(self).close()

    def __del__(self) -> None:
        """A cursor dropped unexhausted (`conn.execute(...).fetchone()`) ends its query."""
        try:
            query = _query_of(self)
            if query is not None and not query.done:
                type(self)._self_seams.finish(query)
        except Exception:  # at interpreter exit the module may be half torn down
            return

    def __enter__(self) -> Any:
        wrapped = _wrapped_of(self)
        entered = wrapped.__enter__()
        return self if entered is wrapped else entered

    def __exit__(self, *exc: Any) -> Any:
        type(self)._self_seams.finish(_query_of(self))
        return _wrapped_of(self).__exit__(*exc)


_query_of = _slot_reader(CursorProxy, "_self_query")


def _named_params(kwargs: dict[str, Any]) -> Any:
    """The parameters of an `execute` call passed by name (None: no parameters)."""
    return kwargs.get("params", kwargs.get("parameters")) if kwargs else None


def _lost(seams: DatabaseSeams, exc: Exception) -> Query | None:
    """A query seamrec failed to start: counted, and the query runs unrecorded (None)."""
    seams.recorder.internal_error(exc, "a query")
    return None


def _cursor_of(
    seams: DatabaseSeams,
    query: Query | None,
    cursor: Any,
    base: type[CursorProxy] | None = None,
) -> Any:
    """The cursor an `execute` shortcut gave back, as a proxy that reports its rows
    (of `base`, `CursorProxy` unless said)."""
    if cursor is None or type(cursor) is bool:
        if query is not None:
            seams.described(query, cursor)  # no description: counted as seamrec's failure
        return cursor
    cls = seams.cursor_classes.get(type(cursor))
    if cls is None:
        proxy = cursor_proxy(seams, cursor, query, base)
    else:
        proxy = cls(cursor)
        proxy._self_query = query
    if query is not None:
        description = cursor.description if type(cursor) is sqlite3.Cursor else None
        last = query.statement.last_columns  # the steady state of `described`, inline
        if type(description) is tuple and description == last[0]:
            query.columns = last[1]
        else:
            seams.described(query, cursor)
    return proxy


def cursor_proxy(
    seams: DatabaseSeams,
    cursor: Any,
    query: Query | None,
    base: type[CursorProxy] | None = None,
) -> CursorProxy:
    """A proxy of `cursor` reporting to `seams`, its rows those of `query` (if any); of
    a subclass of `base` (`CursorProxy` unless said) named like the cursor's class (see
    `dressed`), one per cursor class and `seams`."""
    cls = seams.cursor_classes.get(type(cursor))
    if cls is None:
        named = type(cursor)
        cls = seams.cursor_classes[named] = dressed(base or CursorProxy, named, seams)
    proxy = cls(cursor)
    proxy._self_query = query  # always set: a slot
    return proxy


def _guarded(seams: DatabaseSeams, query: Query | None, rows: list[Any] | None) -> None:
    """Note fetched rows (None: the cursor is exhausted); never raises."""
    if query is None or query.done:
        return
    try:
        if rows is None:
            seams.finish(query)
        else:
            seams.note(query, list(rows))
    except Exception as exc:  # seamrec's own failure: reported, never raised
        query.done = True
        seams.recorder.internal_error(exc, "the rows of a query")


class AsyncConnectionProxy(_Proxy):
    """A psycopg `AsyncConnection` whose `execute` shortcut and cursors record queries;
    made by `dressed` like `ConnectionProxy`."""

    _self_seams: DatabaseSeams  # set on the class `dressed` makes for them

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        cursor = self.__wrapped__.cursor(*args, **kwargs)
        return cursor_proxy(self._self_seams, cursor, None, AsyncCursorProxy)

    async def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        try:
            params = args[0] if args else _named_params(kwargs)
            query = seams.start(sql, params, False)  # the caller: the awaiting frame
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        try:
            cursor = await self.__wrapped__.execute(sql, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        return _cursor_of(seams, query, cursor, AsyncCursorProxy)

    async def __aenter__(self) -> Any:
        entered = await self.__wrapped__.__aenter__()
        return self if entered is self.__wrapped__ else entered

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.__wrapped__.__aexit__(*exc)


class AsyncCursorProxy(CursorProxy):
    """A psycopg `AsyncCursor` that records what it executes and the rows the caller
    fetches; made by `cursor_proxy` like `CursorProxy`, whose bookkeeping it shares."""

    async def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        seams.finish(self._self_query)
        try:
            params = args[0] if args else _named_params(kwargs)
            query = seams.start(sql, params, False)  # the caller: the awaiting frame
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        self._self_query = query
        wrapped = self.__wrapped__
        try:
            result = await wrapped.execute(sql, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        if query is not None:
            seams.described(query, wrapped)
        return self if result is wrapped else result

    async def executemany(self, sql: Any, seq: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        seams.finish(self._self_query)
        if type(seq) not in (list, tuple):
            seq = list(seq)  # the driver reads every item anyway
        try:
            query = seams.start(sql, seq, True)  # the caller: the awaiting frame
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query = _lost(seams, exc)
        self._self_query = query
        wrapped = self.__wrapped__
        try:
            result = await wrapped.executemany(sql, seq, *args, **kwargs)
        except Exception as exc:
            if query is not None:
                seams.fail(query, exc)
            raise
        if query is not None:
            seams.described(query, wrapped)
        return self if result is wrapped else result

    async def fetchone(self) -> Any:
        row = await self.__wrapped__.fetchone()
        query = self._self_query
        if query is not None and not query.done:
            if row is None:
                self._self_seams.finish(query)
            else:
                self._self_seams.note_row(query, row)
        return row

    async def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        rows = await self.__wrapped__.fetchmany(*args, **kwargs)
        query = self._self_query
        if query is not None:
            _guarded(self._self_seams, query, rows if rows else None)
        return rows

    async def fetchall(self) -> Any:
        rows = await self.__wrapped__.fetchall()
        query = self._self_query
        if query is not None:
            self._self_seams.fetched_all(query, rows)
        return rows

    def __aiter__(self) -> AsyncIterator[Any]:
        query = self._self_query
        if query is None:
            return cast("AsyncIterator[Any]", self.__wrapped__.__aiter__())
        return self._async_rows(query)

    async def _async_rows(self, query: Query) -> AsyncIterator[Any]:
        seams: DatabaseSeams = self._self_seams
        async for row in self.__wrapped__:
            if not query.done:
                seams.note_row(query, row)
            yield row
        seams.finish(query)

    async def close(self) -> Any:
        self._self_seams.finish(self._self_query)
        return await self.__wrapped__.close()

    async def __aenter__(self) -> Any:
        entered = await self.__wrapped__.__aenter__()
        return self if entered is self.__wrapped__ else entered

    async def __aexit__(self, *exc: Any) -> Any:
        self._self_seams.finish(self._self_query)
        return await self.__wrapped__.__aexit__(*exc)
