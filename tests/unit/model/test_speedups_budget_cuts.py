"""The compiled walker cuts builtin data past its node budget itself, where the Python
walker cuts it, and hands a walk back to Python where a cycle may have been cut first."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model import accel
from seamrec.model.shape import TOO_LARGE, make_shape_function

pytestmark = pytest.mark.skipif(accel.compiled is None, reason=f"no accelerator: {accel.missing}")

PROPERTIES = settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def compiled_walk(value: object, max_depth: int = 32, max_nodes: int = 10) -> Any:
    """The C walker alone: None where it hands the value back to Python."""
    assert accel.compiled is not None
    return accel.compiled.Walker(max_depth, max_nodes, 0, True)(value)


def pure_walk(value: object, max_depth: int = 32, max_nodes: int = 10) -> Any:
    return accel.pure_walker(make_shape_function(max_depth, max_nodes=max_nodes))(value)


def test_a_list_past_the_budget_is_cut_in_c() -> None:
    rows = [{"id": i, "name": f"n{i}"} for i in range(20)]
    assert compiled_walk(rows) == ("coll", "list", (TOO_LARGE,))
    assert compiled_walk(rows) == pure_walk(rows)


def test_a_cut_in_the_middle_keeps_the_leaves_before_and_after_it() -> None:
    value = {"a": 1, "b": list(range(30)), "c": [1, 2], "d": "x"}
    assert compiled_walk(value) == pure_walk(value)
    assert compiled_walk(value) == (
        "dict",
        "dict",
        ("a", "b", "c", "d"),
        ((("int",),), (("coll", "list", (TOO_LARGE,)),), (TOO_LARGE,), (("str",),)),
    )


def test_without_cuts_a_walk_past_the_budget_is_handed_back() -> None:
    assert accel.compiled is not None
    assert accel.compiled.Walker(32, 10, 0)(list(range(30))) is None


def test_a_walker_told_of_its_cuts_is_still_told() -> None:
    told: list[str] = []
    walker = make_shape_function(max_nodes=10, on_cut=told.append)
    assert walker([[i] for i in range(30)]) == ("coll", "list", (TOO_LARGE,))
    assert told == ["budget"]


def test_a_cut_walk_that_went_deep_is_handed_back() -> None:
    deep: list[Any] = [[[[[1, 2]]]]]
    value = {"deep": deep, "wide": list(range(30))}
    assert compiled_walk(value, max_nodes=12) is None  # Python may cut a cycle down there
    assert make_shape_function(max_nodes=12)(value) == pure_walk(value, max_nodes=12)


def test_a_cycle_past_the_budget_gets_the_python_shape() -> None:
    inner: list[Any] = []
    inner.append(inner)
    value = {"cycle": inner}  # Python cuts the cycle at depth 5; C would run out first
    assert "('cut', 'cycle')" in str(pure_walk(value, max_nodes=8))
    assert compiled_walk(value, max_nodes=8) is None
    assert make_shape_function(max_nodes=8)(value) == pure_walk(value, max_nodes=8)


def test_data_with_an_object_past_the_budget_is_cut_in_c() -> None:
    value = [object(), *range(30)]  # the budget runs out before the object is looked at
    assert compiled_walk(value) == ("coll", "list", (TOO_LARGE,))
    assert compiled_walk(value) == pure_walk(value)


KEYS = st.sampled_from(["id", "name", "tags", "a b", "1"])
LEAVES = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3), st.booleans())


def values() -> st.SearchStrategy[Any]:
    return st.recursive(
        LEAVES,
        lambda children: st.one_of(
            st.lists(children, max_size=12),
            st.lists(children, max_size=4).map(tuple),
            st.dictionaries(KEYS, children, max_size=4),
            st.lists(st.fixed_dictionaries({"id": st.integers(0, 9), "x": children}), max_size=9),
        ),
        max_leaves=40,
    )


@PROPERTIES
@given(values(), st.integers(1, 40), st.integers(2, 12))
def test_the_same_shapes_past_the_budget(value: Any, max_nodes: int, max_depth: int) -> None:
    walker = make_shape_function(max_depth, max_nodes=max_nodes)
    assert walker(value) == pure_walk(value, max_depth, max_nodes)
