"""The database seam's steady paths (a statement run again with the same columns and
row types: the proxies' inline steps, `fetchone`'s short way for a row like the last)
record and check exactly what the full paths do. Each workload runs twice: as it is, and
"cold", with the seam's per-statement caches dropped before every step so that each
query goes the full way; the cassettes must be the same bytes and the findings the same."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from helpers import boundary_module, cassette_files, sql_findings_of_one_test
from seamrec.config import Settings, settings_from_table
from seamrec.runtime.session import Mode, SeamSession

BOUNDARY = "steadypaths"
REPO = """
    import sqlite3

    def connect(label_type="TEXT", labels=("a", "b", None)):
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute(f"CREATE TABLE items (id INTEGER PRIMARY KEY, label {label_type})")
        conn.executemany("INSERT INTO items VALUES (?, ?)", list(enumerate(labels)))
        return conn

    def dropped(conn, n):
        return conn.execute("SELECT id, label FROM items WHERE id = ?", (n % 3,)).fetchone()

    def exhausted(conn, n):
        cursor = conn.cursor()
        cursor.execute("SELECT id, label FROM items WHERE id >= ?", (n % 2,))
        rows = []
        while (row := cursor.fetchone()) is not None:
            rows.append(row)
        return rows

    def fetched_all(conn, n):
        return conn.execute("SELECT id, label FROM items WHERE id < ?", (n % 4,)).fetchall()

    def in_pieces(conn, n):
        cursor = conn.cursor()
        cursor.execute("SELECT label, id FROM items ORDER BY id")
        return cursor.fetchmany(2) + cursor.fetchmany(2)

    def iterated(conn, n):
        return [row for row in conn.execute("SELECT label FROM items WHERE id <= ?", (n,))]

    def by_name(conn, n):
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute("SELECT * FROM items WHERE id = :id", {"id": n % 3}).fetchone()
        finally:
            conn.row_factory = None

    def changed(conn, n):
        conn.execute("UPDATE items SET label = label WHERE id = ?", (n % 3,))
        conn.executemany("UPDATE items SET label = ? WHERE id = ?", [("x", 9), ("y", 8)])

    def refused(conn, n):
        try:
            conn.execute("SELECT nothing FROM missing WHERE id = ?", (n,))
        except sqlite3.OperationalError:
            return None

    def reused(conn, n):
        cursor = conn.cursor()
        cursor.execute("SELECT id FROM items WHERE id = ?", (n % 3,))
        first = cursor.fetchone()
        cursor.execute("SELECT id FROM items WHERE id = ?", ((n + 1) % 3,))
        return first, cursor.fetchall()

    STEPS = (dropped, exhausted, fetched_all, in_pieces, iterated, by_name, changed,
             refused, reused)
"""
ROUNDS = 12  # past the queries that keep payloads: the steady state


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    yield from boundary_module(tmp_path, monkeypatch, BOUNDARY, REPO)


def _settings(root: Path) -> Settings:
    root.mkdir(exist_ok=True)
    return settings_from_table({"boundaries": [BOUNDARY]}, rootdir=root)


def _cooled(session: SeamSession) -> None:
    """Drop what the database seam keeps per statement: the next query goes the full way."""
    database = session.database
    assert database is not None
    for table in (database._single, database._many, database._rows, database._names):
        table.clear()
    database._results.clear()


def _run(root: Path, mode: Mode, body: Callable[[SeamSession], None]) -> tuple[list[str], int]:
    """One test running `body` in `mode` (cassettes under `root`): its database
    findings (rendered) and the queries counted."""
    session = SeamSession(_settings(root), mode)
    found = sql_findings_of_one_test(session, "test_app.py::test_steady", body)
    return found, session.stats.db_queries


def _workload(repo: ModuleType, cold: bool, **table: Any) -> Callable[[SeamSession], None]:
    def body(session: SeamSession) -> None:
        conn = repo.connect(**table)
        for n in range(ROUNDS):
            for step in repo.STEPS:
                if cold:
                    _cooled(session)
                step(conn, n)

    return body


def test_steady_and_full_paths_record_the_same_cassette(tmp_path: Path, repo: ModuleType) -> None:
    steady, cold = tmp_path / "steady", tmp_path / "cold"
    counted = [
        _run(root, Mode.RECORD, _workload(repo, is_cold))[1]
        for root, is_cold in ((steady, False), (cold, True))
    ]
    assert counted[0] == counted[1] > ROUNDS * len(repo.STEPS)
    assert cassette_files(steady) == cassette_files(cold)


@pytest.mark.parametrize("cold", [False, True], ids=["steady", "cold"])
def test_steady_and_full_paths_check_alike(tmp_path: Path, repo: ModuleType, cold: bool) -> None:
    _run(tmp_path, Mode.RECORD, _workload(repo, False))
    assert _run(tmp_path, Mode.CHECK, _workload(repo, cold))[0] == []


def test_a_drift_is_found_alike_on_both_paths(tmp_path: Path, repo: ModuleType) -> None:
    _run(tmp_path, Mode.RECORD, _workload(repo, False))
    drifted = {"label_type": "INTEGER", "labels": (1, 2, 3)}
    steady = _run(tmp_path, Mode.CHECK, _workload(repo, False, **drifted))[0]
    cold = _run(tmp_path, Mode.CHECK, _workload(repo, True, **drifted))[0]
    assert steady == cold
    assert steady  # the rows' label column is an int now


def test_queries_from_threads_are_recorded_and_checked(tmp_path: Path, repo: ModuleType) -> None:
    threads, rounds = 4, 40

    def body(session: SeamSession) -> None:
        conns = [repo.connect() for _ in range(threads)]

        def work(conn: sqlite3.Connection) -> None:
            for _ in range(rounds):  # the same rows each time: any order of threads fits
                repo.dropped(conn, 0)
                repo.fetched_all(conn, 2)
                repo.iterated(conn, 1)

        workers = [threading.Thread(target=work, args=(conn,)) for conn in conns]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    recorded = _run(tmp_path, Mode.RECORD, body)[1]
    findings, checked = _run(tmp_path, Mode.CHECK, body)
    assert recorded == checked >= threads * rounds * 3
    assert findings == []
