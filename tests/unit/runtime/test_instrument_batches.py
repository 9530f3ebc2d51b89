"""Modules imported inside the import of another boundary module have the references to
their seams redirected together, in one walk over the heap, when the outermost import
ends; their seams are wrapped at once, so the importing module takes the wrappers, and
everything they registered still reaches the wrappers."""

from __future__ import annotations

import importlib
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from seamrec.config import settings_from_table
from seamrec.runtime import heapwalk
from seamrec.runtime.session import Mode, SeamSession
from seamrec.runtime.wrappers import is_seam_wrapper

PACKAGE = "batchpkg"

LIBREG = """
    import weakref

    DEFERRED = []
    RECEIVERS = []


    def route(fn):
        DEFERRED.append(lambda: fn())
        return fn


    def receiver(fn):
        RECEIVERS.append(weakref.ref(fn))
        return fn


    def dispatch():
        return [setup() for setup in DEFERRED] + [ref()() for ref in RECEIVERS]
"""

HELPERS = """
    from libbatch import receiver, route


    @route
    def helper():
        return "helper"


    @receiver
    def on_saved():
        return "saved"


    def plain():
        return "plain"
"""

VIEWS = """
    from libbatch import route

    from batchpkg.helpers import plain


    @route
    def index():
        return "index:" + plain()
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The boundary package (views imports helpers) and its registry library."""
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (root / "views.py").write_text(textwrap.dedent(VIEWS))
    (tmp_path / "libbatch.py").write_text(textwrap.dedent(LIBREG))
    importlib.invalidate_caches()
    yield
    for name in [m for m in sys.modules if m.startswith(PACKAGE) or m == "libbatch"]:
        del sys.modules[name]


@pytest.fixture
def session(tmp_path: Path, package: None) -> Iterator[SeamSession]:
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    seams = SeamSession(settings, Mode.RECORD)
    seams.start()
    yield seams
    seams.stop()


def walks(monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """The targets of every walk over the heap (`heapwalk.referrers`; each group of a
    `heapwalk.referrers_by_group`) from now on."""
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


def recorded(session: SeamSession, action: Callable[[], object]) -> list[str]:
    """Run `action` as a test: the seam of each crossing call, in order."""
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    action()
    calls = sorted(tape.details, key=lambda call: call.sequence)
    session.finish_test("failed")
    return [call.seam for call in calls]


def test_a_nested_import_is_redirected_in_the_walk_of_the_outer_import(
    session: SeamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    importlib.import_module("libbatch")
    seen = walks(monkeypatch)

    views = importlib.import_module(f"{PACKAGE}.views")

    helpers = sys.modules[f"{PACKAGE}.helpers"]
    originals = {id(helpers.helper.__wrapped__), id(views.index.__wrapped__)}
    looked_for = [{id(target) for target in targets} & originals for targets in seen]
    assert [originals] == [found for found in looked_for if found]  # one walk, both modules


def test_what_a_nested_module_registered_reaches_its_wrappers(session: SeamSession) -> None:
    libbatch = importlib.import_module("libbatch")
    views = importlib.import_module(f"{PACKAGE}.views")

    calls = recorded(session, libbatch.dispatch)

    assert [
        f"{PACKAGE}.helpers:helper",
        f"{PACKAGE}.views:index",
        f"{PACKAGE}.helpers:plain",
        f"{PACKAGE}.helpers:on_saved",
    ] == calls
    assert is_seam_wrapper(views.plain)  # taken from helpers after it was wrapped
    assert {} == session.instrumenter.report.unredirected


def test_stopping_puts_back_what_a_nested_module_registered(session: SeamSession) -> None:
    libbatch = importlib.import_module("libbatch")
    importlib.import_module(f"{PACKAGE}.views")
    helpers = sys.modules[f"{PACKAGE}.helpers"]

    session.stop()

    assert ["helper", "index:plain", "saved"] == libbatch.dispatch()
    assert type(helpers.helper) is types.FunctionType
    assert libbatch.RECEIVERS[0]() is helpers.on_saved
