"""The pytest hooks of seamrec (the `pytest11` entry point), each delegating to the role
this process plays (`roles.py`) in a few lines.

pytest imports this module in every run, so it imports only what option parsing needs:
the engine is imported once a seamrec option (or a replay marker) asks for it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from seamrec.pytest_plugin.options import (
    MARKER,
    add_options,
    check_report_path,
    replay_marker_texts,
    requested_mode,
)
from seamrec.pytest_plugin.stash import ROLE_KEY, run_settings

__tracebackhide__ = True  # a fixture's or test's error shows no frame of these hooks

if TYPE_CHECKING:
    from seamrec.pytest_plugin.matching import SeamsFixture


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    _load_unrewritten(pluginmanager)


def _load_unrewritten(pluginmanager: pytest.PytestPluginManager) -> None:
    """Let seamrec's modules import the normal way. pytest marks every module of an
    installed plugin's distribution for assertion rewriting, and a marked module is
    loaded by pytest's own import hook, which costs a run tens of milliseconds;
    seamrec's asserts are for its own invariants and need no rewritten messages. Done
    through the rewrite hook's state as pytest 7-9 keep it, and left alone otherwise."""
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    if type(marked) is set and "seamrec" in marked:
        marked.discard("seamrec")
        cache = getattr(hook, "_marked_for_rewrite_cache", None)
        if type(cache) is dict:
            cache.clear()


@pytest.hookimpl
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    mode = requested_mode(early_config.known_args_namespace)
    check_report_path(early_config.known_args_namespace.seams_report)  # before wrapping
    if mode is not None:  # the session must wrap the seams before conftest files import
        from seamrec.runtime.gcpause import CollectorPaused

        with CollectorPaused():  # seamrec's own start: its modules imported, seams wrapped
            from seamrec.pytest_plugin import roles

            roles.start(early_config, mode)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    report_path = config.getoption("seams_report")
    check_report_path(report_path)
    if report_path is not None or requested_mode(config.option) is not None:
        from seamrec.pytest_plugin import roles

        config.stash[ROLE_KEY] = roles.choose(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Read `@pytest.mark.seams(replay=...)` and wrap what the markers replay."""
    role = config.stash.get(ROLE_KEY, None)
    if config.getoption("record_seams") or (role is not None and not role.runs_tests):
        return
    marked = replay_marker_texts(items)
    if marked:
        from seamrec.pytest_plugin import roles

        roles.replay_markers(config, marked)


def pytest_report_header(config: pytest.Config) -> str | None:
    """One line when a seamrec run goes without its compiled hot path."""
    if config.stash.get(ROLE_KEY, None) is None:  # no seamrec option: say nothing
        return None
    from seamrec.model.accel import notice
    from seamrec.runtime import callproxy

    return notice() or callproxy.notice()


def pytest_collection_finish(session: pytest.Session) -> None:
    role = session.config.stash.get(ROLE_KEY, None)
    if role is not None:
        role.collected()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    role = request.config.stash.get(ROLE_KEY, None)
    if role is None or fixturedef.scope == "function":
        return (yield)
    role.shared_fixture_starts(fixturedef)
    try:
        return (yield)
    finally:
        role.shared_fixture_set_up(fixturedef)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    role = item.config.stash.get(ROLE_KEY, None)
    if role is None or not role.test_starts(item):
        return (yield)
    try:
        return (yield)
    except BaseException:
        role.test_interrupted(item)
        raise
    finally:
        role.test_ends(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    role = item.config.stash.get(ROLE_KEY, None)
    if role is not None:
        role.test_reported(item, call, report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    role = session.config.stash.get(ROLE_KEY, None)
    if role is not None:
        role.finish(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    role = node.config.stash.get(ROLE_KEY, None)
    if role is not None:
        role.worker_down(getattr(node, "workeroutput", {}))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    role = config.stash.get(ROLE_KEY, None)
    if role is not None:
        role.summary(terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    role = config.stash.get(ROLE_KEY, None)
    if role is not None:
        role.unconfigure()
    elif requested_mode(config.option) is not None:
        from seamrec.pytest_plugin import roles

        roles.abandon(config)


@pytest.fixture
def seams(request: pytest.FixtureRequest) -> SeamsFixture:
    """`seams.assert_matches(fake, "pkg.mod:Cls.method", part="return")` checks a
    hand-written fake against what the real seam was recorded with."""
    from seamrec.pytest_plugin.matching import SeamsFixture

    return SeamsFixture(run_settings(request.config))
