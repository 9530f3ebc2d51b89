"""The cassettes a record run settled, kept until its end as plain tuples the garbage
collector does not walk, and made again as shapes-only cassettes when read."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from helpers import shapes_only
from seamrec.cassette.settled import SettledCassettes, compact, expand
from seamrec.cassette.store import Call, Cassette, Run, read_cassettes, write_atomic
from seamrec.model import accel
from seamrec.model.codec import pack
from seamrec.model.nesting import Nest
from seamrec.model.shape import args_shape, make_shape_function
from seamrec.review.contract import merged, render_files

shape_of = make_shape_function()
SEAM = "shop.repository:OrderRepo.get_order"
OTHER = "shop.pricing:total"
PATH = Path("cassettes/tests/test_orders/test_create.msgpack")


def cassette(test: str = "tests/test_orders.py::test_create", nesting: bool = True) -> Cassette:
    args = args_shape(("order_id",), [shape_of(7)])
    result = shape_of({"id": 7, "lines": [{"sku": "A-1", "qty": 2}], "total": "9.99"})
    price = args_shape(("lines",), [shape_of([1.5, 2])])
    return Cassette(
        test=test,
        calls=[
            Call(SEAM, "shop.api", 0, args, "return", result, pack({"order_id": 7}), None),
            Call(OTHER, "shop.orders", 0, price, "raise", shape_of(ValueError("x")), None, None),
        ],
        runs={
            SEAM: [Run(args, "return", result, 3), Run(args, "return", shape_of(None), 1)],
            OTHER: [Run(price, "raise", shape_of(ValueError("x")), 1)],
        },
        nesting=None if not nesting else {OTHER: [Nest("", 0, 0, 2), Nest(SEAM, 4, 1, 1)]},
    )


@pytest.mark.parametrize("nesting", [True, False])
def test_a_kept_cassette_reads_back_as_its_shapes_only_cassette(nesting: bool) -> None:
    full = cassette(nesting=nesting)

    found = expand(compact(full))

    assert shapes_only(full) == found
    assert render_files(merged([full])) == render_files(merged([found]))
    assert all(type(nest) is Nest for nests in (found.nesting or {}).values() for nest in nests)


def test_a_kept_cassette_shares_the_shape_objects_it_was_given() -> None:
    full = cassette()

    found = expand(compact(full))

    assert found.runs[SEAM][0].result_shape is full.runs[SEAM][0].result_shape
    assert found.calls[0].args_shape is full.calls[0].args_shape


@pytest.mark.skipif(accel.compiled is None, reason="untracked at once by the C extension")
def test_a_kept_cassette_is_not_tracked_by_the_garbage_collector() -> None:
    kept = compact(cassette())

    assert not gc.is_tracked(kept)


def test_the_settled_cassettes_are_a_mapping_by_path() -> None:
    settled = SettledCassettes()
    other = Path("cassettes/tests/test_orders/test_other.msgpack")

    settled.keep(PATH, cassette())
    settled.keep(other, cassette("tests/test_orders.py::test_other"))
    settled.drop(other)
    settled.drop(Path("cassettes/never_kept.msgpack"))

    assert [PATH] == list(settled)
    assert 1 == len(settled)
    assert PATH in settled
    assert other not in settled
    assert not settled.__contains__(str(PATH))  # by Path only
    assert shapes_only(cassette()) == settled[PATH] == settled.get(PATH)
    assert settled.get(other) is None
    with pytest.raises(KeyError):
        settled[other]


def test_a_cassette_kept_again_replaces_the_one_kept_before() -> None:
    settled = SettledCassettes()

    settled.keep(PATH, cassette("tests/test_orders.py::test_first"))
    settled.keep(PATH, cassette())

    assert "tests/test_orders.py::test_create" == settled[PATH].test


def test_read_cassettes_takes_a_settled_cassette_instead_of_its_file(tmp_path: Path) -> None:
    known_path = tmp_path / "tests" / "test_a" / "test_known.msgpack"
    write_atomic(known_path, b"not a cassette at all")
    settled = SettledCassettes()
    settled.keep(known_path, cassette("tests/test_a.py::test_known"))

    found, errors = read_cassettes(tmp_path, payloads=False, known=settled)

    assert [] == errors
    assert [(known_path, shapes_only(cassette("tests/test_a.py::test_known")))] == found
