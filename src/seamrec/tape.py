"""One test's crossing calls: recorded into a cassette, or checked against one.

A ``Tape`` is fed by the session from inside the seam wrappers, possibly from several
threads at once; index allocation happens under a lock, so no call is lost and each
call of a seam gets its own position. Everything here is called on the hot path and is
kept free of deepdiff; a drift only stores what is needed to explain it later.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from seamrec.cassette import Call, Cassette, Run
from seamrec.shape import Shape, compatible

UNFINISHED: Shape = ("cut", "unfinished")


@dataclass
class Finding:
    """A drift at one call of one seam (or a run of missing/unrecorded calls)."""

    seam: str
    index: int
    part: str  # "args" | "return" | "raise" | "yield" | "outcome" | "missing" | "unrecorded"
    recorded_shape: Shape | None = None
    live_shape: Shape | None = None
    recorded_payload: Any = None
    live_payload: Any = None
    recorded_outcome: str = ""
    live_outcome: str = ""
    count: int = 1
    recorded_total: int = 0


@dataclass
class LiveCall:
    """A call in flight: what is known from its start until it ends."""

    seam: str
    caller: str
    index: int
    sequence: int
    args_shape: Shape
    args_payload: Any
    expected: tuple[Shape, str, Shape] | None
    outcome: str = ""
    result_shape: Shape = UNFINISHED
    result_payload: Any = None
    items: list[Shape] = field(default_factory=list)
    item_payloads: list[Any] = field(default_factory=list)


class Tape:
    """Calls of one test, in order, per seam."""

    def __init__(self, nodeid: str, expected: Cassette | None, payload_calls: int) -> None:
        self.nodeid = nodeid
        self.expected = expected
        self.payload_calls = payload_calls
        self.calls: list[LiveCall] = []
        self.findings: list[Finding] = []
        self._counts: dict[str, int] = {}
        self._sequence = 0
        self._lock = threading.Lock()
        self._expected_cache: dict[str, list[tuple[Shape, str, Shape]]] = {}
        self._finding_keys: dict[tuple[Any, ...], Finding] = {}
        self._unrecorded: dict[str, Finding] = {}
        self.generators: list[LiveCall] = []

    def allocate(self, seam: str) -> tuple[int, int]:
        """Next position of `seam` in this test and the global sequence number."""
        with self._lock:
            index = self._counts.get(seam, 0)
            self._counts[seam] = index + 1
            sequence = self._sequence
            self._sequence += 1
            return index, sequence

    def wants_payload(self, index: int) -> bool:
        """Full payloads are kept for the first `payload_calls` calls of each seam."""
        return index < self.payload_calls

    def expected_at(self, seam: str, index: int) -> tuple[Shape, str, Shape] | None:
        """What the cassette recorded for call `index` of `seam`, if anything."""
        if self.expected is None:
            return None
        shapes = self._expected_cache.get(seam)
        if shapes is None:
            shapes = list(self.expected.shapes_at(seam))
            self._expected_cache[seam] = shapes
        return shapes[index] if index < len(shapes) else None

    def keep(self, call: LiveCall) -> None:
        """Remember a call for the cassette (record mode)."""
        with self._lock:
            self.calls.append(call)

    def note_unrecorded(self, call: LiveCall) -> None:
        """A live call with no recording at its position."""
        with self._lock:
            finding = self._unrecorded.get(call.seam)
            if finding is None:
                total = self.recorded_count(call.seam)
                self._unrecorded[call.seam] = Finding(
                    call.seam,
                    call.index,
                    "unrecorded",
                    live_shape=call.args_shape,
                    live_payload=call.args_payload,
                    recorded_total=total,
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
        )
        with self._lock:
            known = self._finding_keys.get(key)
            if known is None:
                self._finding_keys[key] = finding
                self.findings.append(finding)
            else:
                known.count += 1

    def recorded_count(self, seam: str) -> int:
        """How many calls of `seam` the cassette holds."""
        if self.expected is None:
            return 0
        return sum(run.count for run in self.expected.runs.get(seam, []))

    def check_result(self, call: LiveCall) -> None:
        """Compare how a call ended with what was recorded at its position."""
        expected = call.expected
        if expected is None:
            return
        _, outcome, result_shape = expected
        if outcome != call.outcome:
            self.note_drift(
                Finding(
                    call.seam,
                    call.index,
                    "outcome",
                    result_shape,
                    call.result_shape,
                    self.recorded_payload(call.seam, call.index, "result"),
                    call.result_payload,
                    outcome,
                    call.outcome,
                    recorded_total=self.recorded_count(call.seam),
                )
            )
        elif result_shape != call.result_shape and not compatible(result_shape, call.result_shape):
            self.note_drift(
                Finding(
                    call.seam,
                    call.index,
                    outcome,
                    result_shape,
                    call.result_shape,
                    self.recorded_payload(call.seam, call.index, "result"),
                    call.result_payload,
                    outcome,
                    call.outcome,
                    recorded_total=self.recorded_count(call.seam),
                )
            )

    def recorded_payload(self, seam: str, index: int, part: str) -> Any:
        """The recorded args or result tree of one call, when its detail was kept."""
        if self.expected is None:
            return None
        detail = self.expected.detail(seam, index)
        if detail is None:
            return None
        return detail.args if part == "args" else detail.result

    def finish_check(self) -> list[Finding]:
        """All findings, including recorded calls that no longer happen."""
        for call in self.generators:
            call.result_shape = yield_shape(call.items)
            self.check_result(call)
        findings = list(self.findings) + list(self._unrecorded.values())
        if self.expected is not None:
            for seam in self.expected.runs:
                recorded = self.recorded_count(seam)
                live = self._counts.get(seam, 0)
                if live < recorded:
                    findings.append(
                        Finding(
                            seam,
                            live,
                            "missing",
                            count=recorded - live,
                            recorded_total=recorded,
                        )
                    )
        return findings

    def to_cassette(self) -> Cassette:
        """The cassette of everything recorded, calls in the order they started."""
        cassette = Cassette(test=self.nodeid)
        for call in sorted(self.calls, key=lambda c: c.sequence):
            if call.outcome == "yield":
                call.result_shape = yield_shape(call.items)
                call.result_payload = call.item_payloads if call.args_payload is not None else None
            outcome = call.outcome or "return"
            runs = cassette.runs.setdefault(call.seam, [])
            last = runs[-1] if runs else None
            if (
                last is not None
                and last.args_shape == call.args_shape
                and last.outcome == outcome
                and last.result_shape == call.result_shape
            ):
                runs[-1] = Run(last.args_shape, outcome, last.result_shape, last.count + 1)
            else:
                runs.append(Run(call.args_shape, outcome, call.result_shape, 1))
            if call.args_payload is not None:
                cassette.calls.append(
                    Call(
                        call.seam,
                        call.caller,
                        call.index,
                        call.args_shape,
                        outcome,
                        call.result_shape,
                        call.args_payload,
                        call.result_payload,
                    )
                )
        return cassette

    def call_count(self) -> int:
        """How many crossing calls this test made."""
        return sum(self._counts.values())


def yield_shape(items: list[Shape]) -> Shape:
    """The result shape of a generator call: the union of the items it yielded."""
    return ("coll", "yield", tuple(dict.fromkeys(items)))
