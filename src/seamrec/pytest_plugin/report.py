"""Words for the user: the terminal summary of a run (a drift's failure message is in
`failure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seamrec.cassette.store import display_path
from seamrec.runtime.stats import Mode, Stats

if TYPE_CHECKING:
    from seamrec.pytest_plugin.run_end import RecordEnd


def summary_lines(mode: Mode, stats: Stats, end: RecordEnd | None = None) -> list[str]:
    """The terminal summary of a run (`end`: what the end of a recording run did)."""
    counts = {
        Mode.RECORD: [f"{stats.calls_recorded} calls recorded"],
        Mode.CHECK: [f"{stats.calls_checked} calls checked"],
        Mode.REPLAY: [],
    }[mode]
    if stats.calls_replayed or mode is Mode.REPLAY:
        counts.append(f"{stats.calls_replayed} calls replayed")
    calls = ", ".join(counts)
    lines = [f"seamrec ({mode.value}): {stats.seams_wrapped} seams wrapped, {calls}"]
    if stats.db_queries:
        done = {Mode.RECORD: "recorded", Mode.CHECK: "checked", Mode.REPLAY: "checked"}[mode]
        lines.append(
            f"database: {_count(len(stats.db_statements), 'statement')}, "
            f"{_count(stats.db_queries, 'query')} {done}".replace("querys", "queries")
        )
    if stats.http_requests:
        done = {Mode.RECORD: "recorded", Mode.CHECK: "checked", Mode.REPLAY: "checked"}[mode]
        lines.append(
            f"http: {_count(len(stats.http_endpoints), 'endpoint')}, "
            f"{_count(stats.http_requests, 'request')} {done}"
        )
    if mode is Mode.RECORD:
        kept = len(stats.kept_failed)
        removed = (
            f", {len(stats.removed)} removed (the test crosses no seam any more)"
            if stats.removed
            else ""
        )
        lines.append(
            f"cassettes: {stats.written} written, {stats.unchanged} unchanged, "
            f"{kept} kept because the test failed{removed}"
        )
        lines.extend(f"  kept (test failed): {nodeid}" for nodeid in stats.kept_failed)
        lines.extend(f"  removed: {nodeid}" for nodeid in stats.removed)
        if stats.idle:
            lines.append(
                f"{_count(len(stats.idle), 'test')} crossed no seam this time; their old "
                "cassettes were left in place, as no seam was wrapped at all:"
            )
            lines.extend(f"  {nodeid}" for nodeid in stats.idle)
        if end is not None:
            lines += record_end_lines(end)
    else:
        unrecorded = f", {len(stats.unrecorded)} unrecorded" if mode is Mode.CHECK else ""
        lines.append(
            f"{_count(len(stats.drifted), 'test')} drifted{unrecorded}, "
            f"{len(stats.broken)} with unusable cassettes"
        )
        lines.extend(f"  drifted: {nodeid}" for nodeid in stats.drifted)
        lines.extend(f"  replay failed: {nodeid}" for nodeid in stats.replay_failed)
        lines.extend(f"  unusable cassette: {nodeid}" for nodeid in stats.broken)
        lines.extend(f"  unrecorded: {nodeid}" for nodeid in stats.unrecorded)
        if stats.unrecorded:
            lines.append("  record them with: pytest --record-seams")
    if stats.calls_outside:
        verb = {Mode.RECORD: "recorded", Mode.CHECK: "checked", Mode.REPLAY: "replayed"}[mode]
        lines.append(
            f"{_count(stats.calls_outside, 'call')} outside tests, not {verb} (imports, "
            "collection, shared fixtures, teardown: they belong to no single test)"
        )
    for seam, holders in stats.unredirected.items():
        lines.append(
            f"not recorded when called through {', '.join(holders)}: {seam} "
            "(captured before seamrec could wrap it)"
        )
    lines += skipped_lines(stats.skipped)
    lines.extend(f"error: {error}" for error in stats.write_errors)
    if stats.budget_cut:
        lines.append(
            f"warning: {_count(len(stats.budget_cut), 'seam')} passed a payload over the "
            "per-call budget; recorded with a <cut: budget> marker: " + ", ".join(stats.budget_cut)
        )
    lines.extend(
        f"error: {seam} has recorded calls, but seamrec could not wrap it this run, so they "
        "were not checked (see the warning above)"
        for seam in stats.lost_recorded
    )
    if not stats.seams_wrapped and not stats.http_endpoints:  # HTTP seams are not wrapped
        lines.append("warning: no seams were wrapped; check boundaries and seams in [tool.seamrec]")
    lines.extend(f"warning: {warning}" for warning in stats.warnings)
    lines += lost_lines(stats)
    return lines


_SHOWN = 20  # lost seams and errors named one by one; the rest are counted


def lost_lines(stats: Stats) -> list[str]:
    """`warning:` lines for what seamrec's own failures left unrecorded: seams it could not
    wrap (counted and named) and calls, outcomes or cassettes lost to internal errors."""
    lines: list[str] = []
    if stats.lost:
        modules = sum(1 for name in stats.lost if ":" not in name)
        counts = [_count(modules, "module")] if modules else []
        if len(stats.lost) > modules:
            counts.append(_count(len(stats.lost) - modules, "seam"))
        lines.append(
            f"warning: {' and '.join(counts)} not recorded: seamrec failed to wrap them (an "
            "internal error; please report it)"
        )
        shown = list(stats.lost.items())[:_SHOWN]
        lines += [f"  {seam}: {'; '.join(reasons)}" for seam, reasons in shown]
        if len(stats.lost) > _SHOWN:
            lines.append(f"  and {len(stats.lost) - _SHOWN} more")
    errors = [*stats.instrumentation_errors, *stats.internal_errors]
    lines += [f"warning: seamrec internal error: {error}" for error in errors[:_SHOWN]]
    if len(errors) > _SHOWN:
        lines.append(f"warning: and {len(errors) - _SHOWN} more seamrec internal errors")
    return lines


def skipped_lines(skipped: dict[str, list[str]]) -> list[str]:
    """One line per kind of object seamrec left alone without evaluating it: each name
    once, with the modules (or classes) holding it."""
    lines = []
    for kind, places in skipped.items():
        names = sorted({place.rpartition(".")[2] for place in places})
        holders = sorted({place.rpartition(".")[0] for place in places})
        lines.append(
            f"not inspected: {_some(names, 8)} in {_some(holders, 6)} (a {kind}; "
            "seamrec never evaluates a proxy, so it cannot be a seam)"
        )
    return lines


def _some(items: list[str], shown: int) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def record_end_lines(end: RecordEnd) -> list[str]:
    """What the end of a recording run did to the contract files and found stale."""
    update, rootdir, stale = end.contracts, end.rootdir, end.stale
    if end.unreadable:
        lines = ["contracts: not updated, a cassette cannot be read (see the error below)"]
    else:
        lines = [
            f"contracts: {len(update.written)} written, {update.unchanged} unchanged, "
            f"{len(update.removed)} removed"
        ]
    lines += [f"  removed: {display_path(p, rootdir)}" for p in update.removed]
    if not end.full_run:
        lines.append("stale cassettes: not looked for (only part of the suite ran)")
        return lines
    if stale.stale:
        lines.append(
            f"{_count(len(stale.stale), 'stale cassette')} (their tests no longer exist; "
            "`seamrec prune --yes` deletes them):"
        )
        lines += [f"  {display_path(path, rootdir)}  ({test})" for path, test in stale.stale]
    if stale.other_parameters:
        lines.append(
            "kept, their test functions exist with other parameters here "
            "(delete by hand if these parameters are gone for good):"
        )
        lines += [f"  {test}" for test in stale.other_parameters]
    return lines
