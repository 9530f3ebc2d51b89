"""Data access on the request's SQLite connection: SQL in, `sqlite3.Row`s out."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from shop.models import LineItem


def _new_id(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None
    return cur.lastrowid


class UserRepo:
    """The users table."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def add(self, name: str, email: str) -> int:
        """Insert a user and return the new id."""
        with self._db:
            cur = self._db.execute("INSERT INTO users (name, email) VALUES (?, ?)", (name, email))
        return _new_id(cur)

    def get(self, user_id: int) -> sqlite3.Row | None:
        """The user's row (id, name, email, created), or None."""
        row: sqlite3.Row | None = self._db.execute(
            "SELECT id, name, email, created FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return row

    def find_by_email(self, email: str) -> sqlite3.Row | None:
        """The row (id, email) of the user with this e-mail address, or None."""
        row: sqlite3.Row | None = self._db.execute(
            "SELECT id, email FROM users WHERE email = ?", (email,)
        ).fetchone()
        return row


class OrderRepo:
    """The orders and order_lines tables; money is stored as decimal text."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def add(self, user_id: int, status: str, total: str, items: Sequence[LineItem]) -> int:
        """Insert an order with its lines and return the new id."""
        with self._db:
            cur = self._db.execute(
                "INSERT INTO orders (user_id, status, total) VALUES (?, ?, ?)",
                (user_id, status, total),
            )
            order_id = _new_id(cur)
            self._db.executemany(
                "INSERT INTO order_lines (order_id, sku, qty, unit_price) VALUES (?, ?, ?, ?)",
                [(order_id, i.sku, i.qty, str(i.unit_price)) for i in items],
            )
        return order_id

    def get(self, order_id: int) -> sqlite3.Row | None:
        """The order's row (id, user_id, status, total, created), or None."""
        row: sqlite3.Row | None = self._db.execute(
            "SELECT id, user_id, status, total, created FROM orders WHERE id = ?", (order_id,)
        ).fetchone()
        return row

    def lines(self, order_id: int) -> list[sqlite3.Row]:
        """The order's lines (sku, qty, unit_price), in the order they were placed."""
        return self._db.execute(
            "SELECT sku, qty, unit_price FROM order_lines WHERE order_id = ? ORDER BY id",
            (order_id,),
        ).fetchall()

    def for_user(self, user_id: int) -> list[sqlite3.Row]:
        """The user's orders, oldest first."""
        return self._db.execute(
            "SELECT id, user_id, status, total, created FROM orders WHERE user_id = ? ORDER BY id",
            (user_id,),
        ).fetchall()
