"""Order placement, totals and listing."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from shop import api
from shop.models import LineItem, OrderStatus
from shop.repository import OrderRepo


def test_create_order_with_several_items(app: api.Services, alice: int) -> None:
    response = api.handle(
        app,
        "POST /orders",
        {
            "user_id": alice,
            "items": [
                {"sku": "tea box", "qty": 2, "price": "4.50"},
                {"sku": "MUG-1", "price": "12.00"},
                {"sku": " spoon ", "qty": 3, "price": "1.25"},
            ],
        },
    )

    assert 201 == response["status"]
    order = response["order"]
    assert ["TEA-BOX", "MUG-1", "SPOON"] == order["items"]
    assert ("24.75", "pending") == (order["total"], order["status"])
    assert Decimal("24.75") == app.orders.order_total(order["id"])
    created_at = datetime.fromisoformat(order["created_at"])
    assert UTC == created_at.tzinfo
    assert created_at <= datetime.now(UTC)  # recorded values stay in the past under replay


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([("pen", 1, "0.99")], Decimal("0.99"), id="small"),
        pytest.param([("pen", 10, "0.99"), ("pad", 2, "3.333")], Decimal("16.57"), id="rounded"),
        pytest.param(
            [("laptop", 1, "1899.00"), ("dock", 2, "249.50")], Decimal("2398.00"), id="large"
        ),
    ],
)
def test_order_total(
    app: api.Services, alice: int, lines: list[tuple[str, int, str]], expected: Decimal
) -> None:
    items = [LineItem(sku, qty, Decimal(price)) for sku, qty, price in lines]
    order = app.orders.create_order(alice, items)
    assert expected == order.total
    assert expected == app.orders.order_total(order.id)
    assert OrderStatus.PENDING == order.status


def test_list_orders_for_user(app: api.Services, alice: int) -> None:
    for sku in ("a", "b"):
        api.handle(app, "POST /orders", {"user_id": alice, "items": [{"sku": sku, "price": "5"}]})

    response = api.handle(app, "GET /orders", {"user_id": alice})

    assert 200 == response["status"]
    assert [(["A"], "5.00"), (["B"], "5.00")] == [
        (o["items"], o["total"]) for o in response["orders"]
    ]
    orders = app.orders.orders_for_user(alice)
    assert [o["id"] for o in response["orders"]] == [o.id for o in orders]
    assert all(UTC == o.created_at.tzinfo for o in orders)


def test_order_errors(app: api.Services, alice: int) -> None:
    missing = api.handle(app, "POST /orders", {"user_id": 42, "items": [{"sku": "x", "price": 1}]})
    empty = api.handle(app, "POST /orders", {"user_id": alice, "items": []})
    bad_price = api.handle(
        app, "POST /orders", {"user_id": alice, "items": [{"sku": "x", "price": "?"}]}
    )

    assert {"status": 404, "error": "user 42 not found"} == missing
    assert {"status": 400, "error": "an order needs at least one line item"} == empty
    assert 400 == bad_price["status"]


def test_order_repo_from_path_and_normalize_sku(tmp_path: Path) -> None:
    assert "GIFT-CARD-50" == OrderRepo.normalize_sku("  gift card  50 ")
    repo = OrderRepo.from_path(tmp_path / "standalone.db")
    try:
        assert [] == repo.list_orders(1)
    finally:
        repo.close()
