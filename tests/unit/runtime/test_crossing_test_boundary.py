"""A call that reads the running test's tape just before that test ends (a background
thread's) never takes a position of the next test's calls: the next test's calls are
checked at their own positions, as if the late call had not happened."""

from __future__ import annotations

import inspect
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from seamrec.config import settings_from_table
from seamrec.runtime import stats as run_stats
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.stats import Stats

FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)
FIRST, SECOND = "tests/test_app.py::test_one", "tests/test_app.py::test_two"


def fetch(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "name": "Ada"}


def record(tmp_path: Path, node: str) -> None:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    recorder = RecordStrategy(settings, Stats(), Report())
    recorder.begin(node, ())
    recorder.crossing(FETCH, "tests.test_app", fetch, None, (0,), {})
    recorder.finish("passed")


def paused_after_reading_the_tape(checker: CheckStrategy, paused: threading.Event) -> Any:
    """A thread whose call of FETCH stops right after `run` read the tape, until
    `resume` is set (a trace hook holds it: the strategy's code is not changed)."""
    code = CheckStrategy.run.__code__
    lines, first = inspect.getsourcelines(CheckStrategy.run)
    after_tape = first + next(i for i, text in enumerate(lines) if "try:" in text)
    resume = threading.Event()

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line" and frame.f_lineno == after_tape:
            paused.set()
            resume.wait(30)
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code is code else None

    def call() -> None:
        sys.settrace(tracer)
        try:
            checker.crossing(FETCH, "tests.test_app", fetch, None, (0,), {})
        finally:
            sys.settrace(None)

    return threading.Thread(target=call), resume


def second_tests_findings(tmp_path: Path, second_calls_first: bool) -> list[Any]:
    """The findings of the second test, while a call of the first test (on another thread)
    read its tape before the first test ended and goes on once the second has begun (and,
    if `second_calls_first`, made its own call of the seam)."""
    record(tmp_path, FIRST)
    record(tmp_path, SECOND)
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    checker = CheckStrategy(settings, Stats(), Report())
    checker.begin(FIRST, ())
    checker.crossing(FETCH, "tests.test_app", fetch, None, (0,), {})
    paused = threading.Event()
    late, resume = paused_after_reading_the_tape(checker, paused)
    late.start()
    try:
        assert paused.wait(30)
        checker.judge(run_stats.TestOutcome(FIRST))
        checker.finish("passed")
        checker.begin(SECOND, ())
        if second_calls_first:
            checker.crossing(FETCH, "tests.test_app", fetch, None, (0,), {})
    finally:
        resume.set()
        late.join(30)
    if not second_calls_first:
        checker.crossing(FETCH, "tests.test_app", fetch, None, (0,), {})
    outcome = run_stats.TestOutcome(SECOND)
    checker.judge(outcome)
    checker.finish("passed")
    return [(f.seam, f.index, f.part) for f in outcome.findings]


def test_a_late_call_of_the_last_test_takes_no_position_of_the_next(tmp_path: Path) -> None:
    assert [] == second_tests_findings(tmp_path, second_calls_first=False)


def test_a_late_call_takes_no_position_of_a_seam_the_next_test_has_called(
    tmp_path: Path,
) -> None:
    assert [] == second_tests_findings(tmp_path, second_calls_first=True)
