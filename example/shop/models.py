"""Domain models: frozen dataclasses, an enum and named tuples, with computed properties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

FREE_SHIPPING_FROM = Decimal("50.00")


class OrderStatus(Enum):
    """Lifecycle of an order."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"


class LineItem(NamedTuple):
    """One line of an order: what, how many, at which unit price."""

    sku: str
    qty: int
    unit_price: Decimal

    def subtotal(self) -> Decimal:
        """Price of this line (quantity times unit price)."""
        return self.unit_price * self.qty


class OrderSummary(NamedTuple):
    """Counts for the order page and the warehouse export (flags are 0/1, as stored)."""

    lines: int
    units: int
    free_shipping: int


@dataclass(frozen=True)
class User:
    """A registered customer; ``created`` is timezone-aware UTC."""

    id: int
    name: str
    email: str
    created: datetime


@dataclass(frozen=True)
class Order:
    """A placed order; ``created`` is timezone-aware UTC."""

    id: int
    user_id: int
    status: OrderStatus
    total: Decimal
    created: datetime
    items: tuple[LineItem, ...]

    @property
    def item_count(self) -> int:
        """Units ordered over all lines."""
        return sum(item.qty for item in self.items)

    @property
    def summary(self) -> OrderSummary:
        """Line and unit counts, and whether shipping is free (1) or not (0)."""
        return OrderSummary(
            lines=len(self.items),
            units=self.item_count,
            free_shipping=int(self.total >= FREE_SHIPPING_FROM),
        )
