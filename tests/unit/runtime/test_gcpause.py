"""seamrec's own steps between tests (a cassette loaded at a test's start, written at its
end) run with the garbage collector paused, and leave it as they found it."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from seamrec.cassette.store import cassette_path
from seamrec.config import settings_from_table
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.gcpause import CollectorPaused
from seamrec.runtime.instrument import Seam
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.session import Mode, SeamSession

FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)
NODE = "tests/test_app.py::test_it"


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@contextmanager
def collections_inside(*steps: Callable[..., Any]) -> Iterator[list[int]]:
    """The generations of the collections that start, inside the block, while one of
    `steps` runs; with a collection at every allocation (this test's own threshold,
    put back after it)."""
    codes = {step.__code__ for step in steps}
    started: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        frame: FrameType | None = sys._getframe(1)
        while phase == "start" and frame is not None:
            if frame.f_code in codes:
                started.append(info["generation"])
                return
            frame = frame.f_back

    thresholds = gc.get_threshold()
    gc.callbacks.append(note)
    gc.set_threshold(1, 1_000_000, 1_000_000)
    try:
        yield started
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(note)


def test_the_collector_is_paused_inside_the_block_and_enabled_after(collector_on: None) -> None:
    inside = []

    with CollectorPaused():
        inside.append(gc.isenabled())

    assert [False, True] == [*inside, gc.isenabled()]


def test_a_collector_the_suite_disabled_stays_disabled(collector_on: None) -> None:
    gc.disable()

    with CollectorPaused():
        pass

    assert not gc.isenabled()


def test_the_collector_is_enabled_again_when_the_block_raises(collector_on: None) -> None:
    with pytest.raises(KeyError), CollectorPaused():
        raise KeyError("x")

    assert gc.isenabled()


def test_a_block_inside_a_block_leaves_the_outer_one_paused(collector_on: None) -> None:
    states = []

    with CollectorPaused():
        with CollectorPaused():
            pass
        states.append(gc.isenabled())

    assert [False, True] == [*states, gc.isenabled()]


def fetch(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "name": "Ada", "roles": [{"name": "admin", "since": 2019}]}


def one_test(session: SeamSession) -> None:
    session.begin_test(NODE)
    session.crossing(FETCH, "app.api", fetch, None, (7,), {})
    session.end_test_calls()


def test_writing_a_recorded_cassette_runs_no_collection(tmp_path: Path, collector_on: None) -> None:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    recorder = SeamSession(settings, Mode.RECORD)
    one_test(recorder)
    unpaused = SeamSession(settings, Mode.RECORD)
    one_test(unpaused)

    with collections_inside(RecordStrategy.finish) as during_the_write:
        recorder.finish_test("passed")
    with collections_inside(RecordStrategy.finish) as without_the_pause:
        unpaused._strategy.finish("passed")  # the step itself, as the session would not

    assert cassette_path(settings.cassette_dir, NODE).is_file()
    assert [] == during_the_write
    assert without_the_pause  # the write allocates: a collection would fall inside it


def test_loading_and_judging_a_checked_cassette_run_no_collection(
    tmp_path: Path, collector_on: None
) -> None:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    recorder = SeamSession(settings, Mode.RECORD)
    one_test(recorder)
    recorder.finish_test("passed")
    checker = SeamSession(settings, Mode.CHECK)

    with collections_inside(CheckStrategy.begin, CheckStrategy.judge) as during_the_steps:
        checker.begin_test(NODE)
        checker.crossing(FETCH, "app.api", fetch, None, (7,), {})
        outcome = checker.end_test_calls()

    assert [] == outcome.findings
    assert [] == checker.stats.unrecorded  # the cassette was loaded, and checked against
    assert [] == during_the_steps
