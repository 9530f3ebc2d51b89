"""SQLite connection factory and schema for the shop."""

import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL              -- Unix seconds
);
CREATE TABLE IF NOT EXISTS orders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    total       TEXT    NOT NULL,             -- Decimal as text
    items       TEXT    NOT NULL,             -- comma-separated SKUs
    status      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL              -- ISO 8601, UTC
);
CREATE TABLE IF NOT EXISTS notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL              -- Unix seconds
);
"""


def open_db(path: str | Path) -> sqlite3.Connection:
    """Open (and create if needed) the shop database at ``path``."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(_SCHEMA)
    return conn
