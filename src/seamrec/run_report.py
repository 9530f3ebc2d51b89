"""`--seams-report=PATH`: the run's seam changes as JSON or Markdown, grouped like
`seamrec diff`; and the observer that gathers them (and which tests ran) from the test
reports, which also reach the xdist controller."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamrec.cassette import write_atomic
from seamrec.changes import Change, group_reported
from seamrec.review import render
from seamrec.session import Mode

_FORMATS = {".json": "json", ".md": "markdown", ".markdown": "markdown"}


class RunObserver:
    """Pytest hooks: which tests ran, whether any were deselected, what drifted."""

    def __init__(self) -> None:
        self.ran: set[str] = set()
        self.deselected = False
        self.changes: list[tuple[str, Change]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.ran.add(report.nodeid)
        for name, value in report.user_properties:
            if name == "seamrec_changes" and isinstance(value, list):
                self.changes += [(report.nodeid, Change.from_record(v)) for v in value]


def report_format(path: str) -> str | None:
    """ "json" or "markdown" by the file suffix, None if neither."""
    return _FORMATS.get(Path(path).suffix.lower())


def write_report(target: Path, observer: RunObserver, mode: Mode | None) -> None:
    """Write the report atomically (a half-written report is never left behind)."""
    fmt = report_format(str(target)) or "json"
    run = f"{mode.value} run" if mode is not None else "no seamrec mode: nothing was checked"
    title = f"seamrec: seam changes found by pytest ({run})"
    text = render(group_reported(observer.changes), title, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text.encode())
