"""Business rules between the views and a repository (sqlite3 or SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from shop.errors import NotFound, ValidationError
from shop.mail import Mailer, welcome_email
from shop.models import LineItem, Order, OrderStatus, User

_CENT = Decimal("0.01")


class Row(Protocol):
    """A database row read by column name (`sqlite3.Row`, SQLAlchemy `RowMapping`)."""

    def __getitem__(self, key: str, /) -> Any:
        """The value of column ``key``."""


class UserStore(Protocol):
    """What the services need from a users repository."""

    def add(self, name: str, email: str) -> int:
        """Insert a user and return the new id."""

    def get(self, user_id: int) -> Row | None:
        """The user's row (id, name, email, created), or None."""

    def find_by_email(self, email: str) -> Row | None:
        """The row of the user with this address, or None."""


class OrderStore(Protocol):
    """What the services need from an orders repository."""

    def add(self, user_id: int, status: str, total: str, items: Sequence[LineItem]) -> int:
        """Insert an order with its lines and return the new id."""

    def get(self, order_id: int) -> Row | None:
        """The order's row (id, user_id, status, total, created), or None."""

    def lines(self, order_id: int) -> Sequence[Row]:
        """The order's lines (sku, qty, unit_price)."""

    def for_user(self, user_id: int) -> Sequence[Row]:
        """The user's orders, oldest first."""


def _utc(value: datetime) -> datetime:
    """A stored timestamp (naive UTC) as an aware datetime."""
    return value.replace(tzinfo=UTC)


def order_total(items: Sequence[LineItem]) -> Decimal:
    """The sum of the lines' subtotals, rounded to cents."""
    return sum((item.subtotal() for item in items), Decimal(0)).quantize(_CENT)


class UserService:
    """Sign-up and lookup of users."""

    def __init__(self, users: UserStore, mailer: Mailer) -> None:
        self._users = users
        self._mailer = mailer

    def get(self, user_id: int) -> User:
        """The user, or NotFound."""
        row = self._users.get(user_id)
        if row is None:
            raise NotFound(f"user {user_id} not found")
        return User(row["id"], row["name"], row["email"], _utc(row["created"]))

    def register(self, name: str, email: str) -> User:
        """Validate and create a user, and send them the welcome e-mail."""
        name, email = name.strip(), email.strip().lower()
        if not name:
            raise ValidationError("name is required")
        if "@" not in email:
            raise ValidationError(f"invalid email {email!r}")
        if self._users.find_by_email(email) is not None:
            raise ValidationError(f"email {email!r} already registered")
        user = self.get(self._users.add(name, email))
        self._mailer.send(welcome_email(user))
        return user


class OrderService:
    """Placing and reading orders."""

    def __init__(self, orders: OrderStore, users: UserStore) -> None:
        self._orders = orders
        self._users = users

    def place(self, user_id: int, items: Sequence[LineItem]) -> Order:
        """Validate the lines, compute the total and store a pending order."""
        if not items:
            raise ValidationError("an order needs at least one item")
        for item in items:
            if not item.sku.strip() or item.qty <= 0 or item.unit_price < 0:
                raise ValidationError(f"invalid item {item.sku!r}")
        if self._users.get(user_id) is None:
            raise NotFound(f"user {user_id} not found")
        total = order_total(items)
        order_id = self._orders.add(user_id, OrderStatus.PENDING.value, str(total), items)
        return self.get(order_id)

    def get(self, order_id: int) -> Order:
        """The order with its lines, or NotFound."""
        row = self._orders.get(order_id)
        if row is None:
            raise NotFound(f"order {order_id} not found")
        return self._order(row)

    def for_user(self, user_id: int) -> list[Order]:
        """The orders of an existing user, oldest first."""
        if self._users.get(user_id) is None:
            raise NotFound(f"user {user_id} not found")
        return [self._order(row) for row in self._orders.for_user(user_id)]

    def _order(self, row: Row) -> Order:
        items = tuple(
            LineItem(line["sku"], line["qty"], Decimal(line["unit_price"]))
            for line in self._orders.lines(row["id"])
        )
        return Order(
            id=row["id"],
            user_id=row["user_id"],
            status=OrderStatus(row["status"]),
            total=Decimal(row["total"]),
            created=_utc(row["created"]),
            items=items,
        )
