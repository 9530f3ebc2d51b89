"""The DB-API proxies of the database seam: a driver's `connect`, its connections and
cursors, wrapped with `wrapt` so that queries and fetched rows reach `DatabaseSeams`.

A proxy is transparent: `isinstance(conn, sqlite3.Connection)` holds, and every
attribute, setting and context manager of the driver's object passes through. seamrec's
own failures inside a proxy are counted, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import wrapt

if TYPE_CHECKING:
    from seamrec.runtime.adapters.dbapi import DatabaseSeams, Query

    _Proxy = wrapt.ObjectProxy[Any]
else:
    _Proxy = wrapt.ObjectProxy


_P = TypeVar("_P", bound=type)
_DRESSED: dict[tuple[type, type], type] = {}


def dressed(proxy: _P, wrapped: object) -> _P:
    """A subclass of `proxy` named like the class of `wrapped` (module and qualname), so
    that a connection passed through a seam is recorded as `sqlite3.Connection`, never as
    seamrec's proxy, whether the database seam is on or off."""
    cls = type(wrapped)
    found = _DRESSED.get((proxy, cls))
    if found is None:
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        found = _DRESSED[(proxy, cls)] = type(cls.__name__, (proxy,), namespace)
    return found  # type: ignore[return-value]


class Connect:
    """A driver's `connect`, handing back a proxy of the connection it made."""

    def __init__(self, original: Callable[..., Any], seams: DatabaseSeams) -> None:
        self.__wrapped__ = original
        self._seams = seams
        self.__doc__ = original.__doc__
        self.__name__ = "connect"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        connection = self.__wrapped__(*args, **kwargs)
        try:
            return dressed(ConnectionProxy, connection)(connection, self._seams)
        except Exception as exc:  # seamrec's own failure: the app gets its connection
            self._seams.recorder.internal_error(exc, "the queries of a new connection")
            return connection


class ConnectionProxy(_Proxy):
    """A DB-API connection whose `execute` shortcuts and cursors record queries."""

    def __init__(self, wrapped: Any, seams: DatabaseSeams) -> None:
        super().__init__(wrapped)
        self._self_seams = seams

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        cursor = self.__wrapped__.cursor(*args, **kwargs)
        return dressed(CursorProxy, cursor)(cursor, self._self_seams)

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        query = _start(seams, sql, args, kwargs, many=False)
        return _run(seams, query, self.__wrapped__.execute, sql, args, kwargs)

    def executemany(self, sql: Any, seq: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        if type(seq) not in (list, tuple):
            seq = list(seq)  # the driver reads every item anyway
        query = _start(seams, sql, (seq,), {}, many=True)
        return _run(seams, query, self.__wrapped__.executemany, sql, (seq, *args), kwargs)

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
    """A DB-API cursor that records what it executes and the rows the caller fetches."""

    def __init__(self, wrapped: Any, seams: DatabaseSeams, query: Query | None = None) -> None:
        super().__init__(wrapped)
        self._self_seams = seams
        self._self_query = query

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        seams.finish(self._self_query)
        self._self_query = query = _start(seams, sql, args, kwargs, many=False)
        result = _run(seams, query, self.__wrapped__.execute, sql, args, kwargs, self)
        return self if result is self.__wrapped__ else result

    def executemany(self, sql: Any, seq: Any, *args: Any, **kwargs: Any) -> Any:
        seams: DatabaseSeams = self._self_seams
        seams.finish(self._self_query)
        if type(seq) not in (list, tuple):
            seq = list(seq)  # the driver reads every item anyway
        self._self_query = query = _start(seams, sql, (seq,), {}, many=True)
        result = _run(seams, query, self.__wrapped__.executemany, sql, (seq, *args), kwargs, self)
        return self if result is self.__wrapped__ else result

    def fetchone(self) -> Any:
        row = self.__wrapped__.fetchone()
        query = self._self_query
        if query is not None:
            _guarded(self._self_seams, query, [row] if row is not None else None)
        return row

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        rows = self.__wrapped__.fetchmany(*args, **kwargs)
        query = self._self_query
        if query is not None:
            _guarded(self._self_seams, query, rows if rows else None)
        return rows

    def fetchall(self) -> Any:
        rows = self.__wrapped__.fetchall()
        query = self._self_query
        if query is not None:
            _guarded(self._self_seams, query, rows)
            _guarded(self._self_seams, query, None)
        return rows

    def __iter__(self) -> Iterator[Any]:
        query = self._self_query
        if query is None:
            return iter(self.__wrapped__)
        return self._rows(query)

    def _rows(self, query: Query) -> Iterator[Any]:
        for row in self.__wrapped__:
            _guarded(self._self_seams, query, [row])
            yield row
        _guarded(self._self_seams, query, None)

    def __next__(self) -> Any:
        try:
            row = next(self.__wrapped__)
        except StopIteration:
            _guarded(self._self_seams, self._self_query, None)
            raise
        _guarded(self._self_seams, self._self_query, [row])
        return row

    def close(self) -> Any:
        _guarded_finish(self._self_seams, self._self_query)
        return self.__wrapped__.close()

    def __del__(self) -> None:
        """A cursor dropped unexhausted (`conn.execute(...).fetchone()`) ends its query."""
        try:
            query = self._self_query
            if query is not None and not query.done:
                _guarded_finish(self._self_seams, query)
        except Exception:  # at interpreter exit the module may be half torn down
            return

    def __enter__(self) -> Any:
        entered = self.__wrapped__.__enter__()
        return self if entered is self.__wrapped__ else entered

    def __exit__(self, *exc: Any) -> Any:
        _guarded_finish(self._self_seams, self._self_query)
        return self.__wrapped__.__exit__(*exc)


def _start(
    seams: DatabaseSeams, sql: Any, args: tuple[Any, ...], kwargs: dict[str, Any], many: bool
) -> Query | None:
    try:
        if many:
            value = args[0] if args else None
        else:
            value = args[0] if args else kwargs.get("params", kwargs.get("parameters"))
        return seams.start(sql, value, many)
    except Exception as exc:  # seamrec's own failure: reported, never raised
        seams.recorder.internal_error(exc, "a query")
        return None


def _run(
    seams: DatabaseSeams,
    query: Query | None,
    method: Callable[..., Any],
    sql: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    cursor: CursorProxy | None = None,
) -> Any:
    """Send the query; an `execute` shortcut's cursor comes back as a proxy."""
    try:
        result = method(sql, *args, **kwargs)
    except Exception as exc:
        if query is not None:
            seams.fail(query, exc)
        raise
    if cursor is None:
        description_of = result
        if result is not None and type(result) is not bool:
            result = dressed(CursorProxy, result)(result, seams, query)
    else:
        description_of = cursor.__wrapped__
    if query is not None:
        try:
            seams.described(query, description_of.description)
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query.done = True
            seams.recorder.internal_error(exc, "the result columns of a query")
    return result


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


def _guarded_finish(seams: DatabaseSeams, query: Query | None) -> None:
    _guarded(seams, query, None)
