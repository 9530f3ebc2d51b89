"""The compiled packer encodes objects inside a payload itself (objects, slots,
dataclasses, services one level deep, foreign classes by type) and gives exactly the
bytes of the pure Python reference: nested, cyclic, over the depth or the node budget."""

from __future__ import annotations

import collections
import dataclasses
import decimal
import threading
import types
from collections.abc import Iterator, Mapping
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.config import Limits
from seamrec.model import accel
from seamrec.model.classify import Classifier
from seamrec.model.codec import (
    ENCODE_BUDGET,
    PLAN_FIELDS,
    PLAN_OPAQUE,
    PLAN_PYTHON,
    PLAN_SERVICE,
    Ext,
    Packer,
    SelfRef,
    make_packer,
    pure_packer,
)

pytestmark = pytest.mark.skipif(
    accel.packer_module is None, reason=f"no accelerator: {accel.missing or 'no _packer'}"
)


class Service:
    """A service of the app (a boundary class): its fields, one level deep."""

    def __init__(self, name: Any, helper: Any = None) -> None:
        self.name = name
        self.helper = helper
        self._private = "never recorded"


class Record:
    """A class listed in record_types: every field, walked."""

    def __init__(self, first: Any, second: Any = None) -> None:
        self.first = first
        self.second = second


class Slotted:
    """A record type with slots."""

    __slots__ = ("unset", "value")

    def __init__(self, value: Any) -> None:
        self.value = value


@dataclasses.dataclass
class Box:
    content: Any
    label: str = "box"


class Headers(dict[Any, Any]):
    """A dict of another class: a typed collection of its items."""


class Lookup(Mapping[str, Any]):
    """A mapping of another class: read through items()."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class Broken(Lookup):
    """A mapping whose items cannot be read: recorded by type."""

    def items(self) -> Any:
        raise RuntimeError("unreadable")


class Rows(list[Any]):
    """A list of another class."""


class Tags(set[Any]):
    """A set of another class: its items sorted by bytes, in Python."""


class Sku(str):
    """A str subclass: a leaf of its own."""


class Count(int):
    pass


class Ratio(float):
    pass


FOREIGN = threading.Lock()  # a foreign class: recorded by type only

CLASSIFIER = Classifier(
    boundaries=(__name__,), record_types=(f"{__name__}.Record", f"{__name__}.Slotted")
)
LIMITS = [
    Limits(),
    Limits(max_depth=1),
    Limits(max_depth=3),
    Limits(max_depth=6, max_items=2, max_str=4),
]
PACKERS = [make_packer(limits, CLASSIFIER) for limits in LIMITS]


def outcome(packer: Packer, value: object) -> bytes | str:
    try:
        return packer(value)
    except Exception as exc:
        return type(exc).__name__


def assert_same_bytes(value: object, packers: list[Packer] = PACKERS) -> None:
    for packer in packers:
        assert outcome(packer, value) == outcome(pure_packer(packer), value)


def objects() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.integers(-3, 3),
        st.text(max_size=3),
        st.sampled_from([FOREIGN, decimal.Decimal("1.5"), b"\xff", "\ud800", 2**70, Service]),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.lists(inner, max_size=2).map(tuple),
            st.dictionaries(st.text(max_size=2), inner, max_size=3),
            st.builds(Service, inner, inner),
            st.builds(Record, inner, inner),
            st.builds(Slotted, inner),
            st.builds(Box, inner),
            st.builds(SelfRef, inner),
            st.dictionaries(st.text(max_size=2), inner, max_size=3).map(Headers),
            st.dictionaries(st.text(max_size=2), inner, max_size=3).map(Lookup),
            st.lists(inner, max_size=3).map(Rows),
            st.builds(Sku, st.text(max_size=3)),
        ),
        max_leaves=16,
    )


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(value=objects())
def test_any_object_payload_packs_to_the_reference_bytes(value: object) -> None:
    assert_same_bytes(value)
    assert_same_bytes({"request": value, "more": [value]})


def test_a_service_holding_services_and_foreign_objects() -> None:
    inner = Service("inner", FOREIGN)
    outer = Service("outer", inner)
    assert_same_bytes(outer)
    assert_same_bytes({"self": outer, "items": [outer, Record(outer, [inner, 1])]})
    # inside a service's fields a service is opaque, and a field holding one is opaque
    assert_same_bytes(Service([inner, 1], {"k": (inner,)}))


def test_objects_over_the_depth_are_cut_as_the_reference_cuts_them() -> None:
    value: Any = "leaf"
    for _ in range(40):
        value = Record(value)
    assert_same_bytes(value)


def test_a_cycle_through_objects_is_cut_as_the_reference_cuts_it() -> None:
    first = Record(None)
    second = Record(first)
    first.second = [second]
    assert_same_bytes(first)
    service = Service("me")
    service.helper = service
    assert_same_bytes(service)


def test_a_service_whose_fields_lead_back_to_it_is_cut_as_the_reference_cuts_it() -> None:
    request = Service("request")
    request.helper = {"view": Service("view"), "request": request, "args": (1,)}
    assert_same_bytes(request)
    assert_same_bytes({"self": SelfRef(request), "request": request})


def test_collections_and_leaves_of_other_classes_pack_to_the_reference_bytes() -> None:
    service = Service("s")
    assert_same_bytes(
        Service(
            Headers(a=1, b=[Record(2)]),
            [Lookup({"k": service, "n": None}), Rows([service, Sku("x")]), Tags({1, 2})],
        )
    )
    assert_same_bytes([Broken({"a": 1}), Record(Broken({}))])
    assert_same_bytes(Record(Count(2**70), Ratio(0.5)))
    assert_same_bytes(Record(Sku("\ud800"), Sku("y" * 70_000)))
    assert_same_bytes(Box(collections.OrderedDict(a=1)))
    assert_same_bytes(Box(types.MappingProxyType({"a": (1,)})))
    assert_same_bytes(Box(collections.deque([1, Record(3)])))
    assert_same_bytes(Box(Headers({(1, 2): "tuple key", 3: "int key"})))


def test_a_walk_of_no_depth_cuts_every_object_as_the_reference_does() -> None:
    packer = make_packer(Limits(max_depth=0), CLASSIFIER)
    for value in (Record(1), Service("s"), SelfRef(Service("s")), [Box(1)], FOREIGN):
        assert_same_bytes(value, [packer])


def test_a_payload_over_the_node_budget_is_cut_as_the_reference_cuts_it() -> None:
    rows = [Record(i, Slotted(i)) for i in range(ENCODE_BUDGET // 2 + 10)]
    assert_same_bytes(rows)
    assert_same_bytes(Box(rows))


def test_an_object_of_unusual_fields_packs_to_the_reference_bytes() -> None:
    odd = Record(1)
    odd.__dict__["é"] = "non-ascii name"
    odd.__dict__[1] = "not a str"  # type: ignore[index]
    odd.__dict__["not an identifier"] = 2
    assert_same_bytes(odd)
    assert_same_bytes(Slotted(Slotted(None)))


def plan(cls: type) -> tuple[int, str, Any]:
    if cls is Record:
        return (PLAN_FIELDS, "t.Record", lambda value: dict(vars(value)))
    if cls is Service:
        return (PLAN_SERVICE, "t.Service", lambda value: {"name": value.name})
    if cls is type(FOREIGN):
        return (PLAN_OPAQUE, "t.Lock", None)
    return (PLAN_PYTHON, cls.__name__, None)


def test_objects_of_a_plan_never_reach_the_default_hook() -> None:
    asked: list[object] = []

    def default(value: object) -> msgpack.ExtType:
        asked.append(value)
        return msgpack.ExtType(int(Ext.OPAQUE), msgpack.packb("by the hook"))

    assert accel.packer_module is not None
    packer = accel.packer_module.Packer(
        default, msgpack.ExtType, decimal.Decimal, SelfRef, 32, ENCODE_BUDGET, 0, plan
    )
    data = packer({"a": Record(Service("s"), [FOREIGN]), "b": Box(1)})
    assert asked == [Box(1)]  # no plan for a dataclass here: the node goes to the hook
    tree = msgpack.unpackb(data, strict_map_key=False)
    record = msgpack.unpackb(tree["a"].data, strict_map_key=False)
    assert record[0] == "t.Record"
    assert msgpack.unpackb(record[1]["first"].data) == ["t.Service", {"name": "s"}]
    assert record[1]["second"][0].code == int(Ext.OPAQUE)
