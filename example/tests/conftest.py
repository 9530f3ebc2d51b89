"""Fixtures: the Flask app on a fresh SQLite file, its test client, and the SQLAlchemy stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from shop import create_app
from shop.db import init_db
from shop.mail import Email, MemoryMailer
from shop.sqla.tables import Base, make_engine


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """The app on a new database in ``tmp_path``, sending e-mail to an in-memory outbox."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "shop.sqlite"),
            "MAIL_BACKEND": "memory",
        }
    )
    with app.app_context():
        init_db()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def outbox(app: Flask) -> list[Email]:
    """The e-mails the app sent."""
    mailer: MemoryMailer = app.extensions["shop.mailer"]
    return mailer.outbox


@pytest.fixture
def alice(client: FlaskClient) -> int:
    """Register Alice through the API and return her id."""
    response = client.post("/api/users", json={"name": "Alice", "email": "alice@example.com"})
    assert 201 == response.status_code
    user_id: int = response.get_json()["id"]
    return user_id


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The PostgreSQL server `.ci/run` starts (``SEAMREC_PG_DSN``); skip without it, outside CI."""
    dsn = os.environ.get("SEAMREC_PG_DSN", "")
    if dsn:
        return dsn
    if os.environ.get("CI"):
        pytest.fail("CI is set but SEAMREC_PG_DSN is not: .ci/run must start PostgreSQL")
    pytest.skip("needs a PostgreSQL server: set SEAMREC_PG_DSN (CI does)")


@pytest.fixture(params=["sqlite", "postgresql"])
def sqla_session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """A session on fresh shop tables: a SQLite file, or a throwaway PostgreSQL schema."""
    schema = None
    if request.param == "sqlite":
        engine: Engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    else:
        engine = make_engine(request.getfixturevalue("postgres_dsn"))
        schema = f"shop_test_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    bound = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    Base.metadata.create_all(bound)
    try:
        with Session(bound) as session:
            yield session
    finally:
        if schema:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
