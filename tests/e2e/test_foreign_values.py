"""End to end: framework objects are recorded by type, data is walked, and everything
recorded checks clean right after (a Flask app factory, SQLAlchemy rows on a real
in-memory SQLite engine, expression objects whose fields hold sets)."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, payload, seamrec_summary
from seamrec.cassette.store import load
from seamrec.model.codec import OpaqueView

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

FACTORY = '''\
"""The app factory, in the Flask tutorial's shape."""

from flask import Flask


def create_app(test_config: dict[str, object] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev", DATABASE="/tmp/shop.sqlite")
    if test_config is not None:
        app.config.update(test_config)

    @app.get("/hello")
    def hello() -> str:
        return "Hello"

    return app
'''

FACTORY_TESTS = """\
from shop import create_app


def test_hello():
    app = create_app({"TESTING": True})
    assert app.test_client().get("/hello").data == b"Hello"


def test_config():
    assert create_app({"TESTING": True}).testing
"""


@pytest.fixture
def flask_shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": FACTORY,
        "tests/test_factory.py": FACTORY_TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def contract_lines(app: LayeredApp, module: str) -> list[str]:
    text = (app.cassettes / "contracts" / f"{module}.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.startswith("  ")]


def test_an_app_returned_by_a_factory_is_one_contract_line(flask_shop: LayeredApp) -> None:
    flask_shop.record().assert_outcomes(passed=2)

    lines = contract_lines(flask_shop, "shop")

    assert [
        "args.test_config: dict",
        "args.test_config['TESTING']: bool",
        "return: flask.app.Flask (opaque)",
    ] == lines
    cassette = load(flask_shop.cassettes / "tests" / "test_factory" / "test_hello.msgpack")
    assert OpaqueView("flask.app.Flask") == payload(cassette.calls[0].result)


def test_a_new_config_key_and_a_new_flask_attribute_raise_nothing(
    flask_shop: LayeredApp,
) -> None:
    flask_shop.record().assert_outcomes(passed=2)
    flask_shop.edit(
        "shop/__init__.py",
        'DATABASE="/tmp/shop.sqlite")',
        'DATABASE="/tmp/other.sqlite", MAX_FORM_MEMORY_SIZE=500_000)\n'
        "    app.new_framework_attribute = {'added': 'in a release'}",
    )

    result = flask_shop.check()

    result.assert_outcomes(passed=2)
    assert 0 == result.ret


ROWS = '''\
"""Orders read through SQLAlchemy 2 on an in-memory SQLite database."""

import sqlalchemy as sa

_engine = sa.create_engine("sqlite://")
with _engine.begin() as connection:
    connection.execute(sa.text("CREATE TABLE orders (id INTEGER, total NUMERIC)"))
    connection.execute(sa.text("INSERT INTO orders VALUES (1, 250), (2, 990)"))


def order_rows() -> list[sa.Row[tuple[int, int]]]:
    with _engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT id, total FROM orders")).fetchall())


def engine() -> sa.Engine:
    return _engine
'''

ROWS_TESTS = """\
from shop import orders


def test_totals():
    assert [250, 990] == [int(row.total) for row in orders.order_rows()]


def test_engine():
    assert orders.engine().dialect.name == "sqlite"
"""


@pytest.fixture
def sqlalchemy_shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "",
        "shop/orders.py": ROWS,
        "tests/test_orders.py": ROWS_TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_sqlalchemy_rows_are_walked_and_the_engine_is_one_line(
    sqlalchemy_shop: LayeredApp,
) -> None:
    sqlalchemy_shop.record().assert_outcomes(passed=2)

    lines = contract_lines(sqlalchemy_shop, "shop.orders")

    assert "return: sqlalchemy.engine.base.Engine (opaque)" in lines
    assert "return[*]: sqlalchemy.engine.row.Row" in lines
    assert "return[*]['total']: int" in lines
    sqlalchemy_shop.check().assert_outcomes(passed=2)


def test_a_row_column_whose_type_changed_is_drift(sqlalchemy_shop: LayeredApp) -> None:
    sqlalchemy_shop.record().assert_outcomes(passed=2)
    sqlalchemy_shop.edit(
        "shop/orders.py", "SELECT id, total FROM", "SELECT id, total * 1.5 AS total FROM"
    )

    result = sqlalchemy_shop.check()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*shop.orders:order_rows*", "*total*int*float*"])


EXPRESSIONS = '''\
"""A query builder whose expression objects hold sets, as SQLAlchemy's do."""


class Column:
    def __init__(self, name: str, table: str) -> None:
        self.name = name
        self.table = table
        self.tags = {"indexed", table}


class Select:
    def __init__(self, columns: set[Column]) -> None:
        self.columns = columns
        self.froms = frozenset(column.table for column in columns)
        self.by_table = {column.table: {column} for column in columns}


def compile_select(statement: Select, seen: set[Column]) -> dict[Column, str]:
    return {column: f"{column.table}.{column.name}" for column in statement.columns | seen}
'''

EXPRESSION_TESTS = """\
from shop.sql import Column, Select, compile_select


def test_compile():
    id_, name = Column("id", "users"), Column("name", "users")
    compiled = compile_select(Select({id_, name}), {id_})
    assert sorted(compiled.values()) == ["users.id", "users.name"]
"""


def test_a_seam_receiving_expression_objects_with_set_fields_checks_clean(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "",
        "shop/sql.py": EXPRESSIONS,
        "tests/test_sql.py": EXPRESSION_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)
    app.record().assert_outcomes(passed=1)

    result = app.check()

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*invalid structure*")
    assert 0 == result.ret


BIG = '''\
"""A report too large to record in full."""


def big_report() -> dict[str, object]:
    return {"rows": [[i, str(i)] for i in range(150_000)]}


def small_report() -> dict[str, object]:
    return {"rows": [[1, "1"]]}
'''

BIG_TESTS = """\
from shop.report import big_report, small_report


def test_reports():
    assert len(big_report()["rows"]) == 150_000
    assert small_report()["rows"] == [[1, "1"]]
"""


def test_a_payload_over_the_budget_is_cut_and_named_once_in_the_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "",
        "shop/report.py": BIG,
        "tests/test_report.py": BIG_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)

    recorded = app.record()

    recorded.assert_outcomes(passed=1)
    warnings = [line for line in seamrec_summary(recorded) if "budget" in line]
    assert [
        "warning: 1 seam passed a payload over the per-call budget; recorded with a "
        "<cut: budget> marker: shop.report:big_report"
    ] == warnings
    assert "<cut: budget>" in (app.cassettes / "contracts" / "shop.report.txt").read_text()
    app.check().assert_outcomes(passed=1)


ENVIRON = '''\
"""Settings read from the environment."""

import os
from collections.abc import Mapping


def database_url(environ: Mapping[str, str]) -> str:
    return environ.get("DATABASE_URL", "sqlite://")
'''

ENVIRON_TESTS = """\
import os

from shop.settings import database_url


def test_default_url():
    assert database_url(os.environ) == "sqlite://"
"""


def test_os_environ_passed_to_a_seam_is_a_map_so_a_new_variable_is_not_drift(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "",
        "shop/settings.py": ENVIRON,
        "tests/test_settings.py": ENVIRON_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)
    app.record().assert_outcomes(passed=1)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")

    result = app.check()

    result.assert_outcomes(passed=1)
    assert "args.environ: os._Environ (map)" in contract_lines(app, "shop.settings")


UNIT_OF_WORK = '''\
"""Handlers, a unit of work and a repository, in the architecture-patterns style."""

import dataclasses

import sqlalchemy as sa
import sqlalchemy.orm


@dataclasses.dataclass(frozen=True)
class OrderLine:
    orderid: str
    sku: str
    qty: int


class Batch:
    def __init__(self, ref: str, sku: str, qty: int) -> None:
        self.reference = ref
        self.sku = sku
        self.purchased_quantity = qty
        self._allocations: set[OrderLine] = set()
        self.allocations = self._allocations


class Product:
    def __init__(self, sku: str, batches: list[Batch]) -> None:
        self.sku = sku
        self.batches = batches
        self.version_number = 0


class Repository:
    def __init__(self, session: sa.orm.Session) -> None:
        self.session = session
        self.seen: set[Product] = set()

    def get(self, sku: str) -> Product:
        product = Product(sku, [Batch("b1", sku, 100)])
        self.seen.add(product)
        return product


class UnitOfWork:
    def __init__(self) -> None:
        self.engine = sa.create_engine("sqlite://")
        self.session = sa.orm.Session(self.engine)
        self.products = Repository(self.session)
        self.committed = False

    def commit(self) -> None:
        self.committed = True


def allocate(line: OrderLine, uow: UnitOfWork) -> str:
    product = uow.products.get(line.sku)
    batch = product.batches[0]
    batch.allocations.add(line)
    uow.commit()
    return batch.reference


def seen_products(uow: UnitOfWork) -> set[Product]:
    return uow.products.seen
'''

UNIT_OF_WORK_TESTS = """\
from shop.handlers import OrderLine, UnitOfWork, allocate, seen_products


def test_allocate():
    uow = UnitOfWork()
    assert allocate(OrderLine("o1", "LAMP", 10), uow) == "b1"
    assert uow.committed
    assert len(seen_products(uow)) == 1
"""


def test_a_handler_receiving_a_unit_of_work_records_it_shallowly_and_checks_clean(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "",
        "shop/handlers.py": UNIT_OF_WORK,
        "tests/test_handlers.py": UNIT_OF_WORK_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)
    app.record().assert_outcomes(passed=1)

    result = app.check()

    result.assert_outcomes(passed=1)
    lines = contract_lines(app, "shop.handlers")
    assert "args.uow.products: shop.handlers.Repository (opaque)" in lines
    assert "args.uow.session: sqlalchemy.orm.session.Session (opaque)" in lines
    assert "return[*].batches: list (opaque)" in lines  # it holds services: its type only
    assert "args.uow.engine: sqlalchemy.engine.base.Engine (opaque)" in lines
    assert not [line for line in lines if "dialect" in line or "uow.engine." in line]
    assert len(lines) < 30
