"""The database seam's steady state: a statement re-uses the columns, row and result
shapes of its last run only while they still hold, so a change is recorded and a drift
caught however many times the statement ran before; rows fetched in pieces are one result."""

from __future__ import annotations

import importlib
import sqlite3
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from seamrec.cassette.store import Run, cassette_path, load
from seamrec.config import Settings, settings_from_table
from seamrec.runtime.calls import Finding
from seamrec.runtime.session import Mode, SeamSession

BOUNDARY = "steadyapp"
POINT = "SELECT * FROM items WHERE id = ?"
ALL = "SELECT id, label FROM items ORDER BY id"
REPO = f"""
    def point(conn, times):
        for n in range(times):
            conn.execute({POINT!r}, (n % 3,)).fetchone()

    def fetched_all(conn):
        return conn.execute({ALL!r}).fetchall()

    def fetched_in_pieces(conn, size):
        cursor = conn.cursor()
        cursor.execute({ALL!r})
        rows = []
        while True:
            piece = cursor.fetchmany(size)
            if not piece:
                return rows
            rows.extend(piece)

    def iterated(conn):
        return [row for row in conn.execute({ALL!r})]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    package = tmp_path / BOUNDARY
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "repo.py").write_text(textwrap.dedent(REPO))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(f"{BOUNDARY}.repo")
    for name in [BOUNDARY, f"{BOUNDARY}.repo"]:
        sys.modules.pop(name, None)


def settings(tmp_path: Path) -> Settings:
    return settings_from_table({"boundaries": [BOUNDARY]}, rootdir=tmp_path)


def database(label_column: str = "label", labels: tuple[object, ...] = ("a", "b", "c")) -> Any:
    """An in-memory table of three items (made through seamrec's `connect` when it runs)."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE items (id INTEGER PRIMARY KEY, {label_column})")
    conn.executemany("INSERT INTO items VALUES (?, ?)", list(enumerate(labels)))
    return conn


def run_tests(
    tmp_path: Path, mode: Mode, tests: dict[str, Callable[[], object]]
) -> dict[str, list[Finding]]:
    """Run `tests` (node id -> body) as one seamrec run in `mode`; their findings at the
    database seam (the boundary's functions are seams too)."""
    session = SeamSession(settings(tmp_path), mode)
    session.start()
    findings: dict[str, list[Finding]] = {}
    try:
        for nodeid, body in tests.items():
            session.begin_test(nodeid)
            body()
            found = session.end_test_calls().findings
            findings[nodeid] = [f for f in found if f.seam.startswith("sql:")]
            session.finish_test("passed")
    finally:
        session.stop()
    assert not session.stats.internal_errors
    return findings


def recorded_runs(tmp_path: Path, nodeid: str, statement: str) -> list[Run]:
    cassette = load(cassette_path(settings(tmp_path).cassette_dir, nodeid))
    return cassette.runs[f"sql:{statement}"]


def test_a_statement_whose_columns_changed_is_checked_against_them(
    tmp_path: Path, repo: ModuleType
) -> None:
    run_tests(
        tmp_path,
        Mode.RECORD,
        {
            "t.py::test_before": lambda: repo.point(database(), 50),
            "t.py::test_after": lambda: repo.point(database(), 50),
        },
    )

    findings = run_tests(
        tmp_path,
        Mode.CHECK,
        {
            "t.py::test_before": lambda: repo.point(database(), 50),
            "t.py::test_after": lambda: repo.point(database(label_column="title"), 50),
        },
    )

    assert [] == findings["t.py::test_before"]
    assert ["return"] == [f.part for f in findings["t.py::test_after"]]
    assert 50 == findings["t.py::test_after"][0].count


def test_a_row_whose_value_types_changed_is_checked_against_them(
    tmp_path: Path, repo: ModuleType
) -> None:
    run_tests(
        tmp_path,
        Mode.RECORD,
        {
            "t.py::test_before": lambda: repo.point(database(), 30),
            "t.py::test_after": lambda: repo.point(database(), 30),
        },
    )

    findings = run_tests(
        tmp_path,
        Mode.CHECK,
        {
            "t.py::test_before": lambda: repo.point(database(), 30),
            "t.py::test_after": lambda: repo.point(database(labels=(1, 2, 3)), 30),
        },
    )

    assert [] == findings["t.py::test_before"]
    assert ["return"] == [f.part for f in findings["t.py::test_after"]]


def test_a_change_in_the_middle_of_a_steady_run_is_recorded_as_its_own_run(
    tmp_path: Path, repo: ModuleType
) -> None:
    def body() -> None:
        repo.point(database(), 20)
        repo.point(database(labels=(1, 2, 3)), 5)
        repo.point(database(), 20)

    run_tests(tmp_path, Mode.RECORD, {"t.py::test_mixed": body})

    runs = recorded_runs(tmp_path, "t.py::test_mixed", POINT)
    assert [20, 5, 20] == [run.count for run in runs]
    assert runs[0].result_shape == runs[2].result_shape != runs[1].result_shape


def test_rows_fetched_in_pieces_are_recorded_as_one_result(
    tmp_path: Path, repo: ModuleType
) -> None:
    run_tests(
        tmp_path,
        Mode.RECORD,
        {
            "t.py::test_all": lambda: repo.fetched_all(database()),
            "t.py::test_pieces": lambda: repo.fetched_in_pieces(database(), 2),
            "t.py::test_iterated": lambda: repo.iterated(database()),
        },
    )

    shapes = {
        nodeid: [(run.result_shape, run.count) for run in recorded_runs(tmp_path, nodeid, ALL)]
        for nodeid in ("t.py::test_all", "t.py::test_pieces", "t.py::test_iterated")
    }
    assert shapes["t.py::test_all"] == shapes["t.py::test_pieces"] == shapes["t.py::test_iterated"]
    payloads = [
        next(
            call.result
            for call in load(cassette_path(settings(tmp_path).cassette_dir, nodeid)).calls
            if call.seam == f"sql:{ALL}"
        )
        for nodeid in shapes
    ]
    assert payloads[0] == payloads[1] == payloads[2]
    assert [{"id": 0, "label": "a"}, {"id": 1, "label": "b"}, {"id": 2, "label": "c"}] == (
        payloads[0]["rows"]
    )


def test_rows_fetched_in_pieces_are_checked_as_one_result(tmp_path: Path, repo: ModuleType) -> None:
    run_tests(tmp_path, Mode.RECORD, {"t.py::test_it": lambda: repo.fetched_all(database())})

    fits = run_tests(
        tmp_path, Mode.CHECK, {"t.py::test_it": lambda: repo.fetched_in_pieces(database(), 2)}
    )
    drifts = run_tests(
        tmp_path,
        Mode.CHECK,
        {"t.py::test_it": lambda: repo.fetched_in_pieces(database(labels=("a", "b", 3)), 2)},
    )

    assert {"t.py::test_it": []} == fits
    assert ["return"] == [f.part for f in drifts["t.py::test_it"]]
