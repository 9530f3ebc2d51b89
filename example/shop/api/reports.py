"""`/api/reports`: read-only views that query the database themselves (Flask tutorial style)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Blueprint

from shop.db import get_db

bp = Blueprint("reports", __name__, url_prefix="/api/reports")


@bp.get("/recent-orders")
def recent_orders() -> dict[str, Any]:
    """The ten newest orders with their customer's name."""
    rows = (
        get_db()
        .execute(
            "SELECT o.id, u.name, o.total, o.created"
            " FROM orders o JOIN users u ON u.id = o.user_id"
            " ORDER BY o.id DESC LIMIT 10"
        )
        .fetchall()
    )
    return {
        "orders": [
            {
                "id": row["id"],
                "customer": row["name"],
                "total": row["total"],
                "created": row["created"].replace(tzinfo=UTC).isoformat(),
            }
            for row in rows
        ]
    }
