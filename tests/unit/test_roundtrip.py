"""Round trip: whatever record writes, check, show, contracts and replay read back.

Arbitrary nested values go through the real pipeline: the shape walker and the payload
packer built from one classifier, a cassette dumped and loaded, the compiled conformance
check and `compatible` against the live value, contract text and `seamrec show` text,
and the replay rebuilder. A value recorded and then checked unchanged is always clean.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import math
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.config import Limits
from seamrec.exceptions import ReplayError
from seamrec.model.classify import Classifier
from seamrec.model.codec import make_packer, pack, raw_tree, unpack
from seamrec.model.conform import compile_args
from seamrec.model.shape import Shape, args_shape, compatible, make_shape_function
from seamrec.review.contract import contracts_of, render_files
from seamrec.review.show import cassette_text
from seamrec.runtime.rebuild import Rebuilder, TypeResolver

HERE = __name__
SEAM = f"{HERE}:handle"
PATH = Path("cassettes/test_roundtrip/test_case.msgpack")
CLASSIFIER = Classifier(boundaries=(HERE,))
shape_of = make_shape_function(classifier=CLASSIFIER)
pack_payload = make_packer(Limits(), CLASSIFIER)
rebuilder = Rebuilder(TypeResolver(lambda module: module == HERE))


class Colour(enum.Enum):
    RED = "red"
    LIST = (1, 2)


class Level(enum.IntEnum):
    LOW = 1


@dataclasses.dataclass
class Box:
    content: Any
    label: str = "box"


@dataclasses.dataclass(frozen=True)
class Key:
    part: Any


class Holder:
    """A boundary object (a service): hashable by identity, its fields hold anything."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def texts() -> st.SearchStrategy[str]:
    """Any str, lone surrogates included."""
    return st.text(st.characters(codec=None, exclude_categories=()), max_size=8)


def hashables() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**100), max_value=2**100),
        st.floats(allow_nan=True),
        texts(),
        st.binary(max_size=8),
        st.decimals(allow_nan=False),
        st.dates(),
        st.uuids(),
        st.sampled_from([Colour.RED, Level.LOW]),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, inner),
            st.frozensets(inner, max_size=3),
            st.builds(Key, inner),
            st.builds(lambda v: Holder(items={v}, rows=[v]), inner),
        ),
        max_leaves=6,
    )


def cyclic(value: Any, how: int) -> Any:
    if how == 0:
        items: list[Any] = [value]
        items.append(items)
        return items
    if how == 1:
        holder = Holder(value=value)
        holder.__dict__["me"] = holder
        return holder
    box = Box(value)
    box.content = [value, box]
    return box


def values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        hashables(),
        st.datetimes(timezones=st.none() | st.just(dt.UTC)),
        st.sampled_from([-0.0, math.nan, math.inf, 2**64, -(2**63) - 1]),
        st.binary(max_size=8).map(lambda b: b + b"\xff\xfe"),  # never UTF-8
        st.sampled_from([Colour.LIST]),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.tuples(inner, inner),
            st.dictionaries(texts(), inner, max_size=3),
            st.dictionaries(hashables(), inner, max_size=3),
            st.sets(hashables(), max_size=3),
            st.frozensets(hashables(), max_size=3),
            st.builds(Box, inner),
            st.builds(lambda a, b: Holder(first=a, tags={b}, peer=Holder(x=a)), inner, hashables()),
            st.builds(cyclic, inner, st.integers(0, 2)),
            st.builds(lambda s: Box({"members": s, "nested": Box(s)}), st.sets(hashables())),
        ),
        max_leaves=12,
    )


def recorded(value: Any) -> Cassette:
    """The cassette of one call of `handle(value)` returning `value`, as record writes
    it, read back from its bytes."""
    args = args_shape(("value",), [shape_of(value)])
    result = shape_of(value)
    call = Call(
        SEAM,
        "tests/test_shop.py",
        0,
        args,
        "return",
        result,
        raw_tree(pack_payload({"value": value})),
        raw_tree(pack_payload(value)),
    )
    cassette = Cassette(
        "tests/test_shop.py::test_case", [call], {SEAM: [Run(args, "return", result, 1)]}
    )
    data = dump(cassette)
    loaded = loads(data, path=PATH)
    assert data == dump(loaded)  # an unchanged cassette re-dumps to the same bytes
    return loaded


def assert_checks_clean(cassette: Cassette, value: Any) -> None:
    """As the session checks: the compiled check, and where it says no (not drift, only
    undecided) the careful comparison of the live shape."""
    run = cassette.runs[SEAM][0]
    check = compile_args(run.args_shape, shape_of)
    assert check is not None
    live: Shape = shape_of(value)
    assert check(("value",), [value]) or compatible(run.args_shape, args_shape(("value",), [live]))
    assert compatible(run.result_shape, live)
    assert compatible(run.args_shape, args_shape(("value",), [live]))


def assert_readable(cassette: Cassette) -> None:
    text = cassette_text(cassette)
    contract = "".join(render_files(contracts_of(cassette)).values())
    assert "0x" not in contract
    assert SEAM in text
    call = cassette.calls[0]
    unpack(pack(call.args))  # the payloads decode into views
    unpack(pack(call.result))
    with contextlib.suppress(ReplayError):  # opaque, cut, foreign: refused by name
        rebuilder.rebuild(call.result)


ROUNDTRIP = settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@ROUNDTRIP
@given(values())
def test_any_value_recorded_is_read_back_and_checks_clean(value: Any) -> None:
    cassette = recorded(value)

    assert_checks_clean(cassette, value)
    assert_readable(cassette)


def test_an_object_whose_fields_hold_sets_inside_a_set_reads_back() -> None:
    expression = Holder(columns={"id", "name"}, froms=frozenset({"users"}))
    value = {"where": {expression}, "by": {Key(frozenset({1})): expression}}

    cassette = recorded(value)

    assert_checks_clean(cassette, value)
    assert "where" in cassette_text(cassette)


def test_objects_whose_fields_hold_lists_as_dict_keys_read_back() -> None:
    product = Holder(batches=[Box([1, 2])], sku="MUG")
    value = {product: [product], (product, "x"): {"seen": {product}}}

    cassette = recorded(value)

    assert_checks_clean(cassette, value)


def test_lone_surrogates_and_non_utf8_bytes_read_back() -> None:
    value = {"name": "a\ud800b", "raw": b"\xff\xfe", "\udcff": ["\ud83d"], "keys": {"\ud800": 1}}

    cassette = recorded(value)

    assert value == rebuilder.rebuild(cassette.calls[0].result)
    assert_checks_clean(cassette, value)


def test_huge_ints_nan_and_negative_zero_read_back() -> None:
    value = [2**200, -(2**70), math.nan, -0.0, decimal.Decimal("-0"), uuid.UUID(int=1)]

    cassette = recorded(value)
    rebuilt = rebuilder.rebuild(cassette.calls[0].result)

    assert [2**200, -(2**70)] == rebuilt[:2]
    assert math.isnan(rebuilt[2])
    assert math.copysign(1.0, rebuilt[3]) == -1.0
    assert_checks_clean(cassette, value)
