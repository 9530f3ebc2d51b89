"""What a run does with each crossing call: one strategy object per mode, chosen at start.

The session decides whether a call crosses into a running test and hands it to
``Strategy.crossing``; the strategy of the run's mode (`recording`, `checking`,
`replaying`) starts the call, lets it run, and ends it. The pieces every mode shares
live here: shaping and packing a call's payloads, the plain run of a started call,
the counts of database and HTTP crossings, and the reporting of seamrec's own failures.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from seamrec.cassette.store import Cassette
from seamrec.config import SeamPattern, Settings
from seamrec.model.classify import Classifier
from seamrec.model.codec import SelfRef, make_packer
from seamrec.model.shape import Shape, args_shape, make_shape_function, self_shape
from seamrec.runtime.calls import LiveCall
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.proxies import awaited, observed
from seamrec.runtime.stats import Stats, TestOutcome
from seamrec.runtime.tape import Tape

if TYPE_CHECKING:
    from seamrec.runtime.adapters.dbapi import DatabaseSeams

_T = TypeVar("_T")
EVENT_MODULES_HTTP = ("http", "http-out")  # the modules of HTTP seams; other events are queries
Crossing = Callable[[Seam, str, Callable[..., Any], object, tuple[Any, ...], dict[str, Any]], Any]
"""`crossing(seam, caller, wrapped, instance, args, kwargs)`: one call of the running test;
behaves exactly like `wrapped(*args, **kwargs)`."""
__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback


class Strategy:
    """The part of a run that every mode shares; subclasses say what a call does."""

    nests: ClassVar[bool] = False  # calls made inside a call are recorded as such
    events: ClassVar[bool] = True  # database and HTTP crossings are recorded or checked

    def __init__(self, settings: Settings, stats: Stats, report: Report) -> None:
        self.settings = settings
        self.stats = stats
        self.report = report  # what the instrumenter wrapped and lost
        self.tape: Tape | None = None  # the running test's calls
        self.database: DatabaseSeams | None = None  # installed by the session if wanted
        classifier = Classifier.from_settings(settings)  # one for shapes and payloads
        self.shape_of = make_shape_function(settings.limits.max_depth, classifier=classifier)
        self.pack = make_packer(settings.limits, classifier)
        self._max_items = settings.limits.max_items
        self._db_calls = 0
        self._http_calls = 0
        self._events_named: set[str] = set()
        # What a crossing call of the running test does: chosen per run, or per test when
        # it depends on the seams a test replays; never decided again on each call.
        self.crossing: Crossing = self.run

    # ---------------------------------------------------------------- a test

    def begin(self, nodeid: str, replay: tuple[SeamPattern, ...]) -> None:
        """Start the tape of `nodeid`, which replays the seams matching `replay`."""
        self.tape = Tape(nodeid, self.settings.limits.payload_calls, nesting=self.nests)
        self._db_calls = 0
        self._http_calls = 0

    def judge(self, outcome: TestOutcome) -> None:
        """Fill `outcome` and the stats at the end of the running test's call phase."""

    def finish(self, outcome: str) -> None:
        """Drop the running test's tape; `outcome` is "passed", "failed" or "skipped"."""
        self.tape = None

    def release(self) -> None:
        """The run is over: drop what was kept for its calls (pytest's last garbage
        collections walk whatever is still alive, several times)."""

    def settled_cassettes(self) -> Mapping[Path, Cassette]:
        """The cassettes this run wrote or found unchanged, by path (shapes only)."""
        return {}

    def event_count(self) -> int:
        """How many database and HTTP crossings the running test made."""
        return self._db_calls + self._http_calls

    def count_events(self) -> None:
        """Add the running test's database and HTTP crossings to the stats."""
        self.stats.db_queries += self._db_calls
        self.stats.http_requests += self._http_calls

    # ---------------------------------------------------------------- a call

    def start(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> LiveCall:
        """Note the start of a call: its position and its arguments."""
        raise NotImplementedError

    def end(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None:
        """Note how a call ended: "return" `value`, or "raise" it (never raises)."""
        raise NotImplementedError

    def run(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Start a call, make it, end it (an async or generator call ends later)."""
        tape: Tape = self.tape  # type: ignore[assignment]  # the session checked it
        try:
            call = self.start(tape, seam, caller, instance, args, kwargs)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a call of {seam.id}")
            return wrapped(*args, **kwargs)
        return self.make(tape, seam, call, wrapped, args, kwargs)

    def make(
        self,
        tape: Tape,
        seam: Seam,
        call: LiveCall,
        wrapped: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Make a started call and end it (an async or generator call ends later)."""
        if seam.kind == "async":
            return awaited(self, tape, call, wrapped, args, kwargs, seam.qualname)
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            self.end(tape, call, "raise", exc)
            raise
        if seam.kind == "function":
            self.end(tape, call, "return", result)
            return result
        return self.returned(tape, seam, call, result)

    def returned(self, tape: Tape, seam: Seam, call: LiveCall, result: Any) -> Any:
        """End a call that returned `result` (a generator ends as its items are used)."""
        if seam.kind == "generator" and issubclass(type(result), types.GeneratorType):
            tape.keep_generator(call)
            return observed(self, tape, call, result, self._max_items)
        self.end(tape, call, "return", result)
        return result

    # ---------------------------------------------------------------- events

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None:
        """Start one crossing of `seam` whose only argument is `value`."""
        tape = self.tape
        if tape is None:
            return None
        try:
            call = self.start(tape, seam, caller, None, (value,), {})
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, f"a query of {seam.id}")
            return None
        self._count_event(seam)
        return call

    def _count_event(self, seam: Seam) -> None:
        http = seam.module in EVENT_MODULES_HTTP
        if http:
            self._http_calls += 1
        else:
            self._db_calls += 1
        if seam.id not in self._events_named:
            self._name_event(seam, http)

    def _name_event(self, seam: Seam, http: bool) -> None:
        if seam.id not in self._events_named:
            self._events_named.add(seam.id)
            (self.stats.http_endpoints if http else self.stats.db_statements).append(seam.id)

    def close_event(self, call: LiveCall, outcome: str, value: object, shape: Shape) -> None:
        """End a crossing started by `open_event` whose result `shape` the caller built."""
        raise NotImplementedError

    def replay_event(self, seam: Seam, caller: str, value: object) -> tuple[bool, object]:
        """(True, recorded value) when the running test answers this crossing from its
        cassette; (False, None) when it is to happen for real."""
        return False, None

    # ---------------------------------------------------------------- payloads

    def args_shape(self, seam: Seam, names: tuple[str, ...], values: list[Any]) -> Shape:
        """The shape of a call's bound arguments."""
        shape_of = self.shape_of
        if seam.has_self:
            return args_shape(names, [self_shape(values[0]), *map(shape_of, values[1:])])
        return args_shape(names, list(map(shape_of, values)))

    def pack_args(self, seam: Seam, names: tuple[str, ...], values: list[Any]) -> bytes:
        """A call's bound arguments, packed."""
        if seam.has_self:
            values = [SelfRef(values[0]), *values[1:]]
        return self.pack(dict(zip(names, values, strict=True)))

    # ---------------------------------------------------------------- failures

    def internal_error(self, exc: Exception, lost: str) -> None:
        """Count a failure of seamrec's own code, naming what it left unrecorded."""
        self.stats.internal_errors.append(f"{lost} was lost ({type(exc).__name__}: {exc})")

    def guarded(self, action: Callable[[], _T], fallback: _T, lost: str) -> _T:
        """`action()`, or `fallback` when seamrec's own code fails in it (counted)."""
        try:
            return action()
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.internal_error(exc, lost)
            return fallback
