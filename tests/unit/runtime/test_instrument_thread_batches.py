"""A batch of redirections belongs to the thread that opened it: a module imported on one
thread has the references to its seams redirected when that thread's import ends, even
while another thread is still inside the import of a slow module."""

from __future__ import annotations

import importlib
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "threadbatchpkg"

REGISTRY = """
    import threading

    DEFERRED = []
    ENTERED = threading.Event()  # the slow module's import has begun
    GATE = threading.Event()  # lets it end


    def route(fn):
        DEFERRED.append(lambda: fn())
        return fn


    def dispatch():
        return [setup() for setup in DEFERRED]
"""

SLOW = """
    import threadbatchreg

    threadbatchreg.ENTERED.set()
    threadbatchreg.GATE.wait(30)
"""

HELPERS = """
    from threadbatchreg import route


    @route
    def helper():
        return "helper"
"""


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeamSession]:
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "slow.py").write_text(textwrap.dedent(SLOW))
    (root / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (tmp_path / "threadbatchreg.py").write_text(textwrap.dedent(REGISTRY))
    importlib.invalidate_caches()
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    seams = SeamSession(settings, Mode.RECORD)
    seams.start()
    try:
        yield seams
    finally:
        seams.stop()
        for name in [m for m in sys.modules if m.startswith(PACKAGE) or m == "threadbatchreg"]:
            del sys.modules[name]


def test_an_import_on_one_thread_is_redirected_while_another_thread_still_imports(
    session: SeamSession,
) -> None:
    registry = importlib.import_module("threadbatchreg")
    slow = threading.Thread(target=importlib.import_module, args=(f"{PACKAGE}.slow",))
    slow.start()
    try:
        assert registry.ENTERED.wait(30)
        importlib.import_module(f"{PACKAGE}.helpers")  # this thread's import ends here

        session.begin_test("tests/test_x.py::test_x")
        tape = session.tape
        assert tape is not None
        assert ["helper"] == registry.dispatch()
        crossed = [call.seam for call in tape.details]
        session.finish_test("failed")
    finally:
        registry.GATE.set()
        slow.join(30)
    assert [f"{PACKAGE}.helpers:helper"] == crossed
