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

from seamrec.cassette.store import Cassette, read_cassettes
from seamrec.exceptions import CassetteError
from seamrec.review.collector import OUTPUT_ENV


@dataclass
class StaleReport:
    """Which cassettes are stale, and which could not be judged."""

    stale: list[tuple[Path, str]] = field(default_factory=list)  # (cassette, its test id)
    other_parameters: list[str] = field(default_factory=list)  # kept: the function exists
    uncollectable: list[str] = field(default_factory=list)  # test files that failed to collect
    unreadable: list[CassetteError] = field(default_factory=list)


def test_file(nodeid: str) -> str:
    """The test file part of a node id."""
    return nodeid.partition("::")[0]


def test_function(nodeid: str) -> str:
    """A node id without its parameters: `f.py::test_x[a-1]` → `f.py::test_x` (the
    parameter id may itself hold `::`; only it can hold `[`)."""
    return nodeid.split("[", 1)[0]


def in_scope(nodeid: str, scopes: Iterable[str]) -> bool:
    """Whether a test lies under one of `scopes` (rootdir-relative paths; "" is everything)."""
    file = test_file(nodeid)
    for scope in scopes:
        scope = scope.strip("/")
        if scope in ("", ".") or file == scope or file.startswith(scope + "/"):
            return True
    return False


def judge(
    rootdir: Path, cassettes: Iterable[tuple[Path, Cassette]], existing: set[str]
) -> StaleReport:
    """Which cassettes belong to tests that are gone, given the test ids that exist.

    A cassette is stale when its test file is gone, or when the file has tests but not this
    one. A file without any existing test (skipped or ignored as a whole, or not
    collected) proves nothing. A parametrized test whose function still exists with other
    parameters is kept and listed apart: parameters can depend on the machine."""
    files_with_tests = {test_file(nodeid) for nodeid in existing}
    functions = {test_function(nodeid) for nodeid in existing}
    report = StaleReport()
    for path, cassette in cassettes:
        test = cassette.test
        file = test_file(test)
        if test in existing:
            continue
        if (rootdir / file).exists() and file not in files_with_tests:
            continue
        if test_function(test) in functions:
            report.other_parameters.append(test)
        else:
            report.stale.append((path, test))
    return report


def stale_in_run(
    rootdir: Path, cassettes: list[tuple[Path, Cassette]], ran: set[str], scopes: list[str]
) -> StaleReport:
    """`judge` for the cassettes inside a full record run's scope, by the tests that ran."""
    return judge(rootdir, [(p, c) for p, c in cassettes if in_scope(c.test, scopes)], ran)


def find_stale(rootdir: Path, cassette_dir: Path) -> StaleReport:
    """Collect the test files the cassettes name (with pytest, in a subprocess) and `judge`
    them. A file that fails to collect keeps its cassettes and is listed."""
    cassettes, errors = read_cassettes(cassette_dir, payloads=False)
    files = sorted({test_file(c.test) for _, c in cassettes})
    present = [f for f in files if (rootdir / f).is_file()]
    collected, failed = collect(rootdir, present)
    judged = [(p, c) for p, c in cassettes if test_file(c.test) not in failed]
    report = judge(rootdir, judged, collected)
    report.uncollectable = failed
    report.unreadable = errors
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
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-p",
            "seamrec.review.collector",
        ]
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
