"""conform's per-value check of a mixed union: the members' own fit checks first, the
shape comparison only for what none of them accepts, and a cut that fits everything.

The reference is the comparison the check made before: each value shaped and compared
with every member (`shape.compatible`). The check built by conform's closures, by the
C accelerator (members compiled in C) and by the generated pure-Python code give its
verdict on arbitrary recorded unions (several kinds of members, cuts from the depth and
node limits) and arbitrary live columns.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model import accel, checkgen, conform
from seamrec.model.shape import Shape, ShapeFunction, compatible, make_shape_function


@dataclasses.dataclass
class Box:
    content: Any


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.floats(allow_nan=False, width=16),
        st.sampled_from(["", "x", "2026-01-01", "someone@example.com", "deadbeef" * 4]),
        st.just(decimal.Decimal("1.5")),
        st.sampled_from([dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]),
        st.just(Box(1)),
    )


KEYS = st.sampled_from(["id", "name", "tags", "x"])


def values() -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(KEYS, children, max_size=3),
            st.dictionaries(KEYS, children, max_size=3).map(collections.OrderedDict),
            st.dictionaries(KEYS, children, max_size=3).map(lambda d: dict(reversed(d.items()))),
        ),
        max_leaves=8,
    )


PROPERTIES = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def reference(union: Shape, shape_of: ShapeFunction, column: list[Any]) -> bool:
    """The verdict before members were tried: every value's shape compared."""
    return all(any(compatible(member, shape_of(value)) for member in union) for value in column)


def recorded_union(recorded: list[Any], max_nodes: int) -> Shape:
    """The union of the items of a recorded list (cut by `max_nodes` when small)."""
    shape = make_shape_function(4, max_nodes=max_nodes)(recorded)
    return shape[2] if shape[0] == "coll" else (shape,)


def checks(union: Shape) -> list[tuple[str, conform.Check]]:
    shape_of = make_shape_function()
    pure_walk = accel.pure_walker(shape_of)
    found = [("closures", conform._per_value_check(union, pure_walk))]
    if accel.compiled is not None:
        found.append(("compiled", accel._per_value(union, shape_of)))
    generated = checkgen.generate_value(("coll", "list", union), pure_walk)
    assert generated is not None
    found.append(("generated", lambda column: generated([column])))
    return found


@PROPERTIES
@given(
    st.lists(values(), min_size=1, max_size=4),
    st.lists(values(), max_size=4),
    st.sampled_from([6, 20, 10_000]),
)
def test_every_path_gives_the_shape_comparisons_verdict(
    recorded: list[Any], live: list[Any], max_nodes: int
) -> None:
    union = recorded_union(recorded, max_nodes)
    pure_walk = accel.pure_walker(make_shape_function())
    expected = reference(union, pure_walk, live)
    for name, check in checks(union):
        assert check(list(live)) == expected, name
        assert check(list(recorded)) == reference(union, pure_walk, recorded), name


@PROPERTIES
@given(st.lists(values(), min_size=1, max_size=4), st.lists(values(), max_size=4))
def test_the_same_verdict_again_on_the_same_check(recorded: list[Any], live: list[Any]) -> None:
    """The member that fitted last and the kept verdicts change no later verdict."""
    union = recorded_union(recorded, 10_000)
    for _, check in checks(union):
        first = [check([value]) for value in live + recorded]
        assert [check([value]) for value in reversed(live + recorded)] == first[::-1]


def test_a_value_no_member_check_accepts_is_compared_by_its_shape() -> None:
    """A dict with its keys in another order misfits the member's own check (keys in
    order) yet is compatible: the comparison of shapes accepts it."""
    union = recorded_union([{"id": 1, "name": "a"}, [1]], 10_000)
    for name, check in checks(union):
        assert check([{"name": "b", "id": 2}, [3]]), name
        assert not check([{"name": "b", "id": "2"}]), name


def test_a_union_holding_a_cut_fits_every_value() -> None:
    union: Shape = (("cut", "budget"), ("dict", "dict", ("id",), ((("int",),),)))
    for name, check in checks(union):
        assert check([{"id": 1}, "anything", [Box(1)], None]), name
    assert conform.fits_anything(union)
    assert not conform.fits_anything((("int",), ("str",)))


def test_a_member_check_that_raises_leaves_the_value_to_the_comparison() -> None:
    union: Shape = (("dict", "dict", ("id",), ((("int",),),)), ("coll", "list", (("int",),)))
    shape_of = make_shape_function()

    def refusing(member: Shape) -> conform.Check:
        def check(column: list[Any]) -> bool:
            raise RuntimeError("a member check failed")

        return check

    check = conform._per_value_check(union, shape_of, refusing)
    assert check([{"id": 1}, [2]])
    assert not check([{"id": "1"}])


@pytest.mark.skipif(accel.compiled is None, reason=f"no accelerator: {accel.missing}")
def test_the_compiled_members_decide_a_large_column_without_shaping_it() -> None:
    """Records of two key sets (the shape of `insert_all`'s rows): every row fits a member
    in C, so the walker is never asked for a row's shape."""
    rows = [{"c0": "first"}, *[{f"c{i}": j for i in range(40)} for j in range(50)]]
    shape_of = make_shape_function()
    union = shape_of(rows)[2]
    shaped: list[object] = []

    def counting(value: object) -> Shape:
        shaped.append(value)
        return shape_of(value)

    check = accel._per_value(union, counting)
    assert check(rows)
    assert shaped == []
    assert not check([{"c0": 1.5}])
    assert shaped == [{"c0": 1.5}]


def test_a_member_whose_check_cannot_be_compiled_is_compared_by_shape() -> None:
    union: Shape = (("dict", "dict", ("id",), ((("int",),),)), ("coll", "list", (("int",),)))
    shape_of = make_shape_function()

    def failing(member: Shape) -> conform.Check:
        raise ValueError("no check for this member")

    check = conform._per_value_check(union, shape_of, failing)
    assert check([{"id": 1}, [2]])
    assert not check([{"id": "1"}])
