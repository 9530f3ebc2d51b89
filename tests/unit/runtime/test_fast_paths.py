"""The short paths of a plain function's crossing call (no `LiveCall` while the call
fits): the callee runs once whatever happens, and what they record or find is what the
full path records or finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seamrec.cassette.store import cassette_path, load
from seamrec.config import Settings, settings_from_table
from seamrec.runtime import stats as run_stats
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.stats import Stats

NODE = "tests/test_app.py::test_it"
FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)


class Callee:
    """`fetch(user_id)`, counting its calls; raises `error` when one is set."""

    def __init__(self, error: Exception | None = None, renamed: bool = False) -> None:
        self.calls = 0
        self.error = error
        self.renamed = renamed

    def __call__(self, user_id: Any) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return {"id": user_id, "full_name" if self.renamed else "name": "Ada"}


def settings(tmp_path: Path) -> Settings:
    return settings_from_table({"boundaries": ["app"], "payload_calls": 1}, rootdir=tmp_path)


def recorder(tmp_path: Path) -> RecordStrategy:
    strategy = RecordStrategy(settings(tmp_path), Stats(), Report())
    strategy.begin(NODE, ())
    return strategy


def checker(tmp_path: Path) -> CheckStrategy:
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())
    strategy.begin(NODE, ())
    return strategy


def call(strategy: RecordStrategy | CheckStrategy, callee: Callee, user_id: Any = 1) -> Any:
    return strategy.crossing(FETCH, "tests.test_app", callee, None, (user_id,), {})


def record_three(tmp_path: Path) -> None:
    strategy = recorder(tmp_path)
    for _ in range(3):
        call(strategy, Callee())
    strategy.finish("passed")


def findings(strategy: CheckStrategy) -> list[tuple[int, str]]:
    outcome = run_stats.TestOutcome(NODE)
    strategy.judge(outcome)
    strategy.finish("passed")
    return [(f.index, f.part) for f in outcome.findings]


def test_a_recorded_call_past_the_kept_payloads_that_raises_runs_once_and_is_a_raise(
    tmp_path: Path,
) -> None:
    strategy = recorder(tmp_path)
    call(strategy, Callee())  # keeps its payload: the full path
    error = KeyError("gone")
    failing = Callee(error)

    with pytest.raises(KeyError) as raised:
        call(strategy, failing)
    call(strategy, Callee())
    call(strategy, Callee())
    strategy.finish("passed")

    assert raised.value is error
    assert 1 == failing.calls
    runs = load(cassette_path(settings(tmp_path).cassette_dir, NODE)).runs[FETCH.id]
    assert [("return", 1), ("raise", 1), ("return", 2)] == [(r.outcome, r.count) for r in runs]


def test_a_checked_call_that_fits_runs_once_and_finds_nothing(tmp_path: Path) -> None:
    record_three(tmp_path)
    strategy = checker(tmp_path)
    callees = [Callee() for _ in range(3)]

    results = [call(strategy, callee) for callee in callees]

    assert [{"id": 1, "name": "Ada"}] * 3 == results
    assert [1, 1, 1] == [callee.calls for callee in callees]
    assert [] == findings(strategy)


def test_a_checked_call_whose_args_fit_but_that_raises_runs_once_and_is_found(
    tmp_path: Path,
) -> None:
    record_three(tmp_path)
    strategy = checker(tmp_path)
    failing = Callee(KeyError("gone"))

    call(strategy, Callee())
    with pytest.raises(KeyError):
        call(strategy, failing)
    call(strategy, Callee())

    assert 1 == failing.calls
    assert [(1, "outcome")] == findings(strategy)


def test_checked_calls_whose_args_or_result_changed_run_once_and_are_found(
    tmp_path: Path,
) -> None:
    record_three(tmp_path)
    strategy = checker(tmp_path)
    renamed = Callee(renamed=True)
    other_args = Callee()

    call(strategy, Callee())
    call(strategy, renamed)
    call(strategy, other_args, "one")

    assert (1, 1) == (renamed.calls, other_args.calls)
    assert [(1, "return"), (2, "args"), (2, "return")] == findings(strategy)
