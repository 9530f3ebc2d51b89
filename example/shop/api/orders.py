"""`/api/orders`: place an order from its items, read one, list a user's orders."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, request

from shop.api import order_service
from shop.errors import ValidationError
from shop.models import LineItem, Order

bp = Blueprint("orders", __name__, url_prefix="/api/orders")


def _item(raw: dict[str, Any]) -> LineItem:
    try:
        return LineItem(str(raw["sku"]), int(raw.get("qty", 1)), Decimal(str(raw["price"])))
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise ValidationError(f"invalid item {raw!r}") from None


def _json(order: Order) -> dict[str, Any]:
    summary = order.summary
    return {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status.value,
        "total": str(order.total),
        "items": [{"sku": i.sku, "qty": i.qty, "price": str(i.unit_price)} for i in order.items],
        "item_count": order.item_count,
        "lines": summary.lines,
        "free_shipping": bool(summary.free_shipping),
        "created": order.created.isoformat(),
    }


@bp.post("")
def create_order() -> tuple[dict[str, Any], int]:
    """Place a pending order from ``{"user_id", "items": [{"sku", "qty", "price"}]}``."""
    body = request.get_json()
    items = [_item(raw) for raw in body.get("items", [])]
    order = order_service().place(int(body["user_id"]), items)
    return _json(order), 201


@bp.get("/<int:order_id>")
def get_order(order_id: int) -> dict[str, Any]:
    """One order with its items."""
    return _json(order_service().get(order_id))


@bp.get("")
def list_orders() -> dict[str, Any]:
    """The orders of ``?user_id=``."""
    user_id = request.args.get("user_id", type=int)
    if user_id is None:
        raise ValidationError("user_id is required")
    return {"orders": [_json(o) for o in order_service().for_user(user_id)]}
