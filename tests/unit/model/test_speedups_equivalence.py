"""The compiled hot path (seamrec.model._speedups) and the pure Python reference agree:
the same shapes, the same check verdicts (fit and strict, one value and a column, bound
arguments), and the same cassette bytes from a recording run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import math
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import LayeredApp, examples
from seamrec.model import accel, conform
from seamrec.model.classify import Classifier
from seamrec.model.shape import Shape, args_shape, make_shape_function

pytestmark = pytest.mark.skipif(accel.compiled is None, reason=f"no accelerator: {accel.missing}")

HERE = __name__


@dataclasses.dataclass
class Box:
    content: Any


class Sku(str):
    """A str subclass: a leaf of its own, and an unusual dict key."""


FORMATTED = [
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "2026-01-01 10:00:00.123+02:00",
    "10:00:00",
    "12345678-1234-1234-1234-123456789abc",
    "deadbeefdeadbeefdeadbeefdeadbeef",
    "aGVsbG8gd29ybGQhIQ12AbCdEfGh",
    "someone@example.com",
    "https://example.com/a",
    "127.0.0.1",
    "::1",
    "42",
    "4.2",
    "1,234,567",
    "Mon, 07 Dec 2026 04:40:34 GMT",
    "eyJhbGciOi.eyJzdWIi.c2ln",
    "<redacted>",
    "paid",
    "",
    "x" * 5000,
]
EPOCHS = [946_684_800, 1_700_000_000, 1_700_000_000_000, 1_700_000_000_000_000, 2**70]


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.sampled_from(EPOCHS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1.7e9, 1.7e12, float("nan")]),
        st.text(max_size=6),
        st.sampled_from(FORMATTED),
        st.binary(max_size=6),
        st.sampled_from([b"deadbeefdeadbeefdeadbeef01", b"\xff\xfe"]),
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
        st.just(complex(1, 2)),
        st.just(Sku("A-1")),
        st.just(Box(1)),
    )


KEYS = st.one_of(
    st.sampled_from(["id", "name", "email", "items", "created", "x"]),
    st.sampled_from(["not an identifier", "1st", ""]),
    st.integers(min_value=-3, max_value=3),
    st.just(Sku("sku")),
)


def values() -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(KEYS, children, max_size=4),
            # rows of records: the columnar paths (several key sets, several types)
            st.lists(
                st.fixed_dictionaries(
                    {"id": st.integers(0, 9), "name": children},
                    optional={"tags": st.lists(children, max_size=2)},
                ),
                max_size=4,
            ),
        ),
        max_leaves=12,
    )


PROPERTIES = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def walkers(max_depth: int = 32) -> tuple[Any, Any]:
    compiled = make_shape_function(max_depth)
    return compiled, accel.pure_walker(compiled)


@PROPERTIES
@given(values())
def test_the_same_shapes(value: Any) -> None:
    compiled, pure = walkers()
    assert compiled(value) == pure(value)


@PROPERTIES
@given(values(), st.integers(1, 4))
def test_the_same_shapes_at_the_depth_and_node_limits(value: Any, depth: int) -> None:
    compiled = make_shape_function(depth, max_nodes=6)
    assert compiled(value) == accel.pure_walker(compiled)(value)


def verdicts(recorded: Shape, live: list[Any], strict: bool) -> tuple[Any, Any]:
    compiled_walk, pure_walk = walkers()
    fast = accel.compile_value(recorded, compiled_walk, strict=strict)
    slow = conform.pure_compile_value(recorded, pure_walk, strict=strict)
    assert (fast is None) == (slow is None)
    if fast is None or slow is None:
        return None, None
    return fast(list(live)), slow(list(live))


@PROPERTIES
@given(values(), values(), st.booleans())
def test_the_same_verdict_on_one_value(recorded: Any, live: Any, strict: bool) -> None:
    shape = accel.pure_walker(make_shape_function())(recorded)
    assert verdicts(shape, [live], strict)[0] == verdicts(shape, [live], strict)[1]
    fast, slow = verdicts(shape, [recorded], strict)
    assert fast == slow


@PROPERTIES
@given(values(), st.lists(values(), max_size=4), st.booleans())
def test_the_same_verdict_on_a_column(recorded: Any, column: list[Any], strict: bool) -> None:
    shape = accel.pure_walker(make_shape_function())(recorded)
    fast, slow = verdicts(shape, column, strict)
    assert fast == slow


@PROPERTIES
@given(values(), values(), st.booleans())
def test_the_same_verdict_on_a_column_of_the_recorded_kind(
    first: Any, second: Any, strict: bool
) -> None:
    """A recorded list of values is checked as one column of its items."""
    pure = accel.pure_walker(make_shape_function())
    shape = pure([first, second])
    for live in ([first, second], [second, first, first], [first], []):
        fast, slow = verdicts(shape, [live], strict)
        assert fast == slow


@PROPERTIES
@given(st.lists(values(), min_size=1, max_size=3), st.lists(values(), max_size=3))
def test_the_same_verdict_on_bound_arguments(recorded: list[Any], live: list[Any]) -> None:
    compiled_walk, pure_walk = walkers()
    names = tuple(f"a{i}" for i in range(len(recorded)))
    shape = args_shape(names, [pure_walk(v) for v in recorded])
    live_names = tuple(f"a{i}" for i in range(len(live)))
    for strict in (False, True):
        fast = accel.compile_args(shape, compiled_walk, strict=strict)
        slow = conform.pure_compile_args(shape, pure_walk, strict=strict)
        assert (fast is None) == (slow is None)
        if fast is not None and slow is not None:
            assert fast(live_names, live) == slow(live_names, live)
            assert fast(names, recorded) == slow(names, recorded)


class Service:
    pass


def test_self_is_checked_by_type_path() -> None:
    shape = ("args", ("self", "n"), ((("self", f"{HERE}.Service"),), (("int",),)))
    compiled_walk, pure_walk = walkers()
    fast = accel.compile_args(shape, compiled_walk)
    slow = conform.pure_compile_args(shape, pure_walk)
    assert fast is not None
    assert slow is not None
    for live in ([Service(), 1], [Service, 1], [Box(1), 1], [Service(), "1"]):
        assert fast(("self", "n"), live) == slow(("self", "n"), live)
    assert fast(("self", "n"), [Service(), 1]) is True
    assert fast(("self", "n"), [Box(1), 1]) is False


def test_a_value_c_does_not_walk_falls_back_to_python() -> None:
    compiled, pure = walkers()
    for value in (Box([1, 2]), {"when": dt.datetime(2026, 1, 1)}, [math.nan, Box(1)]):
        assert compiled(value) == pure(value)


def test_clocks_the_classifier_keeps_opaque_are_left_to_python() -> None:
    classifier = Classifier(opaque_types=("datetime.datetime",))
    compiled = make_shape_function(classifier=classifier)
    value = {"at": dt.datetime(2026, 1, 1), "when": [dt.time(1), dt.time(2, tzinfo=dt.UTC)]}
    assert compiled(value) == accel.pure_walker(compiled)(value)
    assert ("opaque", "datetime.datetime") in compiled(value)[3][0]


def test_a_cycle_is_cut_as_in_python() -> None:
    compiled, pure = walkers()
    loop: list[Any] = [1]
    loop.append(loop)
    assert compiled(loop) == pure(loop)
    assert "cut" in repr(compiled(loop))


APP = """
def order(n):
    return {
        "id": n, "sku": f"SKU-{n}", "total": 12.5 * n, "paid": n % 2 == 0,
        "created": "2026-01-0%dT10:00:00Z" % (n + 1),
        "token": "deadbeefdeadbeefdeadbeef%08x" % n,
        "lines": [{"sku": "A", "qty": n, "at": 1_700_000_000 + n}, {"sku": "B", "qty": 1}],
        "meta": {1: "x", 2: None}, "pair": (n, "x"),
    }

def orders(count):
    return [order(n) for n in range(count)]
"""
CALLER = """
from app.repo import order, orders

def summary(n):
    return [order(i)["total"] for i in range(n)] + [len(orders(n))]
"""
TESTS = """
from app.api import summary

def test_summary():
    assert summary(3)[-1] == 3

def test_more():
    assert summary(5)[-1] == 5
"""


@pytest.mark.subprocess_runs  # the accelerator is chosen when seamrec is imported
def test_the_same_cassette_bytes(layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recording run writes the same bytes with and without the accelerator."""
    layered_app.write("app/repo.py", APP)
    layered_app.write("app/api.py", CALLER)
    layered_app.write("tests/test_api.py", TESTS)
    layered_app.record().assert_outcomes(passed=2)
    compiled = layered_app.recorded()
    monkeypatch.setenv("SEAMREC_PURE", "1")
    layered_app.record().assert_outcomes(passed=2)
    assert layered_app.recorded() == compiled
    assert compiled
    layered_app.check().assert_outcomes(passed=2)


def test_builtin_data_is_walked_in_c_and_other_values_are_not() -> None:
    assert accel.compiled is not None
    walk = accel.compiled.Walker(32, 200_000)
    record = {"id": 1, "tags": ["a"], "pair": (1, None), "meta": {1: b"x"}, "at": 1.7e9}
    assert walk(record) == accel.pure_walker(make_shape_function())(record)
    assert walk([record, {**record, "extra": 2}]) is not None
    assert walk({"box": Box(1)}) is None  # the classifier decides: Python walks it
    assert walk({Sku("k"): 1}) is None  # a key C does not compare
