"""A batch's walk over the heap is skipped when reference counts prove it useless: every
reference to its originals comes from seamrec's own objects or the wrappers, and every
reference to its module namespaces from objects reached statically from them (so the
functions defined there are all known). A holder nobody reached (a dict registry, a list,
a closure cell, a weak reference, a tuple in a dict, an instance `__dict__`, a frame's
local) makes the walk run, and the holder is redirected as before."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import package_writer
from seamrec.config import settings_from_table
from seamrec.runtime import aliasproof
from seamrec.runtime.aliases import Redirector
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "skippkg"

LIBHOLD = """
    import weakref

    REGISTRY = {}     # a dict registry
    LISTED = []       # a list
    CLOSURES = []     # closure cells
    REFS = []         # weak references
    PAIRS = {}        # a tuple held in a dict
    HOLDERS = []      # objects holding it in their instance __dict__


    class Holder:
        def __init__(self, target):
            self.target = target


    def by_dict(fn):
        REGISTRY["it"] = fn
        return fn


    def by_list(fn):
        LISTED.append(fn)
        return fn


    def by_cell(fn):
        CLOSURES.append(lambda: fn())
        return fn


    def by_weakref(fn):
        REFS.append(weakref.ref(fn))
        return fn


    def by_tuple(fn):
        PAIRS["it"] = (fn, "GET")
        return fn


    def by_instance(fn):
        HOLDERS.append(Holder(fn))
        return fn


    def call(how):
        if how == "by_dict":
            return REGISTRY["it"]()
        if how == "by_list":
            return LISTED[0]()
        if how == "by_cell":
            return CLOSURES[0]()
        if how == "by_weakref":
            return REFS[0]()()
        if how == "by_tuple":
            return PAIRS["it"][0]()
        return HOLDERS[0].target()


    def only_held(fn):
        '''Keeps the function in an object's __dict__ only: the module global is None.'''
        HOLDERS.append(Holder(fn))


    def api(fn):
        '''Like DRF's @api_view: the function lives on in this module's closure only.'''
        def view():
            return fn()
        return view
"""

ALONE = """
    def helper():
        return 1


    def entry():
        return helper() + 1


    def _decorate(fn):
        def inner():
            return fn()
        return inner


    @_decorate
    def decorated():
        return 2


    class Service:
        default = staticmethod(lambda: 0)

        def run(self):
            return entry()

        @property
        def size(self):
            return 3

        @classmethod
        def make(cls):
            return cls()
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Write modules (top-level or in the boundary package); forget them afterwards."""
    yield from package_writer(tmp_path, monkeypatch, PACKAGE)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[SeamSession]:
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    seams = SeamSession(settings, Mode.RECORD)
    yield seams
    seams.stop()


def skipped(session: SeamSession) -> int:
    return session.instrumenter.report.walks_skipped


def imported(session: SeamSession, name: str) -> tuple[types.ModuleType, int]:
    """Import `name` of the package; the walks its batch skipped (0 or 1)."""
    importlib.import_module(PACKAGE)  # its own batch
    before = skipped(session)
    module = importlib.import_module(f"{PACKAGE}.{name}")
    return module, skipped(session) - before


def recorded(session: SeamSession, action: Callable[[], object]) -> list[tuple[str, str]]:
    """Run `action` as a test: (seam id, caller module) of each crossing call, in order."""
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    action()
    calls = sorted(tape.details, key=lambda call: call.sequence)
    session.finish_test("failed")
    return [(call.seam, call.caller) for call in calls]


def test_a_module_whose_functions_only_it_holds_is_not_walked(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(alone=ALONE)
    session.start()

    alone, walks_skipped = imported(session, "alone")

    assert 1 == walks_skipped
    seams = session.instrumenter.report.seams
    assert {"skippkg.alone:entry", "skippkg.alone:helper", "skippkg.alone:Service.run"} <= set(
        seams
    )
    assert [("skippkg.alone:Service.run", "test_alias_walk_skip")] == [
        call for call in recorded(session, lambda: alone.Service().run()) if "run" in call[0]
    ]


def test_a_module_without_callables_is_not_walked(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(constants='LIMIT = 3\nNAMES = ["a", "b"]\nTABLE = {"a": (1, 2)}\n')
    session.start()

    _, walks_skipped = imported(session, "constants")

    assert 1 == walks_skipped


@pytest.mark.parametrize(
    "how", ["by_dict", "by_list", "by_cell", "by_weakref", "by_tuple", "by_instance"]
)
def test_a_hidden_holder_makes_the_walk_run_and_is_redirected(
    how: str, package: Callable[..., None], session: SeamSession
) -> None:
    package(
        libhold=LIBHOLD, views=f"import libhold\n\n\n@libhold.{how}\ndef view():\n    return 1\n"
    )
    libhold = importlib.import_module("libhold")
    session.start()

    _, walks_skipped = imported(session, "views")

    assert 0 == walks_skipped
    assert [("skippkg.views:view", "libhold")] == recorded(session, lambda: libhold.call(how))
    assert {} == session.instrumenter.report.unredirected


def test_a_function_only_a_foreign_object_holds_makes_the_walk_run_and_is_a_seam(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        libhold=LIBHOLD,
        views="import libhold\n\n\n@libhold.only_held\ndef view():\n    return 1\n",
    )
    libhold = importlib.import_module("libhold")
    session.start()

    _, walks_skipped = imported(session, "views")

    assert 0 == walks_skipped  # the namespace has a referrer nobody reached: walked
    assert [("skippkg.views:view", "libhold")] == recorded(
        session, lambda: libhold.call("by_instance")
    )


def test_a_function_found_in_a_foreign_closure_is_a_seam_without_the_batch_walk(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(libhold=LIBHOLD, views="import libhold\n\n\n@libhold.api\ndef view():\n    return 1\n")
    session.start()

    views, walks_skipped = imported(session, "views")

    assert 1 == walks_skipped  # the closure was reached from the namespace
    assert [("skippkg.views:view", "libhold")] == recorded(session, views.view)


def test_two_hidden_functions_of_one_name_make_the_walk_run(
    package: Callable[..., None], session: SeamSession
) -> None:
    twice = "@libhold.api\ndef view():\n    return 1\n\n\nVIEWS.append(view)\n\n\n" * 2
    package(libhold=LIBHOLD, views=f"import libhold\n\nVIEWS = []\n\n\n{twice}")
    session.start()

    _, walks_skipped = imported(session, "views")

    assert 0 == walks_skipped  # which one is the seam is the walk's order


def alone_redirector(keep: list[Any]) -> Redirector:
    """A redirector of an original only `keep` (seamrec's own) holds."""

    def original() -> str:
        return "original"

    def wrapper() -> str:
        return "wrapper"

    keep += [original, wrapper]
    return Redirector({id(original): (original, wrapper)}, {id(keep)}, own=[keep])


def test_an_original_only_seamrec_holds_is_not_walked() -> None:
    keep: list[Any] = []
    redirector = alone_redirector(keep)

    redirector.run()

    assert redirector.walk_skipped
    assert ([], 0) == (redirector.undo, redirector.redirected)


def test_a_local_variable_holding_the_original_makes_the_walk_run() -> None:
    keep: list[Any] = []
    redirector = alone_redirector(keep)
    local = keep[0]  # a frame's reference: no walk sees it, the count does

    redirector.run()

    assert not redirector.walk_skipped
    assert local is keep[0]


def test_a_redirector_without_its_own_objects_always_walks() -> None:
    keep: list[Any] = []
    redirector = alone_redirector(keep)
    redirector.own = None

    redirector.run()

    assert not redirector.walk_skipped


def test_the_counts_are_exact_for_objects_only_a_list_holds() -> None:
    targets: list[Any] = [object(), object()]
    holders: dict[int, object] = {id(targets): targets}

    counts = aliasproof.references_to(holders, targets)

    assert {id(target): 1 for target in targets} == counts
    assert aliasproof.all_counted(targets, counts)
    extra = targets[1]
    assert not aliasproof.all_counted(targets, counts)
    del extra
    assert aliasproof.all_counted(targets, counts)


def test_reference_counts_behave_as_the_proof_assumes_on_cpython_with_its_gil() -> None:
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    expected = sys.implementation.name == "cpython" and gil_enabled

    assert expected == aliasproof.USABLE


def test_a_batch_larger_than_the_proofs_limit_walks(monkeypatch: pytest.MonkeyPatch) -> None:
    keep: list[Any] = []
    redirector = alone_redirector(keep)
    monkeypatch.setattr(aliasproof, "TRIED_AT_MOST", 0)

    redirector.run()

    assert not redirector.walk_skipped
