"""What happens when a pytest run ends: after recording, the contract files are rewritten
and stale cassettes looked for; with `--seams-report=PATH`, the run's seam changes are
written as JSON or Markdown, grouped like `seamrec diff`.

`RunObserver` gathers what this needs from the test reports, which also reach the xdist
controller: which tests ran, whether any were deselected, and each test's seam changes.
The review code (contracts, stale cassettes, changes) is imported when the run needs it:
a check run that found nothing never does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from seamrec.cassette.store import Cassette, read_cassettes, write_atomic
from seamrec.exceptions import CassetteError
from seamrec.pytest_plugin.options import report_format
from seamrec.pytest_plugin.stash import run_settings
from seamrec.runtime.stats import Mode, Stats

if TYPE_CHECKING:
    from seamrec.review.changes import Change
    from seamrec.review.contract import ContractUpdate
    from seamrec.review.stale import StaleReport
    from seamrec.runtime.tape import Finding

CHANGES_ATTRIBUTE = "seamrec_changes"  # on a test report; xdist carries it to the controller
# Options that run part of the suite: with any of them, a missing test is not evidence.
_FILTERS = (
    "keyword",
    "markexpr",
    "lf",
    "deselect",
    "stepwise",
    "stepwise_skip",
    "ignore",
    "ignore_glob",
    "collectonly",
)
_COMPLETE = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


class RunObserver:
    """Pytest hooks: which tests ran, whether any were deselected, what drifted."""

    def __init__(self) -> None:
        self.ran: set[str] = set()
        self.deselected = False
        self.interrupted = False  # Ctrl-C or pytest.exit(): whatever its exit status
        self.collected = 0
        self.changes: list[tuple[str, Change]] = []

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.ran.add(report.nodeid)
        records = getattr(report, CHANGES_ATTRIBUTE, None)
        if isinstance(records, list):
            from seamrec.review.changes import Change

            self.changes += [(report.nodeid, Change.from_record(r)) for r in records]

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        self.collected += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Fewer items than were collected: deselected (-k, -m, --deselect), or dropped by
        a plugin without saying so. Either way the run is partial."""
        if self.collected > len(session.items):
            self.deselected = True


# No __eq__ or __repr__ (unused): dataclasses compiles each method it generates on import.
@dataclass(eq=False, repr=False)
class RecordEnd:
    """What the end of a recording run did, for the terminal summary."""

    rootdir: Path
    contracts: ContractUpdate
    stale: StaleReport
    full_run: bool = False
    unreadable: list[CassetteError] = field(default_factory=list)


def finish_run(
    session: pytest.Session,
    mode: Mode | None,
    stats: Stats,
    observer: RunObserver,
    settled: Mapping[Path, Cassette] | None = None,
) -> RecordEnd | None:
    """Contract files and stale cassettes after recording; the --seams-report file.
    Problems become `stats.write_errors` (an `error:` line, and the run fails).
    `settled`: the cassettes this process wrote or found unchanged (not read again)."""
    config = session.config
    end = None
    if mode is Mode.RECORD:
        settings = run_settings(config)  # read and checked when the run started
        scopes = run_scopes(session, observer)
        try:
            end = after_recording(
                settings.rootdir, settings.cassette_dir, observer.ran, scopes, settled
            )
        except OSError as exc:
            stats.write_errors.append(f"cannot write the contract files: {exc}")
        else:
            stats.write_errors += [
                f"{error}; the contract files were left as they were (fix or re-record it)"
                for error in end.unreadable
            ]
    report_path = config.getoption("seams_report")
    if report_path is not None:
        try:
            write_report(config.invocation_params.dir / report_path, observer, mode)
        except OSError as exc:
            stats.write_errors.append(f"--seams-report={report_path}: cannot write it ({exc})")
    return end


def run_scopes(session: pytest.Session, observer: RunObserver) -> list[str] | None:
    """The rootdir-relative paths a record run covered completely, or None when the run
    was filtered (-k, -m, --lf, --deselect, --sw, node ids, deselection) or cut short
    (-x, Ctrl-C, an internal error)."""
    config = session.config
    if observer.deselected or observer.interrupted or session.shouldstop or session.shouldfail:
        return None
    if session.exitstatus not in _COMPLETE:
        return None
    if any(config.getoption(name, None) for name in _FILTERS):
        return None
    scopes = []
    for arg in config.args:
        if "::" in arg:
            return None
        path = (config.invocation_params.dir / arg).resolve()
        try:
            scopes.append(path.relative_to(config.rootpath).as_posix())
        except ValueError:
            return None  # tests outside the rootdir: cassette ids could not match
    return scopes


def after_recording(
    rootdir: Path,
    cassette_dir: Path,
    ran: set[str],
    scopes: list[str] | None,
    settled: Mapping[Path, Cassette] | None = None,
) -> RecordEnd:
    """Rewrite the contract files from every cassette, unless one cannot be read (then a
    contract would silently lose its lines); find stale cassettes if the run was full.
    The cassettes in `settled` are taken from memory, the others read from disk."""
    from seamrec.review.contract import ContractUpdate, write_contracts
    from seamrec.review.stale import StaleReport, stale_in_run

    cassettes, errors = read_cassettes(cassette_dir, payloads=False, known=settled)
    contracts = ContractUpdate()
    if not errors:
        contracts = write_contracts(cassette_dir, [c for _, c in cassettes])
    stale = StaleReport()
    if scopes is not None:
        stale = stale_in_run(rootdir, cassettes, ran, scopes)
    return RecordEnd(rootdir, contracts, stale, full_run=scopes is not None, unreadable=errors)


def safe_change_records(findings: list[Finding]) -> list[dict[str, Any]]:
    """The changes of a test's findings as plain data; a finding seamrec cannot describe
    becomes a plain "drift" entry rather than an error in the run."""
    from seamrec.review.changes import Change, finding_changes

    records = []
    for finding in findings:
        try:
            records += [c.to_record() for c in finding_changes(finding)]
        except Exception as exc:
            detail = f"could not be described: {type(exc).__name__}: {exc}"
            records.append(Change(finding.seam, "drift", finding.part, detail=detail).to_record())
    return records


def write_report(target: Path, observer: RunObserver, mode: Mode | None) -> None:
    """Write the report atomically (a half-written report is never left behind)."""
    from seamrec.review.changes import group_reported
    from seamrec.review.render import render

    fmt = report_format(str(target)) or "json"
    run = f"{mode.value} run" if mode is not None else "no seamrec option: replay markers only"
    title = f"seamrec: seam changes found by pytest ({run})"
    text = render(group_reported(observer.changes), title, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text.encode())
