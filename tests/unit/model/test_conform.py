"""seamrec.model.conform: the compiled checks of the hot path, on real values.

A recorded value's shape is compiled into a check; a live value passes it when it *fits*
(check mode: what `shape.compatible` accepts) or, `strict`, when its shape is exactly the
recorded one (record mode; None where that cannot be decided cheaply). A check that says
False is no verdict, the caller then compares shapes the careful way, so every check here
is also held against that careful answer: a fit never accepts what `compatible` rejects,
and a strict check accepts exactly the equal shapes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import io
import threading
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model.conform import compile_args, compile_value
from seamrec.model.shape import args_shape, compatible, make_shape_function, self_shape

shape_of = make_shape_function()
ID = str(uuid.UUID(int=1))
OTHER_ID = str(uuid.UUID(int=2))
NAIVE = dt.datetime(2024, 1, 2, 3, 4, 5)
AWARE = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Size(enum.Enum):
    SMALL = 1


class Account:
    """A plain object, walked by its fields (an "obj" shape)."""

    def __init__(self, owner: object) -> None:
        self.owner = owner


def cycle() -> list[Any]:
    """A list that contains itself: its shape is cut where the cycle closes."""
    loop: list[Any] = []
    loop.append(loop)
    return loop


def nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth):
        value = [value]
    return value


def fit(recorded: object, *live: object) -> bool:
    """Does the column `live` fit the compiled shape of `recorded` (check mode)?"""
    check = compile_value(shape_of(recorded), shape_of)
    assert check is not None  # a fit check always exists
    return check(list(live))


def strictly(recorded: object, *live: object) -> bool | None:
    """Does the column `live` have exactly the shape of `recorded` (None: not decidable)?"""
    check = compile_value(shape_of(recorded), shape_of, strict=True)
    return None if check is None else check(list(live))


# (recorded, live, fits, strictly): every shape kind, alone and inside containers
CASES = [
    # plain leaves: the exact type, no subclasses, no numeric tower
    pytest.param(1, 2, True, True, id="int"),
    pytest.param(1, "1", False, False, id="int-becomes-str"),
    pytest.param(1, True, False, False, id="int-becomes-bool"),
    pytest.param(1.5, 2, False, False, id="float-becomes-int"),
    pytest.param(1, 2.5, False, False, id="int-becomes-float"),
    pytest.param(None, None, True, True, id="none"),
    pytest.param(None, 0, False, False, id="none-becomes-int"),
    pytest.param(b"a", b"b", True, True, id="bytes"),
    pytest.param("a", "b", True, True, id="str"),
    pytest.param(decimal.Decimal("1.5"), decimal.Decimal("2"), True, True, id="decimal"),
    # formats: kept, lost, refined
    pytest.param(ID, OTHER_ID, True, True, id="uuid-text"),
    pytest.param(ID, "hello", False, False, id="uuid-text-becomes-plain"),
    pytest.param("hello", ID, True, False, id="plain-text-becomes-uuid"),
    pytest.param("ada@example.org", "bob@example.com", True, True, id="email"),
    pytest.param("2024-01-02", "2024-01-02T10:00:00Z", False, False, id="date-becomes-datetime"),
    pytest.param("https://a.example/x", "http://b.example/y", True, True, id="url"),
    pytest.param(1_700_000_000, 1_800_000_000, True, True, id="epoch-seconds"),
    pytest.param(1_700_000_000, 1_700_000_000_000, False, False, id="epoch-s-becomes-ms"),
    pytest.param(1_700_000_000, 5, True, False, id="epoch-becomes-small-int"),
    # dicts: the same keys in the same order, each field fitting
    pytest.param({"a": 1, "b": "x"}, {"a": 2, "b": "y"}, True, True, id="dict"),
    pytest.param({"a": 1}, {"b": 1}, False, False, id="dict-key-renamed"),
    pytest.param({"a": 1}, {"a": 1, "b": 2}, False, False, id="dict-key-added"),
    pytest.param({"a": 1}, {"a": "1"}, False, False, id="dict-field-type-changed"),
    pytest.param({"a": 1}, {"a": None}, False, False, id="dict-field-becomes-none"),
    pytest.param({"id": ID}, {"id": OTHER_ID}, True, True, id="dict-format-field"),
    pytest.param({"id": ID}, {"id": "x"}, False, False, id="dict-format-field-lost"),
    pytest.param({}, {}, True, True, id="dict-empty"),
    pytest.param({}, {"a": 1}, False, False, id="dict-empty-gets-a-key"),
    pytest.param({"a": {"b": [1]}}, {"a": {"b": [2, 3]}}, True, True, id="dict-nested"),
    pytest.param({"a": {"b": [1]}}, {"a": {"b": ["2"]}}, False, False, id="dict-nested-drift"),
    pytest.param({"a": 1}, [1], False, False, id="dict-becomes-list"),
    # lists: items fit the union of the recorded items; empty lists
    pytest.param([1, 2], [3], True, True, id="list"),
    pytest.param([1], [], True, False, id="list-live-empty"),
    pytest.param([], [1], True, False, id="list-recorded-empty"),
    pytest.param([], [], True, True, id="list-both-empty"),
    pytest.param([1, "x"], ["y"], True, False, id="list-union-subset"),
    pytest.param([1, "x"], [None], False, False, id="list-union-other-type"),
    pytest.param([1], (1,), False, False, id="list-becomes-tuple"),
    pytest.param([{"a": 1}, {"a": None}], [{"a": None}], True, False, id="list-dicts-union"),
    pytest.param([{"a": 1}], [{"a": 1}, {"b": 1}], False, False, id="list-dicts-key-renamed"),
    pytest.param([[1], ["x"]], [[2]], True, False, id="list-of-lists-union"),
    # tuples: positional
    pytest.param((1, "a"), (2, "b"), True, True, id="tuple"),
    pytest.param((1, "a"), (1,), False, False, id="tuple-shorter"),
    pytest.param((1, "a"), ("a", 1), False, False, id="tuple-swapped"),
    pytest.param((), (), True, True, id="tuple-empty"),
    # sets and objects: compared shape by shape; no cheap strict check
    pytest.param({1, 2}, {3}, True, None, id="set"),
    pytest.param({1}, {"x"}, False, None, id="set-item-type-changed"),
    pytest.param(Account(1), Account(2), True, None, id="obj"),
    pytest.param(Account(1), Account("x"), False, None, id="obj-field-type-changed"),
    # enums, opaque values, clocks: by type (and time zone awareness)
    pytest.param(Color.RED, Color.GREEN, True, True, id="enum"),
    pytest.param(Color.RED, Size.SMALL, False, False, id="enum-other-class"),
    pytest.param(threading.Lock(), threading.Lock(), True, True, id="opaque"),
    pytest.param(threading.Lock(), io.StringIO(), False, False, id="opaque-other-class"),
    pytest.param(NAIVE, NAIVE, True, True, id="datetime-naive"),
    pytest.param(AWARE, AWARE, True, True, id="datetime-aware"),
    pytest.param(NAIVE, AWARE, False, False, id="datetime-becomes-aware"),
    pytest.param(dt.time(1), dt.time(2), True, True, id="time"),
    pytest.param(dt.time(1), dt.time(1, tzinfo=dt.UTC), False, False, id="time-becomes-aware"),
    pytest.param(NAIVE, dt.time(1), False, False, id="datetime-becomes-time"),
    # cut shapes: a cycle or a walk too deep ends in a "cut" leaf
    pytest.param(cycle(), cycle(), True, None, id="cut-cycle"),
    pytest.param(nested(40), nested(40), True, None, id="cut-depth"),
    pytest.param(nested(40), [1], False, None, id="cut-depth-becomes-flat"),
]


@pytest.mark.parametrize(("recorded", "live", "fits", "strict"), CASES)
def test_a_live_value_fits_or_strictly_matches_its_recorded_shape(
    recorded: object, live: object, fits: bool, strict: bool | None
) -> None:
    assert (fits, strict) == (fit(recorded, live), strictly(recorded, live))


@pytest.mark.parametrize(("recorded", "live", "fits", "strict"), CASES)
def test_the_checks_agree_with_the_careful_comparison(
    recorded: object, live: object, fits: bool, strict: bool | None
) -> None:
    expected, found = shape_of(recorded), shape_of(live)

    assert fits == compatible(expected, found)
    if strict is not None:
        assert strict == (expected == found)


def test_a_dict_with_its_keys_reordered_is_left_to_the_careful_comparison() -> None:
    """Key order is compared by position in the hot path: a reordered dict is no quick
    fit, and the careful comparison (which accepts it) decides."""
    recorded, live = {"a": 1, "b": 2}, {"b": 2, "a": 1}

    assert (False, False) == (fit(recorded, live), strictly(recorded, live))
    assert compatible(shape_of(recorded), shape_of(live))


@pytest.mark.parametrize(
    ("recorded", "column", "fits", "strict"),
    [
        pytest.param([1], [1, 2, 3], True, True, id="ints"),
        pytest.param([1], [1, "x"], False, False, id="one-str-among-ints"),
        pytest.param([1, "x"], [1, 2], True, False, id="ints-fit-int-or-str"),
        pytest.param([ID], [ID, OTHER_ID], True, True, id="uuids"),
        pytest.param([ID], [ID, "plain"], False, False, id="one-uuid-lost"),
        pytest.param([ID, "plain"], ["plain", ID], True, True, id="uuid-or-plain"),
        pytest.param([1, ID], [OTHER_ID, 2], True, True, id="int-or-uuid"),
        pytest.param([1, ID], [2, "plain"], False, False, id="int-or-uuid-lost"),
        pytest.param([{"a": 1}], [{"a": 1}, {"a": 2}], True, True, id="dicts"),
        pytest.param([{"a": 1}], [{"a": 1}, {"b": 2}], False, False, id="dicts-one-renamed"),
        pytest.param([{"a": 1}], [{"a": 1}, {"a": "2"}], False, False, id="dicts-one-retyped"),
        pytest.param([{"a": 1}], [{"a": 1}, [1]], False, False, id="dicts-and-a-list"),
        pytest.param([{"id": ID}], [{"id": ID}, {"id": OTHER_ID}], True, True, id="dicts-uuid"),
        pytest.param([{"id": ID}], [{"id": ID}, {"id": "x"}], False, False, id="dicts-uuid-lost"),
        pytest.param([{}], [{}, {}], True, True, id="empty-dicts"),
        pytest.param(
            [{"a": 1, "b": None}, {"a": 2, "b": 3}],
            [{"a": "x", "b": None}],
            False,
            False,
            id="dict-with-a-union-field-and-a-retyped-plain-field",
        ),
        pytest.param([{"a": [1]}], [{"a": [1]}, {"a": ["x"]}], False, False, id="dicts-deep"),
        pytest.param([[1]], [[1], [2, 3], []], True, True, id="lists-one-empty"),
        pytest.param([[1]], [[1], ["x"]], False, False, id="lists-one-str"),
        pytest.param([[1]], [[1], (1,)], False, False, id="lists-and-a-tuple"),
        pytest.param([(1, "a")], [(1, "a"), (2, "b")], True, True, id="tuples"),
        pytest.param([(1, "a")], [(1, "a"), (1,)], False, False, id="tuples-one-shorter"),
        pytest.param([(1, "a")], [(1, "a"), (1, 2)], False, False, id="tuples-one-retyped"),
        pytest.param([()], [(), ()], True, True, id="empty-tuples"),
        pytest.param([NAIVE], [NAIVE, AWARE], False, False, id="datetimes-one-aware"),
        pytest.param([Color.RED], [Color.RED, Color.GREEN], True, True, id="enums"),
    ],
)
def test_a_column_of_values_is_checked_at_once(
    recorded: list[Any], column: list[Any], fits: bool, strict: bool | None
) -> None:
    """The items of a list are one column: the item check sees all of them in one call."""
    assert (fits, strict) == (fit(recorded, column), strictly(recorded, column))
    assert fits == compatible(shape_of(recorded), shape_of(column))
    if strict is not None:
        assert strict == (shape_of(recorded) == shape_of(column))


def test_every_value_fits_and_strictly_matches_its_own_shape() -> None:
    for param in CASES:
        recorded = param.values[0]
        assert fit(recorded, recorded), param.id
        assert strictly(recorded, recorded) in (True, None), param.id


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from("abc"), children)
    ),
    max_leaves=12,
)


@settings(max_examples=examples(300), deadline=None)
@given(json_values, json_values)
def test_a_fit_is_never_looser_and_a_strict_match_never_other_than_the_shapes(
    recorded: object, live: object
) -> None:
    expected, found = shape_of(recorded), shape_of(live)

    if fit(recorded, live):
        assert compatible(expected, found)
    strict = strictly(recorded, live)
    if strict is not None:
        assert strict == (expected == found)
    assert fit(recorded, recorded)


# --------------------------------------------------------------------------- bound arguments


def test_bound_arguments_fit_by_name_and_value() -> None:
    shape = args_shape(("user_id", "fields"), [shape_of(1), shape_of(["name"])])
    check = compile_args(shape, shape_of)
    assert check is not None

    assert check(("user_id", "fields"), [2, ["email", "zip"]])
    assert check(("user_id", "fields"), [2, []])  # an empty list fits any list
    assert not check(("user_id", "fields"), ["2", ["email"]])
    assert not check(("user", "fields"), [2, ["email"]])  # a parameter renamed
    assert not check(("user_id",), [2])  # a parameter dropped


def test_bound_arguments_strictly_match_only_the_same_shapes() -> None:
    shape = args_shape(("user_id", "fields"), [shape_of(1), shape_of(["name"])])
    check = compile_args(shape, shape_of, strict=True)
    assert check is not None

    assert check(("user_id", "fields"), [2, ["email", "zip"]])
    assert not check(("user_id", "fields"), [2, []])


def test_self_is_checked_by_its_class_alone() -> None:
    shape = args_shape(("self", "owner"), [self_shape(Account(1)), shape_of("ada")])
    check = compile_args(shape, shape_of)
    assert check is not None

    assert check(("self", "owner"), [Account("anything"), "bob"])
    assert check(("self", "owner"), [Account, "bob"])  # a classmethod's `cls`
    assert not check(("self", "owner"), [Color.RED, "bob"])


def test_a_strict_argument_check_is_none_when_an_argument_is_not_cheaply_decidable() -> None:
    shape = args_shape(("items",), [shape_of({1, 2})])

    assert compile_args(shape, shape_of, strict=True) is None
    loose = compile_args(shape, shape_of)
    assert loose is not None
    assert loose(("items",), [{3}])
    assert not loose(("items",), [{"x"}])


def test_a_shape_that_is_no_argument_list_compiles_to_no_argument_check() -> None:
    assert compile_args(shape_of({"user_id": 1}), shape_of) is None
