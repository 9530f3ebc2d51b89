"""Fewer walks over the heap, the same redirections: a pytest run holds the redirection of
what its collection imports until collection ends, and of what a shared fixture imports
until it is set up (one walk for all of it, the wrappers installed at import as before;
another thread's imports are not held), and the functions
only a registry holds are redirected in one walk per batch, each still counted as a seam
only if a holder of its own could be pointed at its wrapper."""

from __future__ import annotations

import importlib
import sys
import textwrap
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from seamrec.config import settings_from_table
from seamrec.runtime import heapwalk
from seamrec.runtime.session import Mode, SeamSession
from seamrec.runtime.wrappers import is_seam_wrapper

PACKAGE = "holdpkg"

LIBRARY = """
    DEFERRED = []
    VIEWS = []
    FROZEN = []


    def route(fn):
        DEFERRED.append(lambda: fn())
        return fn


    def api_view(fn):
        class View:  # the function is held by this closure only, as DRF's @api_view does
            def handle(self):
                return fn()

        VIEWS.append(View)
        return View


    def frozen(fn):
        FROZEN.append(frozenset([fn]))  # a holder seamrec cannot point at a wrapper
        return None


    def dispatch():
        return [setup() for setup in DEFERRED] + [view().handle() for view in VIEWS]
"""

HELPERS = """
    from libhold import route


    @route
    def helper():
        return "helper"


    def plain():
        return "plain"
"""

VIEWS = """
    from libhold import api_view, frozen, route

    from holdpkg.helpers import plain


    @route
    def index():
        return "index:" + plain()


    @api_view
    def first():
        return "first"


    @api_view
    def second():
        return "second"


    @frozen
    def unreachable():
        return "unreachable"
"""

MORE = """
    from libhold import route


    @route
    def more():
        return "more"
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The boundary package (views imports helpers; more stands alone) and its library."""
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (root / "views.py").write_text(textwrap.dedent(VIEWS))
    (root / "more.py").write_text(textwrap.dedent(MORE))
    (tmp_path / "libhold.py").write_text(textwrap.dedent(LIBRARY))
    importlib.invalidate_caches()
    yield
    for name in [m for m in sys.modules if m.startswith(PACKAGE) or m == "libhold"]:
        del sys.modules[name]


@pytest.fixture
def session(tmp_path: Path, package: None) -> Iterator[SeamSession]:
    """A session that is not started yet (each test starts it as a run would)."""
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    seams = SeamSession(settings, Mode.RECORD)
    yield seams
    seams.stop()


def walks(monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """The targets of every walk over the heap from now on (each group of a walk for
    several)."""
    seen: list[list[Any]] = []
    real = heapwalk.referrers
    real_groups = heapwalk.referrers_by_group

    def counting(targets: list[Any], *, pure: bool = False) -> list[Any]:
        seen.append(targets)  # the walk's own list: one the walk skips
        return real(targets, pure=pure)

    def counting_groups(groups: list[list[Any]], *, pure: bool = False) -> list[list[Any]]:
        seen.extend(groups)  # the walk's own lists: ones the walk skips
        return real_groups(groups, pure=pure)

    monkeypatch.setattr(heapwalk, "referrers", counting)
    monkeypatch.setattr(heapwalk, "referrers_by_group", counting_groups)
    return seen


def walks_for(seen: list[list[Any]], wanted: set[int]) -> list[set[int]]:
    """For each walk that looked for any of the objects whose ids are `wanted`: which."""
    looked_for = [{id(target) for target in targets} & wanted for targets in seen]
    return [found for found in looked_for if found]


def originals_of(*values: Any) -> set[int]:
    """The ids of the originals behind the wrappers `values` (a list holding them would
    be redirected as any holder is)."""
    return {id(value.__wrapped__) for value in values}


def recorded(session: SeamSession, action: Callable[[], object]) -> list[str]:
    """Run `action` as a test: the seam of each crossing call, in order."""
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    action()
    calls = sorted(tape.details, key=lambda call: call.sequence)
    session.finish_test("failed")
    return [call.seam for call in calls]


def test_what_collection_imports_is_redirected_in_one_walk_when_it_ends(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    libhold = importlib.import_module("libhold")
    session.start(collecting=True)
    seen = walks(monkeypatch)

    views = importlib.import_module(f"{PACKAGE}.views")
    more = importlib.import_module(f"{PACKAGE}.more")
    helpers = sys.modules[f"{PACKAGE}.helpers"]
    originals = originals_of(helpers.helper, views.index, more.more)
    waiting = walks_for(seen, originals)
    wrapped_at_import = is_seam_wrapper(views.plain)
    session.catch_up()

    assert [] == waiting
    assert wrapped_at_import  # taken from helpers after it was wrapped
    assert [originals] == walks_for(seen, originals)
    assert [
        f"{PACKAGE}.helpers:helper",
        f"{PACKAGE}.views:index",
        f"{PACKAGE}.helpers:plain",
        f"{PACKAGE}.more:more",
        f"{PACKAGE}.views:first",
        f"{PACKAGE}.views:second",
    ] == recorded(session, libhold.dispatch)


def test_a_run_that_does_not_collect_redirects_each_import_at_once(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    importlib.import_module("libhold")
    session.start()
    seen = walks(monkeypatch)

    more = importlib.import_module(f"{PACKAGE}.more")

    assert [originals_of(more.more)] == walks_for(seen, originals_of(more.more))


def test_what_a_shared_fixture_imports_is_redirected_in_one_walk_when_it_is_set_up(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    libhold = importlib.import_module("libhold")
    session.start()
    seen = walks(monkeypatch)

    session.pause()  # a session-scoped fixture's setup: its calls belong to no test
    views = importlib.import_module(f"{PACKAGE}.views")
    more = importlib.import_module(f"{PACKAGE}.more")
    helpers = sys.modules[f"{PACKAGE}.helpers"]
    originals = originals_of(helpers.helper, views.index, more.more)
    waiting = walks_for(seen, originals)
    session.resume()

    assert [] == waiting
    assert [originals] == walks_for(seen, originals)
    assert [
        f"{PACKAGE}.helpers:helper",
        f"{PACKAGE}.views:index",
        f"{PACKAGE}.helpers:plain",
        f"{PACKAGE}.more:more",
        f"{PACKAGE}.views:first",
        f"{PACKAGE}.views:second",
    ] == recorded(session, libhold.dispatch)


def test_another_threads_import_is_not_held(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    importlib.import_module("libhold")
    session.start(collecting=True)
    seen = walks(monkeypatch)

    worker = threading.Thread(target=importlib.import_module, args=(f"{PACKAGE}.more",))
    worker.start()
    worker.join(30)
    more = sys.modules[f"{PACKAGE}.more"]

    assert [originals_of(more.more)] == walks_for(seen, originals_of(more.more))
    session.catch_up()


def test_hidden_functions_share_one_walk_and_each_keeps_its_own_verdict(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    libhold = importlib.import_module("libhold")
    session.start()
    seen = walks(monkeypatch)

    importlib.import_module(f"{PACKAGE}.views")

    hidden = originals_of(*[cell.cell_contents for cell in _closure_cells(libhold.VIEWS)])
    hidden |= {id(next(iter(held))) for held in libhold.FROZEN}
    report = session.instrumenter.report
    assert [hidden] == walks_for(seen, hidden)
    assert {f"{PACKAGE}.views:first", f"{PACKAGE}.views:second"} <= set(report.seams)
    assert f"{PACKAGE}.views:unreachable" not in report.seams  # nothing reaches a wrapper
    assert f"{PACKAGE}.views:unreachable" not in report.unredirected


def test_stopping_while_holding_puts_everything_back(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    libhold = importlib.import_module("libhold")
    session.start(collecting=True)
    views = importlib.import_module(f"{PACKAGE}.views")
    helpers = sys.modules[f"{PACKAGE}.helpers"]

    session.stop()
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    again = SeamSession(settings, Mode.RECORD)
    again.start()
    seen = walks(monkeypatch)
    more = importlib.import_module(f"{PACKAGE}.more")
    walked = walks_for(seen, originals_of(more.more))
    again.stop()

    assert type(helpers.helper) is types.FunctionType
    assert type(views.index) is types.FunctionType
    assert ["helper", "index:plain", "first", "second"] == libhold.dispatch()[:2] + [
        view().handle() for view in libhold.VIEWS
    ]
    assert 1 == len(walked)  # the next run is not held


def _closure_cells(views: list[type]) -> list[Any]:
    """The cells of the `handle` closures of DRF-style view classes."""
    cells: list[Any] = []
    for view in views:
        closure = view.__dict__["handle"].__closure__
        assert closure is not None
        cells.extend(closure)
    return cells
