"""Check mode remembers which (recorded, live) result shapes of a query fit, for every
pair it met (statements interleave, each with results of a few shapes): a query whose
result drifts is still found after its statement's fitting pairs are remembered, the
same as when nothing is remembered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from helpers import boundary_module, sql_findings_of_one_test
from seamrec.config import settings_from_table
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.session import Mode, SeamSession

BOUNDARY = "interleavedapp"
REPO = """
    import sqlite3

    def connect():
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label, note TEXT)")
        rows = [(n, f"l{n}", None if n % 2 else f"n{n}") for n in range(4)]
        conn.executemany("INSERT INTO items VALUES (?, ?, ?)", rows)
        return conn

    def below(conn, n):
        return conn.execute("SELECT id, label FROM items WHERE id < ?", [n % 3]).fetchall()

    def one(conn, n):
        return conn.execute("SELECT note FROM items WHERE id = ?", (n % 4,)).fetchall()

    def labels(conn, n):
        return [r for r in conn.execute("SELECT label, note FROM items WHERE id = ?", (n % 4,))]
"""
ROUNDS = 16


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    yield from boundary_module(tmp_path, monkeypatch, BOUNDARY, REPO)


def _run(root: Path, mode: Mode, body: Callable[[SeamSession], None]) -> list[str]:
    """One test running `body` in `mode` (cassettes under `root`): its query findings."""
    session = SeamSession(settings_from_table({"boundaries": [BOUNDARY]}, rootdir=root), mode)
    return sql_findings_of_one_test(session, "test_app.py::test_interleaved", body)


def _workload(
    repo: ModuleType, forget: bool, drift_from: int | None = None
) -> Callable[[SeamSession], None]:
    def body(session: SeamSession) -> None:
        conn = repo.connect()
        if drift_from is not None:  # the test's own query (no seam): an int label from then on
            conn.execute("UPDATE items SET label = 7 WHERE id >= ?", (drift_from,))
        strategy = session.events
        for n in range(ROUNDS):
            for step in (repo.below, repo.one, repo.labels):
                if forget:  # every result compared in full
                    assert isinstance(strategy, CheckStrategy)
                    strategy._fitting_events.clear()
                step(conn, n)

    return body


def test_interleaved_queries_check_clean(tmp_path: Path, repo: ModuleType) -> None:
    _run(tmp_path, Mode.RECORD, _workload(repo, False))
    assert _run(tmp_path, Mode.CHECK, _workload(repo, False)) == []
    assert len(session_pairs(tmp_path, repo)) >= 3  # several pairs remembered at once


def session_pairs(root: Path, repo: ModuleType) -> dict[object, object]:
    """The fitting pairs a check of the workload remembered."""
    kept: dict[object, object] = {}

    def body(session: SeamSession) -> None:
        _workload(repo, False)(session)
        kept.update(session.events._fitting_events)  # type: ignore[attr-defined]

    _run(root, Mode.CHECK, body)
    return kept


def test_a_drift_after_remembered_pairs_is_found(tmp_path: Path, repo: ModuleType) -> None:
    _run(tmp_path, Mode.RECORD, _workload(repo, False))
    remembered = _run(tmp_path, Mode.CHECK, _workload(repo, False, drift_from=2))
    forgotten = _run(tmp_path, Mode.CHECK, _workload(repo, True, drift_from=2))
    assert remembered == forgotten
    assert remembered  # the int labels of ids 2 and 3: `labels` drifted at its rounds 2, 3
    assert all(finding.startswith("sql:SELECT label, note") for finding in remembered)
