"""End to end: a value that keeps its type but changes its format is drift (issue 15).

Three drifts a type comparison cannot see, each with the app's own tests still green:
an auth token scheme, a timestamp rendering, and a migration's `applied_at` text. And the
other side: generated data (uuid4, secrets, random) checks clean, run after run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import LayeredApp, fresh_project, record_project
from seamrec.cassette.store import dump, load
from seamrec.model.formats import FORMAT_KINDS
from seamrec.review.changes import Snapshot, compare

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

AUTH = """\
import secrets


def issue_token(user: str) -> dict[str, str]:
    return {"user": user, "token": secrets.token_hex(16)}


def validate(token: str) -> bool:
    return len(token) == 32 and all(c in "0123456789abcdef" for c in token)
"""

ORDERS = """\
from datetime import UTC, datetime


def create_order(sku: str) -> dict[str, object]:
    created = datetime.now(UTC).replace(microsecond=0)
    return {"id": 1, "sku": sku, "created_at": str(created)}
"""

MIGRATE = """\
import sqlite3
from datetime import UTC, datetime


def connect() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE migrations (name TEXT, applied_at TEXT)")
    return db


def apply(db: sqlite3.Connection, name: str) -> None:
    applied_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    db.execute("INSERT INTO migrations VALUES (?, ?)", (name, applied_at))


def applied(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return db.execute("SELECT name, applied_at FROM migrations ORDER BY name").fetchall()
"""

GENERATED = """\
import random
import secrets
import time
import uuid


def new_account() -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "key": uuid.uuid4().hex,
        "secret": secrets.token_urlsafe(16),
        "pin": str(random.randint(0, 9999)).zfill(4),
        "name": random.choice(["Ada", "Grace", "Edsger"]) + str(random.randint(1, 99)),
        "score": random.random() * 100,
        "seen": random.randint(0, 2**32),
        "created": time.time(),
    }
"""

API = """\
from datetime import datetime

from app import auth, generated, migrate, orders


def login(user: str) -> bool:
    issued = auth.issue_token(user)
    return auth.validate(issued["token"])


def order_age(sku: str) -> float:
    order = orders.create_order(sku)
    created = datetime.fromisoformat(order["created_at"])
    return (datetime.now(created.tzinfo) - created).total_seconds()


def migration_status() -> list[str]:
    db = migrate.connect()
    migrate.apply(db, "0001_init")
    migrate.apply(db, "0002_orders")
    return [f"{name} at {datetime.fromisoformat(at):%Y-%m-%d}" for name, at in migrate.applied(db)]


def accounts(count: int) -> list[dict[str, object]]:
    return [generated.new_account() for _ in range(count)]
"""

TESTS = """\
from app import api


def test_login():
    assert api.login("ada")


def test_order_age():
    assert 0 <= api.order_age("A-1") < 60


def test_migrations():
    status = api.migration_status()
    assert [s.split(" at ")[0] for s in status] == ["0001_init", "0002_orders"]


def test_accounts():
    assert len(api.accounts(20)) == 20


def test_one_account():
    assert len(api.accounts(1)) == 1
"""


FILES = {
    "pyproject.toml": PYPROJECT,
    "app/__init__.py": "",
    "app/auth.py": AUTH,
    "app/orders.py": ORDERS,
    "app/migrate.py": MIGRATE,
    "app/generated.py": GENERATED,
    "app/api.py": API,
    "tests/test_shop.py": TESTS,
}


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop and its cassettes, recorded once for the module."""
    project = tmp_path_factory.mktemp("shop")
    record_project(project, FILES).assert_outcomes(passed=5)
    return project


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recording: Path) -> LayeredApp:
    """A copy of the recorded shop, for this test to change."""
    app = fresh_project(pytester, monkeypatch, {})
    app.copy_from(recording)
    return app


def contract_text(app: LayeredApp) -> str:
    return "\n".join(p.read_text() for p in sorted((app.cassettes / "contracts").glob("*.txt")))


def test_recorded_contracts_show_the_format_classes(shop: LayeredApp) -> None:
    text = contract_text(shop)
    assert "return['token']: str<hex(32)>" in text
    assert "return['created_at']: str<iso-datetime space +hh:mm>" in text
    assert "return[*][1]: str<iso-datetime space naive>" in text
    assert "return['id']: str<uuid>" in text
    assert "return['created']: float<epoch-s>" in text
    assert "return['name']: str\n" in text  # names have no format


def test_a_token_scheme_that_changed_is_format_drift(shop: LayeredApp) -> None:
    shop.edit(
        "app/auth.py", '"token": secrets.token_hex(16)', '"token": "v2." + secrets.token_hex(16)'
    )
    shop.edit(
        "app/auth.py",
        "return len(token) == 32 and",
        'token = token.removeprefix("v2.")\n    return len(token) == 32 and',
    )
    shop.run().assert_outcomes(passed=5)  # the app's own tests are green

    result = shop.check()

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*app.auth:issue_token  return*",
            # the values are secrets: the example is redacted, the classes are not
            "    format changed  return[[]'token'[]]  hex(32) → text"
            "   <redacted str> → <redacted str>",
            "  app.auth:validate  args  (call 1 of 1)",
            "    format changed  args.token  hex(32) → text   <redacted str> → <redacted str>",
        ],
        consecutive=True,
    )


def test_a_timestamp_rendered_by_isoformat_instead_of_str_is_format_drift(
    shop: LayeredApp,
) -> None:
    shop.edit("app/orders.py", '"created_at": str(created)', '"created_at": created.isoformat()')
    shop.run().assert_outcomes(passed=5)

    result = shop.check()

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "    format changed  return[[]'created_at'[]]  iso-datetime space +hh:mm"
            " → iso-datetime T +hh:mm   '20*-*-* *:*:*+00:00' → '20*-*-*T*:*:*+00:00'",
        ]
    )


def test_a_migrations_applied_at_text_form_is_format_drift(shop: LayeredApp) -> None:
    shop.edit(
        "app/migrate.py",
        'datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")',
        'datetime.now(UTC).isoformat(timespec="seconds")',
    )
    shop.run().assert_outcomes(passed=5)

    result = shop.check()

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  app.migrate:applied  return  (call 1 of 1)",
            "    format changed  return[[]*[]][[]1[]]  iso-datetime space naive"
            " → iso-datetime T +hh:mm   '20*-*-* *:*:*' → '20*-*-*T*:*:*+00:00'",
        ],
        consecutive=True,
    )


def test_seamrec_diff_shows_a_format_change_as_breaking(shop: LayeredApp) -> None:
    base = Snapshot.of([load(p) for p in sorted(shop.cassettes.rglob("*.msgpack"))])
    before = contract_text(shop)
    shop.edit("app/orders.py", '"created_at": str(created)', '"created_at": created.isoformat()')
    shop.record().assert_outcomes(passed=5)
    head = Snapshot.of([load(p) for p in sorted(shop.cassettes.rglob("*.msgpack"))])

    assert "return['created_at']: str<iso-datetime space +hh:mm>" in before
    assert "return['created_at']: str<iso-datetime T +hh:mm>" in contract_text(shop)
    # The other seams return random tokens: a re-record can find one without a digit (no
    # longer `base64(22)`), which diff cannot tell from a real change (README, Formats).
    (seam,) = [s for s in compare(base, head) if s.breaking and s.seam == "app.orders:create_order"]
    (change,) = seam.changes
    assert ("app.orders:create_order", "format changed", True) == (
        seam.seam,
        change.kind,
        change.breaking,
    )
    assert (
        "return['created_at']  iso-datetime space +hh:mm → iso-datetime T +hh:mm"
        == change.describe().split("   [")[0]
    )


def test_generated_data_checks_clean_three_times(shop: LayeredApp) -> None:
    for _ in range(3):
        shop.check().assert_outcomes(passed=5)


def _without_formats(shape: Any) -> Any:
    if isinstance(shape, tuple):
        if len(shape) == 2 and shape[0] in FORMAT_KINDS and isinstance(shape[1], str):
            return (shape[0],)
        return tuple(_without_formats(part) for part in shape)
    return shape


def test_cassettes_recorded_before_formats_still_load_and_check(shop: LayeredApp) -> None:
    """A cassette without format classes (as every older seamrec wrote) asserts none:
    the same format change passes its check."""
    from dataclasses import replace

    for path in shop.cassettes.rglob("*.msgpack"):
        cassette = load(path)
        for seam, runs in cassette.runs.items():
            cassette.runs[seam] = [
                replace(
                    r,
                    args_shape=_without_formats(r.args_shape),
                    result_shape=_without_formats(r.result_shape),
                )
                for r in runs
            ]
        cassette.calls = [
            replace(
                c,
                args_shape=_without_formats(c.args_shape),
                result_shape=_without_formats(c.result_shape),
            )
            for c in cassette.calls
        ]
        Path(path).write_bytes(dump(cassette))
    shop.edit(
        "app/auth.py", '"token": secrets.token_hex(16)', '"token": "v2." + secrets.token_hex(16)'
    )
    shop.edit(
        "app/auth.py",
        "return len(token) == 32 and",
        'token = token.removeprefix("v2.")\n    return len(token) == 32 and',
    )

    shop.check().assert_outcomes(passed=5)
