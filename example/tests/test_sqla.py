"""The same services on the SQLAlchemy repositories, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from shop.errors import NotFound, ValidationError
from shop.mail import MemoryMailer
from shop.models import LineItem, OrderStatus
from shop.services import OrderService, UserService
from shop.sqla.repository import SqlaOrderRepo, SqlaUserRepo


def test_register_and_get_a_user(sqla_session: Session) -> None:
    mailer = MemoryMailer()
    users = UserService(SqlaUserRepo(sqla_session), mailer)

    user = users.register("Grace", "Grace@Example.com")
    sqla_session.commit()

    assert user == users.get(user.id)
    assert ("grace@example.com", UTC) == (user.email, user.created.tzinfo)
    assert ["grace@example.com"] == [m["to"] for m in mailer.outbox]
    with pytest.raises(ValidationError, match="already registered"):
        users.register("Grace", "grace@example.com")


def test_place_and_list_orders(sqla_session: Session) -> None:
    user_repo = SqlaUserRepo(sqla_session)
    orders = OrderService(SqlaOrderRepo(sqla_session), user_repo)
    user_id = user_repo.add("Ada", "ada@example.com")

    placed = orders.place(
        user_id, [LineItem("PEN", 3, Decimal("1.50")), LineItem("PAD", 1, Decimal("2"))]
    )
    sqla_session.commit()

    assert (Decimal("6.50"), OrderStatus.PENDING, 4) == (
        placed.total,
        placed.status,
        placed.item_count,
    )
    assert placed == orders.get(placed.id)
    assert [placed] == orders.for_user(user_id)


def test_unknown_ids_raise_not_found(sqla_session: Session) -> None:
    orders = OrderService(SqlaOrderRepo(sqla_session), SqlaUserRepo(sqla_session))
    with pytest.raises(NotFound, match="order 5 not found"):
        orders.get(5)
    with pytest.raises(NotFound, match="user 9 not found"):
        orders.for_user(9)
