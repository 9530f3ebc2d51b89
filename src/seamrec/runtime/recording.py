"""Record mode: every crossing call's shapes onto the tape, payloads of the first calls,
and which call each call was made in; a passed test's tape becomes its cassette."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from threading import get_ident
from typing import Any, TypeVar, cast

from seamrec.cassette.store import Cassette
from seamrec.config import SeamPattern, Settings
from seamrec.model.conform import ArgsCheck, Check, compile_args, compile_value
from seamrec.model.nesting import ENCLOSING
from seamrec.model.shape import Shape
from seamrec.runtime.callproxy import compiled_part
from seamrec.runtime.calls import LiveCall
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.proxies import awaited, leave
from seamrec.runtime.seamstate import SeamState
from seamrec.runtime.stats import Stats
from seamrec.runtime.strategy import EVENT_MODULES_HTTP, Strategy
from seamrec.runtime.tape import Tape
from seamrec.runtime.writer import CassetteWriter

__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback


_RECORD_STEP = compiled_part("RecordStep")  # None: pure Python
_UNORDERED = -1  # the sequence number of a call that keeps no payload: never read


KEPT_SHAPES = 4  # distinct shapes (with their strict checks) kept per seam and side


class _LastShapes:
    """The previous call's shapes of one seam, each paired with the strict check that
    reuses it, and a few older pairs (`earlier_args`, `earlier_result`, newest first):
    a seam whose calls alternate between shapes (a method of several subclasses, a
    value with or without a format) reuses each. A pair, and each tuple of older
    pairs, is replaced as one tuple, so threads never mix two calls' shapes."""

    __slots__ = ("args", "earlier_args", "earlier_result", "result")

    def __init__(self) -> None:
        self.args: tuple[Shape, ArgsCheck | None] = ((), None)
        self.result: tuple[Shape, Check | None] = ((), None)
        self.earlier_args: tuple[tuple[Shape, ArgsCheck], ...] = ()
        self.earlier_result: tuple[tuple[Shape, Check], ...] = ()


_Pair = TypeVar("_Pair", bound=tuple[Any, ...])


def _moved_back(
    earlier: tuple[_Pair, ...], taken: _Pair | None, latest: tuple[Shape, Any]
) -> tuple[_Pair, ...]:
    """The older pairs once `taken` (one of them, or None for a new shape) becomes the
    last: `latest`, the last until now, goes first when it has a check; at most
    `KEPT_SHAPES - 1` are kept."""
    kept = tuple(pair for pair in earlier if pair is not taken)
    if latest[1] is not None:
        kept = (cast(_Pair, latest), *kept)
    return kept[: KEPT_SHAPES - 1]


def _earlier_fitting(
    earlier: tuple[_Pair, ...], latest: tuple[Shape, Any], fits: Callable[[Any], bool]
) -> tuple[_Pair, tuple[_Pair, ...]] | None:
    """The first of the older pairs whose check `fits`, with the older pairs once it
    becomes the last (None: none fits)."""
    for pair in earlier:
        if fits(pair[1]):
            return pair, _moved_back(earlier, pair, latest)
    return None


class _RecordedSeam(SeamState):
    """A seam's state while recording: its state in the test, its last shapes, and the
    first position whose call keeps no payload and builds no `LiveCall` (a plain
    function's call past the tape's `payload_calls`; never, for other kinds)."""

    __slots__ = ("last", "shapes_only_from")

    def __init__(self, seam: Seam, tape: Tape, last: _LastShapes) -> None:
        super().__init__(seam, tape.positions(seam.id))
        self.last = last
        self.shapes_only_from = tape.payload_calls if self.function else sys.maxsize


class RecordStrategy(Strategy):
    """Records the crossing calls of every test; writes the cassettes of passed tests."""

    nests = True

    def __init__(self, settings: Settings, stats: Stats, report: Report) -> None:
        super().__init__(settings, stats, report)
        self._last: dict[str, _LastShapes] = {}
        # the strict checks compiled so far, by shape: a shape seen again (in another seam,
        # or back after the seam's kept shapes moved on) is not compiled again
        self._args_checks: dict[Shape, ArgsCheck | None] = {}
        self._result_checks: dict[Shape, Check | None] = {}
        self._writer = CassetteWriter(settings, stats, report)

    def begin(self, nodeid: str, replay: tuple[SeamPattern, ...]) -> None:
        """Start the tape of `nodeid`; with the compiled path, a plain function's steady
        call is recorded by a `RecordStep` over this tape, which hands `run` the rest."""
        super().begin(nodeid, replay)
        if _RECORD_STEP is not None:
            self.crossing = _RECORD_STEP(self, self.tape, ENCLOSING, _RecordedSeam, _LastShapes)

    def run(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Record one call, made inside the enclosing call (see `seamrec.model.nesting`).
        A plain function's call that keeps no payload builds no `LiveCall` unless it
        raises; its shapes are the last call's while their strict checks pass."""
        tape = self.tape
        if tape is None:  # the test ended under a call on another thread
            self.stats.calls_outside += 1
            return wrapped(*args, **kwargs)
        call: LiveCall | None = None
        sid = seam.id
        try:
            state = tape.states.get(sid)
            if state is None:
                state = self._seam_state(tape, seam)
            parent = ENCLOSING.get()  # None: made by the test itself, no lock (`Tape.nest`)
            index = next(state.positions) if parent is None else tape.nest(sid, parent)
            if get_ident() != tape.owner:  # a worker thread's call
                tape.pooled.add(sid)
            if index >= state.shapes_only_from:
                if kwargs or len(args) != state.arity:
                    names, values = seam.bind(instance, args, kwargs)
                elif state.has_self:
                    names, values = state.names, [instance, *args]
                else:
                    names, values = state.names, list(args)
                last = state.last
                shape, fits = last.args
                if fits is None or not fits(names, values):
                    shape = self._args_shape(seam, names, values)
            else:
                sequence = next(tape.sequence())
                call = self._started(tape, seam, caller, index, sequence, instance, args, kwargs)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a call of {seam.id}")
            return wrapped(*args, **kwargs)
        if call is not None:
            return self._run_started(tape, seam, call, wrapped, args, kwargs)
        inside = ENCLOSING.set((sid, index))
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            self._record_raised(tape, sid, caller, index, shape, exc)
            raise
        finally:
            try:  # noqa: SIM105 - `leave`, without its frame
                ENCLOSING.reset(inside)
            except (ValueError, RuntimeError):
                pass
        try:
            result_shape, fits_result = last.result
            if fits_result is None or not fits_result([result]):
                result_shape = self._result_shape(sid, result)
            steady = tape.steady
            if steady is None or not steady(sid, index, shape, result_shape):
                tape.commit(sid, index, shape, "return", result_shape)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"the outcome of a call of {sid}")
        return result

    def _record_raised(
        self, tape: Tape, sid: str, caller: str, index: int, shape: Shape, exc: Exception
    ) -> None:
        """Commit call `index` (no payload kept) that raised `exc`."""
        sequence = next(tape.sequence())  # only a kept payload's order reads it
        call = LiveCall(sid, caller, index, sequence, shape, None, None)
        self.end(tape, call, "raise", exc)

    def _record_kept(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        index: int,
        kwargs: dict[str, Any],
    ) -> Any:
        """The rest of `run` for a plain function's call at `index` (taken by the
        compiled step) that keeps its payload (a method's `wrapped` is bound to
        `instance`, and `args` follow `self`)."""
        try:
            sequence = next(tape.sequence())
            call = self._started(tape, seam, caller, index, sequence, instance, args, kwargs)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a call of {seam.id}")
            return wrapped(*args, **kwargs)
        return self._run_started(tape, seam, call, wrapped, args, kwargs)

    def _seam_state(self, tape: Tape, seam: Seam) -> _RecordedSeam:
        """The state of `seam` in the test of `tape`, made on its first call."""
        state: _RecordedSeam | None = tape.states.get(seam.id)
        if state is None:
            last = self._last.get(seam.id)
            if last is None:
                last = self._last.setdefault(seam.id, _LastShapes())
            state = tape.states.setdefault(seam.id, _RecordedSeam(seam, tape, last))
        return state

    def _run_started(
        self,
        tape: Tape,
        seam: Seam,
        call: LiveCall,
        wrapped: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        if seam.kind == "async":
            return awaited(self, tape, call, wrapped, args, kwargs, seam.qualname)
        inside = ENCLOSING.set((seam.id, call.index))
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            self.end(tape, call, "raise", exc)
            raise
        finally:
            leave(inside)
        if seam.kind == "function":
            self.end(tape, call, "return", result)
            return result
        return self.returned(tape, seam, call, result)

    def start(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> LiveCall:
        """Take the call's position; its args shape (reused from the last call of the
        seam while that one's strict check passes) and, for the first calls, payload."""
        index, sequence = tape.allocate(seam.id, ENCLOSING.get())
        return self._started(tape, seam, caller, index, sequence, instance, args, kwargs)

    def _started(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        index: int,
        sequence: int,
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> LiveCall:
        """The call at position `index` (taken), its args shaped and maybe packed."""
        names, values = seam.bind(instance, args, kwargs)
        shape = self._args_shape(seam, names, values)
        payload = self.pack_args(seam, names, values) if tape.wants_payload(index) else None
        call = LiveCall(seam.id, caller, index, sequence, shape, payload, None)
        if payload is not None:
            tape.keep_detail(call)
        return call

    def _args_shape(self, seam: Seam, names: tuple[str, ...], values: list[Any]) -> Shape:
        """The args shape, reused from the last call of the seam, or one of the few
        before it, whose strict check passes (that one becomes the last)."""
        last = self._last.get(seam.id)
        if last is None:
            last = self._last[seam.id] = _LastShapes()
        latest = last.args
        shape, check = latest
        if check is not None and check(names, values):
            return shape
        earlier = last.earlier_args
        found = _earlier_fitting(earlier, latest, lambda check: check(names, values))
        if found is not None:
            last.earlier_args = found[1]
            last.args = found[0]
            return found[0][0]
        shape = self.args_shape(seam, names, values)
        last.earlier_args = _moved_back(earlier, None, latest)
        last.args = (shape, self._args_check(shape))
        return shape

    def _args_check(self, shape: Shape) -> ArgsCheck | None:
        """The strict check of args `shape`, compiled once per shape."""
        checks = self._args_checks
        try:
            return checks[shape]
        except KeyError:
            check = checks[shape] = compile_args(shape, self.shape_of, strict=True, objects=True)
            return check

    def _result_shape(self, seam: str, value: object) -> Shape:
        """The result shape, reused like the args shape."""
        last = self._last[seam]
        latest = last.result
        shape, check = latest
        column = [value]
        if check is not None and check(column):
            return shape
        earlier = last.earlier_result
        found = _earlier_fitting(earlier, latest, lambda check: check(column))
        if found is not None:
            last.earlier_result = found[1]
            last.result = found[0]
            return found[0][0]
        shape = self.shape_of(value)
        last.earlier_result = _moved_back(earlier, None, latest)
        last.result = (shape, self._result_check(shape))
        return shape

    def _result_check(self, shape: Shape) -> Check | None:
        """The strict check of result `shape`, compiled once per shape."""
        checks = self._result_checks
        try:
            return checks[shape]
        except KeyError:
            check = checks[shape] = compile_value(shape, self.shape_of, strict=True, objects=True)
            return check

    def end(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None:
        """Commit the call's shapes (the result's reused like the args'), with its
        payload when the call keeps one."""
        try:
            call.outcome = outcome
            shape = self._result_shape(call.seam, value)
            call.result_shape = shape
            if call.args_payload is not None:
                call.result_payload = self.pack(value)
            tape.commit(call.seam, call.index, call.args_shape, outcome, shape)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"the outcome of a call of {call.seam}")

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None:
        """Start a database or HTTP crossing: `start` for a seam whose one argument is
        `value` (no binding), its position taken like a call's in `run` (the seam's
        state in the test) and its args shape reused like a call's."""
        tape = self.tape
        if tape is None:
            return None
        sid = seam.id
        try:
            state = tape.states.get(sid)
            if state is None:
                state = self._seam_state(tape, seam)
            parent = ENCLOSING.get()  # None: made by the test itself, no lock (`Tape.nest`)
            index = next(state.positions) if parent is None else tape.nest(sid, parent)
            if get_ident() != tape.owner:  # a worker thread's call
                tape.pooled.add(sid)
            kept = index < tape.payload_calls
            # only a kept payload's order reads a sequence number (`Tape.end`)
            sequence = next(tape.sequence()) if kept else _UNORDERED
            names, values = seam.positional, [value]
            shape, check = state.last.args  # one pair: atomic
            if check is None or not check(names, values):
                shape = self._args_shape(seam, names, values)
            if kept:
                # `pack_args` of one argument and no `self`: the same dict, without its zip
                payload = (
                    self.pack({names[0]: value})
                    if len(names) == 1 and not seam.has_self
                    else self.pack_args(seam, names, values)
                )
                call = LiveCall(sid, caller, index, sequence, shape, payload, None)
                tape.keep_detail(call)
            else:
                call = LiveCall(sid, caller, index, sequence, shape, None, None)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a query of {sid}")
            return None
        if seam.module in EVENT_MODULES_HTTP:  # `_count_event`, inline
            self._http_calls += 1
        else:
            self._db_calls += 1
        if sid not in self._events_named:
            self._name_event(seam, seam.module in EVENT_MODULES_HTTP)
        return call

    def close_event(self, call: LiveCall, outcome: str, value: object, shape: Shape) -> None:
        """Commit a database or HTTP crossing whose result shape the adapter built."""
        tape = self.tape
        if tape is None:
            return
        try:
            call.outcome = outcome
            call.result_shape = shape
            if call.args_payload is not None:
                call.result_payload = self.pack(value)
            steady = tape.steady if outcome == "return" else None
            if steady is None or not steady(call.seam, call.index, call.args_shape, shape):
                tape.commit(call.seam, call.index, call.args_shape, outcome, shape)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"the result of a query of {call.seam}")

    def finish(self, outcome: str) -> None:
        """Write the cassette of a passed test; a failed one keeps its old cassette."""
        tape, self.tape = self.tape, None
        self.crossing = self.run  # the step holds the tape
        if tape is None:
            return
        if outcome != "passed":
            if outcome == "failed" and tape.call_count():
                self.stats.kept_failed.append(tape.nodeid)
            return
        self.stats.calls_recorded += tape.call_count() - self.event_count()
        self.count_events()
        self.guarded(lambda: self._writer.write(tape), None, f"the cassette of {tape.nodeid}")

    def settled_cassettes(self) -> Mapping[Path, Cassette]:
        return self._writer.settled

    def release(self) -> None:
        """Drop each seam's last shapes and their strict checks (thousands of objects in
        a large suite, walked by each of pytest's last garbage collections)."""
        self._last.clear()
        self._args_checks.clear()
        self._result_checks.clear()
