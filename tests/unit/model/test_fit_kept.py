"""The compiled fit check of a union is made once per run and walker (`conform.fit_kept`):
recorded shapes that share a union share its check; another union, a strict check or
another walker gets its own."""

from __future__ import annotations

import pytest

from seamrec.model import accel, conform
from seamrec.model.shape import Shape, make_shape_function

pytestmark = pytest.mark.skipif(accel.compiled is None, reason="the C checks are not built")

ROWS: Shape = (("coll", "list", (("dict", "dict", ("id", "name"), ((("int",),), (("str",),))),)),)
NUMBERS: Shape = (("coll", "list", (("int",),)),)


def fresh(shape: Shape) -> Shape:
    """An equal shape, another object (as another cassette's)."""
    rebuilt: Shape = tuple(fresh(part) if type(part) is tuple else part for part in shape)
    assert rebuilt is not shape or not shape
    return rebuilt


@pytest.fixture(autouse=True)
def forgotten() -> None:
    conform.forget()


def test_an_equal_union_finds_the_check_compiled_before() -> None:
    shape_of = make_shape_function()

    assert accel._union(ROWS, shape_of, False) is accel._union(fresh(ROWS), shape_of, False)


def test_another_union_gets_its_own_check_and_verdicts() -> None:
    shape_of = make_shape_function()
    rows = accel._union(ROWS, shape_of, False)
    numbers = accel._union(NUMBERS, shape_of, False)

    assert rows is not numbers
    assert rows([[{"id": 1, "name": "a"}]])
    assert not numbers([[{"id": 1, "name": "a"}]])
    assert numbers([[1, 2]])
    assert not rows([[1, 2]])


def test_two_shapes_sharing_a_union_still_find_each_ones_drift() -> None:
    shape_of = make_shape_function()
    first = conform.compile_args(("args", ("rows", "n"), (ROWS, (("int",),))), shape_of)
    second = conform.compile_args(("args", ("rows", "n"), (fresh(ROWS), (("str",),))), shape_of)
    assert first is not None
    assert second is not None
    row = [{"id": 1, "name": "a"}]

    assert first(("rows", "n"), [row, 1])
    assert not first(("rows", "n"), [row, "1"])
    assert second(("rows", "n"), [row, "1"])
    assert not second(("rows", "n"), [row, 1])
    assert not second(("rows", "n"), [[{"id": "1", "name": "a"}], "1"])


def test_strict_checks_are_not_kept() -> None:
    shape_of = make_shape_function()

    assert accel._union(ROWS, shape_of, True) is not accel._union(ROWS, shape_of, True)


def test_each_walker_has_its_own_checks() -> None:
    one, other = make_shape_function(), make_shape_function()

    assert accel._union(ROWS, one, False) is not accel._union(ROWS, other, False)


def test_forget_drops_the_kept_checks() -> None:
    shape_of = make_shape_function()
    kept = accel._union(ROWS, shape_of, False)

    conform.forget()

    assert conform._fit_unions.table == {}
    assert accel._union(ROWS, shape_of, False) is not kept
