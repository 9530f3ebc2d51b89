"""The database seam on psycopg 3's async API and its class-level `connect`, on a real
PostgreSQL server: `AsyncConnection.connect`, awaited `execute`/`fetch*`, `async for`
over a cursor, SQLAlchemy's async engine on `postgresql+psycopg`, and
`psycopg.Connection.connect` (what pools call) record their queries and catch a column
whose type changed, like the sync driver does.

Each test gets its own PostgreSQL schema, so parallel runs never share a table.
"""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary, sql_contract_text, sql_sections

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

AIO = '''\
"""Stock read with psycopg 3's async API."""

import os

import psycopg
from psycopg.rows import dict_row


async def setup():
    async with await psycopg.AsyncConnection.connect(os.environ["SHOP_PG_DSN"]) as conn:
        await conn.execute("DROP TABLE IF EXISTS stock")
        await conn.execute(
            "CREATE TABLE stock (id serial PRIMARY KEY, sku text, price numeric(10, 2))"
        )
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO stock (sku, price) VALUES (%s, %s)", [("a-1", "1.50"), ("b-2", "9.99")]
            )


async def stock(sku):
    conn = await psycopg.AsyncConnection.connect(os.environ["SHOP_PG_DSN"], row_factory=dict_row)
    async with conn:
        async with conn.cursor() as cur:
            await cur.execute("SELECT id, sku, price FROM stock WHERE sku = %(sku)s", {"sku": sku})
            return await cur.fetchone()


async def skus():
    async with await psycopg.AsyncConnection.connect(os.environ["SHOP_PG_DSN"]) as conn:
        cursor = await conn.execute("SELECT sku, price FROM stock ORDER BY id")
        return [row async for row in cursor]


def pooled_count():
    with psycopg.Connection.connect(os.environ["SHOP_PG_DSN"]) as conn:
        return conn.execute("SELECT count(*) AS n FROM stock").fetchone()[0]
'''

ENGINE = '''\
"""Stock read through SQLAlchemy's async engine on psycopg."""

import os

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


def engine():
    return create_async_engine(
        "postgresql+psycopg://",
        async_creator=lambda: psycopg.AsyncConnection.connect(os.environ["SHOP_PG_DSN"]),
    )


async def prices(made):
    async with made.connect() as connection:
        result = await connection.execute(text("SELECT sku, price FROM stock ORDER BY id"))
        return [(row.sku, row.price) for row in result]
'''

TESTS = """\
import asyncio

from shop import aio, orm


def test_async_driver():
    asyncio.run(aio.setup())
    assert asyncio.run(aio.stock("a-1"))["sku"] == "a-1"
    assert [sku for sku, _ in asyncio.run(aio.skus())] == ["a-1", "b-2"]
    assert aio.pooled_count() == 2


def test_async_engine():
    asyncio.run(aio.setup())

    async def run():
        made = orm.engine()
        try:
            return await orm.prices(made)
        finally:
            await made.dispose()

    assert [sku for sku, _ in asyncio.run(run())] == ["a-1", "b-2"]
"""


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, schema_dsn: str) -> LayeredApp:
    """The shop on psycopg's async API and SQLAlchemy's async engine, nothing recorded."""
    monkeypatch.setenv("SHOP_PG_DSN", schema_dsn)
    return fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/aio.py": AIO,
            "shop/orm.py": ENGINE,
            "tests/test_shop.py": TESTS,
        },
    )


def test_async_queries_record_with_their_rows_and_check_clean(shop: LayeredApp) -> None:
    record = shop.record()
    check = shop.check()

    record.assert_outcomes(passed=2)
    check.assert_outcomes(passed=2)
    assert ["0 tests drifted, 0 unrecorded, 0 with unusable cassettes"] == [
        line for line in seamrec_summary(check) if "drifted" in line
    ]
    contract = sql_sections(shop.cassettes)
    one = contract["sql:SELECT id, sku, price FROM stock WHERE sku = :sku"]
    assert "args.params['sku']: str" in one  # awaited cursor.execute + fetchone
    assert "return.rows[*]['price']: Decimal" in one
    listed = contract["sql:SELECT sku, price FROM stock ORDER BY id"]
    assert "return.rows[*]['price']: Decimal" in listed  # `async for` and the async engine
    assert "return.rows[*]['sku']: str" in listed
    insert = contract["sql:INSERT INTO stock (sku, price) VALUES (?, ?)"]
    assert "args.seq_of_params[*][0]: str" in insert  # an awaited executemany
    assert "return.rows[*]['n']: int" in contract["sql:SELECT count(*) AS n FROM stock"]
    internal = ("pg_catalog", "current_schema", "version()", "standard_conforming")
    assert [] == [seam for seam in contract if any(word in seam for word in internal)]
    text = sql_contract_text(shop.cassettes)
    listing = text[text.index("## sql:SELECT sku, price FROM stock ORDER BY id") :]
    # crossed by both tests: the driver's `async for` and the engine's query
    assert "tests: tests/test_shop.py (2)" == listing.split("\n\n")[0].splitlines()[-1]


def test_a_column_whose_type_changed_is_caught_through_the_driver_and_the_engine(
    shop: LayeredApp,
) -> None:
    shop.record().assert_outcomes(passed=2)
    shop.edit(
        "shop/aio.py", "SELECT id, sku, price FROM", "SELECT id, sku, price::float8 AS price FROM"
    )
    shop.edit("shop/orm.py", "SELECT sku, price FROM", "SELECT sku, price::float8 AS price FROM")

    result = shop.check("-p", "no:randomly")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_async_driver*",
            "  sql:SELECT id, sku, price::float8 AS price FROM stock WHERE sku = :sku  return  *",
            "    statement changed, was: sql:SELECT id, sku, price FROM stock WHERE sku = :sku",
            "    type changed  return.rows[*]['price']  Decimal → float",
            "*test_async_engine*",
            "  sql:SELECT sku, price::float8 AS price FROM stock ORDER BY id  return  *",
            "    type changed  return.rows[*]['price']  Decimal → float",
        ]
    )
