"""What the database seam costs per query: an in-memory SQLite point query, in µs (medians).

Run: .venv/bin/python benchmarks/database_seam.py [--repeat 7] [--queries 20000] [--json out]

In-process, with a `SeamSession` driven the way the pytest plugin drives it. A boundary
module `benchdb.repo` runs `conn.execute("SELECT id, name, email FROM users WHERE id = ?",
(n,)).fetchone()` against an in-memory SQLite table of 1,000 rows, `queries` times in one
test. Modes:
  plain    the driver's own connection (seamrec not installed: the baseline)
  record   the connection seamrec hands out while recording (past the first
           `payload_calls` queries of the statement, shapes only)
  check    the same while checking against the cassette the record run wrote
The target is an overhead of at most 25 % of the plain query.
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import python_info, summary, write_json

from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession

REPO = """
    import sqlite3

    def connect():
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            [(n, f"user {n}", f"u{n}@example.org") for n in range(1000)],
        )
        return conn

    def loop(conn, count):
        for n in range(count):
            conn.execute(
                "SELECT id, name, email FROM users WHERE id = ?", (n % 1000,)
            ).fetchone()
"""
NODE = "bench.py::test_queries"


def timed(repo: Any, conn: sqlite3.Connection, queries: int) -> float:
    start = time.perf_counter()
    repo.loop(conn, queries)
    return (time.perf_counter() - start) / queries * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--json")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    (root / "benchdb").mkdir()
    (root / "benchdb" / "__init__.py").write_text("")
    (root / "benchdb" / "repo.py").write_text(textwrap.dedent(REPO))
    sys.path.insert(0, str(root))
    repo = importlib.import_module("benchdb.repo")
    settings = settings_from_table({"boundaries": ["benchdb"]}, rootdir=root)

    plain_conn = repo.connect()
    plain = [timed(repo, plain_conn, options.queries) for _ in range(options.repeat)]

    results: dict[str, list[float]] = {"plain": plain, "record": [], "check": []}
    for mode in (Mode.RECORD, Mode.CHECK):
        session = SeamSession(settings, mode)
        session.start()
        conn = repo.connect()
        for _ in range(options.repeat):
            session.begin_test(NODE)
            results[mode.value].append(timed(repo, conn, options.queries))
            outcome = session.end_test_calls()
            assert not outcome.findings, outcome.findings
            session.finish_test("passed")
        session.stop()
        assert session.stats.db_queries == options.repeat * options.queries
        assert not session.stats.internal_errors, session.stats.internal_errors

    medians = {mode: summary(samples) for mode, samples in results.items()}
    base = medians["plain"]["median"]
    print(f"{python_info()}; {options.queries} point queries x {options.repeat} runs")
    for mode, stats in medians.items():
        extra = stats["median"] - base
        share = "" if mode == "plain" else f"   +{extra:.2f} µs = {extra / base:.0%} of the query"
        print(f"  {mode:<7} {stats['median']:7.2f} µs per query{share}")
    write_json(options.json, medians)


if __name__ == "__main__":
    main()
