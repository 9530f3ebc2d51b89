"""Rows of one statement whose value types alternate (a nullable column) merge into one
row shape: made once per pair of shape objects, and the known shape itself when a row
adds nothing, so a statement's queries end with the same object. The cassettes are the
bytes a merge made afresh for every row records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from helpers import boundary_module, cassette_files, sql_findings_of_one_test
from seamrec.config import settings_from_table
from seamrec.model.shape import Shape
from seamrec.runtime.adapters.dbapi import DatabaseSeams, _merged_rows
from seamrec.runtime.session import Mode, SeamSession

BOUNDARY = "mergedrowsapp"
REPO = """
    import sqlite3

    def connect():
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, size REAL)")
        rows = [(n, None if n % 3 == 1 else f"l{n}", None if n % 2 else n / 2) for n in range(9)]
        conn.executemany("INSERT INTO items VALUES (?, ?, ?)", rows)
        return conn

    def iterated(conn, n):
        return list(conn.execute("SELECT * FROM items WHERE id >= ?", (n % 4,)))

    def fetched_all(conn, n):
        return conn.execute("SELECT label, size FROM items WHERE id < ?", (n % 7,)).fetchall()

    def fetched_one_by_one(conn, n):
        cursor = conn.cursor()
        cursor.execute("SELECT size, label FROM items WHERE id <= ?", (n % 5,))
        rows = []
        while (row := cursor.fetchone()) is not None:
            rows.append(row)
        return rows

    STEPS = (iterated, fetched_all, fetched_one_by_one)
"""
ROUNDS = 14  # past the queries that keep payloads


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    yield from boundary_module(tmp_path, monkeypatch, BOUNDARY, REPO)


def _run(root: Path, mode: Mode, body: Callable[[SeamSession], None]) -> list[str]:
    """One test running `body` in `mode` (cassettes under `root`): its query findings."""
    session = SeamSession(settings_from_table({"boundaries": [BOUNDARY]}, rootdir=root), mode)
    return sql_findings_of_one_test(session, "test_app.py::test_merged", body)


def _cooled(database: DatabaseSeams) -> None:
    """Drop every shape the seam keeps: the next query merges and shapes afresh."""
    for table in (database._single, database._rows, database._names, database._merges):
        table.clear()
    database._results.clear()


def _workload(repo: ModuleType, cold: bool) -> Callable[[SeamSession], None]:
    def body(session: SeamSession) -> None:
        database = session.database
        assert database is not None
        conn = repo.connect()
        for n in range(ROUNDS):
            for step in repo.STEPS:
                if cold:
                    _cooled(database)
                step(conn, n)
        assert cold or len(database._merges) >= 3  # rows of each statement were merged

    return body


def test_merged_rows_record_what_fresh_merges_record(tmp_path: Path, repo: ModuleType) -> None:
    steady, cold = tmp_path / "steady", tmp_path / "cold"
    _run(steady, Mode.RECORD, _workload(repo, False))
    _run(cold, Mode.RECORD, _workload(repo, True))
    assert cassette_files(steady) == cassette_files(cold)
    assert _run(steady, Mode.CHECK, _workload(repo, False)) == []
    assert _run(steady, Mode.CHECK, _workload(repo, True)) == []


STR, NONE, FLOAT = (("str",),), (("None",),), (("float",),)


def _row(*unions: tuple[Shape, ...]) -> Shape:
    return ("row", "tuple", tuple(f"c{n}" for n in range(len(unions))), unions)


def test_a_row_adding_nothing_keeps_the_known_shape() -> None:
    known = _row(STR + NONE, FLOAT)
    assert _merged_rows(known, _row(NONE, FLOAT)) is known
    grown = _merged_rows(known, _row(STR, NONE))
    assert grown == _row(STR + NONE, FLOAT + NONE)


def test_one_merged_object_per_pair_of_shapes(tmp_path: Path) -> None:
    session = SeamSession(
        settings_from_table({"boundaries": [BOUNDARY]}, rootdir=tmp_path), Mode.RECORD
    )
    database = DatabaseSeams(session, (), ())
    first, second = _row(STR, FLOAT), _row(NONE, FLOAT)
    merged = database._merged(first, second)
    assert merged == _row(STR + NONE, FLOAT)
    assert database._merged(first, second) is merged
    assert database._merged(_row(STR, FLOAT), second) == merged  # another object: merged anew
