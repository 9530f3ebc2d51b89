"""Loading with `shared=True` (check and replay): a kept call's result whose bytes were
read before in the run is the very tree they gave; the cassette is the one a plain load
gives, and a payload that does not decode fails every load that reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
import pytest

from seamrec.cassette.store import Call, Cassette, Run, dump, load, loads
from seamrec.exceptions import CassetteFormatError
from seamrec.model.payload import Ext

SEAM = "shop.orders:get"
PATH = Path("a.msgpack")


def call(index: int, result: object, seam: str = SEAM, args: object = None) -> Call:
    args = [index] if args is None else args
    return Call(seam, "shop.api", index, ("int",), "return", ("int",), args, result)


def cassette(*calls: Call, test: str = "tests/test_a.py::t") -> Cassette:
    runs: dict[str, list[Run]] = {}
    for c in calls:
        runs.setdefault(c.seam, [Run(("int",), "return", ("int",), 0)])[0].count += 1
    return Cassette(test=test, calls=list(calls), runs=runs)


PAIR = msgpack.ExtType(Ext.TUPLE, msgpack.packb([1, 2]))
ROWS = {"rows": [{"id": i, "sku": "A-1", "at": PAIR} for i in range(3)], "next": None}


@pytest.mark.parametrize(
    "made",
    [
        cassette(call(0, ROWS), call(1, ROWS), call(0, [1], seam="x:y")),
        cassette(call(0, None), call(1, "text"), call(2, 2**40), call(3, PAIR)),
        cassette(),
    ],
    ids=["rows", "scalars", "no-calls"],
)
def test_a_shared_load_gives_the_cassette_a_plain_load_gives(made: Cassette) -> None:
    data = dump(made)

    assert made == loads(data, path=PATH) == loads(data, path=PATH, shared=True)
    assert made == loads(data, path=PATH, shared=True)  # read again: found by its bytes


def test_the_same_payload_bytes_give_the_same_tree_in_every_shared_load() -> None:
    rows = {"rows": [{"id": 7, "sku": "shared-tree"}]}
    first = loads(dump(cassette(call(0, rows))), path=PATH, shared=True)
    other_test = cassette(call(0, rows), call(1, rows), test="tests/test_b.py::t")
    second = loads(dump(other_test), path=PATH, shared=True)

    tree = first.calls[0].result
    assert rows == tree
    assert tree is second.calls[0].result is second.calls[1].result
    assert first.calls[0].args == second.calls[0].args  # args are not shared
    assert first.calls[0].args is not second.calls[0].args


def test_a_plain_load_gives_fresh_trees(tmp_path: Path) -> None:
    rows = {"rows": [{"id": 8, "sku": "fresh-tree"}]}
    path = tmp_path / "c.msgpack"
    path.write_bytes(dump(cassette(call(0, rows))))
    load(path, shared=True)

    first, second = load(path), load(path)

    assert rows == first.calls[0].result == second.calls[0].result
    assert first.calls[0].result is not second.calls[0].result
    assert load(path, shared=True).calls[0].result is load(path, shared=True).calls[0].result


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("part", ["result", "args"])
def test_a_payload_that_does_not_decode_fails_every_load_that_reads_it(
    shared: bool, part: str
) -> None:
    broken = msgpack.ExtType(Ext.DATETIME, msgpack.packb(["not", "a", "clock", shared, part]))
    wrong = call(1, [broken]) if part == "result" else call(1, [2], args=[broken])
    bad = dump(cassette(call(0, [1]), wrong))
    good = dump(cassette(call(0, [1])))

    for data in (bad, good, bad, bad):  # a failed payload is never kept to be found again
        if data is good:
            assert [1] == loads(data, path=PATH, shared=shared).calls[0].result
        else:
            with pytest.raises(CassetteFormatError, match="has an invalid structure"):
                loads(data, path=PATH, shared=shared)


def test_a_payload_after_a_broken_one_is_not_kept_either() -> None:
    broken = msgpack.ExtType(Ext.DATETIME, b"")
    after = {"after": "the broken payload"}
    bad = dump(cassette(call(0, [broken]), call(1, after)))
    with pytest.raises(CassetteFormatError):
        loads(bad, path=PATH, shared=True)

    first = loads(dump(cassette(call(0, after))), path=PATH, shared=True)
    second = loads(dump(cassette(call(0, after))), path=PATH, shared=True)

    assert first.calls[0].result is second.calls[0].result  # kept by a load that decoded it


def body_with(calls: Any) -> bytes:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(cassette(call(0, 1))))
    header = msgpack.packb(unpacker.unpack())
    body = unpacker.unpack()
    body["calls"] = calls
    return bytes(header + msgpack.packb(body))


@pytest.mark.parametrize(
    "calls",
    [[[SEAM, "shop.api", 0, 0, "return", 0, [0]]], [{"seam": SEAM}], {}, [7]],
    ids=["call-too-short", "call-is-map", "calls-is-map", "call-is-int"],
)
def test_a_hand_edited_call_fails_a_shared_load_as_a_plain_one(calls: Any) -> None:
    data = body_with(calls)
    with pytest.raises(CassetteFormatError) as plain:
        loads(data, path=PATH)
    with pytest.raises(CassetteFormatError) as shared:
        loads(data, path=PATH, shared=True)

    assert str(plain.value) == str(shared.value)
