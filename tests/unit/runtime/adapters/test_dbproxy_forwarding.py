"""The proxies' forwarded attributes (`dbproxy.Forward`, compiled and pure, with and
without wrapt's own lookup) read, set and delete what the driver's object holds, as the
proxy did through wrapt's `__getattr__`, and keep the proxy transparent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, cast

import pytest

from seamrec.runtime.adapters import dbproxy
from seamrec.runtime.adapters.dbapi import DatabaseSeams


class _Events:
    def open_event(self, *args: object) -> None:
        return None

    def close_event(self, *args: object) -> None:
        return None


class _Recorder:
    events = _Events()

    def event_wanted(self) -> bool:
        return False

    def internal_error(self, exc: Exception, lost: str) -> None:
        raise exc


class Subclassed(sqlite3.Connection):
    """A driver connection class with Python attributes of its own (`factory=`)."""

    label = "class"

    @property
    def doubled(self) -> int:
        return self.total_changes * 2


@pytest.fixture(params=["compiled", "pure", "pure-lookup"])
def seams(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if request.param != "compiled":
        monkeypatch.setattr(dbproxy, "_FORWARD", dbproxy.Forward)
    if request.param == "pure":
        monkeypatch.setattr(dbproxy, "_direct_getattro", None)
    found = DatabaseSeams(_Recorder(), ("sqlite3",), ())  # type: ignore[arg-type]
    found.install()
    yield found
    found.uninstall()


def test_connection_attributes_reach_the_driver(seams: Any) -> None:
    conn: Any = sqlite3.connect(":memory:")  # a proxy: `__wrapped__` is read below
    assert type(conn) is not sqlite3.Connection
    assert isinstance(cast(object, conn), sqlite3.Connection)  # `conn` stays Any
    assert (type(conn).__module__, type(conn).__qualname__) == ("sqlite3", "Connection")
    wrapped = conn.__wrapped__
    conn.execute("CREATE TABLE t (a)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.in_transaction is wrapped.in_transaction is True
    assert conn.total_changes == wrapped.total_changes == 1
    conn.commit()
    assert conn.in_transaction is False
    conn.row_factory = sqlite3.Row
    assert wrapped.row_factory is sqlite3.Row
    assert conn.row_factory is sqlite3.Row
    assert type(conn.execute("SELECT a FROM t").fetchone()) is sqlite3.Row
    conn.isolation_level = None
    assert wrapped.isolation_level is None
    del conn.row_factory  # the driver's own deletion: back to None
    assert wrapped.row_factory is None
    assert not hasattr(conn, "no_such_attribute")
    with pytest.raises(AttributeError):
        conn.no_such_attribute = 1  # the driver's object has no `__dict__`


def test_cursor_attributes_reach_the_driver(seams: Any) -> None:
    conn: Any = sqlite3.connect(":memory:")  # a proxy: `__wrapped__` is read below
    conn.execute("CREATE TABLE t (a, b)")
    cursor = conn.execute("INSERT INTO t VALUES (?, ?)", (1, 2))
    assert isinstance(cursor, sqlite3.Cursor)
    assert type(cursor).__qualname__ == "Cursor"
    assert (cursor.lastrowid, cursor.rowcount) == (1, 1)
    cursor = conn.execute("SELECT a, b FROM t")
    assert cursor.description == cursor.__wrapped__.description
    assert [column[0] for column in cursor.description] == ["a", "b"]
    cursor.arraysize = 7
    assert cursor.__wrapped__.arraysize == 7
    assert cursor.fetchmany() == [(1, 2)]
    assert cursor.connection is conn.__wrapped__  # what the driver's cursor holds


def test_a_subclass_and_its_python_attributes(seams: Any) -> None:
    conn: Any = sqlite3.connect(":memory:", factory=Subclassed)  # a proxy of one
    assert isinstance(cast(object, conn), Subclassed)  # `conn` stays Any
    assert type(conn).__qualname__ == "Subclassed"
    conn.execute("CREATE TABLE t (a)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert (conn.label, conn.doubled) == ("class", 2)
    conn.label = "instance"  # an instance attribute of the driver's object
    assert vars(conn.__wrapped__) == {"label": "instance"}
    assert conn.label == "instance"
    del conn.label
    assert conn.label == "class"
    conn.extra = 3  # a name the class does not know: wrapt sets it on the driver's object
    assert conn.__wrapped__.extra == 3
    assert conn.extra == 3


def test_context_managers_and_backup(seams: Any) -> None:
    source = sqlite3.connect(":memory:")
    target = sqlite3.connect(":memory:")
    with source as entered:
        assert entered is source
        source.execute("CREATE TABLE t (a)")
    source.backup(target)
    assert target.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    source.close()
    with pytest.raises(sqlite3.ProgrammingError):
        source.execute("SELECT 1")
