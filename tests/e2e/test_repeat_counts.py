"""`--check-seams` does not report how often a repeated call repeats: a poll that asks
the database until a job is done runs as many times as the timing allows (sqlite-utils'
`test_insert_streaming_batch_size_1`), so a kind of call recorded at least twice and made
at least twice is checked by its shapes, never by its count. A call made once that now
repeats, or a repeated call that now happens once, is still reported."""

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
"""Jobs in SQLite, and the catalogue of its tables and views."""

import sqlite3

_connection: sqlite3.Connection | None = None


def _db() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(":memory:")
        _connection.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT)")
        _connection.execute("INSERT INTO jobs (state) VALUES ('done')")
    return _connection


def names(kind: str) -> list[str]:
    rows = _db().execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    return [row[0] for row in rows]


def job_states() -> list[tuple[int, str]]:
    states: list[tuple[int, str]] = _db().execute("SELECT id, state FROM jobs").fetchall()
    return states
'''

SERVICE = '''\
"""A poll of the jobs table, as many times as the timing asks for (POLLS here)."""

from app import repo

POLLS = 3


def wait_for_jobs() -> int:
    done = 0
    for _ in range(POLLS):
        # the tables (a list of names), then the views (none): two shapes, alternating
        if "jobs" in repo.names("table") and not repo.names("view"):
            done = len(repo.job_states())
    return done


def summary() -> int:
    return len(repo.job_states())
'''

TESTS = """\
from app.service import summary, wait_for_jobs


def test_poll():
    assert wait_for_jobs() == 1


def test_summary():
    assert summary() == 1
"""

CLEAN = "0 tests drifted, 0 unrecorded, 0 with unusable cassettes"


@pytest.fixture
def poll_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/repo.py": REPO,
        "app/service.py": SERVICE,
        "tests/test_jobs.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def drift_lines(result: pytest.RunResult, test: str) -> list[str]:
    """The seam lines of `test`'s failure text, between its heading and re-record line."""
    lines = result.outlines
    start = lines.index(f"seam drift in tests/test_jobs.py::{test}")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("  re-record: "))
    return [line for line in lines[start + 1 : end] if not line.startswith("    ")]


@pytest.mark.parametrize("polls", [2, 3, 7])
def test_a_poll_that_ran_more_or_fewer_times_is_no_drift(poll_app: LayeredApp, polls: int) -> None:
    poll_app.record()
    poll_app.edit("app/service.py", "POLLS = 3", f"POLLS = {polls}")

    result = poll_app.check()

    result.assert_outcomes(passed=2)
    assert CLEAN in seamrec_summary(result)


def test_every_check_of_a_varying_poll_gives_the_same_verdict(poll_app: LayeredApp) -> None:
    poll_app.record()
    verdicts = []
    for before, polls in ((3, 5), (5, 2), (2, 4)):
        poll_app.edit("app/service.py", f"POLLS = {before}", f"POLLS = {polls}")
        verdicts.append(seamrec_summary(poll_app.check())[2])

    assert [CLEAN] * 3 == verdicts


def test_a_repeated_call_that_now_happens_once_is_reported(poll_app: LayeredApp) -> None:
    poll_app.record()
    poll_app.edit("app/service.py", "POLLS = 3", "POLLS = 1")

    result = poll_app.check()

    result.assert_outcomes(passed=1, failed=1)
    assert [
        "  app.repo:names  call missing  (calls 3-6 of 6 recorded no longer happen)",
        "  sql:SELECT name FROM sqlite_master WHERE type = ?  call missing  "
        "(calls 3-6 of 6 recorded no longer happen)",
        "  app.repo:job_states  call missing  (calls 2-3 of 3 recorded no longer happen)",
        "  sql:SELECT id, state FROM jobs  call missing  "
        "(calls 2-3 of 3 recorded no longer happen)",
    ] == drift_lines(result, "test_poll")


def test_a_call_made_once_that_now_repeats_is_reported(poll_app: LayeredApp) -> None:
    poll_app.record()
    poll_app.edit(
        "app/service.py",
        "def summary() -> int:\n",
        "def summary() -> int:\n    repo.job_states()  # a second call site\n",
    )

    result = poll_app.check()

    result.assert_outcomes(passed=1, failed=1)
    assert ["  app.repo:job_states  unrecorded call  (call 2; 1 call beyond the 1 recorded)"] == (
        drift_lines(result, "test_summary")[:1]
    )


@pytest.mark.parametrize("polls", [2, 5])
def test_a_re_record_whose_poll_ran_more_or_fewer_times_rewrites_nothing(
    poll_app: LayeredApp, polls: int
) -> None:
    poll_app.record()
    before = poll_app.recorded()
    poll_app.edit("app/service.py", "POLLS = 3", f"POLLS = {polls}")

    result = poll_app.record()

    assert "cassettes: 0 written, 2 unchanged, 0 kept because the test failed" in (
        seamrec_summary(result)
    )
    assert before == poll_app.recorded()


def test_a_re_record_of_a_repeated_call_that_now_happens_once_rewrites_it(
    poll_app: LayeredApp,
) -> None:
    poll_app.record()
    before = poll_app.recorded()
    poll_app.edit("app/service.py", "POLLS = 3", "POLLS = 1")

    result = poll_app.record()

    assert "cassettes: 1 written, 1 unchanged, 0 kept because the test failed" in (
        seamrec_summary(result)
    )
    changed = [name for name, data in poll_app.recorded().items() if before[name] != data]
    assert ["tests/test_jobs/test_poll.msgpack"] == changed
    assert CLEAN in seamrec_summary(poll_app.check())
