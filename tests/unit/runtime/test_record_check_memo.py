"""Record mode compiles the strict check of a shape once per run: a shape seen again,
in another seam or back after a seam's kept shapes moved on, reuses its check, and the
cassette is the one a run compiling every check afresh writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seamrec.cassette.store import cassette_path
from seamrec.config import settings_from_table
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import KEPT_SHAPES, RecordStrategy
from seamrec.runtime.stats import Stats

NODE = "tests/test_app.py::test_memo"
FIRST = Seam("app.views:first", "app.views", "first", "function", False, ("request",), None)
SECOND = Seam("app.views:second", "app.views", "second", "function", False, ("request",), None)

# more shapes than a seam keeps, so each comes back after it was dropped
SHAPES: list[Any] = [1, "x", 1.5, [1], {"a": 1}, (1, "y"), None]


def strategy_for(root: Path) -> RecordStrategy:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=root)
    return RecordStrategy(settings, Stats(), Report())


def call(strategy: RecordStrategy, seam: Seam, value: object) -> None:
    strategy.crossing(seam, "tests.test_app", lambda request: request, None, (value,), {})


def record(root: Path, values: list[Any], afresh: bool) -> bytes:
    """The cassette of one test calling `first` with each value (`afresh`: each call's
    shapes walked and their checks compiled as if never seen)."""
    strategy = strategy_for(root)
    strategy.begin(NODE, ())
    for value in values:
        tape = strategy.tape
        state = None if tape is None else tape.states.get(FIRST.id)
        if afresh and state is not None:
            last = state.last
            last.args, last.result, last.earlier_args, last.earlier_result = (
                ((), None),
                ((), None),
                (),
                (),
            )
            strategy._args_checks.clear()
            strategy._result_checks.clear()
        call(strategy, FIRST, value)
    strategy.finish("passed")
    return cassette_path(strategy.settings.cassette_dir, NODE).read_bytes()


def test_two_seams_of_one_shape_share_its_check(tmp_path: Path) -> None:
    strategy = strategy_for(tmp_path)
    strategy.begin(NODE, ())
    call(strategy, FIRST, {"id": 1})
    call(strategy, SECOND, {"id": 2})
    first, second = strategy._last[FIRST.id], strategy._last[SECOND.id]
    assert first.args[0] == second.args[0]
    assert first.args[1] is not None
    assert first.args[1] is second.args[1]
    assert first.result[1] is second.result[1]
    strategy.finish("passed")


def test_a_shape_back_after_it_was_dropped_reuses_its_check(tmp_path: Path) -> None:
    assert len(SHAPES) > KEPT_SHAPES
    strategy = strategy_for(tmp_path)
    strategy.begin(NODE, ())
    call(strategy, FIRST, SHAPES[0])
    compiled = strategy._last[FIRST.id].args[1]
    for value in SHAPES[1:]:
        call(strategy, FIRST, value)
    assert all(pair[1] is not compiled for pair in strategy._last[FIRST.id].earlier_args)
    call(strategy, FIRST, SHAPES[0])
    assert strategy._last[FIRST.id].args[1] is compiled
    strategy.finish("passed")


def test_the_cassette_is_the_one_of_checks_compiled_afresh(tmp_path: Path) -> None:
    values = SHAPES * 3 + [v for v in reversed(SHAPES) for _ in range(2)]
    reused = record(tmp_path / "reused", values, afresh=False)
    afresh = record(tmp_path / "afresh", values, afresh=True)
    assert reused == afresh


def test_release_drops_the_compiled_checks(tmp_path: Path) -> None:
    strategy = strategy_for(tmp_path)
    strategy.begin(NODE, ())
    call(strategy, FIRST, {"id": 1})
    strategy.finish("passed")
    strategy.release()
    assert strategy._args_checks == {}
    assert strategy._result_checks == {}
