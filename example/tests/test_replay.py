"""Replay and the anti-mock: real recorded payloads instead of hand-written fakes.

The tests here replay every repository seam (`@pytest.mark.seams(replay=...)`), so in any
run that is not recording they get their data from the cassette and never touch SQLite:
the `offline_app` fixture hands the repositories a closed connection, and any real query
would raise `sqlite3.ProgrammingError`.
"""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import seamrec
from shop import api
from shop.db import open_db
from shop.models import LineItem, Order, OrderStatus
from shop.repository import NotificationRepo, OrderRepo, UserRepo
from shop.services import NotificationService, OrderService, UserService

pytestmark = pytest.mark.seams(replay=["shop.repository:*Repo.*"])

# Hand-written fakes of what UserRepo.get_user returns; the stale one still uses an old key.
FAITHFUL_USER_ROW = {"id": 1, "name": "Ada", "email": "ada@example.com", "created_at": 1700000000}
STALE_USER_ROW = {"id": 1, "name": "Ada", "email_address": "ada@example.com", "created_at": 1}


@pytest.fixture
def offline_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[api.Services]:
    """A real database while recording; a closed one (unusable) otherwise."""
    conn = open_db(tmp_path / "shop.db")
    if not request.config.getoption("--record-seams"):
        conn.close()  # the database is deliberately unavailable: replay must answer
    users = UserRepo(conn)
    yield api.Services(
        users=UserService(users),
        orders=OrderService(OrderRepo(conn), users),
        notifications=NotificationService(NotificationRepo(conn), users),
    )
    conn.close()


def test_orders_round_trip_without_the_database(offline_app: api.Services) -> None:
    user = offline_app.users.register("Grace", "grace@example.com")
    order = offline_app.orders.create_order(user.id, [LineItem("tea", 2, Decimal("3.50"))])

    assert isinstance(order, Order)
    assert (Decimal("7.00"), OrderStatus.PENDING) == (order.total, order.status)
    assert [order] == offline_app.orders.orders_for_user(user.id)


def test_a_missing_user_raises_the_recorded_exception(offline_app: api.Services) -> None:
    response = api.handle(offline_app, "GET /users", {"user_id": 404})
    assert {"status": 404, "error": "user 404 not found"} == response


def test_a_fake_that_drifted_from_the_real_repository_is_caught(
    seams: seamrec.matching.SeamsFixture,
) -> None:
    with pytest.raises(seamrec.SeamMismatch, match=r"key renamed\?.*'email'.*'email_address'"):
        seams.assert_matches(STALE_USER_ROW, "shop.repository:UserRepo.get_user")


def test_a_faithful_fake_matches_the_real_repository() -> None:
    seamrec.assert_matches(FAITHFUL_USER_ROW, "shop.repository:UserRepo.get_user")
    seamrec.assert_matches(7, "shop.repository:UserRepo.get_user", part="args.user_id")
