"""Calls outside a test belong to no test: imports (also one a test triggers), collection,
conftest module code, and shared (session, module) fixtures in setup and teardown.

So checking any subset of the suite gives the verdict of the full suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import LayeredApp, crossings, fresh_project, seamrec_summary
from seamrec.cassette.store import cassette_path

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

AUTH = '''\
"""A decorator the views apply when they are imported."""


def login_required(view):
    return view
'''

DB = '''\
"""A pretend database handle."""


def connect(name: str) -> dict[str, object]:
    return {"name": name, "open": True}


def close(handle: dict[str, object]) -> None:
    handle["open"] = False


def lookup(handle: dict[str, object], key: int) -> dict[str, object]:
    return {"key": key, "db": handle["name"]}
'''

VIEWS = '''\
"""Views, decorated at import time."""

from app.auth import login_required


@login_required
def index() -> dict[str, object]:
    return {"page": "index"}


@login_required
def about() -> dict[str, object]:
    return {"page": "about"}
'''

FACTORY = '''\
"""An app factory that imports its views the first time it is called."""


def create_app() -> dict[str, object]:
    from app import views  # the first call imports the views (and runs their decorators)

    return {"index": views.index, "about": views.about}
'''

LATE = '''\
"""Imported by one test only; its module code calls a seam."""

from app.db import connect

HANDLE = connect("late")
'''

CONFTEST = """\
import pytest

from app.db import close, connect, lookup

CONFIG = connect("conftest")  # runs while pytest collects


@pytest.fixture(scope="session")
def db():
    handle = connect("session")
    yield handle
    close(handle)


@pytest.fixture(scope="module", params=["a", "b"])
def shard(request, db):
    handle = connect(request.param)
    request.addfinalizer(lambda: close(handle))
    yield handle
    lookup(handle, 0)


@pytest.fixture
def fresh():
    handle = connect("fresh")  # a function fixture: part of its test
    yield handle
"""

TESTS = """\
import importlib

from app.db import lookup
from app.factory import create_app


def test_index(db, shard, fresh):
    app = create_app()
    assert app["index"]() == {"page": "index"}
    assert lookup(fresh, 1)["key"] == 1


def test_about(db, shard):
    app = create_app()
    assert app["about"]()["page"] == "about"


def test_late_import(db):
    late = importlib.import_module("app.late")
    assert lookup(late.HANDLE, 2)["db"] == "late"
"""

TEST_IDS = [
    "tests/test_app.py::test_index[a]",
    "tests/test_app.py::test_about[a]",
    "tests/test_app.py::test_index[b]",
    "tests/test_app.py::test_about[b]",
    "tests/test_app.py::test_late_import",
]


@pytest.fixture
def factory_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """An app whose decorators, conftest and shared fixtures call seams outside tests."""
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/auth.py": AUTH,
        "app/db.py": DB,
        "app/views.py": VIEWS,
        "app/factory.py": FACTORY,
        "app/late.py": LATE,
        "tests/conftest.py": CONFTEST,
        "tests/test_app.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_calls_outside_tests_are_never_credited_to_a_test(factory_app: LayeredApp) -> None:
    result = factory_app.record()

    result.assert_outcomes(passed=5)
    seams = {
        test: sorted({seam for seam, _, _ in crossings(Path(path))})
        for test, path in zip(TEST_IDS, _cassette_paths(factory_app), strict=True)
    }
    assert {
        "tests/test_app.py::test_index[a]": [
            "app.db:connect",
            "app.db:lookup",
            "app.factory:create_app",
            "app.views:index",
        ],
        "tests/test_app.py::test_about[a]": ["app.factory:create_app", "app.views:about"],
        "tests/test_app.py::test_index[b]": [
            "app.db:connect",
            "app.db:lookup",
            "app.factory:create_app",
            "app.views:index",
        ],
        "tests/test_app.py::test_about[b]": ["app.factory:create_app", "app.views:about"],
        "tests/test_app.py::test_late_import": ["app.db:lookup"],
    } == seams
    # conftest 1, session fixture 2, module fixture 2 x 3, decorators 2, app.late 1,
    # function fixture teardown of nothing: 12 calls outside tests
    assert (
        "12 calls outside tests, not recorded (imports, collection, shared fixtures, "
        "teardown: they belong to no single test)"
    ) in seamrec_summary(result)


def test_each_test_checked_alone_gets_the_verdict_of_the_full_suite(
    factory_app: LayeredApp,
) -> None:
    factory_app.record()

    full = factory_app.check()
    alone = {test: factory_app.check(test) for test in TEST_IDS}

    full.assert_outcomes(passed=5)
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(full)[1]
    for test, result in alone.items():
        assert (test, 0) == (test, result.ret), result.stdout.str()
        assert (
            "0 tests drifted, 0 unrecorded, 0 with unusable cassettes"
            == (seamrec_summary(result)[1])
        )


def test_a_test_alone_still_catches_drift_in_what_it_calls(factory_app: LayeredApp) -> None:
    factory_app.record()
    factory_app.edit(
        "app/views.py", 'return {"page": "about"}', 'return {"page": "about", "title": "A"}'
    )

    result = factory_app.check("tests/test_app.py::test_about[b]")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  app.views:about  return  (call 1 of 1)", "    key added*'title'*"]
    )


def _cassette_paths(app: LayeredApp) -> list[str]:
    return [cassette_path(app.cassettes, test).as_posix() for test in TEST_IDS]
