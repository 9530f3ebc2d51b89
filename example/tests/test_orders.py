"""Orders through the API: items in, total computed, status pending; reading and listing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shop.api import order_service
from shop.models import LineItem, OrderStatus, OrderSummary


def place(client: FlaskClient, user_id: int, *items: dict[str, object]) -> dict[str, object]:
    response = client.post("/api/orders", json={"user_id": user_id, "items": list(items)})
    assert 201 == response.status_code, response.get_json()
    order: dict[str, object] = response.get_json()
    return order


def test_create_order_computes_the_total_and_is_pending(client: FlaskClient, alice: int) -> None:
    order = place(
        client,
        alice,
        {"sku": "TEA-BOX", "qty": 2, "price": "4.50"},
        {"sku": "MUG", "price": "12.00"},
        {"sku": "SPOON", "qty": 3, "price": "1.25"},
    )

    assert ("24.75", "pending", alice) == (order["total"], order["status"], order["user_id"])
    assert (6, 3, False) == (order["item_count"], order["lines"], order["free_shipping"])
    assert order == client.get(f"/api/orders/{order['id']}").get_json()


@pytest.mark.parametrize(
    ("items", "total", "free_shipping"),
    [
        pytest.param([("pen", 1, "0.99")], "0.99", False, id="small"),
        pytest.param([("pen", 10, "0.99"), ("pad", 2, "3.333")], "16.57", False, id="rounded"),
        pytest.param(
            [("laptop", 1, "1899.00"), ("dock", 2, "249.50")], "2398.00", True, id="large"
        ),
    ],
)
def test_order_total(
    client: FlaskClient,
    alice: int,
    items: list[tuple[str, int, str]],
    total: str,
    free_shipping: bool,
) -> None:
    order = place(client, alice, *({"sku": s, "qty": q, "price": p} for s, q, p in items))
    assert (total, free_shipping) == (order["total"], order["free_shipping"])


def test_list_orders_of_a_user(client: FlaskClient, alice: int) -> None:
    first = place(client, alice, {"sku": "A", "price": "5"})
    second = place(client, alice, {"sku": "B", "qty": 2, "price": "5"})

    response = client.get(f"/api/orders?user_id={alice}")

    assert {"orders": [first, second]} == response.get_json()


def test_order_errors(client: FlaskClient, alice: int) -> None:
    missing = client.post("/api/orders", json={"user_id": 42, "items": [{"sku": "x", "price": 1}]})
    empty = client.post("/api/orders", json={"user_id": alice, "items": []})
    bad_price = client.post(
        "/api/orders", json={"user_id": alice, "items": [{"sku": "x", "price": "?"}]}
    )
    no_user = client.get("/api/orders")

    assert (404, {"error": "user 42 not found"}) == (missing.status_code, missing.get_json())
    assert {"error": "an order needs at least one item"} == empty.get_json()
    assert (400, 400, 400) == (empty.status_code, bad_price.status_code, no_user.status_code)
    assert 404 == client.get("/api/orders/77").status_code


def test_the_service_returns_orders_with_counts(app: Flask, alice: int) -> None:
    with app.app_context():
        order = order_service().place(alice, [LineItem("PEN", 4, Decimal("12.50"))])
    assert (OrderStatus.PENDING, Decimal("50.00"), 4) == (
        order.status,
        order.total,
        order.item_count,
    )
    assert OrderSummary(lines=1, units=4, free_shipping=1) == order.summary
