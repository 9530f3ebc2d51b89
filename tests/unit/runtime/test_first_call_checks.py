"""A recorded shape met by a single call of a check run is checked by comparing the live
shape with it (`runtime.firstcall`, with the compiled walker), compiling nothing; met
again, it is compiled. The verdicts are the compiled checks' verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seamrec.config import Settings, settings_from_table
from seamrec.model import accel
from seamrec.model.shape import TOO_DEEP, TOO_LARGE, Shape, self_shape
from seamrec.runtime import stats as run_stats
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.firstcall import FirstArgsCheck, FirstValueCheck, worth_comparing
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.stats import Stats

NODE = "tests/test_app.py::test_it"
FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)
ROW: Shape = ("dict", "dict", ("id",), ((("int",),),))
needs_c = pytest.mark.skipif(accel.compiled is None, reason="the compiled walker is not built")


def settings(tmp_path: Path) -> Settings:
    return settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)


def record(tmp_path: Path, user_id: Any, result: Any, calls: int = 1) -> None:
    strategy = RecordStrategy(settings(tmp_path), Stats(), Report())
    strategy.begin(NODE, ())
    for _ in range(calls):
        strategy.crossing(FETCH, "tests.test_app", lambda user_id: result, None, (user_id,), {})
    strategy.finish("passed")


def check(strategy: CheckStrategy, user_id: Any, result: Any, calls: int = 1) -> list[str]:
    """One checked test calling `fetch(user_id)` -> `result`; its findings' parts."""
    strategy.begin(NODE, ())
    for _ in range(calls):
        strategy.crossing(FETCH, "tests.test_app", lambda user_id: result, None, (user_id,), {})
    outcome = run_stats.TestOutcome(NODE)
    strategy.judge(outcome)
    strategy.finish("passed")
    return sorted(f"{f.index}:{f.part}" for f in outcome.findings)


@needs_c
def test_a_shape_met_by_one_call_is_checked_without_compiling(tmp_path: Path) -> None:
    record(tmp_path, 1, {"id": 1, "name": "Ada"})
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())

    assert check(strategy, 2, {"id": 2, "name": "Grace"}) == []
    assert strategy._fit_args == {}
    assert strategy._fit_values == {}


def test_a_shape_met_again_is_compiled_once_and_kept(tmp_path: Path) -> None:
    record(tmp_path, 1, {"id": 1, "name": "Ada"})
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())
    check(strategy, 2, {"id": 2, "name": "Grace"})

    assert check(strategy, 3, {"id": 3, "name": "Edsger"}) == []
    assert len(strategy._fit_args) == 1
    assert len(strategy._fit_values) == 1


def test_a_run_of_several_calls_compiles_its_checks_at_once(tmp_path: Path) -> None:
    record(tmp_path, 1, {"id": 1}, calls=3)
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())

    assert check(strategy, 1, {"id": 1}, calls=3) == []
    assert len(strategy._fit_args) == 1
    assert len(strategy._fit_values) == 1


@pytest.mark.parametrize(
    ("recorded", "live", "found"),
    [
        pytest.param((1, {"id": 1, "n": "A"}), (2, {"id": 2, "n": "G"}), [], id="same"),
        pytest.param((1, {"id": 1, "n": "A"}), (1, {"id": 1, "m": "A"}), ["0:return"], id="rename"),
        pytest.param((1, {"id": 1}), ("1", {"id": 1}), ["0:args"], id="args-type"),
        pytest.param((1, {"id": 1}), (1, {"id": "1"}), ["0:return"], id="result-type"),
        pytest.param((1, {"id": 1}), (1, None), ["0:return"], id="result-none"),
        pytest.param((1, []), (1, [{"id": 1}]), [], id="recorded-empty-list-fits"),
        pytest.param((1, [1, "a"]), (1, ["b", 2, 3]), [], id="union-fits"),
        pytest.param((1, [1, "a"]), (1, [1.5]), ["0:return"], id="union-drift"),
        pytest.param((1, "a@b.io"), (1, "c@d.io"), [], id="format-fits"),
        pytest.param((1, "a@b.io"), (1, "not an email"), ["0:return"], id="format-drift"),
        pytest.param((1, {"n": 1}), (1, {"n": True}), ["0:return"], id="bool-is-not-int"),
    ],
)
def test_a_first_call_finds_what_the_compiled_check_finds(
    tmp_path: Path, recorded: tuple[Any, Any], live: tuple[Any, Any], found: list[str]
) -> None:
    record(tmp_path, *recorded)
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())

    first = check(strategy, *live)  # the shapes compared, nothing compiled
    compiled = check(strategy, *live)  # met again: the compiled checks

    assert strategy._fit_args
    assert first == compiled == found


def test_a_drift_is_still_found_after_a_first_call_fitted(tmp_path: Path) -> None:
    record(tmp_path, 1, {"id": 1})
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())
    assert check(strategy, 1, {"id": 2}) == []

    assert check(strategy, 1, {"id": "2"}) == ["0:return"]
    assert check(strategy, "1", {"id": 2}) == ["0:args"]


@needs_c
def test_a_value_the_compiled_walker_leaves_to_python_is_checked_by_the_compiled_check(
    tmp_path: Path,
) -> None:
    record(tmp_path, 1, {"id": 1, "at": Path("a")})
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())

    assert check(strategy, 2, {"id": 2, "at": Path("b")}) == []
    assert len(strategy._fit_values) == 1
    assert strategy._fit_args == {}  # the args were builtin data: compared


def test_without_the_compiled_walker_every_shape_is_compiled(tmp_path: Path) -> None:
    record(tmp_path, 1, {"id": 1})
    strategy = CheckStrategy(settings(tmp_path), Stats(), Report())
    strategy._walk = None  # as under SEAMREC_PURE=1

    assert check(strategy, 2, {"id": 2}) == []
    assert len(strategy._fit_args) == len(strategy._fit_values) == 1


def test_a_first_value_check_compiles_when_the_shapes_differ_or_it_is_called_again() -> None:
    compiled: list[int] = []

    def compile_check() -> Any:
        compiled.append(1)
        return lambda column: all(type(v["id"]) is int for v in column)

    def walk(value: object) -> Shape | None:
        return ROW if value == {"id": 1} else ("dict", "dict", ("id",), ((("float",),),))

    first = FirstValueCheck(ROW, walk, compile_check)
    assert first([{"id": 1}])
    assert compiled == []
    assert first([{"id": 2}])  # called again: compiled
    assert compiled == [1]

    other = FirstValueCheck(ROW, walk, compile_check)
    assert not other([{"id": 2.5}])  # another shape: the compiled check decides
    assert compiled == [1, 1]


def test_a_first_check_whose_shaping_fails_asks_the_compiled_check() -> None:
    def failing(*values: object) -> Shape:
        raise RuntimeError("cannot shape")

    value = FirstValueCheck(ROW, failing, lambda: lambda column: True)
    args = FirstArgsCheck(("args", ("n",), ((("int",),),)), failing, False, lambda: None)

    assert value([{"id": 1}])
    assert not args(("n",), [1])  # no compiled check: not a fit (the full path decides)


class Repo:
    """A seam's instance."""


def test_a_first_args_check_shapes_the_instance_by_its_type() -> None:
    shape: Shape = ("args", ("self", "n"), ((self_shape(Repo()),), (("int",),)))
    compiled: list[int] = []

    def compile_check() -> None:
        compiled.append(1)

    check = FirstArgsCheck(shape, lambda value: ("int",), True, compile_check)

    assert check(("self", "n"), [Repo(), 1])
    assert compiled == []


def test_a_shape_the_budget_cut_is_not_worth_comparing() -> None:
    cut_rows: Shape = ("args", ("rows",), ((("coll", "list", (TOO_LARGE,)),),))

    assert not worth_comparing(cut_rows)
    assert worth_comparing(ROW)
    assert worth_comparing(("args", ("rows",), ((("coll", "list", (TOO_DEEP,)),),)))
