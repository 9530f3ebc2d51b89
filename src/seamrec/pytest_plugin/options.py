"""The plugin's command-line options and the checks on them; imports nothing but pytest,
so a run without a seamrec option pays for nothing else."""

from __future__ import annotations

from typing import Any

import pytest

MARKER = (
    "seams(replay=[patterns]): answer these seams from the test's cassette in any run "
    "that is not recording"
)
REPORT_FORMATS = {".json": "json", ".md": "markdown", ".markdown": "markdown"}


def add_options(parser: pytest.Parser) -> None:
    """Register --record-seams, --check-seams, --replay-seams and --seams-report."""
    group = parser.getgroup("seamrec", "seamrec: record and check the payloads at module seams")
    group.addoption(
        "--record-seams",
        action="store_true",
        default=False,
        help="record the payloads crossing the configured seams into per-test cassettes",
    )
    group.addoption(
        "--check-seams",
        action="store_true",
        default=False,
        help="fail tests whose seam payloads drifted in shape from their cassettes",
    )
    group.addoption(
        "--replay-seams",
        nargs="?",
        const="",
        default=None,
        metavar="PATTERNS",
        help="answer the seams matched by [tool.seamrec] replay (or by the comma-separated "
        "module:Qualname PATTERNS given here) from the cassettes instead of calling them",
    )
    group.addoption(
        "--seams-report",
        default=None,
        metavar="PATH",
        help="write the run's seam changes to PATH: JSON if it ends in .json, Markdown if .md",
    )


def requested_mode(namespace: Any) -> str | None:
    """The mode the options ask for ("record", "check" or "replay"), or None without a
    mode option; a combination that makes no sense is a `pytest.UsageError`."""
    record, check, replay = namespace.record_seams, namespace.check_seams, namespace.replay_seams
    if record and (check or replay is not None):
        other = "--check-seams" if check else "--replay-seams"
        raise pytest.UsageError(
            f"--record-seams and {other} cannot be used together: record first, then "
            "check or replay in a later run"
        )
    if record and namespace.seams_report is not None:
        raise pytest.UsageError(
            "--seams-report reports what --check-seams or --replay-seams found; a record run "
            "accepts every change (see them with: seamrec diff)"
        )
    if record:
        return "record"
    if check:
        return "check"
    return "replay" if replay is not None else None


def report_format(path: str) -> str | None:
    """The report format, "json" or "markdown", by the file suffix; None if neither."""
    lowered = path.lower()
    return next((fmt for suffix, fmt in REPORT_FORMATS.items() if lowered.endswith(suffix)), None)


def check_report_path(path: str | None) -> None:
    """A `--seams-report` path whose format cannot be told is a `pytest.UsageError`."""
    if path is not None and report_format(path) is None:
        raise pytest.UsageError(f"--seams-report={path}: the file name must end in .json or .md")


def replay_marker_texts(items: list[pytest.Item]) -> list[tuple[pytest.Item, list[str]]]:
    """The `@pytest.mark.seams(replay=[...])` patterns of each test that has some."""
    marked = []
    for item in items:
        texts = [t for mark in item.iter_markers("seams") for t in mark.kwargs.get("replay", ())]
        if texts:
            marked.append((item, texts))
    return marked
