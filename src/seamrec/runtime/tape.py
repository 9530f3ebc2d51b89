"""One test's crossing calls, recorded as they happen (the check verdict is `verdict.py`).

A ``Tape`` is fed from inside the seam wrappers, possibly from several threads at once:
no call is lost and each call of a seam has its own position. A seam's positions come
from its own ``itertools.count``: ``next()`` on it is one call into C that holds the GIL
from reading the count to storing the next one, so two threads never get the same
position and no lock is taken. When recording, a call made inside another call takes
its position and notes its parent together under the tape's lock (the nesting is kept
in position order); a call made by the test itself takes no lock. Shapes
of every call are kept run-length encoded as the calls end (a hot seam with 100,000
calls of one shape holds one run); full payloads are kept only for the first
``payload_calls`` calls of each seam.
"""

from __future__ import annotations

import itertools
import operator
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from seamrec.cassette.store import Cassette, Run, new_call
from seamrec.model.nesting import NestingRecorder, Parent
from seamrec.model.shape import Shape
from seamrec.model.shape_types import CollShape
from seamrec.runtime.callproxy import compiled_part
from seamrec.runtime.calls import UNFINISHED, Finding, LiveCall

__all__ = ["UNFINISHED", "Finding", "LiveCall", "Tape", "yield_shape"]

_thread_id = threading.get_ident


_STEADY_COMMIT = compiled_part("SteadyCommit")  # None: pure Python


class Tape:
    """Calls of one test, in order, per seam."""

    def __init__(self, nodeid: str, payload_calls: int, nesting: bool = False) -> None:
        self.nodeid = nodeid
        self.payload_calls = payload_calls
        self.replayed = 0  # calls answered from the cassette instead of made
        self.details: list[LiveCall] = []
        self.generators: list[LiveCall] = []  # generator calls, ended when the test ends
        self.runs: dict[str, list[Run]] = {}
        self._positions: dict[str, Iterator[int]] = {}  # seam -> its next positions
        self._committed: dict[str, int] = {}
        self._waiting: dict[str, dict[int, Run]] = {}  # seam -> calls ended out of order
        self._last_runs: dict[str, Run] = {}  # seam -> its last run (`runs[seam][-1]`)
        # `steady(seam, index, args, result)`: commits a call that returned with the shapes
        # of its seam's last run, in position order, in one C call without the lock (True),
        # or changes nothing (False: `commit` it); None without the compiled path
        self.steady: Any = (
            None
            if _STEADY_COMMIT is None
            else _STEADY_COMMIT(self._last_runs, self._committed, self._waiting, Run)
        )
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._nesting = NestingRecorder() if nesting else None
        self.owner = threading.get_ident()  # the thread running the test
        self.pooled: set[str] = set()  # seams called from another thread (a worker pool)
        # the strategy's per-seam states of this test (`seamstate`), found through the tape
        # a call read, so a late call of an ended test never touches the next test's
        self.states: dict[str, Any] = {}

    def allocate(self, seam: str, parent: Parent | None = None) -> tuple[int, int]:
        """Next position of `seam` in this test and the global sequence number; when
        recording, `parent` is the call this one is made in (see `nest`)."""
        if _thread_id() != self.owner:
            self.pooled.add(seam)
        if parent is None or self._nesting is None:
            return next(self.positions(seam)), next(self._sequence)
        return self.nest(seam, parent), next(self._sequence)

    def nest(self, seam: str, parent: Parent) -> int:
        """Next position of `seam`, for a call made inside call `parent` (recording): the
        position and the parent are noted together under the lock, so the nesting is
        kept in position order; a call made by the test itself takes its position with
        `next()` alone and is noted as such from the gap (`NestingRecorder.add_at`)."""
        positions = self._positions.get(seam) or self.positions(seam)
        lock = self._lock
        lock.acquire()  # not `with` (see `commit`)
        try:
            index = next(positions)
            self._nesting.add_at(seam, parent, index)  # type: ignore[union-attr]
        finally:
            lock.release()
        return index

    def positions(self, seam: str) -> Iterator[int]:
        """The positions of `seam`'s calls, each taken by `next()` (when recording, not by
        a call made inside another call: see `nest`); made on the seam's first call, in
        the order of first calls."""
        positions = self._positions.get(seam)
        if positions is None:  # one atomic setdefault: two threads get the same counter
            positions = self._positions.setdefault(seam, itertools.count())
        return positions

    def sequence(self) -> Iterator[int]:
        """The sequence numbers of this test's calls, each taken by `next()`."""
        return self._sequence

    def wants_payload(self, index: int) -> bool:
        """Full payloads are kept for the first `payload_calls` calls of each seam."""
        return index < self.payload_calls

    def keep_detail(self, call: LiveCall) -> None:
        """Keep a call's full payloads for the cassette."""
        with self._lock:
            self.details.append(call)

    def keep_generator(self, call: LiveCall) -> None:
        """A generator call: its shape is the union of its items, known at the end."""
        call.outcome = "yield"
        self.generators.append(call)

    def drop_generator(self, call: LiveCall) -> None:
        """A generator call that raised: it ends like a function call."""
        call.outcome = "raise"
        self.generators.remove(call)

    def commit(self, seam: str, index: int, args: Shape, outcome: str, result: Shape) -> None:
        """Add the shapes of call `index` of `seam` to its runs, in position order."""
        lock = self._lock
        lock.acquire()  # not `with`: its bound __enter__/__exit__ cost more than the rest
        try:
            last = self._last_runs.get(seam)
            if (
                last is not None  # the steady state: one more call of the last run, in order
                and last.args_shape is args
                and last.result_shape is result
                and index == self._committed[seam]
                and last.outcome == outcome
                and seam not in self._waiting
            ):
                last.count += 1
                self._committed[seam] = index + 1
                return
            self._commit(seam, index, args, outcome, result)
        finally:
            lock.release()

    def _commit(self, seam: str, index: int, args: Shape, outcome: str, result: Shape) -> None:
        """`commit` beyond the steady state (under the lock): a call out of order waits
        for the calls before it. `steady` commits without the lock, but never while a
        call of the seam waits, and reads `_committed` before `_waiting` is emptied."""
        done = self._committed.get(seam, 0)
        waiting = self._waiting.get(seam)
        if index != done:
            if waiting is None:
                waiting = self._waiting[seam] = {}
            waiting[index] = Run(args, outcome, result, 1)
            done = self._committed.get(seam, 0)  # `steady` may have reached it meanwhile
            if index != done:
                return
        else:
            self._append(seam, args, outcome, result)
            done += 1
        if waiting is not None:
            while done in waiting:
                run = waiting.pop(done)
                self._append(seam, run.args_shape, run.outcome, run.result_shape)
                done += 1
            self._committed[seam] = done
            if not waiting:
                del self._waiting[seam]
            return
        self._committed[seam] = done

    def _append(self, seam: str, args: Shape, outcome: str, result: Shape) -> None:
        runs = self.runs.get(seam)
        if runs is None:
            run = Run(args, outcome, result, 1)
            self.runs[seam] = [run]
            self._last_runs[seam] = run
            return
        last = runs[-1]
        if (
            (last.args_shape is args or last.args_shape == args)
            and last.outcome == outcome
            and (last.result_shape is result or last.result_shape == result)
        ):
            last.count += 1
        else:
            run = Run(args, outcome, result, 1)
            runs.append(run)
            self._last_runs[seam] = run

    def count(self, seam: str) -> int:
        """How many calls of `seam` this test made."""
        positions = self._positions.get(seam)
        return 0 if positions is None else _taken(positions)

    def seams(self) -> list[str]:
        """The seams this test called, in the order of their first call."""
        return list(self._positions)

    def counts(self) -> dict[str, int]:
        """`count` of every seam this test called, in the order of `seams`."""
        return {seam: _taken(positions) for seam, positions in list(self._positions.items())}

    def to_cassette(self, decode: Any) -> Cassette:
        """The cassette of everything recorded; `decode` turns payload bytes into trees."""
        for call in self.generators:
            call.result_shape = yield_shape(call.items)
            self.commit(call.seam, call.index, call.args_shape, "yield", call.result_shape)
        started: dict[tuple[str, int], Shape] | None = None  # made for an unfinished call
        counts: dict[str, int] = {}  # each seam's calls, read once
        for seam, positions in list(self._positions.items()):
            count = counts[seam] = _taken(positions)
            waiting = self._waiting.pop(seam, {})
            for index in range(self._committed.get(seam, 0), count):
                run = waiting.get(index)
                if run is None:
                    if started is None:
                        started = {(c.seam, c.index): c.args_shape for c in self.details}
                    run = Run(started.get((seam, index), UNFINISHED), "return", UNFINISHED, 1)
                self._append(seam, run.args_shape, run.outcome, run.result_shape)
            self._committed[seam] = count
        cassette = Cassette(test=self.nodeid)
        first: dict[str, int] = {}  # each seam's first kept call, in one pass over them
        for call in self.details:
            known = first.get(call.seam)
            if known is None or call.sequence < known:
                first[call.seam] = call.sequence
        for seam in sorted(self.runs, key=lambda seam: first.get(seam, 1 << 62)):
            cassette.runs[seam] = list(self.runs[seam])
        if self._nesting is not None:
            counts = {seam: counts.get(seam) or self.count(seam) for seam in cassette.runs}
            cassette.nesting = self._nesting.nesting(list(cassette.runs), counts)
        for call in _in_position_order(sorted(self.details, key=_by_sequence)):
            result: Any = None
            if call.outcome == "yield":
                result = [decode(item) for item in call.item_payloads]
            elif call.result_payload is not None:
                result = decode(call.result_payload)
            cassette.calls.append(
                new_call(
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

    def call_count(self) -> int:
        """How many crossing calls this test made."""
        return sum(map(_taken, list(self._positions.values())))


_by_sequence = operator.attrgetter("sequence")


def _in_position_order(kept: list[LiveCall]) -> list[LiveCall]:
    """The kept calls in sequence order, each seam's own in position order in the slots
    its calls hold: a position and a sequence number are two `next()` calls, not taken
    together, so two threads calling one seam may take them crosswise (position 0 with
    the later number); a cassette lists a seam's calls by position, as when the two were
    taken under the tape's lock. Already in order (one thread): the same list."""
    last: dict[str, int] = {}  # each seam's last position so far: in order, the same list
    for call in kept:
        if last.get(call.seam, -1) > call.index:
            break
        last[call.seam] = call.index
    else:
        return kept
    slots: dict[str, list[int]] = {}
    for slot, call in enumerate(kept):
        slots.setdefault(call.seam, []).append(slot)
    ordered = list(kept)
    for taken in slots.values():
        calls = sorted((kept[slot] for slot in taken), key=lambda call: call.index)
        for slot, call in zip(taken, calls, strict=True):
            ordered[slot] = call
    return ordered


def _taken(positions: Iterator[int]) -> int:
    """How many positions an `itertools.count()` has handed out: its next one, which its
    repr shows (`count(7)`) without taking it."""
    text = repr(positions)
    return int(text[text.index("(") + 1 : -1])


def yield_shape(items: Sequence[Shape]) -> Shape:
    """The result shape of a generator call: the union of the items it yielded."""
    return CollShape.build("yield", tuple(dict.fromkeys(items)))
