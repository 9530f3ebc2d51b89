"""The example Flask app: drifts its own tests cannot see are caught, harmless changes are not.

One recording of a copy of `example/` is shared by the module; each case copies it into
its own project, changes the app the way a developer would (the app's own tests still
pass: a plain run proves it), and runs `pytest --check-seams`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import INNER_ADDOPTS, LayeredApp, isolate_inner_run

ROOT = Path(__file__).resolve().parents[2]

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.seamrec]
boundaries = ["shop"]
"""

# Variables of this run that must not reach the inner ones: xdist's (the inner runs are
# plain), and PostgreSQL's (its tests are skipped there; test_example_cassettes runs them).
OUTER_ONLY = (
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_ADDOPTS",
    "SEAMREC_PG_DSN",
    "CI",
)

REPOSITORY = "shop/repository.py"
SERVICES = "shop/services.py"
REPORTS = "shop/api/reports.py"
SQLA_REPOSITORY = "shop/sqla/repository.py"
SQLA_CREATED = "UserRecord.email, UserRecord.created)"
USER_QUERY = '"SELECT id, name, email, created FROM users WHERE id = ?"'
USER_CREATED = '_utc(row["created"]))\n\n    def register'


@dataclass(frozen=True)
class Change:
    """Edits to the app (path, old text, new text) and what `--check-seams` must say."""

    edits: tuple[tuple[str, str, str], ...]
    caught: tuple[str, ...]  # fragments of the drift report; empty: no drift at all
    args: tuple[str, ...] = ()


CHANGES = [
    pytest.param(Change((), ()), id="unchanged"),
    pytest.param(
        Change((), (), ("tests/test_orders.py::test_order_errors",)),
        id="one-test-alone",
    ),
    pytest.param(
        Change(
            (
                (
                    REPOSITORY,
                    USER_QUERY,
                    USER_QUERY.replace("created FROM", "created AS created_at FROM"),
                ),
                (SERVICES, USER_CREATED, USER_CREATED.replace('"created"', '"created_at"')),
                (SQLA_REPOSITORY, SQLA_CREATED, SQLA_CREATED[:-1] + '.label("created_at"))'),
            ),
            ("shop.repository:UserRepo.get", "'created'", "'created_at'"),
        ),
        id="column-renamed-by-alias-through-the-repository",
    ),
    pytest.param(
        Change(
            (
                (
                    REPOSITORY,
                    USER_QUERY,
                    USER_QUERY.replace(
                        "created FROM", "strftime('%Y-%m-%d %H:%M:%S', created) AS created FROM"
                    ),
                ),
                (
                    SERVICES,
                    USER_CREATED,
                    USER_CREATED.replace(
                        '_utc(row["created"])', '_utc(datetime.fromisoformat(row["created"]))'
                    ),
                ),
                (
                    SQLA_REPOSITORY,
                    SQLA_CREATED,
                    SQLA_CREATED[:-1].replace(
                        "UserRecord.created", 'cast(UserRecord.created, String).label("created"))'
                    ),
                ),
                (
                    SQLA_REPOSITORY,
                    "import RowMapping, select",
                    "import RowMapping, String, cast, select",
                ),
            ),
            ("shop.repository:UserRepo.get", "['created']", "datetime → str"),
        ),
        id="datetime-turned-into-text-by-the-query",
    ),
    pytest.param(
        Change(
            (
                (
                    REPOSITORY,
                    f"{USER_QUERY}, (user_id,)\n        ).fetchone()\n        return row",
                    f"{USER_QUERY}, (user_id,)\n        ).fetchone()\n"
                    "        return None if row is None else dict(row)",
                ),
            ),
            ("shop.repository:UserRepo.get", "sqlite3.Row", "dict"),
        ),
        id="row-turned-into-a-dict-before-the-service",
    ),
    pytest.param(
        Change(
            (
                (
                    "shop/models.py",
                    "free_shipping=int(self.total >= FREE_SHIPPING_FROM)",
                    "free_shipping=self.total >= FREE_SHIPPING_FROM",
                ),
            ),
            ("shop.models:Order.summary", "free_shipping", "int → bool"),
        ),
        id="property-field-int-to-bool",
    ),
    pytest.param(
        Change(
            (
                (
                    "shop/__init__.py",
                    'MAIL_SENDER="shop@example.com",',
                    'MAIL_SENDER="shop@example.com",\n        ORDERS_PER_PAGE=50,',
                ),
            ),
            (),
        ),
        id="new-config-setting-raises-nothing",
    ),
    pytest.param(
        Change(
            (
                (REPORTS, '"SELECT o.id, u.name,', '"SELECT o.id, u.name AS customer,'),
                (REPORTS, 'row["name"]', 'row["customer"]'),
            ),
            ("statement changed", "column renamed?  return.rows[*]['name'] → ['customer']"),
        ),
        id="column-renamed-by-alias-inside-a-view",
    ),
    pytest.param(
        Change(
            (
                (
                    REPORTS,
                    ' o.created"',
                    " strftime('%Y-%m-%dT%H:%M:%S', o.created) AS created\"",
                ),
                (
                    REPORTS,
                    'row["created"].replace(tzinfo=UTC).isoformat()',
                    'row["created"] + "+00:00"',
                ),
            ),
            ("statement changed", "type changed  return.rows[*]['created']  datetime → str"),
        ),
        id="datetime-turned-into-text-inside-a-view",
    ),
]


def inner_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTER_ONLY}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_ADDOPTS"] = INNER_ADDOPTS
    return env


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example app and its tests, recorded once for the whole module."""
    root = tmp_path_factory.mktemp("example")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "example" / "shop", root / "shop", ignore=ignore)
    shutil.copytree(ROOT / "example" / "tests", root / "tests", ignore=ignore)
    (root / "pyproject.toml").write_text(PYPROJECT)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--record-seams"],
        cwd=root,
        env=inner_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert 0 == done.returncode, done.stdout + done.stderr
    return root


@pytest.mark.parametrize("change", CHANGES)
def test_the_example_app_after_a_change(
    recorded: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, change: Change
) -> None:
    isolate_inner_run(monkeypatch)
    for name in OUTER_ONLY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
    shutil.copytree(recorded, pytester.path, dirs_exist_ok=True)
    project = LayeredApp(pytester)
    for path, old, new in change.edits:
        project.edit(path, old, new)

    if change.edits:
        plain = project.run()
        assert 0 == plain.ret, plain.stdout.str()  # the app's own tests see nothing wrong
    check = project.check(*change.args)

    report = check.stdout.str()
    if not change.caught:
        assert 0 == check.ret, report
        assert "0 tests drifted, 0 unrecorded" in report
        return
    assert 1 == check.ret, report
    assert "seam drift in tests/" in report
    for fragment in change.caught:
        assert fragment in report
