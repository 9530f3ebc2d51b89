"""Repositories: thin data access over a real SQLite connection."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from shop.db import open_db
from shop.errors import NotFound
from shop.models import NotificationRow, OrderStatus, UserRow


def _now_ts() -> int:
    return int(time.time())


def _lastrowid(cur: sqlite3.Cursor) -> int:
    assert cur.lastrowid is not None
    return cur.lastrowid


class UserRepo:
    """Users table; timestamps are Unix seconds."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add_user(self, name: str, email: str) -> int:
        """Insert a user and return the new id."""
        with self._conn:
            cur = self._conn.execute(
                "INSERT INTO users (name, email, created_at) VALUES (?, ?, ?)",
                (name, email, _now_ts()),
            )
        return _lastrowid(cur)

    def get_user(self, user_id: int) -> UserRow:
        """Return the user as a plain dict, or raise NotFound."""
        row = self._conn.execute(
            "SELECT id, name, email, created_at FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"user {user_id} not found")
        return {
            "id": row["id"],
            "name": row["name"],
            "email": row["email"],
            "created_at": row["created_at"],
        }

    def find_by_email(self, email: str) -> sqlite3.Row | None:
        """Return the raw row for ``email``, or None."""
        row: sqlite3.Row | None = self._conn.execute(
            "SELECT id, name, email FROM users WHERE email = ?", (email,)
        ).fetchone()
        return row


class OrderRepo:
    """Orders table; money is stored as TEXT, timestamps as ISO 8601."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def from_path(cls, path: str | Path) -> OrderRepo:
        """Open a database file and wrap it (caller must ``close()``)."""
        return cls(open_db(path))

    @staticmethod
    def normalize_sku(sku: str) -> str:
        """Canonical SKU: trimmed, upper-case, inner whitespace as dashes."""
        return "-".join(sku.strip().upper().split())

    def close(self) -> None:
        """Close the underlying connection."""
        self._conn.close()

    def insert_order(
        self,
        user_id: int,
        total: Decimal,
        items: Sequence[str],
        status: OrderStatus,
        created_at: datetime,
    ) -> int:
        """Insert an order and return the new id."""
        with self._conn:
            cur = self._conn.execute(
                "INSERT INTO orders (user_id, total, items, status, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, str(total), ",".join(items), status.value, created_at.isoformat()),
            )
        return _lastrowid(cur)

    def get_order(self, order_id: int) -> sqlite3.Row:
        """Return the raw sqlite3.Row for an order, or raise NotFound."""
        row: sqlite3.Row | None = self._conn.execute(
            "SELECT id, user_id, total, items, status, created_at FROM orders WHERE id = ?",
            (order_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"order {order_id} not found")
        return row

    def get_total(self, order_id: int) -> Decimal:
        """Return the order total as a Decimal, or raise NotFound."""
        return Decimal(self.get_order(order_id)["total"])

    def list_orders(self, user_id: int) -> list[tuple[Any, ...]]:
        """Return a user's orders as plain tuples, oldest first."""
        cur = self._conn.execute(
            "SELECT id, user_id, total, items, status, created_at FROM orders"
            " WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [tuple(r) for r in cur]


class NotificationRepo:
    """Notifications table; ``sent`` is stored as 0/1."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, user_id: int, kind: str, body: str) -> int:
        """Queue a notification and return its id."""
        with self._conn:
            cur = self._conn.execute(
                "INSERT INTO notifications (user_id, kind, body, created_at) VALUES (?, ?, ?, ?)",
                (user_id, kind, body, _now_ts()),
            )
        return _lastrowid(cur)

    def iter_notifications(self, user_id: int) -> Iterator[NotificationRow]:
        """Lazily yield a user's notifications, oldest first."""
        cur = self._conn.execute(
            "SELECT id, user_id, kind, body, sent, created_at FROM notifications"
            " WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        try:
            for row in cur:
                yield {
                    "id": row["id"],
                    "user_id": row["user_id"],
                    "kind": row["kind"],
                    "body": row["body"],
                    "sent": bool(row["sent"]),
                    "created_at": row["created_at"],
                }
        finally:
            cur.close()

    def mark_sent(self, notification_id: int) -> None:
        """Flag a notification as delivered, or raise NotFound."""
        with self._conn:
            cur = self._conn.execute(
                "UPDATE notifications SET sent = 1 WHERE id = ?", (notification_id,)
            )
        if cur.rowcount == 0:
            raise NotFound(f"notification {notification_id} not found")
