"""Loading a cassette: its payloads checked as they are read (each distinct ext value once
a run), and its calls found by (seam, index) through an index that follows the list."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.exceptions import CassetteFormatError
from seamrec.model.payload import Ext
from seamrec.model.shape import make_shape_function

SEAM = "shop.orders:get"
PATH = Path("a.msgpack")


def call(index: int, result: object, seam: str = SEAM) -> Call:
    return Call(seam, "shop.api", index, ("int",), "return", ("int",), [index], result)


def cassette(*calls: Call) -> Cassette:
    runs = {c.seam: [Run(("int",), "return", ("int",), len(calls))] for c in calls}
    return Cassette(test="tests/test_a.py::t", calls=list(calls), runs=runs)


def test_a_payload_with_an_ext_value_that_does_not_decode_fails_the_load() -> None:
    broken = msgpack.ExtType(Ext.DATETIME, msgpack.packb(["not", "a", "clock"]))
    good = dump(cassette(call(0, [1])))
    bad = dump(cassette(call(0, [broken])))

    for data in (good, bad, good, bad):  # values checked once in a run are not checked again
        if data is good:
            assert [1] == loads(data, path=PATH).calls[0].result
        else:
            with pytest.raises(CassetteFormatError, match="has an invalid structure"):
                loads(data, path=PATH)


def test_a_broken_ext_value_outside_the_payloads_fails_as_before() -> None:
    broken = msgpack.ExtType(Ext.DATETIME, b"")
    made = cassette(call(0, 1))
    made.test = broken  # type: ignore[assignment]

    with pytest.raises(CassetteFormatError, match=r"invalid structure \(TypeError: expected str"):
        loads(dump(made), path=PATH)


def test_loaded_ext_values_are_msgpack_ext_types() -> None:
    pair = msgpack.ExtType(Ext.TUPLE, msgpack.packb([1, 2]))
    loaded = loads(dump(cassette(call(0, [pair]))), path=PATH)

    assert type(loaded.calls[0].result[0]) is msgpack.ExtType
    assert pair == loaded.calls[0].result[0]


def test_a_loaded_cassette_equals_the_one_dumped() -> None:
    made = cassette(call(0, 1))

    assert made == loads(dump(made), path=PATH)


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


def test_a_shape_read_again_is_the_same_object() -> None:
    shape = make_shape_function()({"a": [1, 2], "b": "x"})
    made = cassette(call(0, 1))
    made.runs[SEAM][0].result_shape = shape
    first, second = (loads(dump(made), path=PATH) for _ in range(2))

    assert shape == first.runs[SEAM][0].result_shape
    assert first.runs[SEAM][0].result_shape is second.runs[SEAM][0].result_shape


def test_a_shape_outside_the_grammar_fails_every_load() -> None:
    made = cassette(call(0, 1))
    made.runs[SEAM][0].result_shape = ("no-such-kind", ("int",))

    for _ in range(2):
        with pytest.raises(CassetteFormatError, match="has an invalid structure"):
            loads(dump(made), path=PATH)
