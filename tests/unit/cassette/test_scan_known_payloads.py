"""The compiled scan takes a kept call's payload as good without msgpack's reading only
where msgpack surely reads it and each of its ext values was decoded before in the run
(`_scan.c` `good_payload`); anything else is left to the reference check, and a load
gives what the Python reading gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
import pytest

from seamrec.cassette import lazycalls, scan, store
from seamrec.cassette.lazycalls import LazyCall
from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.exceptions import CassetteFormatError
from seamrec.model.paths import OUTCOMES

pytestmark = pytest.mark.skipif(scan.lazy_calls is None, reason="the C scan is not built")

PATH = Path("known.msgpack")
SELF = msgpack.ExtType(19, msgpack.packb("shop.orders.Orders"))


def cassette_with(args: Any, result: Any) -> bytes:
    """A cassette of one kept call with these payload trees (ext values as ExtType)."""
    call = Call("shop.orders:get", "shop.api", 0, ("int",), "return", ("int",), args, result)
    runs = {"shop.orders:get": [Run(("int",), "return", ("int",), 1)]}
    return dump(Cassette(test="tests/test_a.py::t", calls=[call], runs=runs))


def scanned(data: bytes, *, decoded: dict[Any, None], shared: bool = False) -> Any:
    """What the compiled scan gives for the kept calls of `data` (nothing known valid)."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    unpacker.skip()  # the header
    shapes: list[Any] = []
    for _ in range(unpacker.read_map_header()):
        key = unpacker.unpack()
        if key == "calls":
            assert scan.lazy_calls is not None
            return scan.lazy_calls(
                data, unpacker.tell(), shapes, OUTCOMES, LazyCall, shared, {}, {}, decoded
            )
        value = unpacker.unpack()
        if key == "shapes":
            shapes = [tuple(s) if isinstance(s, list) else s for s in value]
    raise AssertionError("no calls")


def parts(found: Any) -> tuple[list[int], int]:
    """The parts left pending (0 args, 1 result) and how many were taken as good."""
    _, pending, _, good = found
    return [part for _, part, _ in pending], len(good)


def test_plain_payloads_are_taken_as_good() -> None:
    data = cassette_with({"id": 1, "tags": ["a", "é"], "n": 1.5, 7: None}, [True, b"raw"])

    assert ([], 2) == parts(scanned(data, decoded={}))


def test_a_payload_whose_ext_values_were_decoded_before_is_taken_as_good() -> None:
    data = cassette_with({"self": SELF}, [SELF])

    assert ([0, 1], 0) == parts(scanned(data, decoded={}))
    assert ([], 2) == parts(scanned(data, decoded={SELF: None}))


def test_a_shared_result_is_left_to_the_reference_which_keeps_its_tree() -> None:
    data = cassette_with([1], [2])

    assert ([1], 1) == parts(scanned(data, decoded={}, shared=True))


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"\xa2\xff\xfe", id="str-not-utf8"),
        pytest.param(b"\xa3\xed\xa0\x80", id="str-surrogate"),
        pytest.param(b"\x81\x91\x01\x02", id="array-as-key"),
        pytest.param(b"\x81\x80\x01", id="map-as-key"),
        pytest.param(b"\xd4\xff\x00", id="negative-ext-code"),
        pytest.param(b"\xd4\x05\x00", id="ext-not-decoded-before"),
        pytest.param(b"\x91" * 300 + b"\x01", id="deeper-than-the-scan-goes"),
    ],
)
def test_what_msgpack_may_not_read_is_left_to_the_reference(
    payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = cassette_with(0, 0)
    plain = msgpack.packb(0)
    body_end = data.rindex(plain + plain)  # the kept call's two payloads, at the end
    damaged = data[:body_end] + payload + data[body_end + len(plain) :]
    store._DECODED.clear()

    assert [0] == parts(scanned(damaged, decoded={}))[0]
    reference = outcome(damaged)
    monkeypatch.setattr(lazycalls, "lazy_calls", None)  # the Python reading (SEAMREC_PURE=1)
    assert outcome(damaged) == reference


def outcome(data: bytes) -> Any:
    """A lazy load's kept calls, or its error."""
    try:
        return loads(data, path=PATH, lazy=True).calls
    except CassetteFormatError as exc:
        return str(exc)
