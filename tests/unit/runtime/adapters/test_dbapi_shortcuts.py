"""The database seam's cheap paths record what the full ones recorded: statements told
apart by their leading word (DDL, PRAGMA, savepoints: no seam, never parsed), a data
statement led by a comment (parsed in full), positional parameters given as a list, no
parameters at all, and a batch insert's rows."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from helpers import payload
from seamrec.cassette.store import cassette_path, load
from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession

BOUNDARY = "shortcutapp"
NODE = "t.py::test_queries"
REPO = """
    import sqlite3

    def work():
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SAVEPOINT sp_1")
        conn.execute("INSERT INTO items VALUES (?, ?), (?, ?), (?, ?)", [1, "a", 2, "b", 3, "c"])
        conn.execute("RELEASE sp_1")
        conn.execute("UPDATE items SET label = ? WHERE id = ?", ["z", 3])
        conn.execute("-- lead\\nSELECT label FROM items WHERE id = ?", (1,)).fetchall()
        conn.execute("select count(*) from items").fetchone()
        conn.execute("ALTER TABLE items ADD COLUMN extra TEXT")
        conn.execute("DROP TABLE items")
"""
SEAMS = {
    "sql:INSERT INTO items VALUES (?, ?)": ([(1, "a"), (2, "b"), (3, "c")],),
    "sql:UPDATE items SET label = ? WHERE id = ?": ("z", 3),
    "sql:SELECT label FROM items WHERE id = ?": (1,),
    "sql:select count(*) from items": (),
}


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


def run(tmp_path: Path, mode: Mode, repo: ModuleType) -> list[str]:
    """One test running `repo.work` in `mode`; its findings' seams."""
    session = SeamSession(settings_from_table({"boundaries": [BOUNDARY]}, rootdir=tmp_path), mode)
    session.start()
    try:
        session.begin_test(NODE)
        repo.work()
        found = session.end_test_calls().findings
        session.finish_test("passed")
    finally:
        session.stop()
    assert not session.stats.internal_errors
    return [f.seam for f in found]


def test_only_data_statements_are_seams_with_their_parameters_grouped(
    tmp_path: Path, repo: ModuleType
) -> None:
    run(tmp_path, Mode.RECORD, repo)

    cassette = load(cassette_path(tmp_path / "cassettes", NODE))
    queries = {call.seam: call for call in cassette.calls if call.seam.startswith("sql:")}
    assert set(SEAMS) == set(queries)
    for seam, args in SEAMS.items():
        assert {"params": args} == payload(queries[seam].args)
    assert [] == run(tmp_path, Mode.CHECK, repo)
