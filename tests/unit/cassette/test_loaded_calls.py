"""What a loaded cassette keeps for replay: each call's result bytes as read, and its
calls found by (seam, index) through an index that follows changes of the list."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.model.codec import pack

SEAM = "shop.orders:get"


def call(index: int, result: object, seam: str = SEAM) -> Call:
    return Call(seam, "shop.api", index, ("int",), "return", ("int",), [index], result)


def cassette(*calls: Call) -> Cassette:
    runs = {c.seam: [Run(("int",), "return", ("int",), len(calls))] for c in calls}
    return Cassette(test="tests/test_a.py::t", calls=list(calls), runs=runs)


def test_a_loaded_call_keeps_the_bytes_of_its_result() -> None:
    loaded = loads(dump(cassette(call(0, {"a": [1, 2]}))), path=Path("a.msgpack"))

    assert pack({"a": [1, 2]}) == loaded.calls[0].packed_result


def test_a_call_made_or_replaced_in_memory_has_no_result_bytes() -> None:
    loaded = loads(dump(cassette(call(0, 1))), path=Path("a.msgpack"))
    replaced = dataclasses.replace(loaded.calls[0], result=2)

    assert call(0, 1).packed_result is None
    assert replaced.packed_result is None


def test_the_result_bytes_take_no_part_in_equality() -> None:
    made = cassette(call(0, 1))

    assert made == loads(dump(made), path=Path("a.msgpack"))


def test_detail_finds_the_first_call_at_a_position() -> None:
    first, again = call(0, "first"), call(0, "again")
    made = cassette(first, again, call(1, "b"), call(0, "other", seam="x:y"))

    assert made.detail(SEAM, 0) is first
    assert "b" == made.detail(SEAM, 1).result  # type: ignore[union-attr]
    assert made.detail(SEAM, 2) is None
    assert "other" == made.detail("x:y", 0).result  # type: ignore[union-attr]


def test_detail_follows_calls_added_replaced_or_swapped() -> None:
    made = cassette(call(0, "a"))
    assert made.detail(SEAM, 1) is None

    made.calls.append(call(1, "b"))
    assert "b" == made.detail(SEAM, 1).result  # type: ignore[union-attr]

    made.calls[1] = call(1, "c")
    assert "c" == made.detail(SEAM, 1).result  # type: ignore[union-attr]

    made.calls = [call(1, "d"), call(0, "e")]
    assert "d" == made.detail(SEAM, 1).result  # type: ignore[union-attr]
    assert "e" == made.detail(SEAM, 0).result  # type: ignore[union-attr]


def test_detail_finds_a_call_put_in_place_of_another() -> None:
    made = cassette(call(0, "a"))
    assert made.detail(SEAM, 3) is None

    made.calls[0] = call(3, "moved")
    assert "moved" == made.detail(SEAM, 3).result  # type: ignore[union-attr]
