"""The run's state: mode, the running test's tape, and the counts for the summary.

The session is the instrumenter's dispatcher: every crossing call lands in
``SeamSession.crossing``. Whatever goes wrong inside seamrec there is caught, counted
and reported in the summary; the code under test sees the same return value, the same
exception object and untouched arguments as without seamrec.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import types
from collections.abc import Callable, Generator, Iterator
from contextvars import Token
from dataclasses import dataclass, field
from pathlib import Path
from threading import get_ident
from typing import TYPE_CHECKING, Any, TypeVar

from seamrec.cassette.redact import Redactor
from seamrec.cassette.store import (
    Call,
    Cassette,
    budget_cut_seams,
    cassette_path,
    dump,
    load,
    write_atomic,
)
from seamrec.commands import rerecord_command
from seamrec.config import SeamPattern, Settings, in_packages
from seamrec.exceptions import CassetteError, ReplayError
from seamrec.model.classify import Classifier
from seamrec.model.codec import SelfRef, make_packer, pack, raw_tree
from seamrec.model.conform import ArgsCheck, Check, compile_args, compile_value
from seamrec.model.nesting import ENCLOSING, Parent
from seamrec.model.shape import Shape, args_shape, compatible, make_shape_function, self_shape
from seamrec.runtime.instrument import Instrumenter, Seam
from seamrec.runtime.rebuild import Rebuilder, RebuildError, TypeResolver
from seamrec.runtime.tape import Finding, LiveCall, Tape

if TYPE_CHECKING:
    from seamrec.runtime.adapters.dbapi import DatabaseSeams
    from seamrec.runtime.adapters.httpseams import HttpSeams

_T = TypeVar("_T")
__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback


class Mode(enum.Enum):
    """What the run does with crossing calls."""

    RECORD = "record"
    CHECK = "check"
    REPLAY = "replay"  # only replayed seams are touched; the rest run untouched


@dataclass
class Stats:
    """Counts for the terminal summary; plain data so xdist workers can send them."""

    seams_wrapped: int = 0
    calls_recorded: int = 0
    calls_checked: int = 0
    calls_replayed: int = 0
    calls_outside: int = 0  # imports, collection, shared fixtures: credited to no test
    written: int = 0
    unchanged: int = 0
    kept_failed: list[str] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # passed, crosses no seam any more
    drifted: list[str] = field(default_factory=list)
    replay_failed: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    budget_cut: list[str] = field(default_factory=list)  # seams with a payload over budget
    instrumentation_errors: list[str] = field(default_factory=list)
    write_errors: list[str] = field(default_factory=list)
    unredirected: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    db_queries: int = 0  # database queries recorded or checked (not in the calls above)
    db_statements: list[str] = field(default_factory=list)  # their distinct statements
    http_requests: int = 0  # HTTP requests recorded or checked (not in the calls above)
    http_endpoints: list[str] = field(default_factory=list)  # their distinct seams
    skipped: dict[str, list[str]] = field(default_factory=dict)  # type path -> names
    lost: dict[str, list[str]] = field(default_factory=dict)  # seam id -> why not wrapped
    lost_recorded: list[str] = field(default_factory=list)  # lost seams with cassettes

    def merge(self, other: dict[str, Any]) -> None:
        """Add the counts a worker sent (see `as_dict`)."""
        for name, value in other.items():
            mine = getattr(self, name, None)
            if isinstance(mine, bool) or mine is None:
                continue
            if isinstance(mine, int):
                setattr(self, name, max(mine, value) if name == "seams_wrapped" else mine + value)
            elif isinstance(mine, list):
                mine.extend(v for v in value if v not in mine)
            elif isinstance(mine, dict):
                for key, holders in value.items():
                    mine.setdefault(key, [])
                    mine[key].extend(h for h in holders if h not in mine[key])

    def delta(self, before: dict[str, Any]) -> dict[str, Any]:
        """What changed since `before` (an `as_dict`), for the xdist controller."""
        changed: dict[str, Any] = {}
        for name, value in self.as_dict().items():
            if name in _INSTRUMENTATION:
                continue
            if isinstance(value, int):
                if value != before[name]:
                    changed[name] = value - before[name]
            elif isinstance(value, list) and len(value) > len(before[name]):
                changed[name] = value[len(before[name]) :]
        return changed

    def instrumentation(self) -> dict[str, Any]:
        """The counts that belong to the whole worker rather than to a test."""
        everything = self.as_dict()
        return {name: everything[name] for name in _INSTRUMENTATION}

    def as_dict(self) -> dict[str, Any]:
        """Plain data for xdist's workeroutput."""
        return {
            name: (
                list(value)
                if isinstance(value, list)
                else dict(value)
                if isinstance(value, dict)
                else value
            )
            for name, value in vars(self).items()
        }


_INSTRUMENTATION = (
    "seams_wrapped",
    "unredirected",
    "warnings",
    "instrumentation_errors",
    "calls_outside",
    "skipped",
    "lost",
)


@dataclass
class TestOutcome:
    """What seamrec says about one finished test."""

    nodeid: str
    findings: list[Finding] = field(default_factory=list)
    cassette_error: str | None = None
    cassette: Path | None = None


def replayed_outcome(kind: str, outcome: str, value: Any) -> Any:
    """The recorded outcome in the form the seam's caller expects."""
    if outcome == "raise" and not isinstance(value, BaseException):
        raise ReplayError(f"the recorded exception is a {type(value).__name__}")
    if kind == "async":
        return _replayed_awaitable(outcome, value)
    if kind == "generator" and outcome == "raise":
        return _replayed_failure(value)  # a generator raises when first iterated
    if outcome == "raise":
        raise value
    if outcome == "yield":
        return _replayed_items(value)
    return value


def _replayed_items(items: list[Any]) -> Generator[Any, None, None]:
    yield from items


def _replayed_failure(error: BaseException) -> Generator[Any, None, None]:
    raise error
    yield  # pragma: no cover - makes this a generator function


async def _replayed_awaitable(outcome: str, value: Any) -> Any:
    if outcome == "raise":
        raise value
    return value


def _leave(inside: Token[Parent | None]) -> None:
    """End a recorded call's turn as the enclosing call (quietly, should the code under
    test have switched contexts under it)."""
    try:  # noqa: SIM105 - once per recorded call: contextlib.suppress costs ~0.1 µs more
        ENCLOSING.reset(inside)
    except (ValueError, RuntimeError):
        pass


def _wrapping_scope(settings: Settings, mode: Mode, replay: tuple[SeamPattern, ...]) -> Settings:
    """What the instrumenter wraps: replayed seams only, or the boundaries plus them."""
    if mode is Mode.REPLAY:
        return dataclasses.replace(settings, boundaries=(), seams=replay)
    return dataclasses.replace(settings, seams=settings.seams + replay)


class _LastShapes:
    """The previous call's shapes of one seam, each paired with the strict check that
    reuses it; a pair is replaced as one tuple, so threads never mix two calls' shapes."""

    __slots__ = ("args", "result")

    def __init__(self) -> None:
        self.args: tuple[Shape, ArgsCheck | None] = ((), None)
        self.result: tuple[Shape, Check | None] = ((), None)


class SeamSession:
    """Records or checks the crossing calls of every test of one pytest run."""

    def __init__(
        self, settings: Settings, mode: Mode, replay: tuple[SeamPattern, ...] = ()
    ) -> None:
        self.settings = settings
        self.mode = mode
        self.replay = replay
        self._rebuilder = Rebuilder(TypeResolver(settings.module_in_scope, settings.replay_types))
        self.stats = Stats()
        self.tape: Tape | None = None
        self._paused = 0  # shared fixtures, and the test's own teardown phase
        self._test_paused = False
        self._importing: dict[int, int] = {}  # thread id -> modules it is executing
        classifier = Classifier.from_settings(settings)  # one for shapes and payloads
        self._shape_of = make_shape_function(settings.limits.max_depth, classifier=classifier)
        self._pack = make_packer(settings.limits, classifier)
        self._last: dict[str, _LastShapes] = {}
        self._fit_args: dict[int, tuple[Shape, ArgsCheck | None]] = {}
        self._fit_values: dict[int, tuple[Shape, Check | None]] = {}
        self.instrumenter = Instrumenter(
            _wrapping_scope(settings, mode, replay), self, settings.boundaries
        )
        self._cassette_error: str | None = None
        self.database: DatabaseSeams | None = None
        self._db_calls = 0
        self._db_seen: set[str] = set()
        self.http: HttpSeams | None = None
        self._http_calls = 0

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Wrap the seams (call before conftest.py imports the app)."""
        self.instrumenter.install()
        if self.mode is not Mode.REPLAY and self.settings.boundaries and self.settings.databases:
            from seamrec.runtime.adapters.dbapi import DatabaseSeams

            self.database = DatabaseSeams(self, self.settings.databases, self.settings.boundaries)
            self.database.install()
        if self.settings.boundaries and self.settings.http:
            from seamrec.runtime.adapters.httpseams import HttpSeams

            self.http = HttpSeams(self, self.settings.http, self.settings.boundaries)
            self.http.install()

    def catch_up(self) -> None:
        """Wrap modules in scope that were imported behind seamrec's import hook."""
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
        self.instrumenter.uninstall()
        self.uninstall_databases()

    def uninstall_databases(self) -> None:
        """Give the database drivers their own `connect` back."""
        if self.database is not None:
            self.database.uninstall()
        if self.http is not None:
            self.http.uninstall()

    def warnings(self) -> list[str]:
        """Configuration that wrapped nothing, and modules seamrec never got to see."""
        seams = list(self.instrumenter.report.seams.values())
        considered = self.instrumenter.report.considered
        found = [
            f"[tool.seamrec] seams pattern {p.text!r} matched nothing"
            for p in self.settings.seams
            if not any(p.matches(s.module, s.qualname) for s in seams)
        ]
        found += [
            f"[tool.seamrec] exclude pattern {p.text!r} matched nothing"
            for p in self.settings.exclude
            if not any(p.matches(module, qualname) for module, qualname in considered)
        ]
        found += [
            f"[tool.seamrec] boundary {b!r} wrapped no public callable"
            for b in self.settings.boundaries
            if self.mode is not Mode.REPLAY and not any(in_packages(s.module, (b,)) for s in seams)
        ]
        found += [
            f"module {name} was imported without seamrec seeing it (after the tests started, "
            "behind another import hook); its seams were not recorded"
            for name in self.instrumenter.unseen_modules()
        ]
        return found

    def pause(self) -> None:
        """Stop attributing calls to the running test (e.g. in shared fixtures)."""
        self._paused += 1

    def resume(self) -> None:
        """Undo one `pause`."""
        self._paused -= 1

    @contextlib.contextmanager
    def importing(self) -> Iterator[None]:
        """While a module in scope runs its module-level code (an import, even one a test
        triggers), the calls made on this thread belong to no test."""
        ident = get_ident()
        self._importing[ident] = self._importing.get(ident, 0) + 1
        try:
            yield
        finally:
            left = self._importing.pop(ident) - 1
            if left:
                self._importing[ident] = left

    def replay_also(self, patterns: tuple[SeamPattern, ...]) -> None:
        """Wrap the seams that test markers ask to replay, if not wrapped yet."""
        self.instrumenter.extend(patterns)

    def begin_test(self, nodeid: str, replay: tuple[SeamPattern, ...] = ()) -> None:
        """Start a tape for `nodeid`, loading its cassette when checking or replaying."""
        expected: Cassette | None = None
        self._cassette_error = None
        if self._test_paused:  # the previous test never finished (an internal error)
            self._test_paused = False
            self.resume()
        replay = () if self.mode is Mode.RECORD else self.replay + replay
        if self.mode is Mode.CHECK or replay:
            path = self.cassette_path(nodeid)
            if path.exists():
                try:
                    expected = load(path)
                except CassetteError as exc:
                    self._cassette_error = str(exc)
        self.tape = Tape(
            nodeid,
            expected,
            self.settings.limits.payload_calls,
            replay,
            nesting=self.mode is Mode.RECORD,
        )
        self._db_calls = 0
        self._http_calls = 0
        if self.http is not None:
            self._guarded(self.http.catch_up, None, "the wrapping of HTTP test clients")
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
        if self.mode is Mode.RECORD:
            return outcome
        events = self._db_calls + self._http_calls
        self.stats.calls_checked += tape.call_count() - tape.replayed - events
        self.stats.db_queries += self._db_calls
        self.stats.http_requests += self._http_calls
        self.stats.calls_replayed += tape.replayed
        judged = self.mode is Mode.CHECK or bool(tape.replay)
        if not judged:
            return outcome
        if self._cassette_error is not None:
            outcome.cassette_error = self._cassette_error
            self.stats.broken.append(tape.nodeid)
        elif tape.expected is None:
            outcome.findings = list(tape.findings)
            if tape.call_count() and self.mode is Mode.CHECK:
                self.stats.unrecorded.append(tape.nodeid)
        else:
            everything = self.mode is Mode.CHECK
            if everything:
                self._note_lost(tape.expected)
            outcome.findings = self._guarded(
                lambda: tape.finish_check(everything), [], f"the check of {tape.nodeid}"
            )
            database = self.database
            if database is not None:
                found = outcome.findings
                outcome.findings = self._guarded(
                    lambda: database.settle(found, tape), found, f"the queries of {tape.nodeid}"
                )
        if outcome.findings:
            replay_only = all(f.part == "replay" for f in outcome.findings)
            (self.stats.replay_failed if replay_only else self.stats.drifted).append(tape.nodeid)
            outcome.findings = self._guarded(
                lambda: self._redacted_findings(outcome.findings),
                outcome.findings,
                f"the redaction of {tape.nodeid}'s drift report",
            )
        return outcome

    def finish_test(self, outcome: str) -> None:
        """Write the cassette of a passed test (record mode) and drop the tape; `outcome`
        is "passed", "failed" or "skipped" (skips and xfails write and keep nothing)."""
        self._flush_databases()
        tape, self.tape = self.tape, None
        if self._test_paused:
            self._test_paused = False
            self.resume()
        if tape is None or self.mode is not Mode.RECORD:
            return
        if outcome != "passed":
            if outcome == "failed" and tape.call_count():
                self.stats.kept_failed.append(tape.nodeid)
            return
        self.stats.calls_recorded += tape.call_count() - self._db_calls - self._http_calls
        self.stats.db_queries += self._db_calls
        self.stats.http_requests += self._http_calls
        self._guarded(lambda: self._store(tape), None, f"the cassette of {tape.nodeid}")

    def _store(self, tape: Tape) -> None:
        path = self.cassette_path(tape.nodeid)
        if not tape.call_count():
            if path.exists():
                self._remove(path, tape.nodeid)
            return
        cassette = self._redacted(tape.to_cassette(raw_tree))
        cut = [s for s in budget_cut_seams(cassette) if s not in self.stats.budget_cut]
        self.stats.budget_cut.extend(cut)
        if path.exists():
            try:
                if load(path).signature() == cassette.signature():
                    self.stats.unchanged += 1
                    return
            except Exception:  # a broken cassette, however broken, is simply replaced
                pass
        try:
            write_atomic(path, dump(cassette))
        except OSError as exc:
            self.stats.write_errors.append(
                f"{path}: could not be written ({exc.strerror}); make "
                f"{self.settings.cassette_dir} writable and record again"
            )
            return
        self.stats.written += 1

    def _remove(self, path: Path, nodeid: str) -> None:
        """Delete the cassette of a passed test that crosses no seam any more, so the next
        check is clean; unless nothing was wrapped at all (a misconfigured run would
        otherwise wipe every cassette)."""
        if not self.instrumenter.report.seams:
            self.stats.idle.append(nodeid)
            return
        try:
            path.unlink()
        except OSError as exc:
            self.stats.write_errors.append(
                f"{path}: could not be removed ({exc.strerror}); its test crosses no seam any "
                "more, delete it by hand"
            )
            return
        self.stats.removed.append(nodeid)

    def _redactor(self) -> Redactor:
        return Redactor.from_settings(self.settings)

    def _redacted(self, cassette: Cassette) -> Cassette:
        """The cassette with every secret replaced by a typed placeholder."""
        return self._redactor().redact(cassette)

    def _redacted_findings(self, findings: list[Finding]) -> list[Finding]:
        """Findings whose example payloads cannot show a secret in a CI log."""
        redactor = self._redactor()
        for finding in findings:
            for name in ("recorded_payload", "live_payload", "context"):
                data = getattr(finding, name)
                if isinstance(data, bytes):
                    redactor.collect(finding.seam, raw_tree(data), None, "")
        for finding in findings:
            for name in ("recorded_payload", "live_payload"):
                data = getattr(finding, name)
                if data is not None:
                    setattr(finding, name, pack(redactor.scrub(raw_tree(data))))
        return findings

    def cassette_path(self, nodeid: str) -> Path:
        """Where the cassette of `nodeid` lives."""
        return cassette_path(self.settings.cassette_dir, nodeid)

    # ---------------------------------------------------------------- events

    def event_wanted(self) -> bool:
        """True when a crossing that is not a call (a database query) would be recorded
        or checked now: a test runs, unpaused, and the run is not a replay."""
        return self.tape is not None and not self._paused and self.mode is not Mode.REPLAY

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None:
        """Start one crossing of `seam` whose only argument is `value` (see `close_event`)."""
        tape = self.tape
        if tape is None or self._paused or self.mode is Mode.REPLAY:
            return None
        try:
            call = self._start(tape, seam, caller, None, (value,), {}, self.mode is Mode.RECORD)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self._internal_error(exc, f"a query of {seam.id}")
            return None
        self._count_event(seam)
        return call

    def _count_event(self, seam: Seam) -> None:
        http = seam.module in ("http", "http-out")
        if http:
            self._http_calls += 1
        else:
            self._db_calls += 1
        if seam.id not in self._db_seen:
            self._db_seen.add(seam.id)
            (self.stats.http_endpoints if http else self.stats.db_statements).append(seam.id)

    def replay_event(self, seam: Seam, caller: str, value: object) -> tuple[bool, object]:
        """Answer a crossing of `seam` (argument `value`) from the cassette when the running
        test replays it: (True, recorded value); (False, None) when it is to happen for
        real. Raises `ReplayError` when it cannot be answered (like a replayed call)."""
        tape = self.tape
        if tape is None or self._paused or not tape.replay or not tape.replays(seam.id):
            return False, None
        try:
            call = self._start(tape, seam, caller, None, (value,), {}, False)
            detail = self._replayable(tape, seam, call.index)
        except ReplayError as exc:
            if exc.seam == "missing" and self.settings.replay_missing == "call":
                return False, None
            tape.note_replay_error(seam.id, str(exc))
            raise exc.with_traceback(None) from None
        try:
            value = self._rebuilder.rebuild(detail.result, detail.outcome)
        except RebuildError as exc:
            tape.note_replay_error(seam.id, f"{exc.where}: {exc.what}\nfix: {exc.fix}")
            raise exc.with_traceback(None) from None
        tape.replayed += 1
        if seam.id not in self._db_seen:  # named, not counted: replayed calls are counted
            self._db_seen.add(seam.id)
            self.stats.http_endpoints.append(seam.id)
        return True, value

    def close_event(
        self, call: LiveCall, outcome: str, value: object, shape: Shape | None = None
    ) -> None:
        """End a crossing started by `open_event`: "return" `value` (with its `shape`
        when the caller built it) or "raise" it; ignored once its test has ended."""
        tape = self.tape
        if tape is None:
            return
        if shape is None:
            self._end(tape, call, outcome, value)
            return
        try:
            call.outcome = outcome
            call.result_shape = shape
            expected = call.expected
            if self.mode is Mode.RECORD:
                if call.args_payload is not None:
                    call.result_payload = self._pack(value)
                tape.commit(call.seam, call.index, (call.args_shape, outcome, shape))
            elif expected is None:
                call.result_payload = self._pack(value)  # a new statement: kept to compare
            elif expected[1] != outcome or not compatible(expected[2], shape):
                call.result_payload = self._pack(value)
                call.result_drift = True
                bound = call.args_context
                if isinstance(bound, tuple):
                    call.args_context = self._pack_args(*bound)
                tape.hold(call)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self._internal_error(exc, f"the result of a query of {call.seam}")

    def shape(self, value: object) -> Shape:
        """The shape of `value`, as every crossing records it."""
        return self._shape_of(value)

    def internal_error(self, exc: Exception, lost: str) -> None:
        """Count one of seamrec's own failures for the summary, naming what it lost."""
        self._internal_error(exc, lost)

    def _flush_databases(self) -> None:
        if self.database is not None:
            self._guarded(self.database.flush, None, "the results of open queries")

    # ---------------------------------------------------------------- hot path

    def crossing(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Handle one call that crossed a seam; behaves exactly like `wrapped(...)`."""
        tape = self.tape
        if tape is None or self._paused or (self._importing and get_ident() in self._importing):
            self.stats.calls_outside += 1
            return wrapped(*args, **kwargs)
        if tape.replay and tape.replays(seam.id):
            return self._replay(tape, seam, caller, wrapped, instance, args, kwargs)
        if self.mode is Mode.REPLAY:
            return wrapped(*args, **kwargs)
        record = self.mode is Mode.RECORD
        try:
            call = self._start(tape, seam, caller, instance, args, kwargs, record)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self._internal_error(exc, f"a call of {seam.id}")
            return wrapped(*args, **kwargs)
        if seam.kind == "async":
            return self._awaited(tape, call, wrapped, args, kwargs, seam)
        inside = ENCLOSING.set((seam.id, call.index)) if record else None
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            self._end(tape, call, "raise", exc)
            raise
        finally:
            if inside is not None:
                _leave(inside)
        if seam.kind == "function":
            self._end(tape, call, "return", result)
            return result
        if seam.kind == "generator" and issubclass(type(result), types.GeneratorType):
            call.outcome = "yield"
            tape.generators.append(call)
            return self._observed(tape, call, result)
        self._end(tape, call, "return", result)
        return result

    def _start(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        record: bool,
    ) -> LiveCall:
        index, sequence = tape.allocate(seam.id, ENCLOSING.get() if record else None)
        names, values = seam.bind(instance, args, kwargs)
        if record:
            last = self._last.get(seam.id)
            if last is None:
                last = self._last[seam.id] = _LastShapes()
            shape, check = last.args
            if check is None or not check(names, values):
                shape = self._args_shape(seam, names, values)
                last.args = (shape, compile_args(shape, self._shape_of, strict=True))
            payload = self._pack_args(seam, names, values) if tape.wants_payload(index) else None
            call = LiveCall(seam.id, caller, index, sequence, shape, payload, None)
            if payload is not None:
                tape.keep_detail(call)
            return call
        expected = tape.expected_at(seam.id, index)
        if expected is None:
            call = LiveCall(seam.id, caller, index, sequence, (), None, None)
            if tape.expected is not None and not tape.replays(seam.id):
                call.args_shape = self._args_shape(seam, names, values)
                call.args_payload = self._pack_args(seam, names, values)
                tape.note_unrecorded(call)
            return call
        call = LiveCall(seam.id, caller, index, sequence, expected[0], None, expected)
        call.args_context = (seam, names, values)  # a tuple: cheap on the hot path
        if not self._args_fit(expected[0], names, values):
            shape = self._args_shape(seam, names, values)
            if not compatible(expected[0], shape):
                call.args_shape = shape
                call.args_payload = self._pack_args(seam, names, values)
                call.args_drift = True
                tape.hold(call)
        return call

    def _replay(
        self,
        tape: Tape,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Give back the recorded outcome instead of calling the seam."""
        try:
            call = self._start(tape, seam, caller, instance, args, kwargs, False)
            detail = self._replayable(tape, seam, call.index)
        except ReplayError as exc:
            if exc.seam == "missing" and self.settings.replay_missing == "call":
                return wrapped(*args, **kwargs)
            tape.note_replay_error(seam.id, str(exc))
            raise exc.with_traceback(None) from None  # seamrec's own frames say nothing
        try:
            value = self._rebuilder.rebuild(detail.result, detail.outcome)
        except RebuildError as exc:
            tape.note_replay_error(seam.id, f"{exc.where}: {exc.what}\nfix: {exc.fix}")
            raise exc.with_traceback(None) from None
        tape.replayed += 1
        return replayed_outcome(seam.kind, detail.outcome, value)

    def _replayable(self, tape: Tape, seam: Seam, index: int) -> Call:
        if tape.expected is None:
            raise ReplayError(
                f"{seam.id} cannot be replayed: {tape.nodeid} has no cassette; record it "
                f"first with {rerecord_command(tape.nodeid)}",
                seam="",
            )
        detail = tape.expected.detail(seam.id, tape.recorded_index(seam.id, index))
        if detail is not None:
            return detail
        total = tape.recorded_count(seam.id)
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

    def _args_shape(self, seam: Seam, names: tuple[str, ...], values: list[Any]) -> Shape:
        shape_of = self._shape_of
        if seam.has_self:
            return args_shape(names, [self_shape(values[0]), *map(shape_of, values[1:])])
        return args_shape(names, list(map(shape_of, values)))

    def _pack_args(self, seam: Seam, names: tuple[str, ...], values: list[Any]) -> bytes:
        if seam.has_self:
            values = [SelfRef(values[0]), *values[1:]]
        return self._pack(dict(zip(names, values, strict=True)))

    def _args_fit(self, expected: Shape, names: tuple[str, ...], values: list[Any]) -> bool:
        cached = self._fit_args.get(id(expected))
        if cached is None or cached[0] is not expected:
            cached = (expected, compile_args(expected, self._shape_of))
            self._fit_args[id(expected)] = cached
        check = cached[1]
        return check is not None and check(names, values)

    def _value_fits(self, expected: Shape, value: object) -> bool:
        cached = self._fit_values.get(id(expected))
        if cached is None or cached[0] is not expected:
            cached = (expected, compile_value(expected, self._shape_of))
            self._fit_values[id(expected)] = cached
        check = cached[1]
        return check is not None and check([value])

    def _end(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None:
        try:
            if self.mode is Mode.RECORD:
                self._end_record(tape, call, outcome, value)
            else:
                self._end_check(tape, call, outcome, value)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self._internal_error(exc, f"the outcome of a call of {call.seam}")

    def _end_record(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None:
        call.outcome = outcome
        last = self._last[call.seam]
        shape, check = last.result
        if check is None or not check([value]):
            shape = self._shape_of(value)
            last.result = (shape, compile_value(shape, self._shape_of, strict=True))
        call.result_shape = shape
        if call.args_payload is not None:
            call.result_payload = self._pack(value)
        tape.commit(call.seam, call.index, (call.args_shape, outcome, shape))

    def _end_check(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None:
        call.outcome = outcome
        expected = call.expected
        if expected is None:
            if call.extra:  # beyond the recording: its shape aligns it at test end
                call.result_shape = self._shape_of(value)
                call.result_payload = self._pack(value)
            return
        if expected[1] == outcome and self._value_fits(expected[2], value):
            call.result_shape = self._shape_of(value) if call.held else expected[2]
            return
        call.result_shape = self._shape_of(value)
        if expected[1] == outcome and compatible(expected[2], call.result_shape):
            return
        call.result_payload = self._pack(value)
        call.result_drift = True
        bound = call.args_context
        if isinstance(bound, tuple):  # packed only now: the drift report redacts with it
            call.args_context = self._pack_args(*bound)
        tape.hold(call)

    def _awaited(
        self,
        tape: Tape,
        call: LiveCall,
        wrapped: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        seam: Seam,
    ) -> Any:
        """A coroutine that calls the seam when it is first awaited, and records the result.

        The real coroutine is created only then, so a wrapper that is closed or cancelled
        before it starts leaves no never-awaited coroutine behind."""

        record = self.mode is Mode.RECORD

        async def seam_call() -> Any:
            inside = ENCLOSING.set((call.seam, call.index)) if record else None
            try:
                result = await wrapped(*args, **kwargs)
            except Exception as exc:
                self._end(tape, call, "raise", exc)
                raise
            finally:
                if inside is not None:
                    _leave(inside)
            self._end(tape, call, "return", result)
            return result

        coroutine: Any = seam_call()
        coroutine.__name__ = seam.qualname.rpartition(".")[2]
        coroutine.__qualname__ = seam.qualname
        return coroutine

    def _observed(
        self, tape: Tape, call: LiveCall, generator: Generator[Any, Any, Any]
    ) -> Generator[Any, Any, Any]:
        """Re-yield `generator`'s items, recording each one as the caller consumes it."""
        keep_payload = call.args_payload is not None and self.mode is Mode.RECORD
        max_items = self.settings.limits.max_items
        enclosing = (call.seam, call.index) if self.mode is Mode.RECORD else None

        def step(resume: Callable[..., Any], *value: Any) -> Any:
            """Run the generator on to its next item, inside this call when recording."""
            if enclosing is None:
                return resume(*value)
            inside = ENCLOSING.set(enclosing)
            try:
                return resume(*value)
            finally:
                _leave(inside)

        def note(item: object) -> None:
            if self.tape is not tape:
                return
            try:
                shape = self._shape_of(item)
                if not call.items or call.items[-1] != shape:
                    call.items.append(shape)
                if keep_payload and len(call.item_payloads) < max_items:
                    call.item_payloads.append(self._pack(item))
            except Exception as exc:  # seamrec's own failure: report it, never raise it
                self._internal_error(exc, f"an item yielded by {call.seam}")

        def failed(exc: Exception) -> None:
            if self.tape is tape:
                call.outcome = "raise"
                tape.generators.remove(call)
                self._end(tape, call, "raise", exc)

        try:
            item = step(generator.__next__)
        except StopIteration as stop:
            return stop.value
        except Exception as exc:
            failed(exc)
            raise
        while True:
            note(item)
            try:
                sent = yield item
            except GeneratorExit:
                generator.close()
                raise
            except BaseException as exc:
                try:
                    item = step(generator.throw, exc)
                except StopIteration as stop:
                    return stop.value
                except Exception as raised:
                    if raised is not exc:
                        failed(raised)
                    raise
            else:
                try:
                    item = step(generator.send, sent)
                except StopIteration as stop:
                    return stop.value
                except Exception as exc:
                    failed(exc)
                    raise

    def _internal_error(self, exc: Exception, lost: str) -> None:
        """Count a failure of seamrec's own code, naming what it left unrecorded."""
        self.stats.internal_errors.append(f"{lost} was lost ({type(exc).__name__}: {exc})")

    def _guarded(self, action: Callable[[], _T], fallback: _T, lost: str) -> _T:
        try:
            return action()
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self._internal_error(exc, lost)
            return fallback

    def _note_lost(self, expected: Cassette) -> None:
        """Seams this test's cassette has calls of, that could not be wrapped this run:
        their calls were not checked (the run fails, see `Stats.lost_recorded`)."""
        lost = self.instrumenter.report.lost
        if not lost:
            return
        for seam in expected.runs:
            module = seam.partition(":")[0]
            if (seam in lost or module in lost) and seam not in self.stats.lost_recorded:
                self.stats.lost_recorded.append(seam)
