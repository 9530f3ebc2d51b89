"""The part this process plays in a seamrec run, chosen once at configure: a local run,
an xdist worker or an xdist controller. The hooks delegate to it in a line or three.

A local run and a worker hold the `SeamSession` that wraps the seams and runs the tests;
a worker sends each test's counts to the controller with the test's report. The
controller runs no test: it adds up what its workers sent, ends the run and prints the
summary. Imported only when a seamrec option, a `--seams-report` or a replay marker is
seen.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from seamrec.config import SeamPattern, check_importable, replay_patterns
from seamrec.exceptions import ConfigError, ReplayError
from seamrec.pytest_plugin.report import summary_lines
from seamrec.pytest_plugin.run_end import (
    CHANGES_ATTRIBUTE,
    RecordEnd,
    RunObserver,
    finish_run,
    safe_change_records,
)
from seamrec.pytest_plugin.stash import ROLE_KEY, run_settings
from seamrec.runtime.gcpause import CollectorPaused
from seamrec.runtime.session import Mode, SeamSession, Stats

STATS_ATTRIBUTE = "seamrec_stats"  # a test report's seamrec counts (xdist workers)
_STARTED_KEY = pytest.StashKey[tuple[Mode, SeamSession | None]]()
_OUTCOME_KEY = pytest.StashKey[str]()
_BEFORE_KEY = pytest.StashKey[dict[str, Any]]()
_REPLAY_KEY = pytest.StashKey[tuple[SeamPattern, ...]]()


def start(config: pytest.Config, mode_name: str) -> None:
    """Before the conftest files are imported: check the settings and start the session
    that wraps the seams, unless this process looks like an xdist controller (which only
    hands tests to its workers)."""
    namespace = config.known_args_namespace
    mode = Mode(mode_name)
    try:
        settings = run_settings(config)
        check_importable(settings)
        patterns = replay_patterns(settings, namespace.replay_seams)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    session = None
    if not _looks_like_xdist_controller(namespace):
        session = SeamSession(settings, mode, patterns)
        session.start(collecting=True)  # redirected once, when collection ends
    config.stash[_STARTED_KEY] = (mode, session)


def abandon(config: pytest.Config) -> None:
    """The run ended before a role was chosen (a usage error, a conftest that failed to
    import): leave the modules and the database drivers as they were all the same."""
    _, session = config.stash.get(_STARTED_KEY, (None, None))
    if session is not None:
        session.put_back()


def choose(config: pytest.Config) -> Role:
    """The role of this process, now that xdist has decided whether it distributes."""
    mode, session = config.stash.get(_STARTED_KEY, (None, None))
    observer = RunObserver()
    config.pluginmanager.register(observer, "seamrec-run-observer")
    if hasattr(config, "workerinput"):
        return Worker(config, mode, session, observer)
    distributed = (  # xdist's own test: a distribution mode *and* workers to send tests to
        config.getoption("dist", "no") != "no"
        and bool(config.getoption("tx", None))
        and not config.getoption("collectonly")
    )
    guessed = session is None and mode is not None  # taken for the controller at start
    if not (distributed or guessed):
        return LocalRun(config, mode, session, observer)
    if session is not None:
        session.put_back()  # this process only hands tests to its workers
    return Controller(config, mode, None, observer)


def replay_markers(config: pytest.Config, marked: list[tuple[pytest.Item, list[str]]]) -> None:
    """Replay what `@pytest.mark.seams(replay=...)` names, in the tests that say so; in a
    run without a seamrec option this starts a replay session."""
    wanted: list[SeamPattern] = []
    for item, texts in marked:
        try:
            patterns = tuple(SeamPattern.parse(t, key="seams(replay=...)") for t in texts)
        except ConfigError as exc:
            raise pytest.UsageError(f"{item.nodeid}: {exc}") from exc
        item.stash[_REPLAY_KEY] = patterns
        wanted.extend(p for p in patterns if p not in wanted)
    role = config.stash.get(ROLE_KEY, None)
    if role is None:
        kind = Worker if hasattr(config, "workerinput") else LocalRun
        role = config.stash[ROLE_KEY] = kind(config, None, None, None)
    if role.session is None:
        role.session = SeamSession(run_settings(config), Mode.REPLAY)
        role.session.start()
    role.session.replay_also(tuple(wanted))


def _looks_like_xdist_controller(namespace: Any) -> bool:
    """An early guess (a nested run inherits PYTEST_XDIST_WORKER); `choose` settles it
    once xdist has decided."""
    workers = getattr(namespace, "numprocesses", None)
    return bool(workers) and workers != "0" and "PYTEST_XDIST_WORKER" not in os.environ


class Role:
    """What every role does; a local run, as the base case."""

    runs_tests = True  # False on the xdist controller: it collects and runs nothing

    def __init__(
        self,
        config: pytest.Config,
        mode: Mode | None,
        session: SeamSession | None,
        observer: RunObserver | None,
    ) -> None:
        self.config = config
        self._mode = mode
        self.session = session
        self.observer = observer  # None in a run started by replay markers alone
        self.end: RecordEnd | None = None
        self.plain_errors: list[str] = []  # --seams-report without a mode: its errors

    @property
    def mode(self) -> Mode | None:
        """The run's mode; None with no seamrec option (a `--seams-report` alone)."""
        return self.session.mode if self.session is not None else self._mode

    @property
    def stats(self) -> Stats | None:
        """The counts the summary and the exit status are made of."""
        return self.session.stats if self.session is not None else None

    # ------------------------------------------------------------------ the tests

    def collected(self) -> None:
        """Wrap the modules imported behind another import hook."""
        if self.session is not None:
            self.session.catch_up()

    def shared_fixture_starts(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        """Shared fixtures belong to no single test, in setup and in teardown alike: the
        fixture's finalizers run between these two calls (last in, first out), whenever
        pytest tears it down (after the last test of its scope, or before a new parameter)."""
        if self.session is not None:
            fixturedef.addfinalizer(self.session.resume)
            self.session.pause()

    def shared_fixture_set_up(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        """The shared fixture is set up: calls belong to the running test again."""
        if self.session is not None:
            self.session.resume()
            fixturedef.addfinalizer(self.session.pause)

    def test_starts(self, item: pytest.Item) -> bool:
        """Start the test's tape; False when there is no session to run it."""
        if self.session is None:
            return False
        item.stash[_OUTCOME_KEY] = "passed"
        self.before_test(item, self.session)
        self.session.begin_test(item.nodeid, item.stash.get(_REPLAY_KEY, ()))
        return True

    def before_test(self, item: pytest.Item, session: SeamSession) -> None:
        """What the role keeps of the run before a test starts (a local run: nothing)."""

    def test_interrupted(self, item: pytest.Item) -> None:
        """Ctrl-C or an exit mid-test: never write what was half-run."""
        item.stash[_OUTCOME_KEY] = "failed"

    def test_ends(self, item: pytest.Item) -> None:
        """End the test's tape (nothing to do if its teardown report did it)."""
        if self.session is not None:
            self.session.finish_test(item.stash[_OUTCOME_KEY])

    def test_reported(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> None:
        """Fail a test whose seams drifted, with the drift in its report; keep its outcome
        for the cassette."""
        session = self.session
        if session is None:
            return
        if report.when == "call":
            outcome = session.end_test_calls()
            if outcome.findings and self.config.getoption("seams_report") is not None:
                setattr(report, CHANGES_ATTRIBUTE, safe_change_records(outcome.findings))
            if outcome.findings or outcome.cassette_error is not None:
                from seamrec.pytest_plugin.failure import safe_failure_text  # a drift: now

                text = safe_failure_text(outcome)
                replay_failed = call.excinfo is not None and call.excinfo.errisinstance(ReplayError)
                if report.passed or replay_failed:  # a replay failure is said once, by seamrec
                    report.outcome = "failed"
                    report.longrepr = text
                else:
                    report.sections.append(("seamrec", text))
        if report.failed:
            item.stash[_OUTCOME_KEY] = "failed"
        elif report.skipped and item.stash[_OUTCOME_KEY] == "passed":
            item.stash[_OUTCOME_KEY] = "skipped"  # skip, xfail: nothing to write, nothing kept
        if report.when == "teardown":
            session.finish_test(item.stash[_OUTCOME_KEY])
            self.test_torn_down(item, report)

    def test_torn_down(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """After the test's cassette is settled."""

    # ------------------------------------------------------------------ the run

    def finish(self, session: pytest.Session) -> None:
        """End the run: contract files, stale cassettes, the report file; a record that did
        not land fails the run."""
        stats = self.stats
        if self.observer is not None:
            if stats is None:  # no seamrec option, but --seams-report: errors still count
                stats = Stats()
                self.plain_errors = stats.write_errors
            settled = self.session.settled_cassettes() if self.session is not None else None
            with CollectorPaused():  # seamrec's own work: contracts, stale cassettes, report
                self.end = finish_run(session, self.mode, stats, self.observer, settled)
        self._fail_on_lost_records(session, stats)
        if self.session is not None:
            self.session.stop()

    def _fail_on_lost_records(self, session: pytest.Session, stats: Stats | None) -> None:
        failed = stats is not None and bool(stats.write_errors or stats.lost_recorded)
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a record that did not land

    def worker_down(self, workeroutput: dict[str, Any]) -> None:
        """An xdist worker finished (seen by the process that started it)."""
        if self.observer is not None and workeroutput.get("seamrec_deselected"):
            self.observer.deselected = True

    def summary(self, terminalreporter: Any) -> None:
        """The seamrec section of the terminal summary."""
        if self.session is None:
            for error in self.plain_errors:
                terminalreporter.write_line(f"seamrec: error: {error}")
            return
        self._section(terminalreporter, self.session.mode, self.session.stats)

    def _section(self, terminalreporter: Any, mode: Mode, stats: Stats) -> None:
        terminalreporter.section("seamrec")
        for line in summary_lines(mode, stats, self.end):
            terminalreporter.write_line(line)

    def unconfigure(self) -> None:
        """Leave the modules and the database drivers as they were, and drop what the
        run kept for its calls (before pytest's last garbage collections)."""
        if self.session is not None:
            self.session.put_back()
            self.session.release()


class LocalRun(Role):
    """Runs the tests in this process and ends the run."""


class Worker(Role):
    """An xdist worker: runs its share of the tests and sends the counts to the
    controller (each test's with its report, so a crashed worker loses only one)."""

    def before_test(self, item: pytest.Item, session: SeamSession) -> None:
        """The counts before the test: its report carries what changed (`test_torn_down`)."""
        item.stash[_BEFORE_KEY] = session.stats.as_dict()

    def test_torn_down(self, item: pytest.Item, report: pytest.TestReport) -> None:
        if self.session is not None:
            delta = self.session.stats.delta(item.stash[_BEFORE_KEY])
            setattr(report, STATS_ATTRIBUTE, delta)  # travels to the controller, not to junitxml

    def finish(self, session: pytest.Session) -> None:
        workeroutput: dict[str, Any] = getattr(self.config, "workeroutput", {})
        if self.observer is not None:
            workeroutput["seamrec_deselected"] = self.observer.deselected
        self._fail_on_lost_records(session, self.stats)
        if self.session is not None:
            self.session.stop()
            workeroutput["seamrec"] = self.session.stats.instrumentation()  # per-test counts
            # went with each test's report

    def summary(self, terminalreporter: Any) -> None:
        """The controller prints the summary."""


class Controller(Role):
    """An xdist controller: runs no test, adds up what each worker's tests did as they
    finish, ends the run and prints the summary."""

    runs_tests = False

    def __init__(
        self,
        config: pytest.Config,
        mode: Mode | None,
        session: SeamSession | None,
        observer: RunObserver | None,
    ) -> None:
        super().__init__(config, mode, session, observer)
        self.tally = Stats()
        if mode is not None:
            config.pluginmanager.register(_TestTally(self.tally), "seamrec-xdist-tally")

    @property
    def stats(self) -> Stats | None:
        return self.tally if self._mode is not None else None

    def worker_down(self, workeroutput: dict[str, Any]) -> None:
        output = workeroutput.get("seamrec")
        if self._mode is not None and output is not None:
            self.tally.merge(output)
        super().worker_down(workeroutput)

    def summary(self, terminalreporter: Any) -> None:
        if self._mode is None:
            super().summary(terminalreporter)
        else:
            self._section(terminalreporter, self._mode, self.tally)


class _TestTally:
    """Pytest hooks on the xdist controller: adds up the counts each test's report
    brought from its worker."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        counts = getattr(report, STATS_ATTRIBUTE, None)
        if isinstance(counts, dict):
            self.stats.merge(counts)
