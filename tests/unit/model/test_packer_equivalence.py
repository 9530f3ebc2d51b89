"""The compiled payload packer (seamrec.model._packer) gives exactly the bytes of the pure
Python reference (`codec.make_packer` without C) for any payload: nested builtin data,
sets sorted by bytes, tuples as keys, NaN and -0.0, huge ints, non-UTF-8 bytes, lone
surrogates, classes the classifier decides, cycles, cuts, the node budget, and payloads
over the fast path's 64 KiB."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import math
import uuid
import zoneinfo
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.config import Limits
from seamrec.model import accel
from seamrec.model.classify import Classifier
from seamrec.model.codec import ENCODE_BUDGET, Packer, SelfRef, make_packer, pure_packer

pytestmark = pytest.mark.skipif(
    accel.packer_module is None, reason=f"no accelerator: {accel.missing or 'no _packer'}"
)


@dataclasses.dataclass
class Box:
    content: Any


class Point(NamedTuple):
    x: Any
    y: Any


class Colour(enum.Enum):
    RED = 1
    BLUE = (2, "b")


class Sku(str):
    """A str subclass: a leaf of its own."""


class Opaque:
    """Recorded by type only (outside every boundary)."""

    __slots__ = ()


class Service:
    """A service of the app: stored one level deep."""

    def __init__(self, name: str) -> None:
        self.name = name


ZONE = zoneinfo.ZoneInfo("Europe/Paris")
CLOCKS = [
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 1, 10, 30, 5, 123),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(2026, 6, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=-5, seconds=7))),
    dt.datetime(2026, 6, 1, 10, tzinfo=ZONE),
    dt.datetime(2026, 10, 25, 2, 30, tzinfo=ZONE, fold=1),
    dt.date(2026, 1, 1),
    dt.time(10, 0, tzinfo=dt.UTC),
    dt.timedelta(days=-1, seconds=5),
]


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([float("nan"), -0.0, 0.0, math.inf, -math.nan]),
        st.text(max_size=8),
        st.sampled_from(["\ud800", "a\udfffb", "é", "x" * 40, "y" * 300, "z" * 70_000]),
        st.binary(max_size=8),
        st.sampled_from([b"\xff\xfe", b"\x80" * 300, bytearray(b"ab"), memoryview(b"mv")]),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.sampled_from(CLOCKS),
        st.just(uuid.UUID(int=7)),
        st.just(complex(1, -0.0)),
        st.sampled_from([Colour.RED, Colour.BLUE, Sku("A-1"), Opaque(), Service("s")]),
        st.sampled_from([SelfRef(Service("t")), SelfRef(Service), SelfRef(Box(1)), SelfRef(int)]),
    )


def hashables() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**66), max_value=2**66),
        st.floats(allow_nan=True),
        st.text(max_size=4),
        st.binary(max_size=4),
        st.sampled_from([float("nan"), -0.0, "\ud800", Sku("k"), Colour.RED, Opaque()]),
        st.sampled_from(CLOCKS),
        st.decimals(allow_nan=False),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.tuples(inner, inner), st.frozensets(inner, max_size=3), st.tuples(inner)
        ),
        max_leaves=6,
    )


def payloads() -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(leaves(), hashables()),
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.lists(inner, max_size=5).map(tuple),
            st.dictionaries(st.one_of(st.text(max_size=4), hashables()), inner, max_size=5),
            st.sets(hashables(), max_size=5),
            st.frozensets(hashables(), max_size=5),
            st.builds(Box, inner),
            st.builds(Point, inner, inner),
            st.dictionaries(st.text(max_size=3), inner, max_size=3).map(collections.OrderedDict),
        ),
        max_leaves=30,
    )


LIMITS = [Limits(), Limits(max_depth=2, max_items=3, max_str=5), Limits(max_depth=5)]
CLASSIFIERS = [
    Classifier(),
    Classifier(boundaries=(__name__,)),
    Classifier(opaque_types=("datetime", "decimal", "builtins.set", "builtins.frozenset")),
]
PACKERS = [(make_packer(limits, c)) for limits in LIMITS for c in CLASSIFIERS]


def outcome(packer: Packer, value: object) -> bytes | str:
    """The packed bytes, or the name of the error packing raised."""
    try:
        return packer(value)
    except Exception as exc:
        return type(exc).__name__


def assert_same_bytes(packer: Packer, value: object) -> None:
    expected = outcome(pure_packer(packer), value)
    assert expected == outcome(packer, value)


def keyed(*pairs: tuple[Any, Any]) -> dict[Any, Any]:
    """A dict of keys that are distinct but may pack alike."""
    return dict(pairs)


class SurrogateZone(dt.tzinfo):
    """A zone whose key is not UTF-8."""

    key = "\ud800"

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, when: dt.datetime | None) -> str:
        return "S"


def test_every_packer_here_is_compiled() -> None:
    assert all(pure_packer(p) is not p for p in PACKERS)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(value=payloads(), index=st.integers(min_value=0, max_value=len(PACKERS) - 1))
def test_any_payload_packs_to_the_reference_bytes(value: object, index: int) -> None:
    assert_same_bytes(PACKERS[index], value)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    bound=st.dictionaries(st.text(max_size=3), payloads(), min_size=1, max_size=4),
    index=st.integers(min_value=0, max_value=len(PACKERS) - 1),
)
def test_bound_arguments_pack_to_the_reference_bytes(bound: dict[str, Any], index: int) -> None:
    # drawn in one go, and one packer per example as in the test above: drawing each value
    # with `data.draw` and packing with every packer took 30 s
    first = next(iter(bound))
    args = {**bound, first: SelfRef(Service("x"))}
    assert_same_bytes(PACKERS[index], args)


def cyclic() -> list[Any]:
    looped: list[Any] = [1]
    looped.append(looped)
    return looped


def cyclic_dict() -> dict[str, Any]:
    looped: dict[str, Any] = {}
    looped["self"] = (looped,)
    return looped


def deep(levels: int, make: Any) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = make(value)
    return value


SPECIAL = {
    "a list holding itself": cyclic(),
    "a dict holding itself in a tuple": cyclic_dict(),
    "a tuple of a list holding itself": (cyclic(),),
    "a set of a tuple of a list holding itself": {(1, 2), (3,)},
    "nested lists past the C walk's depth": deep(200, lambda v: [v]),
    "nested tuples past max_depth": deep(40, lambda v: (v,)),
    "nested dicts in a tuple": (deep(40, lambda v: {"k": v}),),
    "the node budget": tuple(() for _ in range(ENCODE_BUDGET + 1)),
    "just under the node budget": tuple(() for _ in range(ENCODE_BUDGET - 1)),
    "over 64 KiB": {"rows": [("x" * 100, i) for i in range(1000)]},
    "a long str in a tuple": ("s" * 70_000,),
    "tuple keys that pack alike": keyed(((1, Opaque()), 1), ((1, Opaque()), 2)),
    "NaN tuple keys": keyed(((math.nan,), 1), ((float("nan"),), 2)),
    "a dict of NaN keys": keyed((math.nan, 1), (float("nan"), 2)),
    "NaN tuple keys in a tuple": (keyed(((math.nan,), 1), ("k", 0), ((float("nan"),), 2)),),
    "NaN set keys in a tuple": (keyed((frozenset([math.nan]), 1), (frozenset([-math.nan]), 2)),),
    "a dict of opaque keys in a tuple": (keyed((Opaque(), 1), (Opaque(), 2)),),
    "many tuple keys": ({(i,): i for i in range(100)},),
    "a huge int": 10**100,
    "a huge negative int in a tuple": (-(10**30),),
    "a lone surrogate": {"s": "\ud800"},
    "a lone surrogate in a tuple": ("\ud800", b"\xff"),
    "a zoneinfo datetime in a tuple": (dt.datetime(2026, 1, 1, tzinfo=ZONE),),
    "a zone key that is not UTF-8": (dt.datetime(2026, 1, 1, tzinfo=SurrogateZone()),),
    "a set of mixed numbers": {1, 1.5, -0.0, float("nan"), "1", b"1", (1,), None, False},
    "a big set": frozenset(range(-300, 300)),
    "a bytearray at the top": {"b": bytearray(b"\x00\xff")},
    "a memoryview at the top": [memoryview(b"abc")],
    "a bytearray in a tuple": (bytearray(b"\x00\xff"),),
    "an empty tuple": (),
    "an ext value": {"e": __import__("msgpack").ExtType(5, b"1")},
}


@pytest.mark.parametrize("value", SPECIAL.values(), ids=SPECIAL.keys())
def test_special_payloads_pack_to_the_reference_bytes(value: object) -> None:
    for packer in PACKERS:
        assert_same_bytes(packer, value)


def test_a_packer_of_a_deep_limit_is_the_reference() -> None:
    packer = make_packer(Limits(max_depth=accel.MAX_C_DEPTH + 1))
    assert pure_packer(packer) is packer


def test_an_exception_whose_str_fails_packs_to_the_reference_bytes() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    packer = make_packer(Limits())
    value = {"error": (Unprintable(),)}
    assert_same_bytes(packer, value)
