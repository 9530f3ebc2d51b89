"""The failure message of a test whose seams drifted or whose cassette is broken.

Imported only when a test has a finding: it loads the change engine (`review`), which a
clean run never needs.
"""

from __future__ import annotations

from typing import Any

from seamrec.commands import rerecord_command
from seamrec.model.codec import short_repr, unpack
from seamrec.review.explain import explain
from seamrec.review.http_text import http_change_lines, part_name
from seamrec.runtime.adapters.httpseams import is_http
from seamrec.runtime.adapters.sqlstatement import SEAM_PREFIX, sql_change_lines
from seamrec.runtime.session import TestOutcome
from seamrec.runtime.tape import Finding


def safe_failure_text(outcome: TestOutcome) -> str:
    """`failure_text`, or a plainer message if explaining fails (a damaged cassette must
    fail its own test, never the whole run)."""
    try:
        return failure_text(outcome)
    except Exception as exc:
        seams = ", ".join(sorted({f.seam for f in outcome.findings}))
        return (
            f"seam drift in {outcome.nodeid}\n  at {seams} (the drift could not be explained: "
            f"{type(exc).__name__}: {exc}; the cassette may be damaged)\n"
            f"  re-record: {rerecord_command(outcome.nodeid)}"
        )


def failure_text(outcome: TestOutcome) -> str:
    """The failure message of a test whose seams drifted or whose cassette is broken."""
    lines: list[str] = []
    if outcome.cassette_error is not None:
        lines.append(f"seamrec cannot use the cassette of {outcome.nodeid}")
        lines.append(f"  {outcome.cassette_error}")
    else:
        replay_only = all(f.part == "replay" for f in outcome.findings)
        title = "seam replay failed in" if replay_only else "seam drift in"
        lines.append(f"{title} {outcome.nodeid}")
        for finding in outcome.findings:
            lines.extend(finding_lines(finding))
    lines.append(f"  re-record: {rerecord_command(outcome.nodeid)}")
    return "\n".join(lines)


def finding_lines(finding: Finding) -> list[str]:
    """The lines that describe one finding, indented under the test."""
    total = finding.recorded_total
    more = finding.count - 1
    repeat = f"; {more} more call{'s' if more > 1 else ''} drifted the same way" if more else ""
    if finding.part == "missing":
        first = finding.index + 1
        last = finding.index + finding.count
        span = (
            f"call {first} of {total} recorded no longer happens"
            if first == last
            else (f"calls {first}-{last} of {total} recorded no longer happen")
        )
        return [f"  {finding.seam}  call missing  ({span})"]
    if finding.part == "replay":
        return [
            f"  {finding.seam}  replay failed",
            *(f"    {m}" for m in finding.message.split("\n")),
        ]
    if finding.part == "unrecorded":
        extra = f"{finding.count} calls" if finding.count > 1 else "1 call"
        where = "beyond" if finding.index >= total else "not among"
        return [
            f"  {finding.seam}  unrecorded call  (call {finding.index + 1}; {extra} {where} the "
            f"{total} recorded)"
        ]
    header = f"  {finding.seam}  {finding.part}  (call {finding.index + 1} of {total}{repeat})"
    if finding.part == "outcome":
        live = _view(finding.live_payload)
        example = f"   {short_repr(live)}" if live is not _NO_VIEW else ""
        return [
            header,
            f"    outcome changed  {finding.recorded_outcome} → {finding.live_outcome}{example}",
        ]
    if finding.recorded_shape is None or finding.live_shape is None:
        return [header]
    changes = explain(
        finding.recorded_shape,
        finding.live_shape,
        *_payload_pair(finding.recorded_payload, finding.live_payload),
    )
    if finding.seam.startswith(SEAM_PREFIX):
        was = [f"    {finding.message}"] if finding.message else []
        return [header, *was, *(f"    {line}" for line in sql_change_lines(changes, finding.part))]
    if is_http(finding.seam):
        header = header.replace(f"  {finding.part}  ", f"  {part_name(finding.part)}  ", 1)
        return [header, *(f"    {line}" for line in http_change_lines(changes, finding.part))]
    lines = [f"    {change.render(finding.part)}" for change in changes]
    return [header, *lines]


def _payload_pair(recorded: bytes | None, live: bytes | None) -> tuple[Any, ...]:
    old, new = _view(recorded), _view(live)
    if old is _NO_VIEW or new is _NO_VIEW:  # the shape explanation stands without examples
        return ()
    return old, new


_NO_VIEW = object()


def _view(data: bytes | None) -> Any:
    if data is None:
        return _NO_VIEW
    try:
        return unpack(data)
    except Exception:  # shown as missing rather than failing the report
        return _NO_VIEW
