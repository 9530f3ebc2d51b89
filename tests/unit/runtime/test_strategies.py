"""The record, check and replay strategies, driven directly with a hand-made seam: what
each does with a crossing call, and what a test's verdict says afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from seamrec.cassette.store import Run, cassette_path, load
from seamrec.config import SeamPattern, Settings, settings_from_table
from seamrec.exceptions import ReplayError
from seamrec.runtime import stats as run_stats
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.replaying import ReplayStrategy
from seamrec.runtime.stats import Stats
from seamrec.runtime.strategy import Strategy

S = TypeVar("S", bound=Strategy)
NODE = "tests/test_app.py::test_it"
FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)
ROWS = Seam("app.repo:rows", "app.repo", "rows", "generator", False, ("count",), None)
LOAD = Seam("app.repo:load", "app.repo", "load", "async", False, ("user_id",), None)
NEVER_CALLED: list[int] = []


def fetch(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "name": "Ada"}


def fetch_renamed(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "full_name": "Ada"}


def fetch_uncalled(user_id: int) -> dict[str, Any]:
    NEVER_CALLED.append(user_id)
    return {"id": user_id, "name": "live"}


def rows(count: int) -> Generator[int, None, None]:
    yield from range(count)


async def load_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id}


def settings(tmp_path: Path) -> Settings:
    return settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)


def made(kind: type[S], tmp_path: Path) -> S:
    stats = Stats()
    report = Report()
    report.seams[FETCH.id] = FETCH  # something was wrapped: a cassette may be removed
    return kind(settings(tmp_path), stats, report)


def call(strategy: Strategy, seam: Seam, function: Callable[..., Any], *args: Any) -> Any:
    """One crossing call of the running test, as the session hands it over."""
    return strategy.crossing(seam, "tests.test_app", function, None, args, {})


def record(tmp_path: Path, *calls: tuple[Seam, Callable[..., Any], int]) -> Path:
    """Record one passing test making `calls`; the path of its cassette."""
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())
    for seam, function, argument in calls:
        result = call(recorder, seam, function, argument)
        if seam.kind == "generator":
            list(result)
    recorder.finish("passed")
    return cassette_path(settings(tmp_path).cassette_dir, NODE)


def judged(strategy: Strategy) -> run_stats.TestOutcome:
    outcome = run_stats.TestOutcome(NODE)
    strategy.judge(outcome)
    strategy.finish("passed")
    return outcome


def test_recording_keeps_one_run_per_shape_and_writes_the_cassette_of_a_passed_test(
    tmp_path: Path,
) -> None:
    path = record(tmp_path, (FETCH, fetch, 1), (FETCH, fetch, 2), (FETCH, fetch_renamed, 3))

    runs = load(path).runs[FETCH.id]
    assert [("return", 2), ("return", 1)] == [(run.outcome, run.count) for run in runs]
    assert runs[0].args_shape == runs[1].args_shape
    assert runs[0].result_shape != runs[1].result_shape


def test_recording_writes_nothing_for_a_failed_test_and_names_it(tmp_path: Path) -> None:
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())
    call(recorder, FETCH, fetch, 1)

    recorder.finish("failed")

    assert not cassette_path(settings(tmp_path).cassette_dir, NODE).exists()
    assert [NODE] == recorder.stats.kept_failed
    assert recorder.tape is None


def test_recording_gives_the_caller_the_same_exception(tmp_path: Path) -> None:
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())
    error = KeyError("gone")

    def fails(user_id: int) -> None:
        raise error

    with pytest.raises(KeyError) as raised:
        call(recorder, FETCH, fails, 1)

    assert raised.value is error
    recorder.finish("passed")
    (run,) = load(cassette_path(settings(tmp_path).cassette_dir, NODE)).runs[FETCH.id]
    assert "raise" == run.outcome


def test_a_generator_call_is_recorded_as_the_union_of_its_items(tmp_path: Path) -> None:
    path = record(tmp_path, (ROWS, rows, 3))

    (run,) = load(path).runs[ROWS.id]
    assert ("yield", ("coll", "yield", (("int",),))) == (run.outcome, run.result_shape)


def test_an_async_call_ends_when_it_is_awaited(tmp_path: Path) -> None:
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())

    coroutine = call(recorder, LOAD, load_user, 7)
    assert "load" == coroutine.__name__
    assert {"id": 7} == asyncio.run(coroutine)

    tape = recorder.tape
    assert tape is not None
    assert "return" == tape.runs[LOAD.id][0].outcome


def test_a_check_of_unchanged_calls_finds_nothing(tmp_path: Path) -> None:
    record(tmp_path, (FETCH, fetch, 1), (FETCH, fetch, 2))
    checker = made(CheckStrategy, tmp_path)
    checker.begin(NODE, ())

    assert {"id": 1, "name": "Ada"} == call(checker, FETCH, fetch, 1)
    call(checker, FETCH, fetch, 2)

    outcome = judged(checker)
    assert [] == outcome.findings
    assert 2 == checker.stats.calls_checked
    assert [] == checker.stats.drifted


def test_a_check_finds_a_changed_return_shape_at_its_call(tmp_path: Path) -> None:
    record(tmp_path, (FETCH, fetch, 1), (FETCH, fetch, 2))
    checker = made(CheckStrategy, tmp_path)
    checker.begin(NODE, ())

    call(checker, FETCH, fetch, 1)
    call(checker, FETCH, fetch_renamed, 2)

    (finding,) = judged(checker).findings
    assert (FETCH.id, 1, "return") == (finding.seam, finding.index, finding.part)
    assert finding.context is not None  # the call's arguments, packed for the redaction
    assert [NODE] == checker.stats.drifted


def test_a_check_reports_calls_beyond_the_recording_and_calls_no_longer_made(
    tmp_path: Path,
) -> None:
    record(tmp_path, (FETCH, fetch, 1), (ROWS, rows, 2))
    checker = made(CheckStrategy, tmp_path)
    checker.begin(NODE, ())

    call(checker, FETCH, fetch, 1)
    call(checker, FETCH, fetch, 2)

    found = [(f.seam, f.part, f.count) for f in judged(checker).findings]
    assert [(FETCH.id, "unrecorded", 1), (ROWS.id, "missing", 1)] == found


def test_a_check_of_a_test_without_cassette_counts_it_unrecorded(tmp_path: Path) -> None:
    checker = made(CheckStrategy, tmp_path)
    checker.begin(NODE, ())
    call(checker, FETCH, fetch, 1)

    assert [] == judged(checker).findings
    assert [NODE] == checker.stats.unrecorded


def test_a_check_replays_the_seams_a_test_asks_for_and_checks_the_others(
    tmp_path: Path,
) -> None:
    record(tmp_path, (FETCH, fetch, 1), (ROWS, rows, 2))
    checker = made(CheckStrategy, tmp_path)
    checker.begin(NODE, (SeamPattern.parse("app.repo:fetch", key="replay"),))
    NEVER_CALLED.clear()

    assert {"id": 1, "name": "Ada"} == call(checker, FETCH, fetch_uncalled, 1)
    assert [0, 1] == list(call(checker, ROWS, rows, 2))

    assert [] == NEVER_CALLED
    assert [] == judged(checker).findings
    assert (1, 1) == (checker.stats.calls_replayed, checker.stats.calls_checked)


def test_the_crossing_of_a_check_is_chosen_per_test(tmp_path: Path) -> None:
    checker = made(CheckStrategy, tmp_path)

    checker.begin(NODE, ())
    plain = checker.crossing
    checker.finish("passed")
    checker.begin(NODE, (SeamPattern.parse("app.repo:fetch", key="replay"),))

    assert plain == checker.run
    assert checker.crossing == checker.answer_or_run


def test_replay_answers_replayed_seams_and_leaves_the_others_untouched(
    tmp_path: Path,
) -> None:
    record(tmp_path, (FETCH, fetch, 1))
    replayer = made(ReplayStrategy, tmp_path)
    replayer.begin(NODE, (SeamPattern.parse("app.repo:fetch", key="replay"),))
    NEVER_CALLED.clear()

    assert {"id": 1, "name": "Ada"} == call(replayer, FETCH, fetch_uncalled, 1)
    assert [5, 6] == list(call(replayer, ROWS, rows, 7))[5:]

    assert [] == NEVER_CALLED
    tape = replayer.tape
    assert tape is not None
    assert (1, 1) == (tape.call_count(), tape.replayed)  # the generator was not recorded
    assert [] == judged(replayer).findings
    assert replayer.open_event(FETCH, "tests.test_app", 1) is None


def test_replay_of_a_call_beyond_the_recording_fails_the_test_with_the_fix(
    tmp_path: Path,
) -> None:
    record(tmp_path, (FETCH, fetch, 1))
    replayer = made(ReplayStrategy, tmp_path)
    replayer.begin(NODE, (SeamPattern.parse("app.repo:fetch", key="replay"),))
    call(replayer, FETCH, fetch_uncalled, 1)

    with pytest.raises(ReplayError, match="call 2 was not recorded"):
        call(replayer, FETCH, fetch_uncalled, 2)

    (finding,) = judged(replayer).findings
    assert "replay" == finding.part
    assert [NODE] == replayer.stats.replay_failed


def test_replay_without_a_cassette_names_the_command_that_records_it(tmp_path: Path) -> None:
    replayer = made(ReplayStrategy, tmp_path)
    replayer.begin(NODE, (SeamPattern.parse("app.repo:fetch", key="replay"),))

    with pytest.raises(ReplayError, match=r'pytest --record-seams "tests/test_app.py::test_it"'):
        call(replayer, FETCH, fetch_uncalled, 1)


def test_a_run_is_one_type_grown_in_place_while_recording(tmp_path: Path) -> None:
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())
    call(recorder, FETCH, fetch, 1)
    tape = recorder.tape
    assert tape is not None
    (run,) = tape.runs[FETCH.id]

    call(recorder, FETCH, fetch, 2)

    assert [run] == tape.runs[FETCH.id]
    assert isinstance(run, Run)
    assert 2 == run.count


def test_a_generator_that_raises_is_recorded_as_raising(tmp_path: Path) -> None:
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())

    def broken(count: int) -> Generator[int, None, None]:
        yield count
        raise ValueError("no more rows")

    with pytest.raises(ValueError, match="no more rows"):
        list(call(recorder, ROWS, broken, 1))

    tape = recorder.tape
    assert tape is not None
    assert [] == tape.generators
    recorder.finish("passed")
    (run,) = load(cassette_path(settings(tmp_path).cassette_dir, NODE)).runs[ROWS.id]
    assert ("raise", ("exc", "ValueError")) == (run.outcome, run.result_shape[:2])


async def load_name(user_id: int) -> str:
    return "Ada"


def test_a_call_ending_after_its_test_does_not_count_in_the_next_test(tmp_path: Path) -> None:
    recorder = made(RecordStrategy, tmp_path)
    recorder.begin(NODE, ())
    asyncio.run(call(recorder, LOAD, load_user, 1))
    recorder.finish("passed")
    checker = made(CheckStrategy, tmp_path)
    checker.begin(NODE, ())
    late = call(checker, LOAD, load_name, 1)  # returns a str where a dict was recorded
    checker.finish("failed")
    checker.begin(NODE, ())
    call(checker, LOAD, load_user, 1).close()  # started, never awaited

    assert "Ada" == asyncio.run(late)

    assert [] == judged(checker).findings
