"""Plain module-level functions are wrapped by the call proxy (compiled when built): their
crossing calls are recorded, checked and replayed, calls inside their module are not
crossings, and the compiled and the pure proxy record the same cassette bytes (real
`pytest` subprocesses there: SEAMREC_PURE is read when seamrec starts).
"""

from __future__ import annotations

import pytest

from helpers import LayeredApp, crossings, fresh_project
from seamrec.runtime import callproxy

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
databases = []
"""

REPO = '''\
"""Plain functions: the seams under test."""

import asyncio


def find_user(user_id):
    return {"id": user_id, "name": "ada"}


def users(ids):
    return [find_user(i) for i in ids]  # calls inside the module are no crossings


async def load(user_id):
    await asyncio.sleep(0)
    return {"id": user_id}


def stream(count):
    yield from ({"n": n} for n in range(count))
'''

SERVICE = """\
import asyncio

from app import repo
from app.repo import find_user, users


def summary(user_id):
    return {
        "user": find_user(user_id),
        "all": users([user_id, user_id + 1]),
        "loaded": asyncio.run(repo.load(user_id)),
        "streamed": list(repo.stream(2)),
    }
"""

TEST = """\
from app.service import summary


def test_summary():
    assert summary(1)["user"] == {"id": 1, "name": "ada"}
"""

CASSETTE = "cassettes/tests/test_service/test_summary.msgpack"


@pytest.fixture
def app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/repo.py": REPO,
        "app/service.py": SERVICE,
        "tests/test_service.py": TEST,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_crossing_calls_of_plain_functions_are_recorded_and_calls_inside_a_module_are_not(
    app: LayeredApp,
) -> None:
    app.record().assert_outcomes(passed=1)
    assert [
        ("app.service:summary", "test_service", "return"),
        ("app.repo:find_user", "app.service", "return"),
        ("app.repo:users", "app.service", "return"),
        ("app.repo:load", "app.service", "return"),
        ("app.repo:stream", "app.service", "yield"),
    ] == crossings(app.root / CASSETTE)


def test_a_changed_plain_function_is_a_drift_and_an_unchanged_one_is_not(
    app: LayeredApp,
) -> None:
    app.record().assert_outcomes(passed=1)
    app.check().assert_outcomes(passed=1)
    app.edit("app/repo.py", '"name": "ada"', '"name": 7')
    app.edit("tests/test_service.py", '"name": "ada"', '"name": 7')
    result = app.check()
    result.assert_outcomes(failed=1)
    assert any("app.repo:find_user" in line for line in result.outlines)


def test_a_replayed_plain_function_is_answered_from_the_cassette(app: LayeredApp) -> None:
    app.record().assert_outcomes(passed=1)
    app.edit("app/repo.py", 'return {"id": user_id, "name": "ada"}', 'raise RuntimeError("down")')
    app.run("--check-seams").assert_outcomes(failed=1)
    app.run("--replay-seams=app.repo:*").assert_outcomes(passed=1)


@pytest.mark.skipif(callproxy.compiled is None, reason=f"not compiled: {callproxy.missing}")
@pytest.mark.subprocess_runs
def test_the_compiled_and_the_pure_proxy_record_the_same_cassette(
    app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEAMREC_PURE", "0")
    app.record().assert_outcomes(passed=1)
    compiled = app.recorded()
    monkeypatch.setenv("SEAMREC_PURE", "1")
    app.record().assert_outcomes(passed=1)
    assert compiled == app.recorded()
