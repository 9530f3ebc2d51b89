"""Reading a cassette's shape table by the bytes of its entries: the same shapes, one
object per distinct shape across cassettes, and the full read's errors for bad bytes."""

from pathlib import Path
from typing import Any

import msgpack
import pytest

from seamrec.cassette.store import FORMAT, VERSION, Call, Cassette, Run, dump, loads
from seamrec.config import Limits
from seamrec.exceptions import CassetteFormatError
from seamrec.model.codec import make_encoder
from seamrec.model.shape import args_shape, make_shape_function

shape_of = make_shape_function()
encode = make_encoder(Limits())
SEAM = "shop.repository:OrderRepo.get_order"


def cassette_of(test: str, order_id: int, result: object) -> Cassette:
    args = args_shape(("order_id",), [shape_of(order_id)])
    payload = encode({"order_id": order_id})
    call = Call(SEAM, "shop.api", 0, args, "return", shape_of(result), payload, encode(result))
    return Cassette(
        test=test, calls=[call], runs={SEAM: [Run(args, "return", shape_of(result), 3)]}
    )


def path_of(name: str) -> Path:
    return Path(f"cassettes/tests/{name}.msgpack")


def body_bytes(body: dict[str, Any]) -> bytes:
    return msgpack.packb({"format": FORMAT, "version": VERSION}) + msgpack.packb(body)


def body_of(cassette: Cassette) -> dict[str, Any]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(cassette))
    unpacker.unpack()
    body: dict[str, Any] = unpacker.unpack()
    return body


def test_a_shape_seen_in_an_earlier_cassette_is_the_same_object() -> None:
    first = loads(dump(cassette_of("t.py::a", 1, {"id": 1, "sku": "MUG"})), path=path_of("a"))
    second = loads(dump(cassette_of("t.py::b", 2, {"id": 2, "sku": "TEA"})), path=path_of("b"))

    assert first.runs[SEAM][0].result_shape is second.runs[SEAM][0].result_shape
    assert first.runs[SEAM][0].args_shape is second.runs[SEAM][0].args_shape
    assert first.calls[0].result_shape is first.runs[SEAM][0].result_shape


def test_a_shape_table_read_by_bytes_gives_the_cassette_that_was_dumped() -> None:
    cassette = cassette_of("t.py::c", 3, [{"id": 3, "when": None, "tags": {"a"}}, (1, 2.5)])

    loaded = loads(dump(cassette), path=path_of("c"))

    assert cassette == loaded
    assert dump(cassette) == dump(loaded)
    assert loads(dump(cassette), path=path_of("c")) == loaded  # the shapes known by now


def test_a_cassette_re_encoded_by_msgpack_reads_the_same() -> None:
    cassette = cassette_of("t.py::d", 4, {"id": 4})

    assert cassette == loads(body_bytes(body_of(cassette)), path=path_of("d"))


def test_a_body_with_a_key_twice_reads_as_the_full_read_does() -> None:
    cassette = cassette_of("t.py::e", 5, {"id": 5})
    body = body_of(cassette)
    pairs = [(key, value) for key, value in body.items()]
    packed = b"".join(msgpack.packb(k) + msgpack.packb(v) for k, v in [("test", "t.py::x"), *pairs])
    data = msgpack.packb({"format": FORMAT, "version": VERSION}) + bytes([0x80 | len(pairs) + 1])

    loaded = loads(data + packed, path=path_of("e"))

    assert cassette == loaded  # the last `test` counts, as in any msgpack map


def test_an_unknown_shape_entry_after_known_ones_is_a_format_error() -> None:
    cassette = cassette_of("t.py::f", 6, {"id": 6})
    loads(dump(cassette), path=path_of("f"))  # its entries are known now
    body = body_of(cassette)
    body["shapes"].append([["int"], 5])

    with pytest.raises(CassetteFormatError) as info:
        loads(body_bytes(body), path=path_of("f"))

    assert f"{path_of('f')}: has an invalid structure" in str(info.value)


def test_a_known_shape_table_with_a_broken_payload_is_a_format_error() -> None:
    cassette = cassette_of("t.py::g", 7, {"id": 7})
    loads(dump(cassette), path=path_of("g"))
    body = body_of(cassette)
    body["calls"][0][7] = msgpack.ExtType(99, b"\x01")  # no such ext code

    with pytest.raises(CassetteFormatError) as info:
        loads(body_bytes(body), path=path_of("g"))

    assert f"{path_of('g')}: has an invalid structure" in str(info.value)


def test_a_known_shape_table_cut_short_is_a_format_error() -> None:
    data = dump(cassette_of("t.py::h", 8, {"id": 8}))
    loads(data, path=path_of("h"))

    with pytest.raises(CassetteFormatError) as info:
        loads(data[:-3], path=path_of("h"))

    assert f"{path_of('h')}: is truncated or corrupt" in str(info.value)
