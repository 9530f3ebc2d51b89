"""User registration and lookup through the API and the service."""

from datetime import UTC, datetime

from shop import UserService, api


def test_register_and_fetch_user(app: api.Services) -> None:
    created = api.handle(app, "POST /users", {"name": " Bob ", "email": "Bob@Example.com"})
    assert 201 == created["status"]
    user_id = created["user"]["id"]

    fetched = api.handle(app, "GET /users", {"user_id": user_id})

    assert 200 == fetched["status"]
    assert {"id": user_id, "name": "Bob", "email": "bob@example.com"} == {
        k: fetched["user"][k] for k in ("id", "name", "email")
    }
    assert created["user"]["created_at"] == fetched["user"]["created_at"]


def test_missing_user_is_404(app: api.Services) -> None:
    response = api.handle(app, "GET /users", {"user_id": 999})
    assert {"status": 404, "error": "user 999 not found"} == response


def test_duplicate_email_is_rejected(app: api.Services, alice: int) -> None:
    response = api.handle(app, "POST /users", {"name": "Eve", "email": "ALICE@example.com"})
    assert {"status": 400, "error": "email 'alice@example.com' already registered"} == response


def test_service_returns_aware_created_at(app: api.Services, alice: int) -> None:
    assert isinstance(app.users, UserService)
    user = app.users.get_user(alice)
    assert ("Alice", UTC) == (user.name, user.created_at.tzinfo)
    assert user.created_at <= datetime.now(UTC)  # also true of replayed, recorded values
