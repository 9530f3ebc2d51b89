"""Replayed database rows hold what the driver's converters made, so replay then check is clean.

A repository on a `PARSE_DECLTYPES` SQLite connection returns `sqlite3.Row`s whose
`created` column is a datetime (and whose `total` a converter of the app's own turns into
a Decimal); the service above uses those values as such. The repository is recorded, then
replayed under `--check-seams`: the service gets real rows with the same value types and
its own payloads match the recording. Every run is a real `pytest` subprocess.
"""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

REPO = '''\
"""Orders on SQLite; `created` parsed by PARSE_DECLTYPES, `total` by the app's converter."""

import sqlite3
from decimal import Decimal

sqlite3.register_converter("MONEY", lambda raw: Decimal(raw.decode()))


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES)
    db.row_factory = sqlite3.Row
    db.executescript("""
        CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, created TIMESTAMP,
                                           total MONEY);
        INSERT OR IGNORE INTO orders VALUES (1, '2026-12-07 04:42:40', '7.50');
    """)
    return db


class OrderRepo:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, order_id: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
'''

SERVICE = '''\
"""Uses the row's values as the types the converters made."""

from datetime import UTC


def describe(repo, order_id: int) -> dict[str, object]:
    row = repo.get(order_id)
    return {
        "created": row["created"].replace(tzinfo=UTC),
        "year": row["created"].year,
        "total": row["total"].quantize(1),
    }
'''

TESTS = """\
from datetime import UTC, datetime
from decimal import Decimal

from shop import repo, service


def test_describe(tmp_path):
    described = service.describe(repo.OrderRepo(repo.connect(str(tmp_path / "db"))), 1)
    assert {
        "created": datetime(2026, 12, 7, 4, 42, 40, tzinfo=UTC),
        "year": 2026,
        "total": Decimal("8"),
    } == described
"""


@pytest.fixture
def shop_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """The app with its test, recorded."""
    app = fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/repo.py": REPO,
            "shop/service.py": SERVICE,
            "tests/test_shop.py": TESTS,
        },
    )
    recorded = app.record()
    assert 0 == recorded.ret, recorded.stdout.str()
    return app


def test_replayed_rows_keep_their_datetimes_and_converted_values(shop_app: LayeredApp) -> None:
    result = shop_app.check("--replay-seams=shop.repo:OrderRepo.*")

    assert 0 == result.ret, result.stdout.str()
    summary = seamrec_summary(result)
    assert any("1 calls replayed" in line for line in summary), summary
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" in summary
