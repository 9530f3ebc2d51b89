"""Shapes kept for a run are not walked by the garbage collector: the shapes read from
cassettes (and the cassettes a record run keeps, `cassette.settled`) are untracked at
once (items first), where the collector itself would untrack a shape made parent first
one level per full collection; a tuple holding anything else stays tracked."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import msgpack
import pytest

from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.model import accel
from seamrec.model.shape import args_shape, make_shape_function

compiled = pytest.mark.skipif(accel.compiled is None, reason="untracked by the C extension")
VALUE = {"id": 7, "lines": [{"sku": "A-1", "qty": 2, "tags": ("x", 1)}], "total": "9.99"}


def tracked_tuples(value: Any) -> int:
    """How many exact tuples of `value` (itself included) the collector tracks."""
    if type(value) is not tuple:
        return 0
    return int(gc.is_tracked(value)) + sum(tracked_tuples(item) for item in value)


def parent_first(shape: Any) -> Any:
    """`shape` as msgpack reads it back: each tuple made before its items."""
    return msgpack.unpackb(msgpack.packb(shape), use_list=False)


@compiled
def test_untrack_untracks_every_tuple_of_a_shape_made_parent_first() -> None:
    shape = parent_first(make_shape_function()(VALUE))
    assert tracked_tuples(shape) > 3  # what a collection would leave, all but one level

    found = accel.untrack(shape)

    assert found is shape
    assert 0 == tracked_tuples(shape)


@compiled
def test_a_tuple_holding_a_tracked_object_stays_tracked_and_its_atoms_do_not() -> None:
    atoms = parent_first(("dict", ("a", "b"), (("int",),)))
    holder = ("x", [1], atoms)

    accel.untrack(holder)

    assert gc.is_tracked(holder)
    assert 0 == tracked_tuples(atoms)


@compiled
def test_a_shape_deeper_than_the_limit_is_left_to_the_collector() -> None:
    deep: Any = ("int",)
    for _ in range(200):
        deep = ("coll", "list", (deep,))
    deep = parent_first(deep)  # 401 levels of tuples
    innermost = deep
    for _ in range(200):
        innermost = innermost[2][0]

    accel.untrack(deep)  # stops 256 levels down (the C stack)

    assert ("int",) == innermost
    assert gc.is_tracked(innermost)  # never reached
    assert gc.is_tracked(deep)  # so neither is any tuple above it


@compiled
def test_shapes_read_from_a_cassette_are_not_tracked(tmp_path: Path) -> None:
    shape_of = make_shape_function()
    args = args_shape(("order",), [shape_of({"ref": "never-seen-before", "n": [1]})])
    result = shape_of({"unique_key_of_this_test": [{"x": 1.5}]})
    original = Cassette(
        "tests/test_a.py::test_it",
        [Call("app:f", "app.api", 0, args, "return", result, None, None)],
        {"app:f": [Run(args, "return", result, 2)]},
    )

    found = loads(dump(original), path=tmp_path / "c.msgpack", payloads=False)

    assert found.runs == original.runs
    assert 0 == tracked_tuples(found.runs["app:f"][0].args_shape)
    assert 0 == tracked_tuples(found.runs["app:f"][0].result_shape)


def test_untrack_gives_back_the_value_it_was_given() -> None:
    shape = parent_first(("dict", ("a",), (("int",),)))

    assert accel.untrack(shape) is shape
    assert ("dict", ("a",), (("int",),)) == shape
