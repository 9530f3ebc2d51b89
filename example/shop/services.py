"""Business services layered on top of the repositories."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shop.errors import ValidationError
from shop.models import LineItem, NotificationRow, Order, OrderStatus, User, UserRow
from shop.repository import NotificationRepo, OrderRepo, UserRepo

_CENT = Decimal("0.01")


def _from_unix(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _to_user(row: UserRow) -> User:
    return User(row["id"], row["name"], row["email"], _from_unix(row["created_at"]))


def _to_order(values: Sequence[Any]) -> Order:
    order_id, user_id, total, items, status, created_at = values
    return Order(
        id=order_id,
        user_id=user_id,
        total=Decimal(total),
        items=tuple(items.split(",")),
        created_at=datetime.fromisoformat(created_at),
        status=OrderStatus(status),
    )


class UserService:
    """Registration and lookup of users."""

    def __init__(self, users: UserRepo) -> None:
        self._users = users

    def get_user(self, user_id: int) -> User:
        """Return the user or raise NotFound."""
        return _to_user(self._users.get_user(user_id))

    def register(self, name: str, email: str) -> User:
        """Validate and create a user."""
        name, email = name.strip(), email.strip().lower()
        if not name:
            raise ValidationError("name is required")
        if "@" not in email:
            raise ValidationError(f"invalid email {email!r}")
        if self._users.find_by_email(email) is not None:
            raise ValidationError(f"email {email!r} already registered")
        return self.get_user(self._users.add_user(name, email))


class OrderService:
    """Order placement and queries."""

    def __init__(self, orders: OrderRepo, users: UserRepo) -> None:
        self._orders = orders
        self._users = users

    def create_order(self, user_id: int, lines: Sequence[LineItem]) -> Order:
        """Validate line items, price them and persist a pending order."""
        if not lines:
            raise ValidationError("an order needs at least one line item")
        self._users.get_user(user_id)  # raises NotFound for unknown users
        skus = tuple(self._checked_sku(line) for line in lines)
        total = sum((line.subtotal() for line in lines), Decimal(0)).quantize(_CENT)
        order_id = self._orders.insert_order(
            user_id, total, skus, OrderStatus.PENDING, datetime.now(UTC)
        )
        return _to_order(tuple(self._orders.get_order(order_id)))

    def order_total(self, order_id: int) -> Decimal:
        """Return the stored total of an order."""
        return self._orders.get_total(order_id)

    def orders_for_user(self, user_id: int) -> list[Order]:
        """Return all orders of an existing user, oldest first."""
        self._users.get_user(user_id)
        return [_to_order(row) for row in self._orders.list_orders(user_id)]

    @staticmethod
    def _checked_sku(line: LineItem) -> str:
        sku = OrderRepo.normalize_sku(line.sku)
        if not sku or "," in sku:
            raise ValidationError(f"invalid sku {line.sku!r}")
        if line.qty <= 0 or line.unit_price < 0:
            raise ValidationError(f"invalid quantity or price for {sku}")
        return sku


class NotificationService:
    """Queueing and delivery of user notifications."""

    def __init__(self, notifications: NotificationRepo, users: UserRepo) -> None:
        self._notifications = notifications
        self._users = users

    def send_welcome(self, user_id: int) -> int:
        """Queue a welcome message for an existing user."""
        user = self._users.get_user(user_id)
        return self._notifications.add(user_id, "welcome", f"Welcome, {user['name']}!")

    async def send_async(self, user_id: int, body: str) -> int:
        """Hand ``body`` to an (simulated) async transport, then queue it."""
        self._users.get_user(user_id)
        await asyncio.sleep(0)
        return self._notifications.add(user_id, "message", body)

    def pending(self, user_id: int) -> list[NotificationRow]:
        """Return the user's undelivered notifications."""
        return [n for n in self._notifications.iter_notifications(user_id) if not n["sent"]]

    def deliver_all(self, user_id: int) -> int:
        """Mark every pending notification as sent; return how many."""
        pending = self.pending(user_id)
        for note in pending:
            self._notifications.mark_sent(note["id"])
        return len(pending)
