"""One test's crossing calls: recorded into a cassette, or checked against one.

A ``Tape`` is fed by the session from inside the seam wrappers, possibly from several
threads at once: positions are handed out under a lock, so no call is lost and each call
of a seam has its own position. Shapes of every call are kept run-length encoded as the
calls end (a hot seam with 100,000 calls of one shape holds one run); full payloads are
kept only for the first ``payload_calls`` calls of each seam. Nothing here imports
deepdiff: a drift only stores what is needed to explain it later.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from seamrec.cassette.store import Call, Cassette, Run
from seamrec.config import SeamPattern
from seamrec.model.codec import pack
from seamrec.model.nesting import NestingRecorder, Parent, absent_calls
from seamrec.model.shape import Shape, compatible
from seamrec.model.shape_types import CollShape, CutShape
from seamrec.runtime.align import align

UNFINISHED: Shape = CutShape.build("unfinished")
EXTRAS_KEPT = 1000  # calls beyond the recording kept per seam to align them; then by position
ALIGNED_CALLS = 100_000  # a seam with more calls than this in a test is matched by position


@dataclass
class Finding:
    """A drift at one call of one seam (or a run of missing/unrecorded calls)."""

    seam: str
    index: int
    part: str  # "args" | "return" | "raise" | "yield" | "outcome" | "missing" | "unrecorded"
    recorded_shape: Shape | None = None
    live_shape: Shape | None = None
    recorded_payload: bytes | None = None
    live_payload: bytes | None = None
    recorded_outcome: str = ""
    live_outcome: str = ""
    count: int = 1
    recorded_total: int = 0
    message: str = ""
    context: bytes | None = None  # the live call's arguments, so secrets in them are known


class LiveCall:
    """A call in flight: what is known from its start until it ends."""

    __slots__ = (
        "args_context",
        "args_drift",
        "args_payload",
        "args_shape",
        "caller",
        "expected",
        "extra",
        "held",
        "index",
        "item_payloads",
        "items",
        "outcome",
        "result_drift",
        "result_payload",
        "result_shape",
        "seam",
        "sequence",
    )

    def __init__(
        self,
        seam: str,
        caller: str,
        index: int,
        sequence: int,
        args_shape: Shape,
        args_payload: bytes | None,
        expected: tuple[Shape, str, Shape] | None,
    ) -> None:
        self.seam = seam
        self.caller = caller
        self.index = index
        self.sequence = sequence
        self.args_shape = args_shape
        self.args_payload = args_payload
        self.expected = expected
        self.outcome = ""
        self.result_shape: Shape = UNFINISHED
        self.result_payload: bytes | None = None
        self.items: list[Shape] = []
        self.item_payloads: list[bytes] = []
        self.args_drift = False
        self.args_context: object = None  # bound arguments, packed once a drift needs them
        self.result_drift = False
        self.held = False
        self.extra = False  # a call beyond the recording, kept for the alignment


class Tape:
    """Calls of one test, in order, per seam."""

    def __init__(
        self,
        nodeid: str,
        expected: Cassette | None,
        payload_calls: int,
        replay: tuple[SeamPattern, ...] = (),
        nesting: bool = False,
    ) -> None:
        self.nodeid = nodeid
        self.expected = expected
        self.payload_calls = payload_calls
        self.replay = replay
        self.replayed = 0
        self._replays: dict[str, bool] = {}
        self.details: list[LiveCall] = []
        self.generators: list[LiveCall] = []
        self.findings: list[Finding] = []
        self.runs: dict[str, list[list[Any]]] = {}
        self._counts: dict[str, int] = {}
        self._committed: dict[str, int] = {}
        self._waiting: dict[str, dict[int, tuple[Shape, str, Shape]]] = {}
        self._sequence = 0
        self._lock = threading.Lock()
        self._expected_cache: dict[str, tuple[list[int], list[Run]]] = {}
        self._finding_keys: dict[tuple[Any, ...], Finding] = {}
        self._unrecorded: dict[str, Finding] = {}
        self._held: list[LiveCall] = []
        self._extras: dict[str, dict[int, LiveCall]] = {}
        self._nesting = NestingRecorder() if nesting else None
        self._kept = self._expected_calls() if replay else {}

    def _expected_calls(self) -> dict[str, list[int]]:
        """For each seam with recorded calls made inside a replayed call (which do not
        happen now: the replayed seam is not called), the recorded positions still
        expected, in order; live call `i` of such a seam is held against the `i`th."""
        if self.expected is None or self.expected.nesting is None:
            return {}  # recorded before nesting was kept: every call is expected
        absent = absent_calls(self.expected.nesting, self.replays)
        return {
            seam: [j for j in range(self._recorded_total(seam)) if j not in skipped]
            for seam, skipped in absent.items()
        }

    def allocate(self, seam: str, parent: Parent | None = None) -> tuple[int, int]:
        """Next position of `seam` in this test and the global sequence number; when
        recording, `parent` is the call this one is made in."""
        with self._lock:
            index = self._counts.get(seam, 0)
            self._counts[seam] = index + 1
            sequence = self._sequence
            self._sequence = sequence + 1
            if self._nesting is not None:
                self._nesting.add(seam, parent)
            return index, sequence

    def recorded_index(self, seam: str, index: int) -> int:
        """The position in the cassette of the call expected at live position `index`
        (they differ when recorded calls before it were made inside a replayed call)."""
        kept = self._kept.get(seam)
        if kept is None:
            return index
        if index < len(kept):
            return kept[index]
        return self._recorded_total(seam) + index - len(kept)  # beyond the recording

    def replays(self, seam: str) -> bool:
        """True when calls of `seam` are answered from the cassette in this test."""
        known = self._replays.get(seam)
        if known is None:
            module, _, qualname = seam.partition(":")
            known = self._replays[seam] = any(p.matches(module, qualname) for p in self.replay)
        return known

    def note_replay_error(self, seam: str, message: str) -> None:
        """A replayed call that could not give back its recorded outcome: `message` says
        what and how to fix it (lines)."""
        self.note_drift(Finding(seam, 0, "replay", message=message))

    def wants_payload(self, index: int) -> bool:
        """Full payloads are kept for the first `payload_calls` calls of each seam."""
        return index < self.payload_calls

    def keep_detail(self, call: LiveCall) -> None:
        """Keep a call's full payloads for the cassette."""
        with self._lock:
            self.details.append(call)

    def commit(self, seam: str, index: int, shapes: tuple[Shape, str, Shape]) -> None:
        """Add the shapes of call `index` of `seam` to its runs, in position order."""
        with self._lock:
            done = self._committed.get(seam, 0)
            if index != done:
                self._waiting.setdefault(seam, {})[index] = shapes
                return
            self._append(seam, shapes)
            done += 1
            waiting = self._waiting.get(seam)
            while waiting and done in waiting:
                self._append(seam, waiting.pop(done))
                done += 1
            self._committed[seam] = done

    def _append(self, seam: str, shapes: tuple[Shape, str, Shape]) -> None:
        runs = self.runs.get(seam)
        if runs is None:
            self.runs[seam] = [[*shapes, 1]]
            return
        last = runs[-1]
        args, outcome, result = shapes
        if (
            (last[0] is args or last[0] == args)
            and last[1] == outcome
            and (last[2] is result or last[2] == result)
        ):
            last[3] += 1
        else:
            runs.append([args, outcome, result, 1])

    def expected_at(self, seam: str, index: int) -> tuple[Shape, str, Shape] | None:
        """What the cassette recorded for call `index` of `seam`, if anything (found by
        bisecting the runs: a run of 10**12 calls costs nothing to look into)."""
        if self.expected is None:
            return None
        if self._kept:
            kept = self._kept.get(seam)
            if kept is not None:
                if index >= len(kept):
                    return None
                index = kept[index]
        cached = self._expected_cache.get(seam)
        if cached is None:
            runs = self.expected.runs.get(seam, [])
            ends = list(accumulate(run.count for run in runs))
            cached = self._expected_cache[seam] = (ends, runs)
        ends, runs = cached
        if not ends or index >= ends[-1]:
            return None
        run = runs[bisect_right(ends, index)]
        return run.args_shape, run.outcome, run.result_shape

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
                    recorded_total=self.recorded_count(call.seam),
                )
            else:
                finding.count += 1

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

    def recorded_count(self, seam: str) -> int:
        """How many recorded calls of `seam` are expected (the cassette's calls, less
        those made inside a replayed call)."""
        kept = self._kept.get(seam)
        return self._recorded_total(seam) if kept is None else len(kept)

    def _recorded_total(self, seam: str) -> int:
        if self.expected is None:
            return 0
        return sum(run.count for run in self.expected.runs.get(seam, []))

    def recorded_payload(self, seam: str, index: int, part: str) -> bytes | None:
        """The recorded args or result of one expected call, packed, when its detail was
        kept."""
        if self.expected is None:
            return None
        detail = self.expected.detail(seam, self.recorded_index(seam, index))
        if detail is None:
            return None
        return pack(detail.args if part == "args" else detail.result)

    def hold(self, call: LiveCall) -> None:
        """Keep a call that does not fit its position; `settle` decides if it drifted."""
        with self._lock:
            if not call.held:
                call.held = True
                self._held.append(call)

    def settle(self, everything: bool = True) -> tuple[list[Finding], list[Finding]]:
        """Turn held calls into findings; the unrecorded and missing calls besides.

        A seam whose calls all fit their positions costs nothing here. Otherwise its live
        calls are aligned with the recorded ones like lines in a diff (`seamrec.runtime.align`),
        so one extra or missing call is reported once as itself; calls that only changed
        places (threads, a changed order) fit a different recorded call and pass. A seam
        too long to align falls back to matching by position, the held calls matched as a
        multiset."""
        by_seam: dict[str, list[LiveCall]] = {}
        for call in self._held:
            by_seam.setdefault(call.seam, []).append(call)
        recorded_order = list(self.expected.runs) if self.expected is not None else []
        # held seams first: drifts are reported in the order they were seen
        seams = list(dict.fromkeys([*by_seam, *recorded_order, *self._counts]))
        unrecorded: list[Finding] = []
        missing: list[Finding] = []
        for seam in seams:
            if not everything and not self.replays(seam):
                continue
            held = by_seam.get(seam, [])
            live, recorded = self._counts.get(seam, 0), self.recorded_count(seam)
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
        rec = [self.expected_at(seam, j) for j in range(recorded)]

        def live_at(i: int) -> tuple[Shape, str, Shape] | None:
            call = odd.get(i)
            if call is None:
                return rec[i] if i < recorded else None
            return call.args_shape, call.outcome, call.result_shape

        shapes = [live_at(i) for i in range(live)]
        alignment = align(
            live,
            recorded,
            lambda i, j: _fits_shapes(rec[j], shapes[i]),
            head=min(odd, default=live),
        )
        if alignment is None:
            return False
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
                    live_shape=shape[0] if shape is not None else None,
                    live_payload=call.args_payload if call is not None else None,
                    count=count,
                    recorded_total=recorded,
                )
            )
        for first, count in _blocks(alignment.missing):
            missing.append(Finding(seam, first, "missing", count=count, recorded_total=recorded))
        return True

    def _report_pair(
        self,
        seam: str,
        call: LiveCall | None,
        shapes: tuple[Shape, str, Shape] | None,
        index: int,
        expected: tuple[Shape, str, Shape] | None,
        total: int,
    ) -> None:
        """A live call in the place of recorded call `index` that does not fit it."""
        if call is not None and call.index == index:
            self._report(call)
            return
        if shapes is None or expected is None:
            return
        args, outcome, result = shapes
        if not compatible(expected[0], args):
            self.note_drift(
                Finding(
                    seam,
                    index,
                    "args",
                    expected[0],
                    args,
                    self.recorded_payload(seam, index, "args"),
                    call.args_payload if call is not None else None,
                    recorded_total=total,
                )
            )
        if outcome and (expected[1] != outcome or not compatible(expected[2], result)):
            self.note_drift(
                Finding(
                    seam,
                    index,
                    "outcome" if expected[1] != outcome else outcome,
                    expected[2],
                    result,
                    self.recorded_payload(seam, index, "result"),
                    call.result_payload if call is not None else None,
                    expected[1],
                    outcome,
                    recorded_total=total,
                    context=call.args_payload or _packed(call.args_context)
                    if call is not None
                    else None,
                )
            )

    def _report(self, call: LiveCall) -> None:
        expected = call.expected
        if expected is None:
            return
        total = self.recorded_count(call.seam)
        if call.args_drift:
            self.note_drift(
                Finding(
                    call.seam,
                    call.index,
                    "args",
                    expected[0],
                    call.args_shape,
                    self.recorded_payload(call.seam, call.index, "args"),
                    call.args_payload,
                    recorded_total=total,
                )
            )
        if call.result_drift:
            outcome = expected[1]
            self.note_drift(
                Finding(
                    call.seam,
                    call.index,
                    "outcome" if outcome != call.outcome else outcome,
                    expected[2],
                    call.result_shape,
                    self.recorded_payload(call.seam, call.index, "result"),
                    call.result_payload,
                    outcome,
                    call.outcome,
                    recorded_total=total,
                    context=call.args_payload or _packed(call.args_context),
                )
            )

    def check_result(self, call: LiveCall) -> None:
        """Compare how a generator call ended with what was recorded at its position."""
        expected = call.expected
        if expected is None:
            return
        _, outcome, result_shape = expected
        if outcome == call.outcome and (
            result_shape == call.result_shape or compatible(result_shape, call.result_shape)
        ):
            return
        call.result_drift = True
        self.hold(call)

    def finish_check(self, everything: bool = True) -> list[Finding]:
        """All findings, including recorded calls that no longer happen (of every seam,
        or of the replayed seams only)."""
        for call in self.generators:
            call.result_shape = yield_shape(call.items)
            self.check_result(call)
        unrecorded, missing = self.settle(everything)
        return list(self.findings) + unrecorded + missing

    def to_cassette(self, decode: Any) -> Cassette:
        """The cassette of everything recorded; `decode` turns payload bytes into trees."""
        for call in self.generators:
            call.result_shape = yield_shape(call.items)
            self.commit(call.seam, call.index, (call.args_shape, "yield", call.result_shape))
        started = {(c.seam, c.index): c.args_shape for c in self.details}
        for seam, count in self._counts.items():
            waiting = self._waiting.pop(seam, {})
            for index in range(self._committed.get(seam, 0), count):
                unfinished = (started.get((seam, index), UNFINISHED), "return", UNFINISHED)
                self._append(seam, waiting.get(index, unfinished))
            self._committed[seam] = count
        cassette = Cassette(test=self.nodeid)
        for seam in sorted(self.runs, key=self._first_sequence):
            cassette.runs[seam] = [Run(a, o, r, c) for a, o, r, c in self.runs[seam]]
        if self._nesting is not None:
            cassette.nesting = self._nesting.nesting(list(cassette.runs))
        for call in sorted(self.details, key=lambda c: c.sequence):
            result: Any = None
            if call.outcome == "yield":
                result = [decode(item) for item in call.item_payloads]
            elif call.result_payload is not None:
                result = decode(call.result_payload)
            cassette.calls.append(
                Call(
                    call.seam,
                    call.caller,
                    call.index,
                    call.args_shape,
                    call.outcome or "return",
                    call.result_shape,
                    decode(call.args_payload),
                    result,
                )
            )
        cassette.keep_consistent_formats()
        return cassette

    def _first_sequence(self, seam: str) -> int:
        return min((c.sequence for c in self.details if c.seam == seam), default=1 << 62)

    def call_count(self) -> int:
        """How many crossing calls this test made."""
        return sum(self._counts.values())


def _packed(context: object) -> bytes | None:
    return context if isinstance(context, bytes) else None


def _fits_shapes(
    expected: tuple[Shape, str, Shape] | None, live: tuple[Shape, str, Shape] | None
) -> bool:
    """Whether a live call's shapes fit a recorded call (an unfinished call: its args)."""
    if expected is None or live is None:
        return False
    if expected is live or expected == live:
        return True
    args, outcome, result = live
    if not compatible(expected[0], args):
        return False
    if not outcome:
        return True
    return outcome == expected[1] and compatible(expected[2], result)


def _blocks(indices: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive positions as (first, count)."""
    blocks: list[tuple[int, int]] = []
    for index in sorted(indices):
        if blocks and blocks[-1][0] + blocks[-1][1] == index:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + 1)
        else:
            blocks.append((index, 1))
    return blocks


def _fits_call(expected: tuple[Shape, str, Shape], call: LiveCall) -> bool:
    args, outcome, result = expected
    if not compatible(args, call.args_shape):
        return False
    if not call.outcome:  # never finished (a coroutine never awaited): arguments only
        return True
    return outcome == call.outcome and compatible(result, call.result_shape)


def yield_shape(items: list[Shape]) -> Shape:
    """The result shape of a generator call: the union of the items it yielded."""
    return CollShape.build("yield", tuple(dict.fromkeys(items)))
