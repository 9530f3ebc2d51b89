"""The database seam under Django: the ORM's queries, sent through Django's sqlite3
backend (`Database.connect`, cursors made with `factory=SQLiteCursorWrapper`, the
connection opened in a session fixture), are recorded for the boundary code that caused
them, and a column's type change is drift.

Django is configured in the inner project's conftest (`settings.configure`), the way a
project without pytest-django would; the table is created in a session fixture, outside
every test, as pytest-django's `django_db_setup` does. The same project runs on a real
PostgreSQL server (Django's postgresql backend on psycopg 3) with `postgres_dsn`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from helpers import LayeredApp, crossings, fresh_project, seamrec_summary, sql_contract_text

# Django is configured once per process (`settings.configure`): real subprocesses.
pytestmark = pytest.mark.subprocess_runs

pytest.importorskip("django")

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shopdj"]
"""

MODELS = '''\
"""One model."""

from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    price = models.IntegerField()

    class Meta:
        app_label = "shopdj"
'''

SELECTORS = '''\
"""Selectors: the ORM queries of the app."""

from django.db import connection

from shopdj.models import Book


def cheap_books(limit):
    return list(Book.objects.filter(price__lt=limit).order_by("id").values("title", "price"))


def count_raw():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) AS n FROM shopdj_book")
        return cursor.fetchone()[0]
'''

CONFTEST = """\
import os

import django
import pytest
from django.conf import settings

DATABASE = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
if os.environ.get("SHOP_PG_HOST"):  # Django's postgresql backend on psycopg 3
    DATABASE = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["SHOP_PG_HOST"],
        "PORT": os.environ["SHOP_PG_PORT"],
        "USER": os.environ["SHOP_PG_USER"],
        "NAME": os.environ["SHOP_PG_NAME"],
        "OPTIONS": {"options": "-c search_path=" + os.environ["SHOP_PG_SCHEMA"]},
    }
settings.configure(
    DATABASES={"default": DATABASE},
    INSTALLED_APPS=["shopdj"],
    USE_TZ=True,
)
django.setup()


@pytest.fixture(scope="session", autouse=True)
def books():
    from django.db import connection

    from shopdj.models import Book

    with connection.schema_editor() as editor:
        editor.create_model(Book)
    Book.objects.bulk_create(
        [Book(title="Dune", price=9), Book(title="Emma", price=5), Book(title="Ulysses", price=30)]
    )
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(Book)
"""

TESTS = """\
from shopdj import selectors
from shopdj.models import Book


def test_cheap_books():
    assert selectors.cheap_books(10) == [
        {"title": "Dune", "price": 9},
        {"title": "Emma", "price": 5},
    ]


def test_count():
    assert selectors.count_raw() == 3


def test_the_test_s_own_orm_query_is_no_seam():
    assert Book.objects.filter(price__gt=20).count() == 1
"""

VALUES = (
    'sql:SELECT "shopdj_book"."title" AS "title", "shopdj_book"."price" AS "price" '
    'FROM "shopdj_book" WHERE "shopdj_book"."price" < ? ORDER BY "shopdj_book"."id" ASC'
)


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "shopdj/__init__.py": "",
        "shopdj/models.py": MODELS,
        "shopdj/selectors.py": SELECTORS,
        "tests/conftest.py": CONFTEST,
        "tests/test_books.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_orm_queries_of_boundary_code_are_recorded_for_it(shop: LayeredApp) -> None:
    record = shop.record()

    record.assert_outcomes(passed=3)
    assert "database: 2 statements, 2 queries recorded" in seamrec_summary(record)
    cheap = crossings(shop.cassettes / "tests/test_books/test_cheap_books.msgpack")
    assert (VALUES, "shopdj.selectors", "return") in cheap
    count = crossings(shop.cassettes / "tests/test_books/test_count.msgpack")
    assert ("sql:SELECT count(*) AS n FROM shopdj_book", "shopdj.selectors", "return") in count
    contract = sql_contract_text(shop.cassettes)
    assert "  return.rows[*]['price']: int" in contract
    assert 'price" > ?' not in contract  # the test's own query
    shop.check().assert_outcomes(passed=3)


def test_a_column_whose_type_changed_is_drift(shop: LayeredApp) -> None:
    shop.record().assert_outcomes(passed=3)
    shop.edit("shopdj/models.py", "models.IntegerField()", "models.FloatField()")

    result = shop.check()

    result.assert_outcomes(passed=2, failed=1)  # 9.0 == 9: the app's own tests pass
    result.stdout.fnmatch_lines(
        [
            f"  {VALUES}  return  (call 1 of 1)",
            "    type changed  return.rows[*]['price']  int → float",
        ]
    )


@pytest.fixture
def pg_shop(
    shop: LayeredApp, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LayeredApp]:
    """The same project on a real PostgreSQL server, in a fresh schema of its own."""
    psycopg = pytest.importorskip("psycopg")
    parts = dict(part.split("=", 1) for part in postgres_dsn.split())
    schema = f"dj_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    for key, name in (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("dbname", "NAME")):
        monkeypatch.setenv(f"SHOP_PG_{name}", parts.get(key, ""))
    monkeypatch.setenv("SHOP_PG_SCHEMA", schema)
    yield shop
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_orm_queries_on_postgresql_are_recorded_for_the_boundary_code(
    pg_shop: LayeredApp,
) -> None:
    record = pg_shop.record()

    record.assert_outcomes(passed=3)
    assert "database: 2 statements, 2 queries recorded" in seamrec_summary(record)
    cheap = crossings(pg_shop.cassettes / "tests/test_books/test_cheap_books.msgpack")
    assert [(VALUES, "shopdj.selectors", "return")] == [c for c in cheap if c[0] == VALUES]
    pg_shop.check().assert_outcomes(passed=3)
