"""Payload trees read by name: every ext value the codec writes has a node of its layout."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import sqlite3
import zoneinfo
from typing import Any, NamedTuple

import msgpack
import pytest

from seamrec.config import Limits
from seamrec.model.codec import make_encoder, pack
from seamrec.model.payload import (
    ClockNode,
    CollectionNode,
    ComplexNode,
    CutNode,
    EnumNode,
    ExceptionNode,
    Ext,
    LeafSubclassNode,
    NamedTupleNode,
    ObjectNode,
    RowNode,
    TimedeltaNode,
    ext,
    inner,
    node,
    read,
    type_path_of,
)

encode = make_encoder(Limits(max_depth=4, max_items=3))


class Color(enum.Enum):
    RED = "r"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(NamedTuple):
    left: int
    right: str


class Sku(str):
    pass


class Refused(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _row() -> sqlite3.Row:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    row: sqlite3.Row = connection.execute("SELECT 1 AS id, 'ada' AS name").fetchone()
    connection.close()
    return row


ZONE = zoneinfo.ZoneInfo("Europe/Paris")
CASES: list[tuple[Any, Any]] = [
    (
        dt.datetime(2024, 5, 1, 12, tzinfo=ZONE),
        ClockNode("2024-05-01T12:00:00+02:00", "Europe/Paris"),
    ),
    (dt.time(9, 30), ClockNode("09:30:00", None)),
    (dt.timedelta(days=1, seconds=2, microseconds=3), TimedeltaNode(1, 2, 3)),
    (complex(1, 2), ComplexNode(1.0, 2.0)),
    (collections.OrderedDict(a=1), CollectionNode("collections.OrderedDict", "dict", [["a", 1]])),
    (collections.deque([1]), CollectionNode("collections.deque", "list", [1])),
    (Pair(1, "r"), NamedTupleNode(f"{__name__}.Pair", ["left", "right"], [1, "r"])),
    (Color.RED, EnumNode(f"{__name__}.Color", "RED", "r")),
    (Point(1, 2), ObjectNode(f"{__name__}.Point", {"x": 1, "y": 2})),
    (_row(), RowNode("sqlite3.Row", ["id", "name"], [1, "ada"])),
    (Refused(7), ExceptionNode(f"{__name__}.Refused", [7], "7", {"code": 7})),
    (Sku("A-1"), LeafSubclassNode(f"{__name__}.Sku", "A-1")),
]


@pytest.mark.parametrize(("value", "expected"), CASES, ids=[type(v).__name__ for v, _ in CASES])
def test_each_ext_value_reads_as_its_named_node(value: Any, expected: Any) -> None:
    tree = encode(value)
    assert isinstance(tree, msgpack.ExtType)
    assert expected == read(tree)
    assert type(expected) is type(read(tree))


@pytest.mark.parametrize(("value", "expected"), CASES, ids=[type(v).__name__ for v, _ in CASES])
def test_a_node_written_back_gives_the_same_bytes(value: Any, expected: Any) -> None:
    tree = encode(value)
    assert pack(tree) == pack(ext(tree.code, read(tree)))


def test_a_cut_names_its_reason_and_detail() -> None:
    tree = encode([1, 2, 3, 4, 5])[-1]
    assert CutNode("items", 2) == read(tree)


def test_codes_without_a_node_read_as_their_inner_value() -> None:
    assert [1, 2] == read(encode((1, 2)))
    assert "decimal.Decimal" != read(encode(object()))
    assert "object" == read(encode(object()))
    assert [1, 2] == node(Ext.SET, [1, 2])


def test_an_exception_recorded_without_public_fields_is_written_back_without_them() -> None:
    old = msgpack.ExtType(int(Ext.EXCEPTION), pack(["ValueError", ["bad"], "bad"]))
    found = read(old)
    assert ExceptionNode("ValueError", ["bad"], "bad", None) == found
    assert old == ext(Ext.EXCEPTION, found)


def test_a_node_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(TypeError):
        node(Ext.OBJECT, ["only a type path"])


def test_inner_leaves_nested_ext_values_packed() -> None:
    tree = encode(Point(1, (2, 3)))  # type: ignore[arg-type]
    assert isinstance(inner(tree)[1]["y"], msgpack.ExtType)


def test_the_type_path_of_an_ext_value() -> None:
    assert f"{__name__}.Point" == type_path_of(encode(Point(1, 2)))
    assert "object" == type_path_of(encode(object()))
    assert type_path_of(encode((1, 2))) is None
    assert type_path_of(encode(dt.timedelta(1))) is None
