"""Stale cassettes: recordings of tests that no longer exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from seamrec.cassette import Cassette
from seamrec.collector import OUTPUT_ENV
from seamrec.contract import read_cassettes
from seamrec.exceptions import CassetteError


@dataclass
class StaleReport:
    """Which cassettes are stale, and which test files could not be checked."""

    stale: list[tuple[Path, str]] = field(default_factory=list)  # (cassette, its test id)
    uncollectable: list[str] = field(default_factory=list)  # test files that failed to collect
    unreadable: list[CassetteError] = field(default_factory=list)


def test_file(nodeid: str) -> str:
    """The test file part of a node id."""
    return nodeid.partition("::")[0]


def in_scope(nodeid: str, scopes: Iterable[str]) -> bool:
    """Whether a test lies under one of `scopes` (rootdir-relative paths; "" is everything)."""
    file = test_file(nodeid)
    for scope in scopes:
        scope = scope.strip("/")
        if scope in ("", ".") or file == scope or file.startswith(scope + "/"):
            return True
    return False


def stale_in_run(
    rootdir: Path, cassettes: list[tuple[Path, Cassette]], collected: set[str], scopes: list[str]
) -> list[tuple[Path, str]]:
    """Cassettes inside the run's scope whose test is gone: its file no longer exists, or
    other tests of its file ran and it was not among them (a file skipped or ignored as a
    whole proves nothing)."""
    ran_files = {test_file(nodeid) for nodeid in collected}
    stale = []
    for path, cassette in cassettes:
        if cassette.test in collected or not in_scope(cassette.test, scopes):
            continue
        file = test_file(cassette.test)
        if file in ran_files or not (rootdir / file).exists():
            stale.append((path, cassette.test))
    return stale


def find_stale(rootdir: Path, cassette_dir: Path) -> StaleReport:
    """Collect the test files the cassettes name (with pytest, in a subprocess) and report
    the cassettes whose test is gone: its file no longer exists, or the file collects other
    tests but not this one. A file that fails to collect, or collects no test at all
    (skipped as a whole), keeps its cassettes."""
    cassettes, errors = read_cassettes(cassette_dir)
    report = StaleReport(unreadable=errors)
    files = sorted({test_file(c.test) for _, c in cassettes})
    present = [f for f in files if (rootdir / f).is_file()]
    collected, failed = collect(rootdir, present)
    report.uncollectable = failed
    files_with_tests = {test_file(nodeid) for nodeid in collected}
    for path, cassette in cassettes:
        file = test_file(cassette.test)
        gone = file not in present
        if gone or (file in files_with_tests and cassette.test not in collected):
            report.stale.append((path, cassette.test))
    return report


def collect(rootdir: Path, files: list[str]) -> tuple[set[str], list[str]]:
    """The node ids pytest collects from `files`, and the files that failed to collect."""
    if not files:
        return set(), []
    ids, ok = _collect_ids(rootdir, files)
    if ok:
        return ids, []
    collected: set[str] = set()
    failed = []
    for file in files:  # find which file is broken; keep the cassettes of that one
        file_ids, file_ok = _collect_ids(rootdir, [file])
        if file_ok:
            collected |= file_ids
        else:
            failed.append(file)
    return collected, failed


def _collect_ids(rootdir: Path, files: list[str]) -> tuple[set[str], bool]:
    """Run `pytest --collect-only` with seamrec's collector plugin on `files`."""
    with tempfile.TemporaryDirectory(prefix="seamrec-collect-") as folder:
        output = Path(folder) / "ids.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        env[OUTPUT_ENV] = str(output)
        command = [sys.executable, "-m", "pytest", "--collect-only", "-p", "seamrec.collector"]
        done = subprocess.run(
            [*command, "-p", "no:cacheprovider", "--", *files],
            cwd=rootdir,
            capture_output=True,
            env=env,
            check=False,
        )
        if done.returncode not in (0, 5) or not output.is_file():
            return set(), False
        return set(json.loads(output.read_text(encoding="utf-8"))), True
