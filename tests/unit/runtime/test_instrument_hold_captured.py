"""What code run during collection builds from a registry right after importing the app
(a conftest's `BOUND = functools.partial(REGISTRY["compute"], 1)`) took the wrapper
before the collection hold (`Instrumenter.hold`): the registry was redirected when the
import ended. Under the hold it takes the original; the walk at the end of collection
replaces such a partial where a namespace, a dict or a list holds it by one calling the
wrapper, so its calls are recorded either way (a partial held only by a running frame's
local variable is named in the summary instead)."""

from __future__ import annotations

import functools
import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "capturedpkg"

HANDLERS = """
    REGISTRY = {}


    def register(fn):
        REGISTRY[fn.__name__] = fn
        return fn


    @register
    def compute(x):
        return {"x": x}
"""


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeamSession]:
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "handlers.py").write_text(textwrap.dedent(HANDLERS))
    importlib.invalidate_caches()
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    seams = SeamSession(settings, Mode.RECORD)
    yield seams
    seams.stop()
    for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
        del sys.modules[name]


def calls_through_a_partial(session: SeamSession, *, collecting: bool) -> int:
    """Start as a run does, import the app and build a partial of a registered function
    (as a conftest does), end collection, then call it in a test: the calls recorded."""
    session.start(collecting=collecting)
    handlers = importlib.import_module(f"{PACKAGE}.handlers")
    conftest = {"BOUND": functools.partial(handlers.REGISTRY["compute"], 1)}
    session.catch_up()
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    conftest["BOUND"]()
    count = tape.count(f"{PACKAGE}.handlers:compute")
    session.finish_test("failed")
    return count


def test_without_the_hold_a_partial_built_after_the_import_is_recorded(
    session: SeamSession,
) -> None:
    assert 1 == calls_through_a_partial(session, collecting=False)


def test_under_the_hold_a_partial_built_after_the_import_is_recorded(
    session: SeamSession,
) -> None:
    assert 1 == calls_through_a_partial(session, collecting=True)
