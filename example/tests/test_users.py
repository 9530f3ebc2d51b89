"""Users through the API: sign-up, lookup, the welcome e-mail and the errors."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from shop.api import user_service
from shop.mail import Email


def test_register_and_fetch_user(client: FlaskClient, outbox: list[Email]) -> None:
    created = client.post("/api/users", json={"name": " Bob ", "email": "Bob@Example.com"})
    assert 201 == created.status_code
    user = created.get_json()

    fetched = client.get(f"/api/users/{user['id']}")

    assert 200 == fetched.status_code
    assert user == fetched.get_json()
    assert ("Bob", "bob@example.com") == (user["name"], user["email"])
    assert UTC == datetime.fromisoformat(user["created"]).tzinfo
    assert [("bob@example.com", "Welcome to the shop")] == [(m["to"], m["subject"]) for m in outbox]


def test_missing_user_is_404(client: FlaskClient) -> None:
    response = client.get("/api/users/999")
    assert (404, {"error": "user 999 not found"}) == (response.status_code, response.get_json())


def test_duplicate_email_is_rejected(client: FlaskClient, alice: int) -> None:
    response = client.post("/api/users", json={"name": "Eve", "email": "ALICE@example.com"})
    assert 400 == response.status_code
    assert {"error": "email 'alice@example.com' already registered"} == response.get_json()


def test_invalid_email_is_rejected(client: FlaskClient, outbox: list[Email]) -> None:
    response = client.post("/api/users", json={"name": "Eve", "email": "eve.example.com"})
    assert (400, []) == (response.status_code, outbox)


def test_service_returns_an_aware_created_timestamp(app: Flask, alice: int) -> None:
    with app.app_context():
        user = user_service().get(alice)
    assert ("Alice", UTC) == (user.name, user.created.tzinfo)
    assert user.created <= datetime.now(UTC)  # also true of replayed, recorded values
