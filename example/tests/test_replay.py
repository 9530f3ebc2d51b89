"""Replay and the anti-mock: real recorded payloads instead of hand-written fakes.

The tests here replay every repository seam (`@pytest.mark.seams(replay=...)`), so in any
run that is not recording they get their rows from the cassette and never query SQLite:
the `offline_client` fixture creates the tables (and Ada) only while recording, straight
through `sqlite3` rather than the app's own `init_db` (a call into the app made only while
recording would be a seam call that a check misses), and any real query would raise
`sqlite3.OperationalError: no such table`. The replayed rows are
real `sqlite3.Row`s holding what the converters made (a `created` datetime stays a
datetime). One test replays the services instead: the repository calls they made while
recording do not happen, and `--check-seams` expects none of them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import seamrec
import shop
from shop import create_app

pytestmark = pytest.mark.seams(replay=["shop.repository:*Repo.*"])

# Hand-written fakes of the welcome e-mail; the stale one still uses an old key.
FAITHFUL_EMAIL = {"to": "ada@example.com", "subject": "Welcome", "body": "Hello Ada"}
STALE_EMAIL = {"to": "ada@example.com", "subject": "Welcome", "text": "Hello Ada"}


@pytest.fixture
def offline_client(request: pytest.FixtureRequest, tmp_path: Path) -> FlaskClient:
    """The app on a database with tables and Ada while recording, without any otherwise."""
    database = tmp_path / "empty.sqlite"
    app = create_app({"TESTING": True, "DATABASE": str(database), "MAIL_BACKEND": "memory"})
    if request.config.getoption("--record-seams"):
        connection = sqlite3.connect(database)
        connection.executescript((Path(shop.__file__).parent / "schema.sql").read_text())
        connection.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')")
        connection.commit()
        connection.close()
    return app.test_client()


def test_a_duplicate_email_is_rejected_from_the_recording(offline_client: FlaskClient) -> None:
    response = offline_client.post("/api/users", json={"name": "Ada", "email": "ADA@example.com"})
    assert 400 == response.status_code
    assert {"error": "email 'ada@example.com' already registered"} == response.get_json()


def test_missing_users_are_404_from_the_recording(offline_client: FlaskClient) -> None:
    user = offline_client.get("/api/users/404")
    orders = offline_client.post(
        "/api/orders", json={"user_id": 404, "items": [{"sku": "TEA", "qty": 2, "price": "3.50"}]}
    )
    assert [404, 404] == [user.status_code, orders.status_code]
    assert {"error": "user 404 not found"} == orders.get_json()


def test_orders_come_from_the_recording_with_their_timestamps(
    offline_client: FlaskClient,
) -> None:
    order = {"user_id": 1, "items": [{"sku": "TEA", "qty": 2, "price": "3.50"}]}
    placed = offline_client.post("/api/orders", json=order)
    fetched = offline_client.get(f"/api/orders/{placed.get_json()['id']}")
    listed = offline_client.get("/api/orders", query_string={"user_id": 1})

    assert [201, 200, 200] == [placed.status_code, fetched.status_code, listed.status_code]
    assert [placed.get_json()] == [fetched.get_json()] == listed.get_json()["orders"]
    assert ("pending", "7.00", UTC) == (
        placed.get_json()["status"],
        placed.get_json()["total"],
        created(placed.get_json()).tzinfo,
    )


@pytest.mark.seams(replay=["shop.services:*Service.*"])
def test_the_api_answers_from_the_recorded_services(offline_client: FlaskClient) -> None:
    user = offline_client.get("/api/users/1")
    missing = offline_client.get("/api/orders", query_string={"user_id": 404})

    assert [200, 404] == [user.status_code, missing.status_code]
    assert ("ada@example.com", UTC) == (user.get_json()["email"], created(user.get_json()).tzinfo)


def created(body: dict[str, str]) -> datetime:
    """The `created` timestamp of a user or order in a response."""
    return datetime.fromisoformat(body["created"])


def test_a_fake_that_drifted_from_the_real_e_mail_is_caught(
    seams: seamrec.pytest_plugin.matching.SeamsFixture,
) -> None:
    with pytest.raises(seamrec.SeamMismatch, match=r"key renamed\?.*'body'.*'text'"):
        seams.assert_matches(STALE_EMAIL, "shop.mail:welcome_email")


def test_a_faithful_fake_matches_the_real_e_mail() -> None:
    seamrec.assert_matches(FAITHFUL_EMAIL, "shop.mail:welcome_email")
    seamrec.assert_matches(7, "shop.repository:UserRepo.get", part="args.user_id")
