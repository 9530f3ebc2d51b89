"""The compiled dict checks' one-pass path (each key compared with the recorded key object
by identity) gives the pure reference's verdicts: rows whose keys are the recorded
objects, equal copies of them, str subclasses, reordered, missing or extra keys, with a
value of another type in any row, checked as one value and as a column, fit and strict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model import accel, conform
from seamrec.model.shape import make_shape_function

pytestmark = pytest.mark.skipif(accel.compiled is None, reason=f"no accelerator: {accel.missing}")

KEYS = ("id", "total", "sku", "status", "note")
ROW = {"id": 1, "total": 12.5, "sku": "A-1", "status": "paid", "note": None}
CREATED = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


class Key(str):
    """A str subclass: equal to a recorded key, but not a str C compares itself."""


def copied(key: str) -> str:
    """An equal key that is another object (not the interned literal)."""
    fresh = "".join(list(key + "!"))[:-1]
    assert fresh == key
    assert fresh is not key
    return fresh


KEY_FORMS = st.sampled_from(["same", "copy", "subclass"])
CHANGES = st.sampled_from(["none", "reorder", "drop", "extra", "retype", "nested", "email"])


@st.composite
def rows(draw: st.DrawFn) -> dict[Any, Any]:
    """One row: the recorded keys in one of their forms, maybe changed."""
    form = draw(KEY_FORMS)
    change = draw(CHANGES)
    keys = [k if form == "same" else copied(k) if form == "copy" else Key(k) for k in KEYS]
    values = [draw(st.integers(0, 9)), 12.5, "A-1", "paid", None]
    if change == "retype":
        values[draw(st.integers(0, 4))] = draw(st.sampled_from(["1", 1, 1.0, None, (1,)]))
    if change == "nested":
        values[4] = {"created_at": CREATED}
    if change == "email":
        values[2] = "someone@example.com"
    pairs = list(zip(keys, values, strict=True))
    if change == "reorder":
        pairs = pairs[1:] + pairs[:1]
    if change == "drop":
        del pairs[draw(st.integers(0, 4))]
    if change == "extra":
        pairs.append(("more", 1))
    return dict(pairs)


RECORDED = [
    [dict(ROW, id=i) for i in range(3)],
    [dict(ROW, id=1, note={"created_at": CREATED})],
    [dict(ROW, sku="someone@example.com")],
    [dict(ROW, note=None), dict(ROW, note="x")],
    # keys of another object than the live ones (as decoded from a cassette)
    [{copied(k): v for k, v in ROW.items()}, {copied(k): v for k, v in ROW.items()}],
]

PROPERTIES = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def verdicts(recorded: Any, live: list[Any], strict: bool) -> tuple[Any, Any]:
    compiled_walk = make_shape_function(32)
    pure_walk = accel.pure_walker(compiled_walk)
    shape = pure_walk(recorded)
    fast = accel.compile_value(shape, compiled_walk, strict=strict)
    slow = conform.pure_compile_value(shape, pure_walk, strict=strict)
    assert (fast is None) == (slow is None)
    if fast is None or slow is None:
        return None, None
    return fast(list(live)), slow(list(live))


@PROPERTIES
@given(
    st.sampled_from(RECORDED),
    st.lists(st.one_of(rows(), rows(), st.sampled_from([1, None, []])), max_size=5),
    st.booleans(),
)
def test_a_list_of_rows_gets_the_pure_verdict(
    recorded: list[Any], live: list[Any], strict: bool
) -> None:
    fast, slow = verdicts(recorded, [live], strict)
    assert fast == slow


@PROPERTIES
@given(st.sampled_from(RECORDED), rows(), st.booleans())
def test_one_row_gets_the_pure_verdict(recorded: list[Any], live: Any, strict: bool) -> None:
    fast, slow = verdicts(recorded[0], [live], strict)
    assert fast == slow


@PROPERTIES
@given(st.sampled_from(RECORDED), st.lists(rows(), min_size=2, max_size=5), st.booleans())
def test_a_column_of_rows_gets_the_pure_verdict(
    recorded: list[Any], live: list[Any], strict: bool
) -> None:
    fast, slow = verdicts(recorded[0], live, strict)
    assert fast == slow


def test_rows_of_the_recorded_key_objects_fit_and_a_retyped_one_does_not() -> None:
    """The one-pass path decides both ways (a check that cannot fail would pass here too)."""
    recorded = [dict(ROW, id=i) for i in range(3)]
    assert verdicts(recorded, [[dict(ROW, id=i) for i in range(19)]], False) == (True, True)
    retyped = [dict(ROW, id=i) for i in range(19)]
    retyped[7]["total"] = 12
    assert verdicts(recorded, [retyped], False) == (False, False)
    copies = [{copied(k): v for k, v in row.items()} for row in recorded]
    assert verdicts(recorded, [copies], False) == (True, True)
    assert verdicts(copies, [[dict(ROW, id=i) for i in range(19)]], False) == (True, True)
    assert verdicts(copies, [retyped], False) == (False, False)
