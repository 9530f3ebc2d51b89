"""The database seam on a real PostgreSQL server (psycopg 3) and through SQLAlchemy 2, Core
and ORM, on PostgreSQL and SQLite: the queries reach the seam through the driver.

Each test gets its own PostgreSQL schema, so parallel runs never share a table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import (
    LayeredApp,
    fresh_project,
    postgres_schema,
    postgres_server_dsn,
    record_project,
    seamrec_summary,
    sql_contract_text,
    sql_sections,
)

# The apps leave psycopg connections open for the end of the process to close (a subprocess
# each; in-process they would be collected during a later test, which warns).
pytestmark = pytest.mark.subprocess_runs

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

STORE = '''\
"""Items priced in Decimal, stored through SQLAlchemy 2 (ORM and Core)."""

import os
from decimal import Decimal

import psycopg
from sqlalchemy import Numeric, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))


def engine(url):
    if url.startswith("postgresql"):
        made = create_engine(url, creator=lambda: psycopg.connect(os.environ["SHOP_PG_DSN"]))
    else:
        made = create_engine(url)
    Base.metadata.drop_all(made)
    Base.metadata.create_all(made)
    return made


def add_items(made, items):
    with Session(made) as session:
        session.add_all([Item(name=name, price=price) for name, price in items])
        session.commit()


def cheaper_than(made, limit):
    with Session(made) as session:
        query = select(Item).where(Item.price < limit).order_by(Item.id)
        return [(item.name, item.price) for item in session.scalars(query)]


def prices(made, ids):
    with made.connect() as connection:
        query = select(Item.id, Item.price).where(Item.id.in_(ids)).order_by(Item.id)
        return [(row.id, row.price) for row in connection.execute(query)]
'''

RAW = '''\
"""Items read with psycopg 3 directly."""

import os

import psycopg
from psycopg.rows import dict_row


def setup():
    with psycopg.connect(os.environ["SHOP_PG_DSN"]) as conn:
        conn.execute("DROP TABLE IF EXISTS stock")
        conn.execute("CREATE TABLE stock (id serial PRIMARY KEY, sku text, price numeric(10, 2))")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO stock (sku, price) VALUES (%s, %s)", [("a-1", "1.50"), ("b-2", "9.99")]
            )


def stock(sku):
    with psycopg.connect(os.environ["SHOP_PG_DSN"], row_factory=dict_row) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT id, sku, price FROM stock WHERE sku = %(sku)s", {"sku": sku})
            return cur.fetchone()
'''

TESTS = """\
import os
from decimal import Decimal

import pytest

from shop import raw, store


@pytest.fixture(params=["sqlite://", "postgresql+psycopg://"], ids=["sqlite", "postgresql"])
def engine(request):
    return store.engine(request.param)


def test_orm(engine):
    store.add_items(engine, [("pen", Decimal("1.50")), ("ink", Decimal("9.99"))])
    assert [name for name, _ in store.cheaper_than(engine, 5)] == ["pen"]


def test_core(engine):
    store.add_items(engine, [("pen", Decimal("1.50")), ("ink", Decimal("9.99"))])
    assert [id_ for id_, _ in store.prices(engine, [1, 2])] == [1, 2]


def test_raw():
    raw.setup()
    assert raw.stock("a-1")["sku"] == "a-1"
"""


FILES = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": "",
    "shop/store.py": STORE,
    "shop/raw.py": RAW,
    "tests/test_shop.py": TESTS,
}


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, schema_dsn: str) -> LayeredApp:
    """The shop on SQLAlchemy (SQLite and PostgreSQL) and on psycopg, nothing recorded."""
    monkeypatch.setenv("SHOP_PG_DSN", schema_dsn)
    return fresh_project(pytester, monkeypatch, FILES)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cassette dir of one record run of the shop (in a fresh process, on a schema of
    its own), shared by the tests that start by recording it."""
    project = tmp_path_factory.mktemp("shop")
    with (
        postgres_schema(postgres_server_dsn()) as dsn,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("SHOP_PG_DSN", dsn)
        result = record_project(project, FILES)
    assert 0 == result.ret, "\n".join(result.outlines + result.errlines)
    result.assert_outcomes(passed=5)
    return project / "cassettes"


@pytest.fixture
def recorded_shop(shop: LayeredApp, recording: Path) -> LayeredApp:
    """The shop as right after `shop.record()`: the shared recording's cassettes."""
    shutil.copytree(recording, shop.cassettes)
    return shop


def test_sqlalchemy_and_psycopg_queries_record_and_check_clean(recorded_shop: LayeredApp) -> None:
    shop = recorded_shop  # recorded: 5 passed (the fixture asserts it)
    check = shop.check()

    check.assert_outcomes(passed=5)
    assert ["0 tests drifted, 0 unrecorded, 0 with unusable cassettes"] == [
        line for line in seamrec_summary(check) if "drifted" in line
    ]
    contract = sql_sections(shop.cassettes)
    internal = ("pg_catalog", "current_schema", "version()", "standard_conforming", "PRAGMA")
    assert [] == [seam for seam in contract if any(word in seam for word in internal)]
    orm = [lines for seam, lines in contract.items() if "WHERE items.price < ?" in seam]
    assert 2 == len(orm)  # SQLite and PostgreSQL phrase the ORM query differently
    assert {"return.rows[*]['price']: Decimal", "return.rows[*]['price']: float"} <= {
        line for lines in orm for line in lines
    }
    core = contract[
        "sql:SELECT items.id, items.price FROM items WHERE items.id IN (...) ORDER BY items.id"
    ]
    assert "args.params[0][*]: int" in core
    assert "return.rows[*]['price']: Decimal | float" in core


def test_generated_parameter_names_never_become_keys_and_hand_written_ones_do(
    recording: Path,
) -> None:
    text = sql_contract_text(recording)
    assert [] == [name for name in ("price_1", "id_1", "__0", "%(") if name in text]
    stock = sql_sections(recording)["sql:SELECT id, sku, price FROM stock WHERE sku = :sku"]
    assert [
        "args.params: dict",
        "args.params['sku']: str",
        "return: sql.Result",
    ] == stock[:3]
    assert "return.rows[*]: dict" in stock
    assert "return.rows[*]['price']: Decimal" in stock


def test_a_decimal_column_turned_float_by_the_query_is_caught_on_postgresql(
    recorded_shop: LayeredApp,
) -> None:
    shop = recorded_shop
    shop.edit(
        "shop/raw.py", "SELECT id, sku, price FROM", "SELECT id, sku, price::float8 AS price FROM"
    )

    result = shop.check()

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  sql:SELECT id, sku, price::float8 AS price FROM stock WHERE sku = :sku  return  *",
            "    statement changed, was: sql:SELECT id, sku, price FROM stock WHERE sku = :sku",
            "    type changed  return.rows[*]['price']  Decimal → float",
        ]
    )


def test_a_decimal_turned_float_through_sqlalchemy_is_caught_in_the_driver_rows(
    recorded_shop: LayeredApp,
) -> None:
    shop = recorded_shop
    shop.edit(
        "shop/store.py",
        "select(Item.id, Item.price)",
        'select(Item.id, cast(Item.price, Float).label("price"))',
    )
    shop.edit("shop/store.py", "import Numeric,", "import Float, Numeric, cast,")

    result = shop.check("-k", "core and postgresql")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["    type changed  return.rows[*]['price']  Decimal → float"])
