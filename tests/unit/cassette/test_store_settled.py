"""The pieces that spare a record run from reading back what it wrote: a cassette with
its shapes only, read_cassettes taking the cassettes it is given instead of their files,
and the nesting of a seam read in one loop with the same errors as before."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from seamrec.cassette.settled import compact, expand
from seamrec.cassette.store import (
    Call,
    Cassette,
    Run,
    dump,
    loads,
    read_cassettes,
    write_atomic,
)
from seamrec.exceptions import CassetteFormatError
from seamrec.model.codec import pack
from seamrec.model.nesting import Nest
from seamrec.model.shape import args_shape, make_shape_function
from seamrec.review.contract import merged, render_files

shape_of = make_shape_function()
SEAM = "shop.repository:OrderRepo.get_order"
PATH = Path("cassettes/tests/test_orders/test_create.msgpack")


def cassette(test: str = "tests/test_orders.py::test_create") -> Cassette:
    args = args_shape(("order_id",), [shape_of(7)])
    result = shape_of({"id": 7, "total": "9.99"})
    call = Call(SEAM, "shop.api", 0, args, "return", result, pack({"order_id": 7}), None)
    return Cassette(
        test=test,
        calls=[call],
        runs={SEAM: [Run(args, "return", result, 3)]},
        nesting={SEAM: [Nest("", 0, 0, 2), Nest("shop.api:handle", 4, 1, 1)]},
    )


def test_the_kept_shapes_hold_what_contracts_read_and_drop_the_payloads() -> None:
    full = cassette()

    slim = expand(compact(full))  # what a record run keeps for its end

    assert [(SEAM, "shop.api", 0, None, None)] == [
        (c.seam, c.caller, c.index, c.args, c.result) for c in slim.calls
    ]
    assert (full.test, full.runs, full.nesting) == (slim.test, slim.runs, slim.nesting)
    assert render_files(merged([full])) == render_files(merged([slim]))
    assert full.calls[0].args is not None  # the cassette given is left as it was


def test_read_cassettes_takes_a_known_cassette_instead_of_its_file(tmp_path: Path) -> None:
    known_path = tmp_path / "tests" / "test_a" / "test_known.msgpack"
    write_atomic(known_path, b"not a cassette at all")
    other_path = tmp_path / "tests" / "test_a" / "test_other.msgpack"
    write_atomic(other_path, dump(cassette("tests/test_a.py::test_other")))
    known = cassette("tests/test_a.py::test_known")

    found, errors = read_cassettes(tmp_path, payloads=False, known={known_path: known})

    assert [] == errors
    assert [known_path, other_path] == [path for path, _ in found]
    assert found[0][1] is known
    assert "tests/test_a.py::test_other" == found[1][1].test


def test_a_known_cassette_whose_file_is_gone_is_not_listed(tmp_path: Path) -> None:
    gone = tmp_path / "tests" / "test_gone.msgpack"

    found, errors = read_cassettes(tmp_path, known={gone: cassette()})

    assert ([], []) == (found, errors)


def test_the_nesting_reads_back_as_nests() -> None:
    original = cassette()

    loaded = loads(dump(original), path=PATH)

    assert original.nesting == loaded.nesting
    assert loaded.nesting is not None
    assert all(type(nest) is Nest for nest in loaded.nesting[SEAM])


def body_with_nesting(nests: object) -> bytes:
    data = dump(cassette())
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    header, body = unpacker.unpack(), unpacker.unpack()
    body["nesting"] = {SEAM: nests}
    return pack(header) + pack(body)


@pytest.mark.parametrize(
    ("nests", "error"),
    [
        ([["", 0, 0, 2], [1, 0, 0, 1]], "TypeError: expected str, found int"),
        ([["", 0, 0, 2], ["", -1, 0, 1]], "ValueError: bad index -1"),
        ([["", 0, 2, 1]], "ValueError: bad step 2"),
        ([["", 0, True, 1]], "ValueError: bad step True"),
        ([["", 0, 0, 0]], "ValueError: bad count 0"),
        ([["", 0, 0]], "ValueError: not enough values to unpack (expected 4, got 3)"),
        ({"": 1}, "TypeError: expected list, found dict"),
    ],
)
def test_a_bad_nest_is_named_as_before(nests: object, error: str) -> None:
    with pytest.raises(CassetteFormatError) as raised:
        loads(body_with_nesting(nests), path=PATH)

    assert f"has an invalid structure ({error})" in str(raised.value)


def test_a_count_given_as_a_bool_subclass_of_int_is_refused() -> None:
    with pytest.raises(CassetteFormatError, match=r"bad count True"):
        loads(body_with_nesting([["", 0, 0, True]]), path=PATH)
