"""The run's lifecycle: wrapping the seams, each test's begin and end, and the stats.

The session is the instrumenter's dispatcher: every crossing call lands in
``SeamSession.crossing``, which hands the calls made inside a running test to the
strategy of the run's mode (`seamrec.runtime.strategy`), chosen once at start. While a
test runs unpaused and no thread imports a module in scope, ``crossing`` *is* the
strategy's own entry (one frame less on every call); otherwise it is the session's gate,
which counts the calls made outside a test and runs them untouched. Whatever
goes wrong inside seamrec there is caught, counted and reported in the summary; the code
under test sees the same return value, the same exception object and untouched arguments
as without seamrec.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from threading import Lock, get_ident
from typing import TYPE_CHECKING, Any

from seamrec.cassette.store import Cassette, cassette_path
from seamrec.config import SeamPattern, Settings
from seamrec.model.classify import forget_classes
from seamrec.runtime.adapters import imports
from seamrec.runtime.config_warnings import config_warnings
from seamrec.runtime.gcpause import CollectorPaused
from seamrec.runtime.instrument import Instrumenter, Report, Seam
from seamrec.runtime.stats import Mode, Stats, TestOutcome
from seamrec.runtime.strategy import Crossing, Strategy

if TYPE_CHECKING:
    from seamrec.model.shape import Shape
    from seamrec.runtime.adapters.dbapi import DatabaseSeams
    from seamrec.runtime.adapters.httpseams import HttpSeams
    from seamrec.runtime.calls import LiveCall
    from seamrec.runtime.tape import Tape

__all__ = ["Mode", "SeamSession", "Stats", "TestOutcome"]
__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback


def _strategy_class(mode: Mode) -> Callable[[Settings, Stats, Report], Strategy]:
    """The strategy of `mode`; only the run's own is imported (a check run never loads the
    recording and cassette-writing code, a record run never the check)."""
    if mode is Mode.RECORD:
        from seamrec.runtime.recording import RecordStrategy

        return RecordStrategy
    if mode is Mode.CHECK:
        from seamrec.runtime.checking import CheckStrategy

        return CheckStrategy
    from seamrec.runtime.replaying import ReplayStrategy

    return ReplayStrategy


def _wrapping_scope(settings: Settings, mode: Mode, replay: tuple[SeamPattern, ...]) -> Settings:
    """What the instrumenter wraps: replayed seams only, or the boundaries plus them."""
    if mode is Mode.REPLAY:
        return dataclasses.replace(settings, boundaries=(), seams=replay)
    return dataclasses.replace(settings, seams=settings.seams + replay)


class SeamSession:
    """Records, checks or replays the crossing calls of every test of one pytest run."""

    def __init__(
        self, settings: Settings, mode: Mode, replay: tuple[SeamPattern, ...] = ()
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.replay = replay
        self.stats = Stats()
        self._paused = 0  # shared fixtures, and the test's own teardown phase
        self._test_paused = False
        self._importing: dict[int, int] = {}  # thread id -> modules it is executing
        self._routing = Lock()  # orders the changes of `crossing` between threads
        # What the wrappers call: the gate, or the strategy's entry while nothing is gated
        # (see `_route`); the wrappers look it up on every call.
        self.crossing: Crossing = self.gated_crossing
        self.instrumenter = Instrumenter(
            _wrapping_scope(settings, mode, replay), self, settings.boundaries
        )
        self._strategy = _strategy_class(mode)(settings, self.stats, self.instrumenter.report)
        self.database: DatabaseSeams | None = None
        self.http: HttpSeams | None = None

    @property
    def tape(self) -> Tape | None:
        """The running test's calls (None between tests)."""
        return self._strategy.tape

    # ---------------------------------------------------------------- lifecycle

    def start(self, *, collecting: bool = False) -> None:
        """Wrap the seams (call before conftest.py imports the app). `collecting`: the
        references to the seams of the modules imported until `catch_up` (the end of
        collection) are redirected then, in one walk over the heap."""
        self.instrumenter.install()
        if collecting:
            self.instrumenter.hold()
        settings = self.settings
        if self._strategy.events and settings.boundaries and settings.databases:
            from seamrec.runtime.adapters.dbapi import DatabaseSeams

            self.database = DatabaseSeams(self, settings.databases, settings.boundaries)
            self.database.install()
            self._strategy.database = self.database
        if settings.boundaries and settings.http:
            from seamrec.runtime.adapters.httpseams import HttpSeams

            self.http = HttpSeams(self, settings.http, settings.boundaries)
            self.http.install()

    def catch_up(self) -> None:
        """Wrap modules in scope that were imported behind seamrec's import hook, and
        redirect the references `start(collecting=True)` kept waiting."""
        self.instrumenter.catch_up()

    def stop(self) -> None:
        """Unwrap everything and fill the instrumentation part of the stats."""
        report = self.instrumenter.report
        self.stats.seams_wrapped = len(report.seams)
        self.stats.unredirected = {k: sorted(v) for k, v in sorted(report.unredirected.items())}
        self.stats.instrumentation_errors.extend(report.errors)
        self.stats.skipped = {k: sorted(v) for k, v in sorted(report.skipped.items())}
        self.stats.lost = {k: [v] for k, v in sorted(report.lost.items())}
        self.stats.warnings = self.warnings()
        self.put_back()

    def put_back(self) -> None:
        """Give back everything seamrec wrapped: the seams of the modules, the database
        drivers' `connect` and the HTTP clients."""
        self.instrumenter.uninstall()
        if self.database is not None:
            self.database.uninstall()
        if self.http is not None:
            self.http.uninstall()

    def release(self) -> None:
        """The run is over: the strategy drops what it kept for the calls, and the
        per-class memos their classes."""
        self._strategy.release()
        forget_classes()

    def warnings(self) -> list[str]:
        """Configuration that wrapped nothing, and modules seamrec never got to see."""
        return config_warnings(self.settings, self.instrumenter, self.mode is not Mode.REPLAY)

    def pause(self) -> None:
        """Stop attributing calls to the running test (e.g. in shared fixtures). What is
        imported meanwhile has the references to its seams redirected at `resume`, in one
        walk over the heap."""
        with self._routing:
            self._paused += 1
            self._route()
        self.instrumenter.defer()

    def resume(self) -> None:
        """Undo one `pause`."""
        with self._routing:
            self._paused -= 1
            self._route()
        self.instrumenter.settle()

    @contextlib.contextmanager
    def importing(self) -> Iterator[None]:
        """While a module in scope runs its module-level code (an import, even one a test
        triggers), the calls made on this thread belong to no test."""
        ident = get_ident()
        with self._routing:
            self._importing[ident] = self._importing.get(ident, 0) + 1
            self._route()
        try:
            yield
        finally:
            with self._routing:
                left = self._importing.pop(ident) - 1
                if left:
                    self._importing[ident] = left
                self._route()

    def replay_also(self, patterns: tuple[SeamPattern, ...]) -> None:
        """Wrap the seams that test markers ask to replay, if not wrapped yet."""
        self.instrumenter.extend(patterns)

    def begin_test(self, nodeid: str, replay: tuple[SeamPattern, ...] = ()) -> None:
        """Start a tape for `nodeid`, loading its cassette when checking or replaying."""
        if self._test_paused:  # the previous test never finished (an internal error)
            self._test_paused = False
            self.resume()
        with CollectorPaused():  # seamrec's own work: the cassette loaded (checking)
            self._strategy.begin(nodeid, self.replay + replay)
        with self._routing:
            self._route()
        if self.database is not None or self.http is not None:
            self._strategy.guarded(imports.catch_up, None, "the wrapping of drivers and clients")
        if self.http is not None:
            self._strategy.guarded(self.http.catch_up, None, "the wrapping of HTTP test clients")
        if self.database is not None:
            self.database.unmatched.clear()

    def end_test_calls(self) -> TestOutcome:
        """Stop the tape at the end of the call phase and judge it."""
        tape = self.tape
        if tape is None:
            return TestOutcome("")
        if not self._test_paused:
            self._test_paused = True
            self.pause()
        self._flush_databases()
        outcome = TestOutcome(tape.nodeid, cassette=self.cassette_path(tape.nodeid))
        with CollectorPaused():  # the check's verdict
            self._strategy.judge(outcome)
        return outcome

    def finish_test(self, outcome: str) -> None:
        """Write the cassette of a passed test (record mode) and drop the tape; `outcome`
        is "passed", "failed" or "skipped" (skips and xfails write and keep nothing)."""
        self._flush_databases()
        with self._routing:
            self.crossing = self.gated_crossing  # before the tape goes
        with CollectorPaused():  # the cassette written (recording)
            self._strategy.finish(outcome)
        if self._test_paused:
            self._test_paused = False
            self.resume()

    def settled_cassettes(self) -> Mapping[Path, Cassette]:
        """The cassettes this run wrote or found unchanged, by path (shapes only): the end
        of a record run reads the other files only."""
        return self._strategy.settled_cassettes()

    def cassette_path(self, nodeid: str) -> Path:
        """Where the cassette of `nodeid` lives."""
        return cassette_path(self.settings.cassette_dir, nodeid)

    def _flush_databases(self) -> None:
        if self.database is not None:
            self._strategy.guarded(self.database.flush, None, "the results of open queries")

    # ---------------------------------------------------------------- the hot path

    def _route(self) -> None:
        """Point `crossing` at the strategy's entry when every call would pass the gate
        (a test runs, unpaused, no thread importing), else at the gate; called under
        `_routing` after each change of that state, so the last change decides. A call
        that read the strategy's entry just before a thread started importing is a call
        of another thread (the importing thread reads `crossing` again), and so belongs
        to the test, as the gate would have said."""
        strategy = self._strategy
        direct = strategy.tape is not None and not self._paused and not self._importing
        self.crossing = strategy.crossing if direct else self.gated_crossing

    def gated_crossing(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Handle one call that crossed a seam; behaves exactly like `wrapped(...)`."""
        strategy = self._strategy
        if (
            strategy.tape is None
            or self._paused
            or (self._importing and get_ident() in self._importing)
        ):
            self.stats.calls_outside += 1
            return wrapped(*args, **kwargs)
        return strategy.crossing(seam, caller, wrapped, instance, args, kwargs)

    # ---------------------------------------------------------------- events

    def event_wanted(self) -> bool:
        """True when a crossing that is not a call (a database query) would be recorded
        or checked now: a test runs, unpaused, and the run is not a replay."""
        strategy = self._strategy
        return strategy.tape is not None and not self._paused and strategy.events

    @property
    def events(self) -> Strategy:
        """The run's strategy, for an adapter to open and close its crossings directly
        right after `event_wanted` said yes (`open_event` and `close_event` without the
        session's checks; the strategy's own skip a test that has ended)."""
        return self._strategy

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None:
        """Start one crossing of `seam` whose only argument is `value` (see `close_event`)."""
        if self._paused:
            return None
        return self._strategy.open_event(seam, caller, value)

    def replay_event(self, seam: Seam, caller: str, value: object) -> tuple[bool, object]:
        """Answer a crossing of `seam` (argument `value`) from the cassette when the running
        test replays it: (True, recorded value); (False, None) when it is to happen for
        real. Raises `ReplayError` when it cannot be answered (like a replayed call)."""
        if self._paused:
            return False, None
        return self._strategy.replay_event(seam, caller, value)

    def close_event(
        self, call: LiveCall, outcome: str, value: object, shape: Shape | None = None
    ) -> None:
        """End a crossing started by `open_event`: "return" `value` (with its `shape`
        when the caller built it) or "raise" it; ignored once its test has ended."""
        strategy = self._strategy
        tape = strategy.tape
        if tape is None:
            return
        if shape is None:
            strategy.end(tape, call, outcome, value)
        else:
            strategy.close_event(call, outcome, value, shape)

    def shape(self, value: object) -> Shape:
        """The shape of `value`, as every crossing records it."""
        return self._strategy.shape_of(value)

    def internal_error(self, exc: Exception, lost: str) -> None:
        """Count one of seamrec's own failures for the summary, naming what it lost."""
        self._strategy.internal_error(exc, lost)
