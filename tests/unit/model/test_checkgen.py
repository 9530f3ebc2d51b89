"""seamrec.model.checkgen: the generated checks give conform's closure verdicts.

The closures of `seamrec.model.conform` are the reference. Over arbitrary nested values and
the shapes recorded from them (one value, a column of values, a walk cut by depth or by a
cycle), and over live values that misfit at any depth (another type, a missing or extra
key, None where none was recorded, int vs bool vs float, OrderedDict vs dict, an empty
list, a tuple for a list), the generated check and the closure agree: the same None for
an undecidable strict check, the same True/False, the same exception where one is raised.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model import accel, checkgen, checksource, conform
from seamrec.model.shape import Shape, ShapeFunction, args_shape, make_shape_function

HERE = __name__


class Color(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    LOW = 1


class Sku(str):
    """A str subclass: a leaf of its own kind, and a key of a map."""


@dataclasses.dataclass
class Box:
    content: Any


class Service:
    pass


FORMATTED = [
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "10:00:00",
    "12345678-1234-1234-1234-123456789abc",
    "deadbeefdeadbeefdeadbeefdeadbeef",
    "deadbeefdeadbeefdeadbeefdead",
    "aGVsbG8gd29ybGQhIQ12AbCdEfGh",
    "someone@example.com",
    "https://example.com/a",
    "42",
    "4.2",
    "<redacted>",
    "paid",
    "",
]
EPOCHS = [946_684_800, 1_700_000_000, 1_700_000_000_000, 2**70]


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from(EPOCHS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1.7e9, 1.7e12, 0.0]),
        st.text(max_size=5),
        st.sampled_from(FORMATTED),
        st.binary(max_size=4),
        st.sampled_from([b"deadbeefdeadbeefdeadbeef01", b"\xff"]),
        st.just(decimal.Decimal("1.5")),
        st.just(uuid.UUID(int=7)),
        st.just(dt.date(2026, 1, 1)),
        st.sampled_from(
            [
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                dt.datetime(2026, 1, 1),
                dt.time(10, 0),
                dt.time(10, 0, tzinfo=dt.UTC),
            ]
        ),
        st.just(dt.timedelta(seconds=3)),
        st.sampled_from([Color.RED, Level.LOW, Sku("A-1"), Box(1), Service()]),
    )


NAMES = st.sampled_from(["id", "name", "email", "items", "created", "x", "y"])
KEYS = st.one_of(NAMES, st.sampled_from(["not an identifier", "1st"]), st.integers(-2, 2))


def values() -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(NAMES, children, max_size=4),
            st.dictionaries(NAMES, children, max_size=3).map(collections.OrderedDict),
            st.dictionaries(KEYS, children, max_size=3),
            st.lists(
                st.fixed_dictionaries(
                    {"id": st.integers(0, 9), "name": children},
                    optional={"tags": st.lists(children, max_size=2)},
                ),
                max_size=4,
            ),
            st.frozensets(st.integers(0, 3), max_size=3),
            children.map(Box),
        ),
        max_leaves=12,
    )


OTHERS = [None, True, 1, 1.0, "1", b"1", [], (), {}, [1], (1,), {"id": 1}]


@st.composite
def misfits(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one change somewhere inside it (or none)."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(OTHERS))
    if type(value) is dict and value:
        key = draw(st.sampled_from(list(value)))
        change = draw(st.sampled_from(["deeper", "drop", "add", "ordered", "reorder", "none"]))
        copy = dict(value)
        if change == "deeper":
            copy[key] = draw(misfits(value[key]))
        elif change == "drop":
            del copy[key]
        elif change == "add":
            copy["extra"] = 1
        elif change == "ordered":
            return collections.OrderedDict(copy)
        elif change == "reorder":
            return dict(reversed(list(copy.items())))
        else:
            copy[key] = None
        return copy
    if type(value) in (list, tuple) and value:
        index = draw(st.integers(0, len(value) - 1))
        change = draw(st.sampled_from(["deeper", "each", "flip", "empty", "append"]))
        items = list(value)
        if change == "deeper":
            items[index] = draw(misfits(items[index]))
        elif change == "each":
            items = [draw(misfits(item)) for item in items]
        elif change == "empty":
            items = []
        elif change == "append":
            items.append(draw(st.sampled_from(OTHERS)))
        elif change == "flip":
            return tuple(items) if type(value) is list else items
        return items if type(value) is list else tuple(items)
    if type(value) is str:
        return draw(st.sampled_from([value, *FORMATTED, *OTHERS]))
    if type(value) is int:
        return draw(st.sampled_from([value, *EPOCHS, *OTHERS]))
    return draw(st.sampled_from([value, *OTHERS]))


def outcome(check: Any, *args: Any) -> tuple[str, object]:
    """A verdict, or the type of the exception the check raised."""
    try:
        return ("verdict", check(*args))
    except Exception as exc:  # the reference raises too: the same type must come out
        return ("raised", type(exc))


def pure_walker(max_depth: int = 32) -> ShapeFunction:
    return accel.pure_walker(make_shape_function(max_depth))


def assert_same_verdicts(shape: Shape, shape_of: ShapeFunction, columns: list[list[Any]]) -> None:
    for strict in (False, True):
        reference = conform.pure_compile_value(shape, shape_of, strict=strict)
        generated = checkgen.generate_value(shape, shape_of, strict=strict)
        assert (reference is None) == (generated is None)
        if reference is None or generated is None:
            continue
        for column in columns:
            assert outcome(generated, list(column)) == outcome(reference, list(column))


PROPERTIES = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck)
)


@PROPERTIES
@given(st.data(), values())
def test_a_value_and_its_misfits_get_the_reference_verdict(data: st.DataObject, value: Any) -> None:
    shape_of = pure_walker()
    live = [data.draw(misfits(value)) for _ in range(3)]
    columns = [[value], *([v] for v in live), live, [], [value, value]]
    assert_same_verdicts(shape_of(value), shape_of, columns)


@PROPERTIES
@given(values(), values())
def test_any_live_value_gets_the_reference_verdict(recorded: Any, live: Any) -> None:
    shape_of = pure_walker()
    assert_same_verdicts(shape_of(recorded), shape_of, [[live], [recorded], [live, recorded]])


@PROPERTIES
@given(st.data(), st.lists(values(), min_size=1, max_size=4))
def test_a_column_recorded_as_a_list_gets_the_reference_verdict(
    data: st.DataObject, recorded: list[Any]
) -> None:
    """The items of a recorded list are a union (several types, several key sets): live
    lists are checked as columns of their items."""
    shape_of = pure_walker()
    live = [data.draw(misfits(recorded)) for _ in range(3)]
    columns = [[recorded], *([v] for v in live), [recorded[:1]], [list(reversed(recorded))]]
    assert_same_verdicts(shape_of(recorded), shape_of, columns)


@PROPERTIES
@given(st.data(), values(), st.integers(1, 3))
def test_a_shape_cut_by_depth_gets_the_reference_verdict(
    data: st.DataObject, value: Any, depth: int
) -> None:
    shape_of = pure_walker(depth)
    live = data.draw(misfits(value))
    assert_same_verdicts(shape_of(value), shape_of, [[value], [live], [value, live]])


@PROPERTIES
@given(st.lists(values(), min_size=1, max_size=3), st.lists(values(), max_size=3))
def test_bound_arguments_get_the_reference_verdict(recorded: list[Any], live: list[Any]) -> None:
    shape_of = pure_walker()
    names = tuple(f"a{i}" for i in range(len(recorded)))
    shape = args_shape(names, [shape_of(v) for v in recorded])
    live_names = tuple(f"a{i}" for i in range(len(live)))
    for strict in (False, True):
        reference = conform.pure_compile_args(shape, shape_of, strict=strict)
        generated = checkgen.generate_args(shape, shape_of, strict=strict)
        assert (reference is None) == (generated is None)
        if reference is None or generated is None:
            continue
        for args in ((names, recorded), (live_names, live), (names, live), (names, recorded[:1])):
            assert outcome(generated, *args) == outcome(reference, *args)


def test_a_cycle_gets_the_reference_verdict() -> None:
    shape_of = pure_walker()
    loop: list[Any] = [1]
    loop.append(loop)
    other: list[Any] = [1, [1, [1, [1, [1, [2]]]]]]
    assert "cut" in repr(shape_of(loop))
    assert_same_verdicts(shape_of(loop), shape_of, [[loop], [other], [[1]], [loop, other]])


def test_self_is_checked_by_type_path() -> None:
    shape_of = pure_walker()
    shape = ("args", ("self", "n"), ((("self", f"{HERE}.Service"),), (("int",),)))
    generated = checkgen.generate_args(shape, shape_of)
    reference = conform.pure_compile_args(shape, shape_of)
    assert generated is not None
    assert reference is not None
    for live in ([Service(), 1], [Service, 1], [Box(1), 1], [Service(), "1"], [Service()]):
        assert outcome(generated, ("self", "n"), live) == outcome(reference, ("self", "n"), live)
    assert generated(("self", "n"), [Service(), 1]) is True
    assert generated(("self", "n"), [Box(1), 1]) is False


MISFITS = [
    ({"id": 1, "name": "a"}, {"id": True, "name": "a"}),  # bool is not int
    ({"id": 1, "name": "a"}, {"id": 1.0, "name": "a"}),  # nor is float
    ({"id": 1, "name": "a"}, {"name": "a", "id": 1}),  # key order
    ({"id": 1, "name": "a"}, collections.OrderedDict(id=1, name="a")),
    ({"id": 1, "name": "a"}, {"id": 1}),
    ({"id": 1, "name": "a"}, {"id": 1, "name": "a", "x": 2}),
    ({"id": 1, "name": "a"}, {"id": None, "name": "a"}),
    ({"a": {"b": {"c": [1, 2]}}}, {"a": {"b": {"c": [1, "2"]}}}),
    ({"a": {"b": {"c": [1, 2]}}}, {"a": {"b": {"c": []}}}),
    ({"a": {"b": {"c": [1, 2]}}}, {"a": {"b": {"c": (1, 2)}}}),
    ({"a": []}, {"a": [{"id": 1}]}),
    ({"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, {"at": dt.datetime(2026, 1, 1)}),
    ({"t": "deadbeefdeadbeefdeadbeefdeadbeef"}, {"t": "not a token"}),
    ({"t": "2026-01-01"}, {"t": "2026-01-01T10:00:00Z"}),
    ({"n": 1_700_000_000}, {"n": 1_700_000_000_000}),
    ({"c": Color.RED}, {"c": Level.LOW}),
    ({"b": Box(1)}, {"b": Box("1")}),
    ({"u": [1, None]}, {"u": [None, 1, None]}),
    ({"u": [1, None]}, {"u": [1, 1]}),
    ([{"id": 1, "x": "a"}, {"id": 2, "x": None}], [{"id": 1, "x": "a"}, {"id": 2, "x": "b"}]),
    ([{"id": 1}, {"id": 2, "x": 1}], [{"id": 1, "x": 1}]),
    ({"k": {1: "a"}}, {"k": {"1": "a"}}),
    # columns: the rows of a list checked field by field
    ([{"id": 1}, {"id": 2}], [{"id": 1}, {"id": "2"}]),
    ([{"id": 1}, {"id": 2}], [{"id": 1}, {"id": 2.0}]),
    ([{"id": 1}, {"id": 2}], [{"id": 1}, {"pk": 2}]),
    ([{"id": 1}, {"id": 2}], [{"id": 1}, ["id"]]),
    ([{"t": "paid"}, {"t": "sent"}], [{"t": "paid"}, {"t": "2026-01-01"}]),
    ([{"t": "2026-01-01"}], [{"t": "2026-01-01"}, {"t": "paid"}]),
    ([{"n": 1_700_000_000}], [{"n": 1_700_000_000_000}, {"n": 1}]),
    ([{"n": 1}], [{"n": 1_700_000_000_000}, {"n": 1}]),
    ([{"a": [1]}, {"a": [2]}], [{"a": []}, {"a": []}]),
    ([{"a": [1]}, {"a": [2]}], [{"a": []}, {"a": ["x"]}]),
    ([[1], [2]], [[], []]),
    ([[1], [2]], [[], [1]]),
    ([[1], [2]], [[1], (2,)]),
    ([(1, "a"), (2, "b")], [(1, "a"), (2,)]),
    ([(1, "a"), (2, "b")], [(1, "a"), (2, 2)]),
    ([["x", "y"]], [["x"], ["deadbeefdeadbeefdeadbeefdeadbeef"]]),
    ([dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2)], [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]),
    # per-value unions: a record or None (a leaf that fits is not walked)
    ({"p": [{"a": 1}, None]}, {"p": [None, {"a": "x"}]}),
    ({"p": [{"a": 1}, None]}, {"p": [None, None, True]}),
    ({"p": [{"a": 1}, None]}, {"p": [None, dt.date(2026, 1, 1)]}),
    ({"p": [[1], None, "x"]}, {"p": [None, "deadbeefdeadbeefdeadbeefdeadbeef", [2]]}),
]


@pytest.mark.parametrize(("recorded", "live"), MISFITS)
def test_misfits_at_depth_get_the_reference_verdict(recorded: Any, live: Any) -> None:
    shape_of = pure_walker()
    assert_same_verdicts(shape_of(recorded), shape_of, [[live], [recorded], [recorded, live]])
    generated = checkgen.generate_value(shape_of(recorded), shape_of)
    assert generated is not None
    assert generated([recorded]) is True


def test_keys_and_labels_are_bound_never_pasted_into_the_source() -> None:
    """A shape read from a file may hold any text as a key or a label."""
    hostile = "x'] or __import__('os').system('exit 1') or ['"
    shape = ("dict", "dict", (hostile, "b\nreturn True"), ((("str", hostile),), (("int",),)))
    shape_of = pure_walker()
    for strict in (False, True):
        generated = checkgen.generate_value(shape, shape_of, strict=strict)
        reference = conform.pure_compile_value(shape, shape_of, strict=strict)
        assert generated is not None
        assert reference is not None
        live = {hostile: "text", "b\nreturn True": 1}
        assert generated([live]) == reference([live])
        assert generated([{"a": "text", "b": 1}]) is False


def test_shapes_of_one_structure_share_their_compiled_code() -> None:
    shape_of = pure_walker()
    first = checkgen.generate_value(shape_of({"id": 1, "name": "a"}), shape_of)
    second = checkgen.generate_value(shape_of({"pk": 2, "title": "b"}), shape_of)
    assert first is not None
    assert second is not None
    assert first.__code__ is second.__code__
    assert first([{"id": 1, "name": "b"}]) is True
    assert second([{"id": 1, "name": "b"}]) is False


def test_a_check_runs_the_closures_until_it_is_hot_then_the_generated_code() -> None:
    shape_of = pure_walker()
    value = {"id": 1, "tags": ["a", "b"]}
    check = checkgen.compile_value(shape_of({"id": 1, "tags": ["x"]}), shape_of, strict=False)
    assert check is not None
    assert check.__code__.co_name == "value_check"
    verdicts = {check([value]) for _ in range(checkgen.HOT_CALLS + 2)}
    assert check.__code__.co_name == "generated"
    assert verdicts == {True}
    assert check([{"id": "1", "tags": []}]) is False
    assert checkgen.compile_value(shape_of({"id": 1, "tags": ["x"]}), shape_of) is check


def test_a_check_of_arguments_becomes_generated_code_when_hot() -> None:
    shape_of = pure_walker()
    shape = args_shape(("user_id", "query"), [shape_of(42), shape_of({"limit": 20})])
    check = checkgen.compile_args(shape, shape_of, strict=True)
    assert check is not None
    for _ in range(checkgen.HOT_CALLS + 1):
        assert check(("user_id", "query"), [1, {"limit": 1}]) is True
    assert check.__code__.co_name == "generated"
    assert check(("user_id", "query"), [1, {"limit": None}]) is False
    assert check(("user_id",), [1]) is False


def test_an_undecidable_strict_check_is_none_as_in_the_reference() -> None:
    shape_of = pure_walker()
    shape = shape_of({"a": [1, "x", None, {"b": 1}]})
    assert conform.pure_compile_value(shape, shape_of, strict=True) is None
    assert checkgen.compile_value(shape, shape_of, strict=True) is None
    assert checkgen.compile_value(shape, shape_of, strict=False) is not None


def test_a_shape_too_large_to_write_out_keeps_the_closures() -> None:
    shape_of = pure_walker()
    value = {f"f{i}": {"a": i, "b": [i]} for i in range(checksource.MAX_NODES // 2)}
    check = checkgen.generate_value(shape_of(value), shape_of)
    assert check is not None
    assert getattr(check, "__code__", None) is None or check.__code__.co_name != "generated"
    assert check([value]) is True
