"""`--check-seams` aligns the calls of a seam like a diff: one extra or missing call is
reported once as itself, and never shifts the later calls into false drift."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

REPO = '''\
"""Queries, each answering rows of its own shape."""

import random
import time

ROWS = {
    "users": {"id": 1, "name": "Ada"},
    "orders": {"id": 10, "total": 250},
    "items": {"sku": "x1", "qty": 2},
    "prices": {"sku": "x1", "cents": 199},
    "stock": {"sku": "x1", "left": 7},
    "schema": {"tables": ["users", "orders"]},
}


def query(name: str) -> dict[str, object]:
    return dict(ROWS[name])


def slow_query(name: str) -> dict[str, int]:
    time.sleep(random.random() / 100)
    return {name: len(name)}
'''

SERVICE = '''\
"""A report that runs five queries (and a schema refresh when it is due)."""

from concurrent.futures import ThreadPoolExecutor

from app import repo

REFRESH_DUE = False
NAMES = ["users", "orders", "items", "prices", "stock"]


def report() -> int:
    rows = [repo.query("users"), repo.query("orders")]
    if REFRESH_DUE:
        repo.query("schema")
    rows += [repo.query(name) for name in NAMES[2:]]
    return len(rows)


def parallel_report() -> int:
    with ThreadPoolExecutor(max_workers=5) as pool:
        return len(list(pool.map(repo.slow_query, NAMES)))
'''

TESTS = """\
from app.service import parallel_report, report


def test_report():
    assert report() in (4, 5)


def test_parallel_report():
    assert 5 == parallel_report()
"""

REPORT = "tests/test_report.py::test_report"


@pytest.fixture
def query_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """A service calling one repository seam five times, each call of its own shape."""
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/repo.py": REPO,
        "app/service.py": SERVICE,
        "tests/test_report.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def failure_lines(result: pytest.RunResult) -> list[str]:
    """The seamrec failure text of test_report, between its heading and re-record line."""
    lines = result.outlines
    start = lines.index(f"seam drift in {REPORT}")
    end = lines.index(f'  re-record: pytest --record-seams "{REPORT}"', start)
    return lines[start + 1 : end]


def test_one_extra_call_in_the_middle_is_one_unrecorded_call(query_app: LayeredApp) -> None:
    query_app.record()
    query_app.edit("app/service.py", "REFRESH_DUE = False", "REFRESH_DUE = True")

    result = query_app.check()

    result.assert_outcomes(passed=1, failed=1)
    assert [
        "  app.repo:query  unrecorded call  (call 3; 1 call not among the 5 recorded)"
    ] == failure_lines(result)


def test_one_missing_call_in_the_middle_is_one_missing_call(query_app: LayeredApp) -> None:
    query_app.record()
    query_app.edit("app/service.py", "NAMES[2:]", "NAMES[3:]")

    result = query_app.check()

    result.assert_outcomes(passed=1, failed=1)
    assert [
        "  app.repo:query  call missing  (call 3 of 5 recorded no longer happens)"
    ] == failure_lines(result)


def test_a_changed_call_in_the_middle_is_reported_at_its_own_place(query_app: LayeredApp) -> None:
    query_app.record()
    query_app.edit("app/repo.py", '"orders": {"id": 10, "total": 250}', '"orders": {"id": 10}')

    result = query_app.check()

    result.assert_outcomes(passed=1, failed=1)
    assert [
        "  app.repo:query  return  (call 2 of 5)",
        "    key removed   return['total']   (was int)",
    ] == failure_lines(result)


def test_an_extra_call_and_a_changed_call_are_each_reported_once(query_app: LayeredApp) -> None:
    query_app.record()
    query_app.edit("app/service.py", "REFRESH_DUE = False", "REFRESH_DUE = True")
    query_app.edit(
        "app/repo.py", '"stock": {"sku": "x1", "left": 7}', '"stock": {"sku": 1, "left": 7}'
    )

    result = query_app.check()

    result.assert_outcomes(passed=1, failed=1)
    assert [
        "  app.repo:query  return  (call 5 of 5)",
        "    type changed  return['sku']  str → int   'x1' → 1",
        "  app.repo:query  unrecorded call  (call 3; 1 call not among the 5 recorded)",
    ] == failure_lines(result)


def test_an_unchanged_suite_checked_three_times_is_clean_three_times(
    query_app: LayeredApp,
) -> None:
    query_app.record()

    verdicts = [seamrec_summary(query_app.check())[1:] for _ in range(3)]

    assert [["0 tests drifted, 0 unrecorded, 0 with unusable cassettes"]] * 3 == verdicts
