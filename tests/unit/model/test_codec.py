"""seamrec.model.codec: type-faithful payload encoding and decoding into views."""

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.config import Limits
from seamrec.model.codec import (
    CutView,
    EnumView,
    ExceptionView,
    LeafSubclassView,
    ObjectView,
    OpaqueView,
    RowView,
    SelfView,
    TypedCollectionView,
    encode_self,
    make_encoder,
    pack,
    short_repr,
    unpack,
)

HERE = __name__
encode = make_encoder(Limits())


def roundtrip(value: object, limits: Limits | None = None) -> Any:
    encoder = encode if limits is None else make_encoder(limits)
    return unpack(pack(encoder(value)))


def packed(value: object) -> bytes:
    return pack(encode(value))


# ----------------------------------------------------------------- plain values


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**63 - 1,
        -(2**63),
        2**64 - 1,
        1.5,
        -0.25,
        "text",
        "",
        "ünïcødé ✓",
        b"\x00\xffraw",
        b"",
        [1, "a", None],
        {"a": 1, "b": [1.5, None]},
    ],
    ids=repr,
)
def test_plain_values_roundtrip_unchanged(value: object) -> None:
    actual = roundtrip(value)

    assert value == actual
    assert type(value) is type(actual)


def test_tuple_stays_tuple_and_list_stays_list() -> None:
    actual = roundtrip({"t": (1, (2, 3)), "l": [1, [2, 3]], "lt": [(1,)], "tl": ([1],)})

    assert {"t": (1, (2, 3)), "l": [1, [2, 3]], "lt": [(1,)], "tl": ([1],)} == actual
    assert (tuple, tuple, list, list) == (
        type(actual["t"]),
        type(actual["t"][1]),
        type(actual["l"]),
        type(actual["l"][1]),
    )
    assert (tuple, list) == (type(actual["lt"][0]), type(actual["tl"][0]))


def test_empty_tuple_stays_tuple() -> None:
    assert () == roundtrip(())
    assert tuple is type(roundtrip(()))


@pytest.mark.parametrize(
    "value",
    [{1, 2, 3}, frozenset({"a", "b"}), set(), frozenset(), {(1, 2), (3, 4)}],
    ids=["ints", "frozen-strs", "empty-set", "empty-frozenset", "tuples"],
)
def test_set_and_frozenset_keep_their_type(value: object) -> None:
    actual = roundtrip(value)

    assert value == actual
    assert type(value) is type(actual)


@pytest.mark.parametrize("value", [2**64, 2**100, -(2**63) - 1, -(2**200), 10**40 + 7], ids=str)
def test_ints_beyond_64_bits_roundtrip(value: int) -> None:
    actual = roundtrip(value)

    assert value == actual
    assert int is type(actual)


def test_bool_stays_bool_and_int_stays_int() -> None:
    actual = roundtrip([True, 1, False, 0])

    assert [bool, int, bool, int] == [type(v) for v in actual]
    assert [True, 1, False, 0] == actual


def test_float_stays_float_even_when_integral() -> None:
    actual = roundtrip([1.0, 2, 1e300, -0.0])

    assert [float, int, float, float] == [type(v) for v in actual]
    assert [1.0, 2, 1e300, -0.0] == actual


@pytest.mark.parametrize(
    "value",
    [
        decimal.Decimal("1.10"),
        decimal.Decimal("-0"),
        decimal.Decimal("1E+30"),
        decimal.Decimal("12345678901234567890.123456789"),
    ],
    ids=str,
)
def test_decimal_keeps_its_exact_digits(value: decimal.Decimal) -> None:
    actual = roundtrip(value)

    assert decimal.Decimal is type(actual)
    assert str(value) == str(actual)


def test_aware_datetime_keeps_its_offset() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    value = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=plus_two)

    actual = roundtrip(value)

    assert value == actual
    assert dt.timedelta(hours=2) == actual.utcoffset()


def test_utc_datetime_stays_aware() -> None:
    value = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)

    actual = roundtrip(value)

    assert value == actual
    assert dt.timedelta(0) == actual.utcoffset()


def test_naive_datetime_stays_naive() -> None:
    value = dt.datetime(2024, 5, 1, 12, 30, 15)

    actual = roundtrip(value)

    assert value == actual
    assert actual.tzinfo is None
    assert dt.datetime is type(actual)


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2024, 2, 29),
        dt.time(23, 59, 58, 999),
        dt.time(8, 0, tzinfo=dt.UTC),
        dt.timedelta(days=-3, seconds=5, microseconds=7),
        dt.timedelta(0),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        1 + 2j,
        bytearray(b"abc"),
    ],
    ids=repr,
)
def test_other_stdlib_leaves_keep_type_and_value(value: object) -> None:
    actual = roundtrip(value)

    assert value == actual
    assert type(value) is type(actual)


def test_naive_time_stays_naive_and_aware_time_stays_aware() -> None:
    naive, aware = roundtrip([dt.time(8, 0), dt.time(8, 0, tzinfo=dt.UTC)])

    assert (None, dt.UTC) == (naive.tzinfo, aware.tzinfo)


def test_dict_with_int_and_tuple_keys_roundtrips() -> None:
    value = {1: "one", (2, "b"): "pair", "s": "str", None: 0, 1.5: [1]}

    actual = roundtrip(value)

    assert value == actual
    assert list(value) == list(actual)


def test_dict_with_str_keys_keeps_key_order() -> None:
    assert ["z", "a", "m"] == list(roundtrip({"z": 1, "a": 2, "m": 3}))


# ------------------------------------------------------------ views of user types


class Color(enum.Enum):
    RED = 1
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = "p"


class Pair(NamedTuple):
    left: str
    right: float


class Slotted:
    __slots__ = ("_secret", "label", "size")

    def __init__(self) -> None:
        self.label = "l"
        self.size = 2
        self._secret = "s"


class Plain:
    def __init__(self) -> None:
        self.name = "n"
        self.tags = ("a",)
        self._cache = {"private": True}


class OrderMissing(LookupError):
    pass


def test_enum_becomes_enum_view_with_type_path_and_name() -> None:
    assert [EnumView(f"{HERE}.Color", "RED", 1), EnumView(f"{HERE}.Color", "BLUE", "blue")] == (
        roundtrip([Color.RED, Color.BLUE])
    )


def test_ordered_dict_becomes_typed_collection_view_with_type_path() -> None:
    actual = roundtrip(collections.OrderedDict([("b", 1), ("a", 2)]))

    assert TypedCollectionView("collections.OrderedDict", (("b", 1), ("a", 2))) == actual


def test_defaultdict_becomes_typed_collection_view_with_type_path() -> None:
    actual = roundtrip(collections.defaultdict(int, {"a": 1, "b": 2}))

    assert TypedCollectionView("collections.defaultdict", (("a", 1), ("b", 2))) == actual


def test_values_inside_a_typed_dict_keep_list_and_tuple_apart() -> None:
    actual = roundtrip(collections.OrderedDict([("list", [1, 2]), ("tuple", (1, 2))]))

    assert "collections.OrderedDict" == actual.type_path
    assert {"list": [1, 2], "tuple": (1, 2)} == dict(actual.items)
    assert (list, tuple) == (type(dict(actual.items)["list"]), type(dict(actual.items)["tuple"]))


def test_deque_and_counter_become_typed_collection_views() -> None:
    assert [
        TypedCollectionView("collections.deque", (1, 2)),
        TypedCollectionView("collections.Counter", (("a", 2), ("b", 1))),
    ] == roundtrip([collections.deque([1, 2]), collections.Counter("aab")])


def test_dataclass_becomes_object_view_with_fields() -> None:
    actual = roundtrip(Point(1, 2))

    assert ObjectView(f"{HERE}.Point", (("x", 1), ("y", 2), ("label", "p"))) == actual
    assert 2 == actual.get("y")


def test_namedtuple_becomes_object_view_with_fields() -> None:
    assert ObjectView(f"{HERE}.Pair", (("left", "a"), ("right", 1.5)), "namedtuple") == (
        roundtrip(Pair("a", 1.5))
    )


def test_object_with_slots_becomes_object_view_with_public_slots() -> None:
    assert ObjectView(f"{HERE}.Slotted", (("label", "l"), ("size", 2))) == roundtrip(Slotted())


def test_plain_object_becomes_object_view_with_public_attributes() -> None:
    assert ObjectView(f"{HERE}.Plain", (("name", "n"), ("tags", ("a",)))) == roundtrip(Plain())


def test_sqlite_row_becomes_row_view_with_columns() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT 7 AS id, 'ann' AS name, NULL AS email, 1.5 AS score").fetchone()
    finally:
        conn.close()

    actual = roundtrip(row)

    assert RowView("sqlite3.Row", ("id", "name", "email", "score"), (7, "ann", None, 1.5)) == (
        actual
    )


def test_exception_becomes_exception_view_with_type_and_args() -> None:
    assert [
        ExceptionView("ValueError", ("bad", 3), "('bad', 3)"),
        ExceptionView(f"{HERE}.OrderMissing", (7,), "7"),
        ExceptionView("KeyError", ("k",), "'k'"),
    ] == roundtrip([ValueError("bad", 3), OrderMissing(7), KeyError("k")])


def test_exception_with_broken_str_is_still_recorded() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    actual = roundtrip(Broken(1))

    assert ExceptionView(f"{HERE}.{Broken.__qualname__}", (1,), "<unprintable Broken>") == actual


def test_leaf_subclass_keeps_its_type_path_and_plain_value() -> None:
    class Sku(str):
        pass

    class Flag(enum.IntFlag):
        A = 1

    actual = roundtrip([Sku("MUG-1"), Flag.A])

    assert LeafSubclassView(f"{HERE}.{Sku.__qualname__}", "MUG-1") == actual[0]
    assert EnumView(f"{HERE}.{Flag.__qualname__}", "A", 1) == actual[1]


def test_self_is_recorded_as_its_type_path() -> None:
    assert SelfView(f"{HERE}.Point") == unpack(pack(encode_self(Point(1, 2))))
    assert SelfView(f"{HERE}.Point") == unpack(pack(encode_self(Point)))


# ------------------------------------------------------------------ opaque things


def a_function() -> int:
    return 1


def a_generator() -> Generator[int, None, None]:
    yield 1


@pytest.fixture
def opaque_values(tmp_path: Path) -> Iterator[dict[str, tuple[object, str]]]:
    conn = sqlite3.connect(":memory:")
    path = tmp_path / "data.txt"
    path.write_text("x")
    text_file = path.open("r", encoding="utf-8")
    binary_file = path.open("rb")
    generator = a_generator()
    yield {
        "connection": (conn, "sqlite3.Connection"),
        "cursor": (conn.cursor(), "sqlite3.Cursor"),
        "text file": (text_file, "_io.TextIOWrapper"),
        "binary file": (binary_file, "_io.BufferedReader"),
        "function": (a_function, "function"),
        "lambda": (lambda: 1, "function"),
        "builtin": (len, "builtin_function_or_method"),
        "method": (conn.close, "builtin_function_or_method"),
        "module": (sys, "module"),
        "class": (Point, "type"),
        "generator": (generator, "generator"),
        "iterator": (iter([1]), "list_iterator"),
        "Mock": (mock.Mock(), "unittest.mock.Mock"),
        "MagicMock": (mock.MagicMock(), "unittest.mock.MagicMock"),
        "object": (object(), "object"),
    }
    generator.close()
    text_file.close()
    binary_file.close()
    conn.close()


def test_opaque_values_become_opaque_views_with_type_path(
    opaque_values: dict[str, tuple[object, str]],
) -> None:
    actual = {name: roundtrip(value) for name, (value, _) in opaque_values.items()}

    assert {name: OpaqueView(path) for name, (_, path) in opaque_values.items()} == actual


def test_opaque_values_never_store_a_memory_address(
    opaque_values: dict[str, tuple[object, str]],
) -> None:
    for name, (value, _) in opaque_values.items():
        data = packed({"value": value, "inside": [value]})
        assert b"0x" not in data, name
        assert "0x" not in repr(unpack(data)), name


def test_exception_with_opaque_args_never_stores_a_memory_address() -> None:
    data = packed(ValueError("no connection", object()))

    assert b"0x" not in data
    assert "0x" not in repr(unpack(data))


def test_mock_is_not_touched_by_encoding() -> None:
    double = mock.Mock()
    before = sorted(vars(double))

    roundtrip({"service": double, "all": [double, double]})

    assert [] == double.mock_calls
    assert before == sorted(vars(double))
    assert {} == double._mock_children


def test_generator_is_not_consumed_by_encoding() -> None:
    generator = (n for n in [1, 2])

    assert OpaqueView("generator") == roundtrip(generator)
    assert [1, 2] == list(generator)


# -------------------------------------------------------- properties are not run


RUNS: list[str] = []


class Watched:
    def __init__(self) -> None:
        self.value = 1

    @property
    def explodes(self) -> int:
        raise RuntimeError("property evaluated")

    @property
    def tracked(self) -> int:
        RUNS.append("tracked")
        return 2

    def __getattr__(self, name: str) -> object:
        RUNS.append(f"__getattr__ {name}")
        raise AttributeError(name)


@dataclasses.dataclass
class WatchedRecord:
    id: int

    @property
    def tracked(self) -> int:
        RUNS.append("record.tracked")
        return 2


class WatchedSlots:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = 1

    @property
    def tracked(self) -> int:
        RUNS.append("slots.tracked")
        return 2

    def __getattr__(self, name: str) -> object:
        RUNS.append(f"slots.__getattr__ {name}")
        raise AttributeError(name)


def test_properties_and_getattr_hooks_are_not_run_while_encoding() -> None:
    RUNS.clear()

    actual = roundtrip([Watched(), WatchedRecord(3), WatchedSlots()])

    assert [] == RUNS
    assert [
        ObjectView(f"{HERE}.Watched", (("value", 1),)),
        ObjectView(f"{HERE}.WatchedRecord", (("id", 3),)),
        ObjectView(f"{HERE}.WatchedSlots", (("a", 1),)),
    ] == actual


# ------------------------------------------------------------------------ limits


def test_max_depth_cuts_deep_values_with_a_marker() -> None:
    limits = Limits(max_depth=3)

    assert [[[CutView("depth", "list")]]] == roundtrip([[[[1]]]], limits)
    assert {"a": {"b": {"c": CutView("depth", "dict")}}} == roundtrip(
        {"a": {"b": {"c": {"d": 1}}}}, limits
    )
    assert [[[1]]] == roundtrip([[[1]]], limits)


def test_very_deep_value_is_cut_without_recursion_error() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]

    actual = roundtrip(deep)

    for _ in range(Limits().max_depth):
        actual = actual[0]
    assert CutView("depth", "list") == actual


def test_cycle_is_cut_with_a_marker() -> None:
    items: list[Any] = [1]
    items.append(items)
    record: dict[str, Any] = {"id": 1}
    record["self"] = record
    obj = Plain()
    obj.name = obj  # type: ignore[assignment]

    assert [1, CutView("cycle", "list")] == roundtrip(items)
    assert {"id": 1, "self": CutView("cycle", "dict")} == roundtrip(record)
    cut = CutView("cycle", f"{HERE}.Plain")
    assert ObjectView(f"{HERE}.Plain", (("name", cut), ("tags", ("a",)))) == roundtrip(obj)


def test_shared_but_acyclic_values_are_not_cut() -> None:
    shared = [1, 2]

    assert {"a": [1, 2], "b": [1, 2]} == roundtrip({"a": shared, "b": shared})


def test_max_items_cuts_long_collections_with_a_marker() -> None:
    limits = Limits(max_items=3)

    assert [0, 1, 2, CutView("items", 7)] == roundtrip(list(range(10)), limits)
    assert (0, 1, 2, CutView("items", 2)) == roundtrip(tuple(range(5)), limits)
    assert {0: 0, 1: 1, 2: 2, CutView("items", 7): None} == roundtrip(
        {i: i for i in range(10)}, limits
    )
    assert {"0": 0, "1": 1, "2": 2, CutView("items", 7): None} == roundtrip(
        {str(i): i for i in range(10)}, limits
    )
    assert [0, 1, 2] == roundtrip([0, 1, 2], limits)


def test_max_items_cuts_long_sets_with_a_marker() -> None:
    actual = roundtrip(set(range(10)), Limits(max_items=3))

    assert 4 == len(actual)
    assert CutView("items", 7) in actual


def test_max_str_cuts_long_strings_and_bytes_with_a_marker() -> None:
    limits = Limits(max_str=16)

    assert CutView("str", (40, "x" * 16)) == roundtrip("x" * 40, limits)
    assert CutView("bytes", (40, b"y" * 16)) == roundtrip(b"y" * 40, limits)
    assert "z" * 16 == roundtrip("z" * 16, limits)


# ---------------------------------------------------------------- canonical bytes


def test_equal_values_pack_to_the_same_bytes() -> None:
    def make() -> object:
        return {
            "set": {"b", "a", "c", 3, 1, (2, "x")},
            "frozen": frozenset({2.5, -1, "q"}),
            "nested": [{"k": {9, 8, 7}}, (1, {"z"})],
            "point": Point(1, 2),
            "when": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            "money": decimal.Decimal("9.99"),
        }

    assert packed(make()) == packed(make())
    assert pack(make_encoder(Limits())(make())) == packed(make())


def test_sets_built_in_different_orders_pack_to_the_same_bytes() -> None:
    forward = set(range(0, 300, 3)) | {"a", "b"}
    backward = {"b", "a"} | set(reversed(range(0, 300, 3)))

    assert packed(forward) == packed(backward)


HASH_SEED_SCRIPT = """
import hashlib
from seamrec.model.codec import make_encoder, pack
from seamrec.config import Limits
encode = make_encoder(Limits())
words = {f"word{i}" for i in range(60)}
print(hashlib.sha256(pack(encode(words))).hexdigest())
print(hashlib.sha256(pack(encode({"k": frozenset(words), "t": {("a", 1), ("b", 2)}}))).hexdigest())
"""

LARGE_SET_SCRIPT = """
import hashlib
from seamrec.model.codec import make_encoder, pack
from seamrec.config import Limits
encode = make_encoder(Limits(max_items=100))
print(hashlib.sha256(pack(encode({f"word{i}" for i in range(150)}))).hexdigest())
"""


def run_with_hash_seed(script: str, seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_set_of_strings_packs_identically_under_different_hash_seeds() -> None:
    assert run_with_hash_seed(HASH_SEED_SCRIPT, "1") == run_with_hash_seed(HASH_SEED_SCRIPT, "2")


def test_set_larger_than_max_items_packs_identically_under_different_hash_seeds() -> None:
    outputs = {run_with_hash_seed(LARGE_SET_SCRIPT, seed) for seed in ("1", "2", "3")}

    assert 1 == len(outputs)


# --------------------------------------------------------------------- short_repr


def test_short_repr_bounds_long_values() -> None:
    assert "'abc'" == short_repr("abc")
    assert 80 == len(short_repr("x" * 500))
    assert short_repr("x" * 500).endswith("...")


# --------------------------------------------------------------------- properties


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=examples(60), deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_json_like_values_roundtrip_unchanged(value: dict[str, Any]) -> None:
    assert value == roundtrip(value)
    assert packed(value) == packed(roundtrip(value))
