"""psycopg's `connect` functions are wrapped for the run and given back: the module's
`connect` and the classmethods `Connection.connect` and `AsyncConnection.connect`, which
keep binding to the class they are read from (a subclass, a pool's connection class)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from seamrec.config import settings_from_table
from seamrec.runtime.adapters.dbapi import DatabaseSeams
from seamrec.runtime.adapters.dbproxy import AsyncConnect, Connect
from seamrec.runtime.session import Mode, SeamSession


class Subclassed(psycopg.Connection):
    """An app's own connection class, as `psycopg_pool` takes one."""


def _seams(tmp_path: Path) -> DatabaseSeams:
    settings = settings_from_table({"boundaries": ["myapp"]}, rootdir=tmp_path)
    return DatabaseSeams(SeamSession(settings, Mode.RECORD), ("psycopg",), ("myapp",))


def test_the_connect_classmethods_are_wrapped_then_given_back(tmp_path: Path) -> None:
    originals = (
        psycopg.connect,
        vars(psycopg.Connection)["connect"],
        vars(psycopg.AsyncConnection)["connect"],
    )
    seams = _seams(tmp_path)

    seams.install()
    try:
        assert type(psycopg.connect) is Connect
        assert type(psycopg.Connection.connect) is Connect
        assert type(psycopg.AsyncConnection.connect) is AsyncConnect
        # bound to the class it is read from, as the classmethod was
        bound: Any = psycopg.Connection.connect
        assert bound.__wrapped__.__self__ is psycopg.Connection
        bound = Subclassed.connect
        assert bound.__wrapped__.__self__ is Subclassed
        seams.install()  # a second install wraps nothing twice
        held: Any = vars(psycopg.Connection)["connect"]
        assert type(held.__wrapped__) is classmethod
    finally:
        seams.uninstall()

    assert originals == (
        psycopg.connect,
        vars(psycopg.Connection)["connect"],
        vars(psycopg.AsyncConnection)["connect"],
    )
    assert type(vars(psycopg.AsyncConnection)["connect"]) is classmethod
