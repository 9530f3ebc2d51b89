"""Domain models: plain dataclasses, enums, named tuples and row shapes."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import NamedTuple, TypedDict


class OrderStatus(Enum):
    """Lifecycle of an order."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"


class LineItem(NamedTuple):
    """One line of an order request."""

    sku: str
    qty: int
    unit_price: Decimal

    def subtotal(self) -> Decimal:
        """Price of this line (quantity times unit price)."""
        return self.unit_price * self.qty


@dataclass(frozen=True)
class User:
    """A registered customer."""

    id: int
    name: str
    email: str
    created_at: datetime


@dataclass(frozen=True)
class Order:
    """A placed order; ``created_at`` is timezone-aware UTC."""

    id: int
    user_id: int
    total: Decimal
    items: tuple[str, ...]
    created_at: datetime
    status: OrderStatus


class UserRow(TypedDict):
    """A user row as returned by the repository."""

    id: int
    name: str
    email: str
    created_at: int


class NotificationRow(TypedDict):
    """A notification row as yielded by the repository."""

    id: int
    user_id: int
    kind: str
    body: str
    sent: bool
    created_at: int
