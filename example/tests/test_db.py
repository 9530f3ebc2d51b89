"""The request's connection in `flask.g`, its teardown, and the `init-db` command."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from flask import Flask

from shop.db import get_db


def test_get_db_returns_one_connection_per_context_and_closes_it(app: Flask) -> None:
    with app.app_context():
        db = get_db()
        assert db is get_db()

    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_rows_are_rows_with_parsed_timestamps(app: Flask, alice: int) -> None:
    with app.app_context():
        row = get_db().execute("SELECT name, created FROM users").fetchone()
    assert (sqlite3.Row, "Alice", datetime) == (type(row), row["name"], type(row["created"]))


def test_init_db_command(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert "Initialized the database." in result.output
