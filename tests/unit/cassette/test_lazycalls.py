"""Loading with `lazy=True` (a check run's test start): the kept calls' payloads are
checked as a plain load checks them, left as bytes once those bytes are known good, and
decoded when first read into the trees a plain load gives; a payload that does not
decode fails the load with the plain load's error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamrec.cassette.lazycalls import LazyCall
from seamrec.cassette.store import Call, Cassette, Run, dump, load_present, loads
from seamrec.config import Limits
from seamrec.exceptions import CassetteFormatError
from seamrec.model.codec import make_packer, pack, raw_tree, unpack
from seamrec.model.payload import Ext

SEAM = "shop.orders:get"
PATH = Path("a.msgpack")
PAIR = msgpack.ExtType(Ext.TUPLE, msgpack.packb([1, 2]))


def call(index: int, result: object, args: object = None, seam: str = SEAM) -> Call:
    args = [index] if args is None else args
    return Call(seam, "shop.api", index, ("int",), "return", ("int",), args, result)


def cassette(*calls: Call, test: str = "tests/test_a.py::t") -> Cassette:
    runs: dict[str, list[Run]] = {}
    for c in calls:
        runs.setdefault(c.seam, [Run(("int",), "return", ("int",), 0)])[0].count += 1
    return Cassette(test=test, calls=list(calls), runs=runs)


def undecoded(found: Call) -> set[str]:
    """The payloads of a loaded call not turned into trees yet."""
    return {part for part in ("args", "result") if f"_raw_{part}" in vars(found)}


@pytest.mark.parametrize("shared", [False, True])
def test_a_lazy_load_gives_the_cassette_a_plain_load_gives(shared: bool) -> None:
    rows = {"rows": [{"id": i, "at": PAIR} for i in range(3)], "next": None}
    made = cassette(call(0, rows), call(1, rows), call(2, [PAIR, "x"], args={"k": 2**40}))
    data = dump(made)

    for _ in range(2):  # the second time its payload bytes are known good: left as bytes
        lazy = loads(data, path=PATH, lazy=True, shared=shared)
        assert [LazyCall] * 3 == [type(c) for c in lazy.calls]
        assert made == lazy == loads(data, path=PATH)
        assert lazy == made
        assert dump(lazy) == data


def test_payloads_known_good_are_decoded_only_when_read() -> None:
    data = dump(cassette(call(0, {"rows": ["left as bytes"]}, args=["never read"])))
    loads(data, path=PATH, lazy=True)

    found = loads(data, path=PATH, lazy=True).calls[0]

    assert {"args", "result"} == undecoded(found)
    assert {"rows": ["left as bytes"]} == found.result
    assert {"args"} == undecoded(found)
    assert found.result is found.result  # decoded once, then kept
    assert ["never read"] == found.args
    assert set() == undecoded(found)


def test_a_lazy_call_reads_as_the_plain_call() -> None:
    data = dump(cassette(call(0, [PAIR], args=["a"])))
    loads(data, path=PATH, lazy=True)
    plain = loads(data, path=PATH).calls[0]
    lazy = loads(data, path=PATH, lazy=True).calls[0]

    assert repr(plain) == repr(lazy)
    assert plain == lazy
    assert lazy == plain
    assert (plain != lazy) is False
    assert dataclasses.replace(plain, index=5) == dataclasses.replace(lazy, index=5)
    assert dataclasses.astuple(plain) == dataclasses.astuple(lazy)
    with pytest.raises(AttributeError):
        getattr(lazy, "unknown")  # noqa: B009  # a name that is no field: not found
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.index = 3  # type: ignore[misc]


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("part", ["result", "args"])
def test_a_payload_that_does_not_decode_fails_a_lazy_load_as_a_plain_one(
    shared: bool, part: str
) -> None:
    broken = msgpack.ExtType(Ext.DATETIME, msgpack.packb(["lazy", "clock", shared, part]))
    wrong = call(1, [broken]) if part == "result" else call(1, [2], args=[broken])
    good = dump(cassette(call(0, [1]), call(1, [2])))
    bad = dump(cassette(call(0, [1]), wrong))

    with pytest.raises(CassetteFormatError) as plain:
        loads(bad, path=PATH)
    for data in (good, bad, good, bad):  # good bytes known, then the broken ones met again
        if data is good:
            assert [2] == loads(data, path=PATH, lazy=True, shared=shared).calls[1].result
        else:
            with pytest.raises(CassetteFormatError) as lazy:
                loads(data, path=PATH, lazy=True, shared=shared)
            assert str(plain.value) == str(lazy.value)
            assert "has an invalid structure" in str(lazy.value)


def test_a_broken_value_outside_the_payloads_fails_a_lazy_load_as_a_plain_one() -> None:
    made = cassette(call(0, 1))
    made.test = msgpack.ExtType(Ext.DATETIME, b"")  # type: ignore[assignment]
    data = dump(made)

    errors = []
    for lazy in (False, True):
        with pytest.raises(CassetteFormatError) as raised:
            loads(data, path=PATH, lazy=lazy)
        errors.append(str(raised.value))

    assert errors[0] == errors[1]
    assert "invalid structure (TypeError: expected str" in errors[1]


def test_a_hand_edited_entry_is_read_the_plain_way() -> None:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(cassette(call(0, 1))))
    header, body = unpacker.unpack(), unpacker.unpack()
    body["calls"][0][3] = 9  # a shape reference past the table
    data = msgpack.packb(header) + msgpack.packb(body)

    with pytest.raises(CassetteFormatError) as plain:
        loads(data, path=PATH)
    with pytest.raises(CassetteFormatError) as lazy:
        loads(data, path=PATH, lazy=True)

    assert str(plain.value) == str(lazy.value)
    assert "bad shape reference 9" in str(lazy.value)


def test_shared_lazy_results_are_the_same_tree_in_every_load() -> None:
    rows = {"rows": [{"id": 7, "sku": "lazy-shared"}]}
    data = dump(cassette(call(0, rows)))
    other = dump(cassette(call(0, rows), call(1, rows), test="tests/test_b.py::t"))

    first = loads(data, path=PATH, lazy=True, shared=True)
    second = loads(other, path=PATH, lazy=True, shared=True)

    tree = first.calls[0].result
    assert rows == tree
    assert tree is second.calls[0].result is second.calls[1].result


def test_a_result_read_lazily_is_shared_with_later_loads() -> None:
    rows = {"rows": [{"id": 8, "sku": "read-late"}]}
    data = dump(cassette(call(0, rows)))
    loads(data, path=PATH, lazy=True)  # checked: known good, not shared

    first = loads(data, path=PATH, lazy=True, shared=True).calls[0]
    assert {"args", "result"} == undecoded(first)
    tree = first.result
    second = loads(data, path=PATH, lazy=True, shared=True).calls[0]

    assert rows == tree
    assert tree is second.result
    assert tree is not loads(data, path=PATH, lazy=True).calls[0].result  # unshared: fresh


def test_load_present_reads_lazily_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"
    path.write_bytes(dump(cassette(call(0, [PAIR]))))

    found = load_present(path, lazy=True)

    assert found is not None
    assert LazyCall is type(found.calls[0])
    assert [(1, 2)] == unpack(pack(found.calls[0].result))
    assert Call is type(load_present(path).calls[0])  # type: ignore[union-attr]


# ------------------------------------------------------------------- round trip

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.binary(max_size=8)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.datetimes(min_value=dt.datetime(1900, 1, 1))
    | st.dates()
    | st.uuids()
)
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.frozensets(st.integers() | st.text(max_size=4), max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.integers(-3, 3), children, max_size=4)
    ),
    max_leaves=12,
)
PACK = make_packer(Limits())


@settings(max_examples=80, deadline=None)
@given(
    payloads=st.lists(st.tuples(values, values), min_size=1, max_size=4),
    shared=st.booleans(),
    twice=st.booleans(),
)
def test_payload_trees_round_trip_through_a_lazy_load(
    payloads: list[tuple[Any, Any]], shared: bool, twice: bool
) -> None:
    trees = [(raw_tree(PACK(args)), raw_tree(PACK(result))) for args, result in payloads]
    made = cassette(*[call(i, result, args=args) for i, (args, result) in enumerate(trees)])
    data = dump(made)
    plain = loads(data, path=PATH)
    if twice:
        loads(data, path=PATH, lazy=True)  # the bytes known good: the next load defers

    lazy = loads(data, path=PATH, lazy=True, shared=shared)

    assert plain == lazy
    for was, now in zip(plain.calls, lazy.calls, strict=True):
        assert pack(was.args) == pack(now.args)
        assert pack(was.result) == pack(now.result)
        assert unpack(pack(was.result)) == unpack(pack(now.result))
    assert data == dump(lazy)


def test_decimals_and_sets_survive_a_lazy_load() -> None:
    value = {"price": decimal.Decimal("1.50"), "tags": frozenset({"a", "b"})}
    tree = raw_tree(PACK(value))
    data = dump(cassette(call(0, tree)))
    loads(data, path=PATH, lazy=True)

    assert value == unpack(pack(loads(data, path=PATH, lazy=True).calls[0].result))


def test_a_field_another_thread_decoded_meanwhile_is_read_not_refused() -> None:
    """Two threads read one payload: the second one's normal lookup missed, then the
    first stored the tree; the second gets that tree, never an AttributeError."""
    loaded = loads(dump(cassette(call(0, {"id": 7}))), path=PATH, lazy=True)
    lazy = loaded.calls[0]
    assert type(lazy) is LazyCall
    decoded = lazy.result  # the first thread's read
    assert LazyCall.__getattr__(lazy, "result") is decoded  # the second's, after its miss
    with pytest.raises(AttributeError):
        LazyCall.__getattr__(lazy, "no_such_field")
