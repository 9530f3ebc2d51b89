"""At the end of a run the strategy drops what it kept for the calls: a check run's
compiled checks (pytest's last garbage collections walk whatever is still alive)."""

from __future__ import annotations

from pathlib import Path

from seamrec.config import settings_from_table
from seamrec.model.shape import Shape
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Report
from seamrec.runtime.stats import Stats

VALUE: Shape = ("dict", "dict", ("id",), ((("int",),),))
ARGS: Shape = ("args", ("n",), ((("int",),),))


def test_a_check_run_drops_its_compiled_checks_when_released(tmp_path: Path) -> None:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    checker = CheckStrategy(settings, Stats(), Report())
    value_check = checker._value_check(VALUE)
    args_check = checker._args_check(ARGS)
    assert value_check is not None
    assert value_check([{"id": 1}])
    assert args_check is not None
    assert args_check(("n",), [1])
    assert checker._fit_values
    assert checker._fit_args

    checker.release()

    assert checker._fit_values == {}
    assert checker._fit_args == {}
    again = checker._value_check(VALUE)  # a later check compiles again
    assert again is not None
    assert not again([{"id": "1"}])


def test_a_check_is_found_by_its_shape_object_and_by_an_equal_shape(tmp_path: Path) -> None:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    checker = CheckStrategy(settings, Stats(), Report())
    first = checker._value_check(VALUE)
    equal = VALUE[:1] + VALUE[1:]  # an equal shape, another object (another cassette's)
    assert equal is not VALUE
    assert checker._value_check(VALUE) is first
    assert checker._value_check(equal) is first
    assert checker._args_check(ARGS) is checker._args_check(ARGS[:1] + ARGS[1:])


def test_a_released_session_empties_the_per_class_memos_which_fill_again_alike(
    tmp_path: Path,
) -> None:
    from seamrec.model import classify
    from seamrec.runtime.session import Mode, SeamSession

    def make() -> type:
        class Local:  # a class no module holds: kept by a weak reference
            def __init__(self) -> None:
                self.x = 1

        return Local

    local = make()
    before = (classify.standard_kind(local), classify.standard_kind(int))
    assert any(len(memo) for memo in classify._PER_TYPE)
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    SeamSession(settings, Mode.CHECK).release()
    assert all(len(memo) == 0 for memo in classify._PER_TYPE)
    assert (classify.standard_kind(local), classify.standard_kind(int)) == before
