"""Check mode: every crossing call is compared with the call recorded at its position
(the seams a test replays are answered from its cassette instead), and the test's
verdict is given when its call phase ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from threading import get_ident
from typing import Any, ClassVar

from seamrec.cassette.store import Call, Cassette, Run, cassette_path, load_present
from seamrec.commands import rerecord_command
from seamrec.config import SeamPattern, Settings
from seamrec.exceptions import CassetteError, ReplayError
from seamrec.model import conform
from seamrec.model.conform import ArgsCheck, Check, compile_args, compile_value
from seamrec.model.shape import Shape, compatible
from seamrec.runtime.callproxy import compiled_part
from seamrec.runtime.calls import LiveCall
from seamrec.runtime.expected import Expected
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.proxies import replayed_outcome
from seamrec.runtime.rebuild import Rebuilder, RebuildError, TypeResolver
from seamrec.runtime.seamstate import SeamState, Window
from seamrec.runtime.stats import Stats, TestOutcome
from seamrec.runtime.strategy import EVENT_MODULES_HTTP, Strategy
from seamrec.runtime.tape import Tape
from seamrec.runtime.verdict import Verdict

__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback
_MAX_BY_OBJECT = 8192  # shape objects whose compiled check is found by identity


_CHECK_STEP = compiled_part("CheckStep")  # None: pure Python


class CheckStrategy(Strategy):
    """Checks the crossing calls of every test against its cassette."""

    everything: ClassVar[bool] = True  # every seam is judged, not only the replayed ones

    def __init__(self, settings: Settings, stats: Stats, report: Report) -> None:
        super().__init__(settings, stats, report)
        self._rebuilder = Rebuilder(TypeResolver(settings.module_in_scope, settings.replay_types))
        self._known_trees = self._rebuilder.known_trees  # read by each answered call
        self._fit_args: dict[Shape, ArgsCheck | None] = {}  # compiled once per shape
        self._fit_values: dict[Shape, Check | None] = {}
        # the same, by id of the shape object (kept with it, so the id is not reused)
        self._args_by_object: dict[int, tuple[Shape, ArgsCheck | None]] = {}
        self._values_by_object: dict[int, tuple[Shape, Check | None]] = {}
        # replay patterns -> seam id -> whether the seam is replayed under them
        self._replays: dict[tuple[SeamPattern, ...], dict[str, bool]] = {}
        self._replayed: dict[str, bool] = {}  # the running test's, from `_replays`
        self._sequence: Iterator[int] = iter(())  # the running test's tape's
        # the recorded and live result shapes of database or HTTP crossings found
        # compatible, by the ids of the pair (kept with it, so the ids are not reused):
        # the same pair again (the same objects) is compatible
        self._fitting_events: dict[tuple[int, int], tuple[Shape, Shape]] = {}
        self.expected = Expected("", None)
        self.verdict: Verdict | None = None
        self._cassette_error: str | None = None

    # ---------------------------------------------------------------- a test

    def begin(self, nodeid: str, replay: tuple[SeamPattern, ...]) -> None:
        """Load the cassette of `nodeid` and choose what its crossing calls do."""
        super().begin(nodeid, replay)
        self._replayed = self._replays.setdefault(replay, {})
        self._sequence = self.tape.sequence()  # type: ignore[union-attr]  # just made
        self._cassette_error = None
        cassette: Cassette | None = None
        if self.everything or replay:
            path = cassette_path(self.settings.cassette_dir, nodeid)
            try:
                # a test that replays reads its results' trees shared (`Rebuilder`
                # knows a tree replayed before by its identity); a payload's tree is
                # built when read (to replay it, or to show it in a drift report)
                cassette = load_present(path, shared=bool(replay), lazy=True)
            except CassetteError as exc:
                self._cassette_error = str(exc)
        self.expected = Expected(nodeid, cassette, replay)
        self.verdict = Verdict(self.tape, self.expected)  # type: ignore[arg-type]
        entry = self.answer_or_run if replay else self.unreplayed
        if _CHECK_STEP is not None and entry == self.run:  # a plain function's short path in C
            entry = _CHECK_STEP(self, self.tape, SeamState)
        self.crossing = entry

    @property
    def unreplayed(self) -> Callable[..., Any]:
        """What a call of a seam the test does not replay does: it is checked."""
        return self.run

    def judge(self, outcome: TestOutcome) -> None:
        """The test's findings, and the counts of its calls."""
        tape, verdict, expected = self.tape, self.verdict, self.expected
        if tape is None or verdict is None:
            return
        stats = self.stats
        stats.calls_checked += tape.call_count() - tape.replayed - self.event_count()
        self.count_events()
        stats.calls_replayed += tape.replayed
        if not (self.everything or expected.replay):
            return
        if self._cassette_error is not None:
            outcome.cassette_error = self._cassette_error
            stats.broken.append(tape.nodeid)
        elif expected.cassette is None:
            outcome.findings = list(verdict.findings)
            if tape.call_count() and self.everything:
                stats.unrecorded.append(tape.nodeid)
        else:
            if self.everything:
                self._note_lost(expected.cassette)
            outcome.findings = self.guarded(
                lambda: verdict.finish(self.everything), [], f"the check of {tape.nodeid}"
            )
            database = self.database
            if database is not None:
                found = outcome.findings
                outcome.findings = self.guarded(
                    lambda: database.settle(found, expected),
                    found,
                    f"the queries of {tape.nodeid}",
                )
        if outcome.findings:
            from seamrec.runtime.writer import redacted_findings  # a drift: loaded when seen

            replay_only = all(f.part == "replay" for f in outcome.findings)
            (stats.replay_failed if replay_only else stats.drifted).append(tape.nodeid)
            outcome.findings = self.guarded(
                lambda: redacted_findings(self.settings, outcome.findings),
                outcome.findings,
                f"the redaction of {tape.nodeid}'s drift report",
            )

    def finish(self, outcome: str) -> None:
        """Drop the running test's tape and verdict."""
        super().finish(outcome)
        self.verdict = None
        if _CHECK_STEP is not None and type(self.crossing) is _CHECK_STEP:
            self.crossing = self.run  # the compiled step holds the tape

    def release(self) -> None:
        """Drop the compiled checks kept by shape (thousands of objects in a large
        suite)."""
        self._fit_args.clear()
        self._fit_values.clear()
        self._args_by_object.clear()
        self._values_by_object.clear()
        self._fitting_events.clear()
        conform.forget()  # the per-value and member checks kept by shape

    def _note_lost(self, expected: Cassette) -> None:
        """Seams this test's cassette has calls of, that could not be wrapped this run:
        their calls were not checked (the run fails, see `Stats.lost_recorded`)."""
        lost = self.report.lost
        if not lost:
            return
        for seam in expected.runs:
            module = seam.partition(":")[0]
            if (seam in lost or module in lost) and seam not in self.stats.lost_recorded:
                self.stats.lost_recorded.append(seam)

    # ---------------------------------------------------------------- a call

    def run(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Check one call. A plain function's call that fits its recorded position, args
        and result, builds no `LiveCall`: it is made only when the call needs one. The
        call's seam state gives its position, its bound arguments and the recorded run
        there with its compiled checks (see `seamstate`)."""
        tape = self.tape
        if tape is None:  # the test ended under a call on another thread
            self.stats.calls_outside += 1
            return wrapped(*args, **kwargs)
        try:
            state = tape.states.get(seam.id)
            if state is None:
                state = self._seam_state(tape, seam)
            if not state.function:
                return super().run(seam, caller, wrapped, instance, args, kwargs)
            index = next(state.positions)
            if get_ident() != tape.owner:  # a worker thread's call (see Verdict)
                tape.pooled.add(seam.id)
            if kwargs or len(args) != state.arity:
                names, values = seam.bind(instance, args, kwargs)
            elif state.has_self:
                names, values = state.names, [instance, *args]
            else:
                names, values = state.names, list(args)
            start, end, expected, fits_args, fits_result = state.window
            if not start <= index < end:
                start, end, expected, fits_args, fits_result = self._move(state, index)
            started = None
            if fits_args is None or not fits_args(names, values):
                started = self._started(
                    seam, caller, index, next(self._sequence), expected, names, values
                )
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a call of {seam.id}")
            return wrapped(*args, **kwargs)
        if started is not None:
            return self.make(tape, seam, started, wrapped, args, kwargs)
        assert expected is not None  # the args fit a recorded run
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            self._check_ended(tape, seam, caller, index, expected, names, values, "raise", exc)
            raise
        try:
            if fits_result is not None and fits_result([result]):
                return result
        except Exception:  # the full check below reports it
            pass
        self._check_ended(tape, seam, caller, index, expected, names, values, "return", result)
        return result

    def _check_ended(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        index: int,
        expected: Run,
        names: tuple[str, ...],
        values: list[Any],
        outcome: str,
        value: object,
    ) -> None:
        """End a call that went the short way (its args fit `expected`) and then raised, or
        returned a result that does not fit: its `LiveCall` is made now."""
        late = _late_call(self, seam, caller, index, expected, names, values)
        self.end(tape, late, outcome, value)

    def _check_started(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        args: tuple[Any, ...],
        index: int,
        expected: Run | None,
        names: tuple[str, ...],
        values: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        """The rest of `run` for a plain function's call at `index` (taken by the
        compiled step) whose args do not fit `expected`: the full path (a method's
        `wrapped` is bound to its instance, and `args` follow `self`)."""
        try:
            started = self._started(
                seam, caller, index, next(self._sequence), expected, names, values
            )
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a call of {seam.id}")
            return wrapped(*args, **kwargs)
        return self.make(tape, seam, started, wrapped, args, kwargs)

    def _seam_state(self, tape: Tape, seam: Seam) -> SeamState:
        """The state of `seam` in the test of `tape`, made on its first call."""
        state: SeamState | None = tape.states.get(seam.id)
        if state is None:
            made = SeamState(seam, tape.positions(seam.id))
            replayed = self._replayed.get(seam.id)
            if replayed is None:  # matched once per seam and set of replay patterns
                replayed = self._replayed[seam.id] = self.expected.replays(seam.id)
            made.replayed = replayed
            state = tape.states.setdefault(seam.id, made)
        return state

    def _move(self, state: SeamState, index: int, results: bool = True) -> Window:
        """The window of `state`'s seam holding position `index`, with its run's checks;
        kept as the seam's window. A database or HTTP crossing's (`results` False) has
        no result check: `close_event` compares the shape its adapter built."""
        start, end, expected = self.expected.window(state.seam.id, index)
        if expected is None:
            window: Window = (start, end, None, None, None)
        else:
            fits_result = None
            # an answer needs none; nor does a crossing (`results` False)
            if results and expected.outcome == "return" and not state.replayed:
                fits_result = self._value_check(expected.result_shape)
            args = expected.args_shape
            known = self._args_by_object.get(id(args))  # `_args_check`'s first step, inline
            if known is not None and known[0] is args:
                fits_args = known[1]
            else:
                fits_args = self._args_check(args)
            window = (start, end, expected, fits_args, fits_result)
        state.window = window
        return window

    def start(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> LiveCall:
        """Take the call's position and check its args against the recorded call there
        (a compiled check; the shape is built only when that check fails)."""
        state = tape.states.get(seam.id)
        if state is None:
            state = self._seam_state(tape, seam)
        index = next(state.positions)
        if get_ident() != tape.owner:  # a worker thread's call (see Verdict)
            tape.pooled.add(seam.id)
        sequence = next(self._sequence)
        names, values = state.bind(instance, args, kwargs)
        start, end, expected, _, _ = state.window
        if not start <= index < end:
            expected = self._move(state, index)[2]
        return self._started(seam, caller, index, sequence, expected, names, values)

    def _started(
        self,
        seam: Seam,
        caller: str,
        index: int,
        sequence: int,
        expected: Run | None,
        names: tuple[str, ...],
        values: list[Any],
    ) -> LiveCall:
        """The call at position `index`, its args checked against `expected`."""
        if expected is None:
            call = LiveCall(seam.id, caller, index, sequence, (), None, None)
            if self.expected.cassette is not None and not self.expected.replays(seam.id):
                call.args_shape = self.args_shape(seam, names, values)
                call.args_payload = self.pack_args(seam, names, values)
                self.verdict.note_unrecorded(call)  # type: ignore[union-attr]
            return call
        call = LiveCall(seam.id, caller, index, sequence, expected.args_shape, None, expected)
        call.bound_seam = seam  # packed only if a drift report needs them
        call.bound_names = names
        call.bound_values = values
        if not self._args_fit(expected.args_shape, names, values):
            shape = self.args_shape(seam, names, values)
            if not compatible(expected.args_shape, shape):
                call.args_shape = shape
                call.args_payload = self.pack_args(seam, names, values)
                call.args_drift = True
                self.verdict.hold(call)  # type: ignore[union-attr]
        return call

    def end(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None:
        """Check how the call ended against the recorded outcome and result shape."""
        try:
            call.outcome = outcome
            expected = call.expected
            if expected is None:
                if call.extra:  # beyond the recording: its shape aligns it at test end
                    call.result_shape = self.shape_of(value)
                    call.result_payload = self.pack(value)
                return
            if expected.outcome == outcome and self._value_fits(expected.result_shape, value):
                call.result_shape = self.shape_of(value) if call.held else expected.result_shape
                return
            call.result_shape = self.shape_of(value)
            if expected.outcome == outcome and compatible(expected.result_shape, call.result_shape):
                return
            self._drifted(tape, call, value)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"the outcome of a call of {call.seam}")

    def _drifted(self, tape: Tape, call: LiveCall, value: object) -> None:
        """Keep what a drift report of the call's result needs, and hold the call."""
        call.result_payload = self.pack(value)
        call.result_drift = True
        seam = call.bound_seam
        if seam is not None and call.args_context is None:
            call.args_context = self.pack_args(seam, call.bound_names, call.bound_values)
        if tape is self.tape and self.verdict is not None:
            self.verdict.hold(call)

    def _args_check(self, expected: Shape) -> ArgsCheck | None:
        """The compiled check of args shape `expected`, compiled once per distinct shape
        in the run: found by the shape object first (cassettes read in one run share one
        object per distinct shape), else by value (hashing a large shape walks it)."""
        known = self._args_by_object.get(id(expected))
        if known is not None and known[0] is expected:
            return known[1]
        try:
            check = self._fit_args[expected]
        except KeyError:
            check = self._fit_args[expected] = compile_args(expected, self.shape_of)
        if len(self._args_by_object) >= _MAX_BY_OBJECT:
            self._args_by_object.clear()
        self._args_by_object[id(expected)] = (expected, check)  # holds `expected`: its id stays
        return check

    def _value_check(self, expected: Shape) -> Check | None:
        """The compiled check of value shape `expected` (kept like `_args_check`)."""
        known = self._values_by_object.get(id(expected))
        if known is not None and known[0] is expected:
            return known[1]
        try:
            check = self._fit_values[expected]
        except KeyError:
            check = self._fit_values[expected] = compile_value(expected, self.shape_of)
        if len(self._values_by_object) >= _MAX_BY_OBJECT:
            self._values_by_object.clear()
        self._values_by_object[id(expected)] = (expected, check)
        return check

    def _args_fit(self, expected: Shape, names: tuple[str, ...], values: list[Any]) -> bool:
        check = self._args_check(expected)
        return check is not None and check(names, values)

    def _value_fits(self, expected: Shape, value: object) -> bool:
        check = self._value_check(expected)
        return check is not None and check([value])

    # ---------------------------------------------------------------- replayed seams

    def answer_or_run(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """A call of a test that replays some seams: a call of a replayed seam gets the
        recorded outcome instead of calling the seam; any other runs as `unreplayed`.
        An answered call's `LiveCall` is made only when its args do not fit the recorded
        ones (what `start` would have held). Its recorded call is read from the seam
        state's answers (`_answers`); a recorded value replayed before in the run is
        found by its tree's identity (`Rebuilder.known_trees`) and handed out as a copy."""
        tape = self.tape
        if tape is None:  # the test ended under a call on another thread
            self.stats.calls_outside += 1
            return wrapped(*args, **kwargs)
        state = tape.states.get(seam.id)
        if state is None:
            state = self._seam_state(tape, seam)
        if not state.replayed:
            return self.unreplayed(seam, caller, wrapped, instance, args, kwargs)
        verdict = self.verdict
        if verdict is None:  # the test ended under a call on another thread
            self.stats.calls_outside += 1
            return wrapped(*args, **kwargs)
        try:
            index = next(state.positions)
            if get_ident() != tape.owner:  # a worker thread's call (see Verdict)
                tape.pooled.add(seam.id)
            if kwargs or len(args) != state.arity:
                names, values = seam.bind(instance, args, kwargs)
            elif state.has_self:
                names, values = state.names, [instance, *args]
            else:
                names, values = state.names, list(args)
            start, end, expected, fits_args, _ = state.window
            if not start <= index < end:
                _, _, expected, fits_args, _ = self._move(state, index)
            if fits_args is None or not fits_args(names, values):
                sequence = next(self._sequence)
                self._started(seam, caller, index, sequence, expected, names, values)
            answers = state.answers
            if answers is None:
                answers = state.answers = self._answers(seam.id)
            detail = answers[index] if index < len(answers) else self._replayable(seam, index)
        except ReplayError as exc:
            if exc.seam == "missing" and self.settings.replay_missing == "call":
                return wrapped(*args, **kwargs)
            verdict.note_replay_error(seam.id, str(exc))
            raise exc.with_traceback(None) from None  # seamrec's own frames say nothing
        tree = detail.result
        known = self._known_trees.get(id(tree))
        if known is not None and known[0] is tree and state.function and detail.outcome == "return":
            tape.replayed += 1
            return known[1]()  # a value replayed before, handed out as a fresh copy
        try:
            value = self._rebuilder.replay(detail.result, detail.outcome)
        except RebuildError as exc:
            verdict.note_replay_error(seam.id, f"{exc.where}: {exc.what}\nfix: {exc.fix}")
            raise exc.with_traceback(None) from None
        tape.replayed += 1
        if state.function and detail.outcome == "return":
            return value  # what `replayed_outcome` gives back for it
        return replayed_outcome(seam.kind, detail.outcome, value)

    def _answers(self, seam: str) -> list[Call]:
        """The recorded calls that answer the running test's calls of `seam`, by live
        position; made on the seam's first answered call. It stops before the first
        position whose kept call is not the next one of the cassette's calls of `seam`
        (`_replayable` finds those, or says why there is none)."""
        expected = self.expected
        cassette = expected.cassette
        answers: list[Call] = []
        if cassette is None:
            return answers
        if expected.renumbers(seam):  # calls made inside a replayed call are skipped
            for index in range(expected.recorded_count(seam)):
                detail = cassette.detail(seam, expected.recorded_index(seam, index))
                if detail is None:
                    break
                answers.append(detail)
            return answers
        for call in cassette.calls:  # live position i is recorded call i: kept in order
            if call.seam == seam:
                if call.index != len(answers):
                    break
                answers.append(call)
        return answers

    def _replayable(self, seam: Seam, index: int) -> Call:
        expected = self.expected
        if expected.cassette is None:
            raise ReplayError(
                f"{seam.id} cannot be replayed: {expected.nodeid} has no cassette; record it "
                f"first with {rerecord_command(expected.nodeid)}",
                seam="",
            )
        detail = expected.cassette.detail(seam.id, expected.recorded_index(seam.id, index))
        if detail is not None:
            return detail
        total = expected.recorded_count(seam.id)
        if index >= total:
            raise ReplayError(
                f"{seam.id} call {index + 1} was not recorded ({total} recorded): the code "
                'now makes more calls; re-record, or set replay_missing = "call" to let '
                "such calls reach the real callee",
                seam="missing",
            )
        raise ReplayError(
            f"{seam.id} call {index + 1} kept no payload (only the first "
            f"{self.settings.limits.payload_calls} calls of a seam do); raise payload_calls "
            "in [tool.seamrec] and re-record",
            seam="",
        )

    # ---------------------------------------------------------------- events

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None:
        """Start a database or HTTP crossing: `start` for a seam whose one argument is
        `value` (no binding)."""
        tape = self.tape
        if tape is None:
            return None
        try:
            state = tape.states.get(seam.id)
            if state is None:
                state = self._seam_state(tape, seam)
            index = next(state.positions)
            if get_ident() != tape.owner:  # a worker thread's call (see Verdict)
                tape.pooled.add(seam.id)
            names, values = seam.positional, [value]
            start, end, expected, fits_args, _ = state.window
            if not start <= index < end:
                start, end, expected, fits_args, _ = self._move(state, index, False)
            if expected is not None and fits_args is not None and fits_args(names, values):
                sequence = next(self._sequence)  # `_late_call`, inline
                args_shape = expected.args_shape
                call = LiveCall(seam.id, caller, index, sequence, args_shape, None, expected)
                call.bound_seam, call.bound_names, call.bound_values = seam, names, values
            else:
                sequence = next(self._sequence)
                call = self._started(seam, caller, index, sequence, expected, names, values)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a query of {seam.id}")
            return None
        if seam.module in EVENT_MODULES_HTTP:  # `_count_event`, inline
            self._http_calls += 1
        else:
            self._db_calls += 1
        if seam.id not in self._events_named:
            self._name_event(seam, seam.module in EVENT_MODULES_HTTP)
        return call

    def close_event(self, call: LiveCall, outcome: str, value: object, shape: Shape) -> None:
        """Check a database or HTTP crossing whose result shape the adapter built."""
        tape = self.tape
        if tape is None:
            return
        try:
            call.outcome = outcome
            call.result_shape = shape
            expected = call.expected
            if expected is None:
                call.result_payload = self.pack(value)  # a new statement: kept to compare
                return
            recorded = expected.result_shape
            known = self._fitting_events.get((id(recorded), id(shape)))  # `_event_fits`' memo
            if expected.outcome != outcome or not (
                (known is not None and known[0] is recorded and known[1] is shape)
                or self._event_fits(recorded, shape)
            ):
                self._drifted(tape, call, value)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"the result of a query of {call.seam}")

    def _event_fits(self, recorded: Shape, live: Shape) -> bool:
        """`compatible(recorded, live)`, remembered for the pairs (the objects) that were:
        a run's statements interleave, each with its own few pairs."""
        fitting = self._fitting_events
        known = fitting.get((id(recorded), id(live)))
        if known is not None and known[0] is recorded and known[1] is live:
            return True
        if not compatible(recorded, live):
            return False
        if len(fitting) >= _MAX_BY_OBJECT:
            fitting.clear()
        fitting[(id(recorded), id(live))] = (recorded, live)
        return True

    def replay_event(self, seam: Seam, caller: str, value: object) -> tuple[bool, object]:
        """Answer a crossing of `seam` from the cassette when the test replays it."""
        tape = self.tape
        if tape is None or not self.expected.replay or not self.expected.replays(seam.id):
            return False, None
        verdict: Verdict = self.verdict  # type: ignore[assignment]
        try:
            call = self.start(tape, seam, caller, None, (value,), {})
            detail = self._replayable(seam, call.index)
        except ReplayError as exc:
            if exc.seam == "missing" and self.settings.replay_missing == "call":
                return False, None
            verdict.note_replay_error(seam.id, str(exc))
            raise exc.with_traceback(None) from None
        try:
            value = self._rebuilder.replay(detail.result, detail.outcome)
        except RebuildError as exc:
            verdict.note_replay_error(seam.id, f"{exc.where}: {exc.what}\nfix: {exc.fix}")
            raise exc.with_traceback(None) from None
        tape.replayed += 1
        self._name_event(seam, True)  # named, not counted: replayed calls are counted
        return True, value


def _late_call(
    strategy: CheckStrategy,
    seam: Seam,
    caller: str,
    index: int,
    expected: Run,
    names: tuple[str, ...],
    values: list[Any],
) -> LiveCall:
    """The `LiveCall` of a call that went the short way until it needed one: its args fit
    the recorded run, so they are known by their recorded shape. Its sequence number is
    taken now (a check reads none: its verdict aligns calls by their positions)."""
    sequence = next(strategy._sequence)
    call = LiveCall(seam.id, caller, index, sequence, expected.args_shape, None, expected)
    call.bound_seam, call.bound_names, call.bound_values = seam, names, values
    return call
