"""The compiled key and copier of replayed values (`accel.tree_key`, `accel.fresh_copy`)
against their pure references: two payload trees have equal keys exactly when they pack
to the same bytes, and a compiled copy equals the copy plan's, sharing no container."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.config import Limits
from seamrec.model import accel
from seamrec.model.codec import make_packer, pack, raw_tree
from seamrec.runtime.rebuild import Rebuilder, TypeResolver, _copy_plan

pytestmark = pytest.mark.skipif(accel.compiled is None, reason=f"no accelerator: {accel.missing}")


class Colour(enum.Enum):
    RED = 1


LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=True)
    | st.sampled_from([0.0, -0.0, 1.0, 1, True, 0, False])
    | st.text(max_size=5)
    | st.binary(max_size=5)
    | st.builds(msgpack.ExtType, st.integers(0, 3), st.binary(max_size=4))
)
TREES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), inner, max_size=4)
    ),
    max_leaves=12,
)


def key(tree: Any) -> Any:
    assert accel.tree_key is not None
    return accel.tree_key(tree)


@settings(max_examples=examples(150))
@given(TREES, TREES)
def test_two_trees_have_equal_keys_exactly_when_they_pack_alike(first: Any, second: Any) -> None:
    assert (pack(first) == pack(second)) == (key(first) == key(second))


@settings(max_examples=examples(100))
@given(TREES)
def test_a_tree_and_its_decoded_bytes_have_equal_keys_and_hashes(tree: Any) -> None:
    again = raw_tree(pack(tree))

    assert key(tree) == key(again)
    assert hash(key(tree)) == hash(key(again))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, 1.0),
        (1, True),
        (0.0, -0.0),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ([1, [2]], [1, [2.0]]),
        (msgpack.ExtType(1, b"x"), msgpack.ExtType(2, b"x")),
    ],
)
def test_values_that_compare_equal_but_pack_apart_have_different_keys(
    first: Any, second: Any
) -> None:
    assert pack(first) != pack(second)
    assert key(first) != key(second)


def test_a_tree_too_deep_for_a_key_is_refused() -> None:
    deep: Any = 1
    for _ in range(100):
        deep = [deep]

    with pytest.raises(ValueError, match="too deep"):
        key(deep)


VALUES = [
    {"user": {"id": 1, "at": dt.datetime(2024, 5, 1, tzinfo=dt.UTC)}, "rows": [{"a": 1}] * 3},
    [1, [2, [3, {"x": (4, [5])}]]],
    ("a", 1, 2.5, None, b"x", (1, 2)),
    [{1, 2}, frozenset({3}), bytearray(b"ab"), (bytearray(b"c"),)],
    {"d": decimal.Decimal("1.5"), "u": uuid.UUID(int=5), "c": Colour.RED, "e": []},
    {(1, 2): "tuple key", "nested": {"deeper": [{"k": [1]}]}},
]


def containers(value: Any) -> list[Any]:
    """The mutable containers in `value`, outermost first."""
    found = []
    if type(value) in (list, dict, set, bytearray):
        found.append(value)
    if type(value) in (list, tuple, set, frozenset):
        for item in value:
            found.extend(containers(item))
    if type(value) is dict:
        for item in value.values():
            found.extend(containers(item))
    return found


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_a_compiled_copy_is_the_copy_plans_copy(value: Any) -> None:
    assert accel.fresh_copy is not None
    plan = _copy_plan(value, 0)
    assert plan is not None

    compiled = accel.fresh_copy(value)
    planned = plan() if callable(plan) else value  # a shared plan: the value itself

    assert value == compiled == planned
    assert repr(planned) == repr(compiled)  # the same types and order everywhere
    shared = {id(c) for c in containers(value)} & {id(c) for c in containers(compiled)}
    assert not shared
    assert (compiled is value) == (planned is value)


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_a_replayed_value_changed_by_its_caller_leaves_the_next_one_as_recorded(
    value: Any,
) -> None:
    tree = raw_tree(make_packer(Limits())(value))
    builder = Rebuilder(TypeResolver(lambda module: module == __name__))
    first = builder.replay(tree, "return")
    for container in containers(first):
        if type(container) is list:
            container.append("changed")
        elif type(container) is dict:
            container["changed"] = True
    second = builder.replay(raw_tree(make_packer(Limits())(value)), "return")

    assert value == second
