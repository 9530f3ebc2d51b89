"""Fixtures wiring a real SQLite file through repositories, services and the API."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from shop import api
from shop.db import open_db
from shop.repository import NotificationRepo, OrderRepo, UserRepo
from shop.services import NotificationService, OrderService, UserService


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A fresh shop database, closed at teardown."""
    conn = open_db(tmp_path / "shop.db")
    yield conn
    conn.close()


@pytest.fixture
def app(db: sqlite3.Connection) -> api.Services:
    """The wired application: repos -> services -> api.Services."""
    users = UserRepo(db)
    return api.Services(
        users=UserService(users),
        orders=OrderService(OrderRepo(db), users),
        notifications=NotificationService(NotificationRepo(db), users),
    )


@pytest.fixture
def alice(app: api.Services) -> int:
    """Register Alice through the API and return her id."""
    response = api.handle(app, "POST /users", {"name": "Alice", "email": "alice@example.com"})
    assert 201 == response["status"]
    user_id: int = response["user"]["id"]
    return user_id
