"""The request's SQLite connection, kept in `flask.g`, and the schema (Flask tutorial style)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext


def _convert_timestamp(value: bytes) -> datetime:
    return datetime.fromisoformat(value.decode())


# TIMESTAMP columns come back as datetimes (PARSE_DECLTYPES), without the converter that
# Python 3.12 deprecates.
sqlite3.register_converter("timestamp", _convert_timestamp)


def get_db() -> sqlite3.Connection:
    """The connection of the current app context, opened on first use."""
    if "db" not in g:
        conn = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        g.db = conn
    db: sqlite3.Connection = g.db
    return db


def close_db(error: BaseException | None = None) -> None:
    """Close the context's connection, if one was opened (an app-context teardown)."""
    db: sqlite3.Connection | None = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    """Create the tables afresh from schema.sql (drops existing data)."""
    with current_app.open_resource("schema.sql", "r") as schema:
        get_db().executescript(schema.read())


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Clear the existing data and create new tables."""
    init_db()
    click.echo("Initialized the database.")


def init_app(app: Flask) -> None:
    """Register the teardown and the `init-db` command with the app."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
