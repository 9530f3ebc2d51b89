"""The check verdict of one test: which live calls drifted from their recording.

Calls that fit their recorded position cost nothing here; a call that does not is held,
and `settle` decides at the end of the test whether it drifted (it may only have changed
places). Fed from inside the seam wrappers, possibly from several threads at once: every
change is made under a lock. Nothing here imports deepdiff: a drift only stores what is
needed to explain it later.
"""

from __future__ import annotations

import threading
from typing import Any

from seamrec.cassette.store import Run
from seamrec.model.shape import compatible
from seamrec.runtime.align import Alignment, align
from seamrec.runtime.calls import Finding, LiveCall
from seamrec.runtime.expected import Expected
from seamrec.runtime.repeats import drop_repeat_counts, fits_shapes
from seamrec.runtime.tape import Tape, yield_shape

EXTRAS_KEPT = 1000  # calls beyond the recording kept per seam to align them; then by position
ALIGNED_CALLS = 100_000  # a seam with more calls than this in a test is matched by position


class Verdict:
    """The drifts of one test's live calls (its `tape`) against `expected`."""

    def __init__(self, tape: Tape, expected: Expected) -> None:
        self.tape = tape
        self.expected = expected
        self.findings: list[Finding] = []
        self._finding_keys: dict[tuple[Any, ...], Finding] = {}
        self._unrecorded: dict[str, Finding] = {}
        self._held: list[LiveCall] = []
        self._extras: dict[str, dict[int, LiveCall]] = {}
        self._lock = threading.Lock()

    def note_unrecorded(self, call: LiveCall) -> None:
        """A live call with no recording at its position."""
        with self._lock:
            extras = self._extras.setdefault(call.seam, {})
            if len(extras) < EXTRAS_KEPT:
                call.extra = True
                extras[call.index] = call
            finding = self._unrecorded.get(call.seam)
            if finding is None:
                self._unrecorded[call.seam] = Finding(
                    call.seam,
                    call.index,
                    "unrecorded",
                    live_shape=call.args_shape,
                    live_payload=call.args_payload,
                    recorded_total=self.expected.recorded_count(call.seam),
                )
            else:
                finding.count += 1

    def note_replay_error(self, seam: str, message: str) -> None:
        """A replayed call that could not give back its recorded outcome: `message` says
        what and how to fix it (lines)."""
        self.note_drift(Finding(seam, 0, "replay", message=message))

    def note_drift(self, finding: Finding) -> None:
        """Keep the first finding of each kind of drift per seam; count the repeats."""
        key = (
            finding.seam,
            finding.part,
            finding.recorded_shape,
            finding.live_shape,
            finding.recorded_outcome,
            finding.live_outcome,
            finding.message,
        )
        with self._lock:
            known = self._finding_keys.get(key)
            if known is None:
                self._finding_keys[key] = finding
                self.findings.append(finding)
            else:
                known.count += 1

    def hold(self, call: LiveCall) -> None:
        """Keep a call that does not fit its position; `settle` decides if it drifted."""
        with self._lock:
            if not call.held:
                call.held = True
                self._held.append(call)

    def check_result(self, call: LiveCall) -> None:
        """Compare how a generator call ended with what was recorded at its position."""
        expected = call.expected
        if expected is None:
            return
        if expected.outcome == call.outcome and (
            expected.result_shape == call.result_shape
            or compatible(expected.result_shape, call.result_shape)
        ):
            return
        call.result_drift = True
        self.hold(call)

    def finish(self, everything: bool = True) -> list[Finding]:
        """All findings, including recorded calls that no longer happen (of every seam,
        or of the replayed seams only)."""
        for call in self.tape.generators:
            call.result_shape = yield_shape(call.items)
            self.check_result(call)
        unrecorded, missing = self.settle(everything)
        return list(self.findings) + unrecorded + missing

    def settle(self, everything: bool = True) -> tuple[list[Finding], list[Finding]]:
        """Turn held calls into findings; the unrecorded and missing calls besides.

        A seam whose calls all fit their positions costs nothing here. Otherwise its live
        calls are aligned with the recorded ones like lines in a diff (`seamrec.runtime.align`),
        so one extra or missing call is reported once as itself; calls that only changed
        places (threads, a changed order) fit a different recorded call and pass, and so
        do calls that only change how often a repeated kind of call repeats
        (`seamrec.runtime.repeats`). A seam
        too long to align falls back to matching by position, the held calls matched as a
        multiset."""
        by_seam: dict[str, list[LiveCall]] = {}
        for call in self._held:
            by_seam.setdefault(call.seam, []).append(call)
        recorded_order = self.expected.seams()
        counts = self.tape.counts()  # each seam's live calls, read once
        totals = self.expected.recorded_counts()  # and recorded calls
        # held seams first: drifts are reported in the order they were seen
        seams = list(dict.fromkeys([*by_seam, *recorded_order, *counts]))
        unrecorded: list[Finding] = []
        missing: list[Finding] = []
        for seam in seams:
            if not everything and not self.expected.replays(seam):
                continue
            held = by_seam.get(seam, [])
            live, recorded = counts.get(seam, 0), totals.get(seam, 0)
            if not held and live == recorded:
                continue
            if recorded and self._aligned(seam, held, live, recorded, unrecorded, missing):
                continue
            self._by_position(held)
            if seam in self._unrecorded:
                unrecorded.append(self._unrecorded[seam])
            if live < recorded:
                missing.append(
                    Finding(seam, live, "missing", count=recorded - live, recorded_total=recorded)
                )
        seen = list(self._unrecorded)
        unrecorded.sort(key=lambda f: seen.index(f.seam) if f.seam in seen else len(seen))
        missing.sort(key=lambda f: recorded_order.index(f.seam))
        return unrecorded, missing

    def _by_position(self, held: list[LiveCall]) -> None:
        """Held calls matched as a multiset against the recordings at their positions."""
        unused = [call.expected for call in held]
        for call in held:
            match = next((e for e in unused if e is not None and _fits_call(e, call)), None)
            if match is not None:
                unused.remove(match)
            else:
                self._report(call)

    def _aligned(
        self,
        seam: str,
        held: list[LiveCall],
        live: int,
        recorded: int,
        unrecorded: list[Finding],
        missing: list[Finding],
    ) -> bool:
        """Align the calls of `seam` and note what differs; False if it cannot be done."""
        extras = self._extras.get(seam, {})
        if live > recorded and len(extras) < live - recorded:
            return False  # not every call beyond the recording was kept
        if max(live, recorded) > ALIGNED_CALLS:
            return False
        odd: dict[int, LiveCall] = {call.index: call for call in held}
        odd.update(extras)
        rec = [self.expected.at(seam, j) for j in range(recorded)]

        def live_at(i: int) -> Run | None:
            call = odd.get(i)
            if call is None:
                return rec[i] if i < recorded else None
            return call.shapes()

        shapes = [live_at(i) for i in range(live)]
        alignment = align(
            live,
            recorded,
            lambda i, j: fits_shapes(rec[j], shapes[i]),
            head=min(odd, default=live),
        )
        if alignment is None:
            return False
        if self._scheduled_count(seam, alignment, shapes, rec):
            return True
        drop_repeat_counts(alignment, shapes, rec)
        for i, j in alignment.changed:
            self._report_pair(seam, odd.get(i), shapes[i], j, rec[j], recorded)
        for first, count in _blocks(alignment.extra):
            call = odd.get(first)
            shape = shapes[first]
            unrecorded.append(
                Finding(
                    seam,
                    first,
                    "unrecorded",
                    live_shape=shape.args_shape if shape is not None else None,
                    live_payload=call.args_payload if call is not None else None,
                    count=count,
                    recorded_total=recorded,
                )
            )
        for first, count in _blocks(alignment.missing):
            missing.append(Finding(seam, first, "missing", count=count, recorded_total=recorded))
        return True

    def _scheduled_count(
        self, seam: str, alignment: Alignment, live: list[Run | None], recorded: list[Run | None]
    ) -> bool:
        """True when the calls of `seam` differ only in how many there were, and the seam
        was called from worker threads: a per-thread setup (a connection's first use in
        each thread of a pool) runs as often as the scheduler hands work to new threads.
        Every extra live call fits some recorded call and every missing recorded call is
        fitted by some live call; a seam no longer called at all is still reported."""
        extra, missing = alignment.extra, alignment.missing
        if seam not in self.tape.pooled or alignment.changed or not (extra or missing):
            return False
        kinds = list({id(run): run for run in recorded}.values())  # a run of calls: one Run
        live_kinds = list({id(run): run for run in live}.values())
        return all(any(fits_shapes(r, live[i]) for r in kinds) for i in extra) and all(
            any(fits_shapes(recorded[j], shape) for shape in live_kinds) for j in missing
        )

    def _report_pair(
        self,
        seam: str,
        call: LiveCall | None,
        shapes: Run | None,
        index: int,
        expected: Run | None,
        total: int,
    ) -> None:
        """A live call in the place of recorded call `index` that does not fit it."""
        if call is not None and call.index == index:
            self._report(call)
            return
        if shapes is None or expected is None:
            return
        if not compatible(expected.args_shape, shapes.args_shape):
            self.note_drift(
                Finding(
                    seam,
                    index,
                    "args",
                    expected.args_shape,
                    shapes.args_shape,
                    self.expected.recorded_payload(seam, index, "args"),
                    call.args_payload if call is not None else None,
                    recorded_total=total,
                )
            )
        outcome, result = shapes.outcome, shapes.result_shape
        if outcome and (
            expected.outcome != outcome or not compatible(expected.result_shape, result)
        ):
            self.note_drift(
                Finding(
                    seam,
                    index,
                    "outcome" if expected.outcome != outcome else outcome,
                    expected.result_shape,
                    result,
                    self.expected.recorded_payload(seam, index, "result"),
                    call.result_payload if call is not None else None,
                    expected.outcome,
                    outcome,
                    recorded_total=total,
                    context=call.args_payload or call.args_context if call is not None else None,
                )
            )

    def _report(self, call: LiveCall) -> None:
        expected = call.expected
        if expected is None:
            return
        total = self.expected.recorded_count(call.seam)
        if call.args_drift:
            self.note_drift(
                Finding(
                    call.seam,
                    call.index,
                    "args",
                    expected.args_shape,
                    call.args_shape,
                    self.expected.recorded_payload(call.seam, call.index, "args"),
                    call.args_payload,
                    recorded_total=total,
                )
            )
        if call.result_drift:
            outcome = expected.outcome
            self.note_drift(
                Finding(
                    call.seam,
                    call.index,
                    "outcome" if outcome != call.outcome else outcome,
                    expected.result_shape,
                    call.result_shape,
                    self.expected.recorded_payload(call.seam, call.index, "result"),
                    call.result_payload,
                    outcome,
                    call.outcome,
                    recorded_total=total,
                    context=call.args_payload or call.args_context,
                )
            )


def _blocks(indices: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive positions as (first, count)."""
    blocks: list[tuple[int, int]] = []
    for index in sorted(indices):
        if blocks and blocks[-1][0] + blocks[-1][1] == index:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + 1)
        else:
            blocks.append((index, 1))
    return blocks


def _fits_call(expected: Run, call: LiveCall) -> bool:
    if not compatible(expected.args_shape, call.args_shape):
        return False
    if not call.outcome:  # never finished (a coroutine never awaited): arguments only
        return True
    return expected.outcome == call.outcome and compatible(expected.result_shape, call.result_shape)
