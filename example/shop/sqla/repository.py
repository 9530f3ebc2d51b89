"""The users and orders repositories on a SQLAlchemy `Session`, returning `RowMapping`s."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, select
from sqlalchemy.orm import Session

from shop.models import LineItem
from shop.sqla.tables import OrderLineRecord, OrderRecord, UserRecord

_USER = (UserRecord.id, UserRecord.name, UserRecord.email, UserRecord.created)
_ORDER = (
    OrderRecord.id,
    OrderRecord.user_id,
    OrderRecord.status,
    OrderRecord.total,
    OrderRecord.created,
)


class SqlaUserRepo:
    """The users table, the same interface as `shop.repository.UserRepo`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, email: str) -> int:
        """Insert a user and return the new id."""
        user = UserRecord(name=name, email=email)
        self._session.add(user)
        self._session.flush()
        return user.id

    def get(self, user_id: int) -> RowMapping | None:
        """The user's row (id, name, email, created), or None."""
        query = select(*_USER).where(UserRecord.id == user_id)
        return self._session.execute(query).mappings().one_or_none()

    def find_by_email(self, email: str) -> RowMapping | None:
        """The row (id, email) of the user with this e-mail address, or None."""
        query = select(UserRecord.id, UserRecord.email).where(UserRecord.email == email)
        return self._session.execute(query).mappings().one_or_none()


class SqlaOrderRepo:
    """The orders and order_lines tables, the same interface as `shop.repository.OrderRepo`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user_id: int, status: str, total: str, items: Sequence[LineItem]) -> int:
        """Insert an order with its lines and return the new id."""
        order = OrderRecord(user_id=user_id, status=status, total=total)
        self._session.add(order)
        self._session.flush()
        self._session.add_all(
            OrderLineRecord(order_id=order.id, sku=i.sku, qty=i.qty, unit_price=str(i.unit_price))
            for i in items
        )
        self._session.flush()
        return order.id

    def get(self, order_id: int) -> RowMapping | None:
        """The order's row (id, user_id, status, total, created), or None."""
        query = select(*_ORDER).where(OrderRecord.id == order_id)
        return self._session.execute(query).mappings().one_or_none()

    def lines(self, order_id: int) -> Sequence[RowMapping]:
        """The order's lines (sku, qty, unit_price), in the order they were placed."""
        query = (
            select(OrderLineRecord.sku, OrderLineRecord.qty, OrderLineRecord.unit_price)
            .where(OrderLineRecord.order_id == order_id)
            .order_by(OrderLineRecord.id)
        )
        return self._session.execute(query).mappings().all()

    def for_user(self, user_id: int) -> Sequence[RowMapping]:
        """The user's orders, oldest first."""
        query = select(*_ORDER).where(OrderRecord.user_id == user_id).order_by(OrderRecord.id)
        return self._session.execute(query).mappings().all()
