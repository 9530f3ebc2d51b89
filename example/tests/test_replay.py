"""Replay and the anti-mock: real recorded payloads instead of hand-written fakes.

The tests here replay every repository seam (`@pytest.mark.seams(replay=...)`), so in any
run that is not recording they get their rows from the cassette and never query SQLite:
the `offline_client` fixture creates the tables (and Ada) only while recording, and any
real query would raise `sqlite3.OperationalError: no such table`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

import seamrec
from shop import create_app
from shop.db import get_db, init_db

pytestmark = pytest.mark.seams(replay=["shop.repository:*Repo.*"])

# Hand-written fakes of the welcome e-mail; the stale one still uses an old key.
FAITHFUL_EMAIL = {"to": "ada@example.com", "subject": "Welcome", "body": "Hello Ada"}
STALE_EMAIL = {"to": "ada@example.com", "subject": "Welcome", "text": "Hello Ada"}


@pytest.fixture
def offline_client(request: pytest.FixtureRequest, tmp_path: Path) -> FlaskClient:
    """The app on a database with tables and Ada while recording, without any otherwise."""
    app = create_app(
        {"TESTING": True, "DATABASE": str(tmp_path / "empty.sqlite"), "MAIL_BACKEND": "memory"}
    )
    if request.config.getoption("--record-seams"):
        with app.app_context():
            init_db()
            get_db().execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')")
            get_db().commit()
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


def test_a_fake_that_drifted_from_the_real_e_mail_is_caught(
    seams: seamrec.matching.SeamsFixture,
) -> None:
    with pytest.raises(seamrec.SeamMismatch, match=r"key renamed\?.*'body'.*'text'"):
        seams.assert_matches(STALE_EMAIL, "shop.mail:welcome_email")


def test_a_faithful_fake_matches_the_real_e_mail() -> None:
    seamrec.assert_matches(FAITHFUL_EMAIL, "shop.mail:welcome_email")
    seamrec.assert_matches(7, "shop.repository:UserRepo.get", part="args.user_id")
