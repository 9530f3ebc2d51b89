"""The compiled steps of a plain function's crossing call (`_seamcall.RecordStep`,
`_seamcall.CheckStep`): recorded or checked with no Python frame. Whatever the calls do
(new shapes, raises, calls made inside calls, keywords, other threads), the cassette is
byte for byte the one `RecordStrategy.run` writes, the findings are the ones
`CheckStrategy.run` finds, and the callee runs once per call."""

from __future__ import annotations

import tempfile
import threading
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.cassette.store import cassette_path, load
from seamrec.config import settings_from_table
from seamrec.runtime import checking, recording
from seamrec.runtime import stats as run_stats
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.stats import Stats

pytestmark = pytest.mark.skipif(
    recording._RECORD_STEP is None or checking._CHECK_STEP is None,
    reason="the compiled steps are not in use",
)

NODE = "tests/test_app.py::test_it"
FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id", "q"), None)
INNER = Seam("app.repo:inner", "app.repo", "inner", "function", False, ("x",), None)
HOME = {"__name__": "app.repo"}  # the seams' home module: the test module is a caller

values = st.recursive(
    st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3), st.booleans(), st.floats(0, 1)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=6,
)
steps = st.lists(
    st.tuples(
        st.sampled_from(["call", "call", "call", "raise", "nested", "keywords", "thread"]),
        values,
        values,
    ),
    max_size=25,
)


class Boom(Exception):
    """What a raising callee raises."""


def record(cassettes: Path, compiled: bool, plan: list[tuple[str, Any, Any]]) -> tuple[bytes, int]:
    """Record `plan` as one test through `fetch` (the compiled proxy and step, or the
    strategy's Python `run`); the cassette's bytes and how often the callees ran."""
    strategy = RecordStrategy(run_settings(cassettes), Stats(), Report())
    strategy.begin(NODE, ())
    ran = play(strategy, compiled, plan)
    strategy.finish("passed")
    path = cassette_path(cassettes, NODE)
    return (path.read_bytes() if path.exists() else b""), ran


def check(
    cassettes: Path, compiled: bool, plan: list[tuple[str, Any, Any]]
) -> tuple[list[Any], int, int]:
    """Check `plan` as the test recorded in `cassettes`: its findings, how many calls
    were checked, and how often the callees ran."""
    strategy = CheckStrategy(run_settings(cassettes), Stats(), Report())
    strategy.begin(NODE, ())
    ran = play(strategy, compiled, plan)
    outcome = run_stats.TestOutcome(NODE)
    strategy.judge(outcome)
    strategy.finish("passed")
    assert [] == strategy.stats.internal_errors
    return outcome.findings, strategy.stats.calls_checked, ran


def run_settings(cassettes: Path) -> Any:
    table = {"boundaries": ["app"], "payload_calls": 2, "cassette_dir": str(cassettes)}
    return settings_from_table(table, rootdir=cassettes)


def play(
    strategy: RecordStrategy | CheckStrategy, compiled: bool, plan: list[tuple[str, Any, Any]]
) -> int:
    """Make the calls of `plan` in the running test of `strategy`; how often the callees
    ran."""
    if not compiled:
        strategy.crossing = strategy.run
    dispatcher = types.SimpleNamespace(crossing=strategy.crossing)
    ran = 0
    answer: list[Any] = [None]  # what the next call of `fetch` returns (not an argument)

    def inner(x: Any) -> Any:
        nonlocal ran
        ran += 1
        return [x]

    def fetch(user_id: Any, q: Any) -> Any:
        nonlocal ran
        ran += 1
        kind, result = q, answer[0]
        if kind == "raise":
            raise Boom(result)
        if kind == "nested":
            proxied_inner(result)
            proxied_inner(user_id)
        return result

    if compiled:
        from seamrec.runtime._seamcall import SeamCall  # type: ignore[import-not-found]

        proxied_fetch: Any = SeamCall(fetch, HOME, "app.repo", FETCH, dispatcher)
        proxied_inner: Any = SeamCall(inner, HOME, "app.repo", INNER, dispatcher)
    else:
        proxied_fetch = SeamCallPure(fetch, FETCH, dispatcher)
        proxied_inner = SeamCallPure(inner, INNER, dispatcher)
    for kind, argument, result in plan:
        answer[0] = result
        try:
            if kind == "keywords":
                proxied_fetch(argument, q=kind)
            elif kind == "thread":
                worker = threading.Thread(  # called from this module, as the other calls
                    target=lambda a=argument: proxied_fetch(a, "thread")
                )
                worker.start()
                worker.join()
            else:
                proxied_fetch(argument, kind)
        except Boom:
            assert kind == "raise"
    return ran


class SeamCallPure:
    """A crossing through `dispatcher.crossing`, as the pure proxy makes it."""

    def __init__(self, wrapped: Any, seam: Seam, dispatcher: Any) -> None:
        self.wrapped, self.seam, self.dispatcher = wrapped, seam, dispatcher

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.dispatcher.crossing(self.seam, __name__, self.wrapped, None, args, kwargs)


@settings(max_examples=examples(50), deadline=None)
@given(steps)
def test_the_compiled_step_writes_the_cassette_the_python_run_writes(
    plan: list[tuple[str, Any, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        compiled = record(Path(a), True, plan)
        reference = record(Path(b), False, plan)

    assert reference == compiled


@settings(max_examples=examples(60), deadline=None)
@given(steps, st.data())
def test_the_compiled_check_finds_what_the_python_run_finds(
    recorded: list[tuple[str, Any, Any]], data: st.DataObject
) -> None:
    live = (
        [  # the recorded calls, some with other arguments or results, then maybe more
            (
                data.draw(st.sampled_from([kind, kind, kind, "call", "raise"])),
                data.draw(st.one_of(st.just(argument), values)),
                data.draw(st.one_of(st.just(result), st.just(result), values)),
            )
            for kind, argument, result in recorded[: data.draw(st.integers(0, len(recorded)))]
        ]
        + data.draw(steps)
    )
    with tempfile.TemporaryDirectory() as root:
        record(Path(root), False, recorded)

        compiled = check(Path(root), True, live)
        reference = check(Path(root), False, live)

    assert reference == compiled


def test_a_steady_call_that_raises_raises_the_callee_s_exception_with_its_traceback() -> None:
    from seamrec.runtime._seamcall import SeamCall

    with tempfile.TemporaryDirectory() as root:
        table = {"boundaries": ["app"], "payload_calls": 1, "cassette_dir": root}
        strategy = RecordStrategy(settings_from_table(table, rootdir=Path(root)), Stats(), Report())
        strategy.begin(NODE, ())
        dispatcher = types.SimpleNamespace(crossing=strategy.crossing)
        error = Boom("gone")
        failing = False

        def fetch(user_id: Any, q: Any) -> Any:
            if failing:
                raise error
            return {"id": user_id}

        proxied = SeamCall(fetch, HOME, "app.repo", FETCH, dispatcher)
        for user_id in range(3):
            proxied(user_id, 0)
        failing = True
        with pytest.raises(Boom) as raised:
            proxied(3, 0)
        strategy.finish("passed")
        runs = load(cassette_path(Path(root), NODE)).runs[FETCH.id]

    assert raised.value is error
    assert "fetch" in [entry.name for entry in raised.traceback]
    assert [] == strategy.stats.internal_errors
    assert [("return", 3), ("raise", 1)] == [(run.outcome, run.count) for run in runs]


def test_the_step_lets_go_of_the_tape_when_the_test_finishes() -> None:
    with tempfile.TemporaryDirectory() as root:
        table = {"boundaries": ["app"], "cassette_dir": root}
        strategy = RecordStrategy(settings_from_table(table, rootdir=Path(root)), Stats(), Report())
        strategy.begin(NODE, ())
        compiled_entry = strategy.crossing

        strategy.finish("failed")

        assert "RecordStep" == type(compiled_entry).__name__
        assert compiled_entry == strategy.run  # called from Python, a step is `run`
        assert isinstance(strategy.crossing, types.MethodType)
