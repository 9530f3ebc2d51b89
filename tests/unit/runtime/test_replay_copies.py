"""Replayed values built once per distinct payload and handed out as copies
(`Rebuilder.replay`): the same values as a rebuild, never shared where they can change."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamrec.config import Limits
from seamrec.model.codec import make_packer, raw_tree
from seamrec.runtime.rebuild import Rebuilder, RebuildError, TypeResolver


class Colour(enum.Enum):
    RED = 1


def rebuilder() -> Rebuilder:
    return Rebuilder(TypeResolver(lambda module: module == __name__))


def tree_of(value: object) -> Any:
    return raw_tree(make_packer(Limits())(value))


VALUES = [
    {"user": {"id": 1, "at": dt.datetime(2024, 5, 1, tzinfo=dt.UTC)}, "rows": [{"a": 1}] * 3},
    [1, [2, [3, {"x": (4, [5])}]]],
    ("a", 1, 2.5, None, b"x"),
    {frozenset({1, 2}), 3},
    {"d": decimal.Decimal("1.5"), "u": uuid.UUID(int=5), "c": Colour.RED},
    {(1, 2): "tuple key"},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_every_replay_of_a_payload_equals_its_rebuild(value: object) -> None:
    tree = tree_of(value)
    builder = rebuilder()
    first, second = (builder.replay(tree, "return") for _ in range(2))

    assert value == first == second == builder.rebuild(tree, "return")
    assert type(value) is type(first) is type(second)


def test_a_changed_replayed_value_leaves_the_next_replay_as_recorded() -> None:
    value = {"rows": [{"n": 1}], "meta": {"tags": ["a"]}, "t": ([1],)}
    tree = tree_of(value)
    builder = rebuilder()
    first = builder.replay(tree, "return")
    first["rows"][0]["n"] = 99
    first["meta"]["tags"].append("b")
    first["t"][0].append(2)
    first["new"] = 1

    assert value == builder.replay(tree, "return")


def test_a_replayed_mutable_value_is_never_the_same_object_twice() -> None:
    tree = tree_of([{"a": 1}])
    builder = rebuilder()
    first, second = (builder.replay(tree, "return") for _ in range(2))

    assert first is not second
    assert first[0] is not second[0]


def test_an_object_is_rebuilt_at_every_replay() -> None:
    error = ValueError("boom")
    tree = tree_of(error)
    builder = rebuilder()
    first, second = (builder.replay(tree, "raise") for _ in range(2))

    assert first is not second
    assert type(first) is ValueError
    assert ("boom",) == first.args


def test_a_payload_that_cannot_be_rebuilt_fails_at_every_replay() -> None:
    tree = tree_of(object())  # an opaque value: only its type was recorded
    builder = rebuilder()

    for _ in range(2):
        with pytest.raises(RebuildError, match="cannot be rebuilt"):
            builder.replay(tree, "return")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=20,
)


@given(JSON)
def test_the_fast_replay_gives_what_the_walk_gives(value: object) -> None:
    tree = tree_of(value)
    builder = rebuilder()
    walked = builder._rebuild(tree, "return")
    replayed = [builder.replay(tree, "return") for _ in range(2)]

    assert all(r == walked and repr(r) == repr(walked) for r in replayed)
