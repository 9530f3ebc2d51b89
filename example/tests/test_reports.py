"""Reports: a view that queries SQLite itself and hands the rows straight to the response."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient


def test_recent_orders_name_the_customer_newest_first(client: FlaskClient, alice: int) -> None:
    for price in ("5.00", "7.50"):
        item = {"sku": "PEN", "price": price}
        assert (
            201 == client.post("/api/orders", json={"user_id": alice, "items": [item]}).status_code
        )

    report = client.get("/api/reports/recent-orders").get_json()["orders"]

    assert [("Alice", "7.50"), ("Alice", "5.00")] == [(o["customer"], o["total"]) for o in report]
    assert all(UTC == datetime.fromisoformat(o["created"]).tzinfo for o in report)
