"""The pytest plugin: options and hooks, each delegating to the session in a few lines."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

from seamrec.config import SeamPattern, check_importable, load_settings, replay_patterns
from seamrec.exceptions import ConfigError, ReplayError
from seamrec.pytest_plugin.matching import SeamsFixture
from seamrec.pytest_plugin.report import safe_failure_text, summary_lines
from seamrec.pytest_plugin.run_end import (
    CHANGES_ATTRIBUTE,
    RecordEnd,
    RunObserver,
    finish_run,
    report_format,
    safe_change_records,
)
from seamrec.runtime.session import Mode, SeamSession, Stats

SESSION_KEY = pytest.StashKey[SeamSession]()
CONTROLLER_KEY = pytest.StashKey[tuple[Mode, Stats]]()
OUTCOME_KEY = pytest.StashKey[str]()
BEFORE_KEY = pytest.StashKey[dict[str, Any]]()
REPLAY_KEY = pytest.StashKey[tuple[SeamPattern, ...]]()
OBSERVER_KEY = pytest.StashKey[RunObserver]()
STATS_ATTRIBUTE = "seamrec_stats"  # a test report's seamrec counts (xdist workers)
END_KEY = pytest.StashKey[RecordEnd]()
PLAIN_ERRORS_KEY = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Read `@pytest.mark.seams(replay=...)` and wrap what the markers replay."""
    if config.getoption("record_seams") or CONTROLLER_KEY in config.stash:
        return
    wanted: list[SeamPattern] = []
    for item in items:
        texts = [t for mark in item.iter_markers("seams") for t in mark.kwargs.get("replay", ())]
        if texts:
            try:
                patterns = tuple(SeamPattern.parse(t, key="seams(replay=...)") for t in texts)
            except ConfigError as exc:
                raise pytest.UsageError(f"{item.nodeid}: {exc}") from exc
            item.stash[REPLAY_KEY] = patterns
            wanted.extend(p for p in patterns if p not in wanted)
    if not wanted:
        return
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        session = SeamSession(load_settings(config.rootpath), Mode.REPLAY)
        session.start()
        config.stash[SESSION_KEY] = session
    session.replay_also(tuple(wanted))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seamrec", "seamrec: record and check the payloads at module seams")
    group.addoption(
        "--record-seams",
        action="store_true",
        default=False,
        help="record the payloads crossing the configured seams into per-test cassettes",
    )
    group.addoption(
        "--check-seams",
        action="store_true",
        default=False,
        help="fail tests whose seam payloads drifted in shape from their cassettes",
    )
    group.addoption(
        "--replay-seams",
        nargs="?",
        const="",
        default=None,
        metavar="PATTERNS",
        help="answer the seams matched by [tool.seamrec] replay (or by the comma-separated "
        "module:Qualname PATTERNS given here) from the cassettes instead of calling them",
    )
    group.addoption(
        "--seams-report",
        default=None,
        metavar="PATH",
        help="write the run's seam changes to PATH: JSON if it ends in .json, Markdown if .md",
    )


@pytest.hookimpl
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    namespace = early_config.known_args_namespace
    record, check, replay = namespace.record_seams, namespace.check_seams, namespace.replay_seams
    if record and (check or replay is not None):
        other = "--check-seams" if check else "--replay-seams"
        raise pytest.UsageError(
            f"--record-seams and {other} cannot be used together: record first, then "
            "check or replay in a later run"
        )
    if record and namespace.seams_report is not None:
        raise pytest.UsageError(
            "--seams-report reports what --check-seams or --replay-seams found; a record run "
            "accepts every change (see them with: seamrec diff)"
        )
    if not (record or check or replay is not None):
        return
    mode = Mode.RECORD if record else Mode.CHECK if check else Mode.REPLAY
    try:
        settings = load_settings(early_config.rootpath)
        check_importable(settings)
        patterns = replay_patterns(settings, replay)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if _is_xdist_controller(namespace):
        _become_controller(early_config, mode)
        return
    session = SeamSession(settings, mode, patterns)
    session.start()
    early_config.stash[SESSION_KEY] = session


class _TestTally:
    """On the xdist controller: adds up what each worker's tests did, as they finish, so
    a crashed worker loses only the test it was running."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        counts = getattr(report, STATS_ATTRIBUTE, None)
        if isinstance(counts, dict):
            self.stats.merge(counts)


def _become_controller(config: pytest.Config, mode: Mode) -> None:
    stats = Stats()
    config.stash[CONTROLLER_KEY] = (mode, stats)
    config.pluginmanager.register(_TestTally(stats), "seamrec-xdist-tally")


def _is_xdist_controller(namespace: Any) -> bool:
    """An early guess (a nested run inherits PYTEST_XDIST_WORKER); `pytest_configure`
    settles it once xdist has decided."""
    workers = getattr(namespace, "numprocesses", None)
    return bool(workers) and workers != "0" and "PYTEST_XDIST_WORKER" not in os.environ


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "seams(replay=[patterns]): answer these seams from the test's cassette in any run "
        "that is not recording",
    )
    report_path = config.getoption("seams_report")
    if report_path is not None and report_format(report_path) is None:
        raise pytest.UsageError(
            f"--seams-report={report_path}: the file name must end in .json or .md"
        )
    session = config.stash.get(SESSION_KEY, None)
    if session is not None or CONTROLLER_KEY in config.stash or report_path is not None:
        observer = RunObserver()
        config.stash[OBSERVER_KEY] = observer
        config.pluginmanager.register(observer, "seamrec-run-observer")
    distributed = config.getoption("dist", "no") != "no" and not config.getoption("collectonly")
    if session is None or hasattr(config, "workerinput") or not distributed:
        return
    session.instrumenter.uninstall()  # this process only hands tests to its workers
    session.uninstall_databases()
    del config.stash[SESSION_KEY]
    _become_controller(config, session.mode)


def pytest_report_header(config: pytest.Config) -> str | None:
    """One line when a seamrec run goes without its compiled hot path."""
    if SESSION_KEY not in config.stash and CONTROLLER_KEY not in config.stash:
        return None
    from seamrec.model.accel import notice

    return notice()


def pytest_collection_finish(session: pytest.Session) -> None:
    seams = session.config.stash.get(SESSION_KEY, None)
    if seams is not None:
        seams.catch_up()  # modules imported behind another import hook


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None or fixturedef.scope == "function":
        return (yield)
    # Shared fixtures belong to no single test, in setup and in teardown alike: the
    # fixture's finalizers run between these two (last in, first out), whenever pytest
    # tears it down (after the last test of its scope, or before a new parameter).
    fixturedef.addfinalizer(session.resume)
    session.pause()
    try:
        return (yield)
    finally:
        session.resume()
        fixturedef.addfinalizer(session.pause)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    session = item.config.stash.get(SESSION_KEY, None)
    if session is None:
        return (yield)
    item.stash[OUTCOME_KEY] = "passed"
    item.stash[BEFORE_KEY] = session.stats.as_dict()
    session.begin_test(item.nodeid, item.stash.get(REPLAY_KEY, ()))
    try:
        return (yield)
    except BaseException:  # Ctrl-C or an exit mid-test: never write what was half-run
        item.stash[OUTCOME_KEY] = "failed"
        raise
    finally:
        session.finish_test(item.stash[OUTCOME_KEY])  # no-op if the teardown report did it


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    session = item.config.stash.get(SESSION_KEY, None)
    if session is None:
        return report
    if report.when == "call":
        outcome = session.end_test_calls()
        if outcome.findings and item.config.getoption("seams_report") is not None:
            setattr(report, CHANGES_ATTRIBUTE, safe_change_records(outcome.findings))
        if outcome.findings or outcome.cassette_error is not None:
            text = safe_failure_text(outcome)
            replay_failed = call.excinfo is not None and call.excinfo.errisinstance(ReplayError)
            if report.passed or replay_failed:  # a replay failure is said once, by seamrec
                report.outcome = "failed"
                report.longrepr = text
            else:
                report.sections.append(("seamrec", text))
    if report.failed:
        item.stash[OUTCOME_KEY] = "failed"
    elif report.skipped and item.stash[OUTCOME_KEY] == "passed":
        item.stash[OUTCOME_KEY] = "skipped"  # skip, xfail: nothing to write, nothing kept
    if report.when == "teardown":
        session.finish_test(item.stash[OUTCOME_KEY])
        if hasattr(item.config, "workerinput"):  # the controller sums tests as they end
            delta = session.stats.delta(item.stash[BEFORE_KEY])
            setattr(report, STATS_ATTRIBUTE, delta)  # travels to the controller, not to junitxml
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    seams = session.config.stash.get(SESSION_KEY, None)
    controller = session.config.stash.get(CONTROLLER_KEY, None)
    stats = seams.stats if seams is not None else controller[1] if controller else None
    observer = session.config.stash.get(OBSERVER_KEY, None)
    mode = seams.mode if seams is not None else controller[0] if controller else None
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and observer is not None:
        workeroutput["seamrec_deselected"] = observer.deselected
    elif observer is not None:  # registered only in seamrec runs or with --seams-report
        if stats is None:  # no seamrec option, but --seams-report: errors still count
            stats = Stats()
            session.config.stash[PLAIN_ERRORS_KEY] = stats.write_errors
        end = finish_run(session, mode, stats, observer)
        if end is not None:
            session.config.stash[END_KEY] = end
    failed = stats is not None and bool(stats.write_errors or stats.lost_recorded)
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a record that did not land
    if seams is None:
        return
    seams.stop()
    if workeroutput is not None:  # per-test counts went with each test's report
        workeroutput["seamrec"] = seams.stats.instrumentation()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    controller = node.config.stash.get(CONTROLLER_KEY, None)
    workeroutput = getattr(node, "workeroutput", {})
    output = workeroutput.get("seamrec")
    if controller is not None and output is not None:
        controller[1].merge(output)
    observer = node.config.stash.get(OBSERVER_KEY, None)
    if observer is not None and workeroutput.get("seamrec_deselected"):
        observer.deselected = True


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        if hasattr(config, "workeroutput"):
            return
        mode, stats = session.mode, session.stats
    elif CONTROLLER_KEY in config.stash:
        mode, stats = config.stash[CONTROLLER_KEY]
    else:
        for error in config.stash.get(PLAIN_ERRORS_KEY, []):
            terminalreporter.write_line(f"seamrec: error: {error}")
        return
    terminalreporter.section("seamrec")
    for line in summary_lines(mode, stats, config.stash.get(END_KEY, None)):
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.instrumenter.uninstall()
        session.uninstall_databases()


@pytest.fixture
def seams(request: pytest.FixtureRequest) -> SeamsFixture:
    """`seams.assert_matches(fake, "pkg.mod:Cls.method", part="return")` checks a
    hand-written fake against what the real seam was recorded with."""
    return SeamsFixture(load_settings(request.config.rootpath))
