"""seamrec.model.shape: the type skeleton of values, canonical order and compatibility."""

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import itertools
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model.shape import (
    Shape,
    args_shape,
    canonical,
    compatible,
    make_shape_function,
    self_shape,
    type_path,
)

shape_of = make_shape_function()
HERE = __name__


def contains(shape: Any, part: Shape) -> bool:
    """True when `part` occurs anywhere inside `shape`."""
    if shape == part:
        return True
    return isinstance(shape, tuple) and any(contains(child, part) for child in shape)


def cut_reasons(shape: Any) -> set[str]:
    """The reasons of every ("cut", reason) marker inside `shape`."""
    if isinstance(shape, tuple) and len(shape) == 2 and shape[0] == "cut":
        return {shape[1]}
    if isinstance(shape, tuple):
        return set().union(*(cut_reasons(child) for child in shape))
    return set()


# -------------------------------------------------------------------------- leaves


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, ("int",)),
        (True, ("bool",)),
        (False, ("bool",)),
        (1.5, ("float",)),
        ("text", ("str",)),
        (None, ("None",)),
        (b"raw", ("bytes",)),
        (bytearray(b"raw"), ("bytearray",)),
        (decimal.Decimal("1.10"), ("Decimal",)),
        (1j, ("complex",)),
        (dt.date(2024, 5, 1), ("date",)),
        (dt.timedelta(seconds=3), ("timedelta",)),
        (uuid.UUID(int=7), ("UUID",)),
        (2**80, ("int",)),
    ],
)
def test_leaf_values_have_their_type_as_shape(value: object, expected: Shape) -> None:
    assert expected == shape_of(value)


def test_int_bool_float_str_none_bytes_decimal_are_all_different_shapes() -> None:
    values = [1, True, 1.0, "1", None, b"1", decimal.Decimal(1)]

    shapes = [shape_of(v) for v in values]

    assert len(values) == len(set(shapes))
    assert not any(compatible(a, b) for a, b in itertools.permutations(shapes, 2))


def test_aware_and_naive_datetimes_have_different_shapes() -> None:
    naive = shape_of(dt.datetime(2024, 5, 1, 12, 0))
    aware = shape_of(dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))

    assert (("datetime",), ("datetime+tz",)) == (naive, aware)
    assert not compatible(naive, aware)


def test_aware_and_naive_times_have_different_shapes() -> None:
    assert (("time",), ("time+tz",)) == (
        shape_of(dt.time(12, 0)),
        shape_of(dt.time(12, 0, tzinfo=dt.UTC)),
    )


def test_datetimes_with_different_offsets_have_the_same_shape() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))

    assert shape_of(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == shape_of(
        dt.datetime(2024, 1, 1, tzinfo=plus_two)
    )


def test_subclass_of_a_leaf_type_keeps_its_own_name() -> None:
    class Sku(str):
        pass

    assert (f"str:{HERE}.{Sku.__qualname__}",) == shape_of(Sku("MUG-1"))


# ---------------------------------------------------------------------- containers


def test_tuple_and_list_have_different_shapes() -> None:
    as_tuple, as_list = shape_of((1, 2)), shape_of([1, 2])

    assert ("tuple", "tuple", ((("int",),), (("int",),))) == as_tuple
    assert ("coll", "list", (("int",),)) == as_list
    assert not compatible(as_tuple, as_list)
    assert not compatible(as_list, as_tuple)


def test_tuple_positions_each_have_their_own_shape() -> None:
    assert ("tuple", "tuple", ((("int",),), (("str",),))) == shape_of((1, "a"))
    assert not compatible(shape_of((1, "a")), shape_of((1, "a", None)))


def test_set_frozenset_and_deque_are_collections_with_their_type() -> None:
    assert ("coll", "set", (("int",),)) == shape_of({1, 2})
    assert ("coll", "frozenset", (("str",),)) == shape_of(frozenset({"a"}))
    assert ("coll", "collections.deque", (("int",),)) == shape_of(collections.deque([1]))


def test_set_with_mixed_items_has_a_sorted_union() -> None:
    assert ("coll", "set", (("None",), ("int",), ("str",))) == shape_of({"a", 1, None})


def test_list_length_is_not_part_of_the_shape() -> None:
    assert shape_of([1]) == shape_of([1, 2, 3])
    assert compatible(shape_of([1]), shape_of([1, 2, 3]))


def test_empty_list_is_compatible_with_a_non_empty_list() -> None:
    empty, full = shape_of([]), shape_of([{"a": 1}])

    assert ("coll", "list", ()) == empty
    assert compatible(empty, full)
    assert compatible(full, empty)


def test_empty_list_is_not_compatible_with_a_dict() -> None:
    assert not compatible(shape_of([]), shape_of({}))


def test_list_with_several_types_records_a_union() -> None:
    assert ("coll", "list", (("None",), ("int",))) == shape_of([1, None])


def test_live_value_fits_when_its_types_were_all_recorded() -> None:
    recorded = shape_of([1, None])

    assert compatible(recorded, shape_of([1]))
    assert compatible(recorded, shape_of([None, None]))
    assert compatible(recorded, shape_of([None, 1, 2]))


def test_live_value_does_not_fit_when_it_brings_a_new_type() -> None:
    assert not compatible(shape_of([1]), shape_of([1, "x"]))
    assert not compatible(shape_of([1]), shape_of([1, None]))
    assert not compatible(shape_of({"a": [1]}), shape_of({"a": [1, "x"]}))


def test_list_of_dicts_with_optional_field_types_records_a_union_per_key() -> None:
    shape = shape_of([{"id": 1, "email": "a@x"}, {"id": 2, "email": None}])

    row = ("dict", "dict", ("id", "email"), ((("int",),), (("None",), ("str",))))
    assert ("coll", "list", (row,)) == shape


# --------------------------------------------------------------------------- dicts


def test_str_keyed_dict_records_keys_and_value_shapes() -> None:
    assert ("dict", "dict", ("a", "b"), ((("int",),), (("str",),))) == shape_of({"a": 1, "b": "x"})


def test_dict_key_order_does_not_matter_for_compatibility() -> None:
    first, second = shape_of({"a": 1, "b": "x"}), shape_of({"b": "x", "a": 1})

    assert first != second  # raw shapes keep insertion order ...
    assert canonical(first) == canonical(second)  # ... canonical ones do not
    assert compatible(first, second)
    assert compatible(second, first)


def test_renamed_key_is_not_compatible() -> None:
    assert not compatible(shape_of({"user_id": 1}), shape_of({"userId": 1}))


def test_missing_and_extra_keys_are_not_compatible() -> None:
    assert not compatible(shape_of({"a": 1, "b": 2}), shape_of({"a": 1}))
    assert not compatible(shape_of({"a": 1}), shape_of({"a": 1, "b": 2}))


def test_dict_with_non_str_keys_is_a_map_of_key_and_value_shapes() -> None:
    assert ("map", "dict", (("int",),), (("str",),)) == shape_of({1: "a", 2: "b"})
    assert ("map", "dict", (("int",), ("tuple", "tuple", ((("int",),),))), (("str",),)) == shape_of(
        {1: "a", (2,): "b"}
    )


def test_ordered_dict_keeps_its_type_path() -> None:
    shape = shape_of(collections.OrderedDict(a=1))

    assert ("dict", "collections.OrderedDict", ("a",), ((("int",),),)) == shape
    assert not compatible(shape_of({"a": 1}), shape)


# ----------------------------------------------------------- records and objects


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(NamedTuple):
    left: str
    right: float


class Plain:
    def __init__(self) -> None:
        self.name = "n"
        self.count = 1
        self._cache = {"private": True}


class Slotted:
    __slots__ = ("_secret", "label", "size")

    def __init__(self) -> None:
        self.label = "l"
        self.size = 2
        self._secret = "s"


def test_dataclass_shape_has_type_path_and_field_names() -> None:
    assert ("obj", f"{HERE}.Point", ("x", "y"), ((("int",),), (("int",),))) == shape_of(Point(1, 2))


def test_namedtuple_shape_has_type_path_and_field_names() -> None:
    assert ("ntuple", f"{HERE}.Pair", ("left", "right"), ((("str",),), (("float",),))) == (
        shape_of(Pair("a", 1.0))
    )


def test_collections_namedtuple_shape_has_type_path_and_field_names() -> None:
    Row = collections.namedtuple("Row", "id name")

    assert ("ntuple", f"{HERE}.Row", ("id", "name"), ((("int",),), (("str",),))) == shape_of(
        Row(1, "a")
    )


def test_plain_object_shape_has_type_path_and_public_attributes() -> None:
    assert ("obj", f"{HERE}.Plain", ("name", "count"), ((("str",),), (("int",),))) == shape_of(
        Plain()
    )


def test_slotted_object_shape_has_type_path_and_public_slots() -> None:
    assert ("obj", f"{HERE}.Slotted", ("label", "size"), ((("str",),), (("int",),))) == (
        shape_of(Slotted())
    )


def test_unset_slots_are_left_out() -> None:
    value = Slotted.__new__(Slotted)
    value.size = 3

    assert ("obj", f"{HERE}.Slotted", ("size",), ((("int",),),)) == shape_of(value)


def test_sqlite_row_shape_has_type_path_and_column_names() -> None:
    with sqlite3.connect(":memory:") as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT 1 AS id, 'ann' AS name, NULL AS email").fetchone()
    conn.close()

    columns = ("id", "name", "email")
    expected = ("row", "sqlite3.Row", columns, ((("int",),), (("str",),), (("None",),)))
    assert expected == shape_of(row)


def test_sqlite_rows_with_renamed_column_are_not_compatible() -> None:
    with sqlite3.connect(":memory:") as conn:
        conn.row_factory = sqlite3.Row
        old = conn.execute("SELECT 1 AS user_id").fetchone()
        new = conn.execute("SELECT 1 AS userId").fetchone()
    conn.close()

    assert not compatible(shape_of(old), shape_of(new))


def test_dataclasses_of_different_types_are_not_compatible() -> None:
    @dataclasses.dataclass
    class Other:
        x: int
        y: int

    assert not compatible(shape_of(Point(1, 2)), shape_of(Other(1, 2)))


def test_field_type_change_in_a_dataclass_is_not_compatible() -> None:
    assert not compatible(shape_of(Point(1, 2)), shape_of(Point(1, "2")))  # type: ignore[arg-type]


class Color(enum.Enum):
    RED = 1
    BLUE = "blue"


def test_enum_shape_has_its_type_path_and_not_the_member() -> None:
    assert ("enum", f"{HERE}.Color") == shape_of(Color.RED)
    assert shape_of(Color.RED) == shape_of(Color.BLUE)


class OrderMissing(LookupError):
    pass


def test_exception_shape_has_its_type_and_arg_shapes() -> None:
    assert ("exc", "ValueError", ((("str",),), (("int",),))) == shape_of(ValueError("bad", 3))
    assert ("exc", f"{HERE}.OrderMissing", ((("int",),),)) == shape_of(OrderMissing(7))


def test_exceptions_of_different_types_are_not_compatible() -> None:
    assert not compatible(shape_of(ValueError("x")), shape_of(KeyError("x")))


def test_self_and_args_shapes() -> None:
    assert ("self", f"{HERE}.Point") == self_shape(Point(1, 2))
    assert ("self", f"{HERE}.Point") == self_shape(Point)
    assert ("args", ("a", "b"), ((("int",),), (("str",),))) == args_shape(
        ("a", "b"), [("int",), ("str",)]
    )


def test_type_path_of_builtins_is_the_bare_name() -> None:
    assert ("int", "collections.OrderedDict", f"{HERE}.Point") == (
        type_path(int),
        type_path(collections.OrderedDict),
        type_path(Point),
    )


# ------------------------------------------------------- no code of the value runs


RUNS: list[str] = []


class Watched:
    """An object whose properties and dunder hooks record being run."""

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
    def explodes(self) -> int:
        raise RuntimeError("property evaluated")

    @property
    def tracked(self) -> int:
        RUNS.append("record.tracked")
        return 2


class WatchedSlots:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = 1  # b stays unset

    @property
    def tracked(self) -> int:
        RUNS.append("slots.tracked")
        return 2

    def __getattr__(self, name: str) -> object:
        RUNS.append(f"slots.__getattr__ {name}")
        raise AttributeError(name)


def test_properties_and_getattr_hooks_are_not_run() -> None:
    RUNS.clear()

    shapes = [shape_of(Watched()), shape_of(WatchedRecord(1)), shape_of(WatchedSlots())]

    assert [] == RUNS
    assert [
        ("obj", f"{HERE}.Watched", ("value",), ((("int",),),)),
        ("obj", f"{HERE}.WatchedRecord", ("id",), ((("int",),),)),
        ("obj", f"{HERE}.WatchedSlots", ("a",), ((("int",),),)),
    ] == shapes


@pytest.mark.parametrize(
    ("make", "first"),
    [
        (lambda: iter([1, 2, 3]), 1),
        (lambda: (n for n in [1, 2, 3]), 1),
        (lambda: map(int, ["1", "2", "3"]), 1),
        (lambda: itertools.count(1), 1),
        (lambda: iter({"a": 1, "b": 2}.items()), ("a", 1)),
        (lambda: zip([1], [2], strict=True), (1, 2)),
    ],
    ids=["list_iterator", "generator", "map", "count", "dict_itemiterator", "zip"],
)
def test_iterators_and_generators_are_opaque_and_not_consumed(make: Any, first: object) -> None:
    iterator = make()

    shape = shape_of(iterator)
    inside = shape_of({"rows": iterator})

    assert ("opaque", type_path(type(iterator))) == shape
    assert ("dict", "dict", ("rows",), ((shape,),)) == inside
    assert first == next(iterator)


def test_generator_function_body_does_not_run() -> None:
    ran: list[str] = []

    def rows() -> Iterator[int]:
        ran.append("started")
        yield 1

    generator = rows()
    shape_of([generator])

    assert [] == ran
    assert [1] == list(generator)


def test_custom_iterator_object_is_not_iterated() -> None:
    class Countdown:
        def __init__(self) -> None:
            self.left = 3

        def __iter__(self) -> "Countdown":
            return self

        def __next__(self) -> int:
            self.left -= 1
            return self.left

    value = Countdown()
    shape_of(value)

    assert 3 == value.left


def test_mock_is_opaque_and_not_touched() -> None:
    double = mock.Mock()
    before = sorted(vars(double))

    shape = shape_of(double)
    shape_of({"service": double, "items": [double]})

    assert ("opaque", "unittest.mock.Mock") == shape
    assert [] == double.mock_calls
    assert before == sorted(vars(double))
    assert {} == double._mock_children


@pytest.mark.parametrize(
    "double",
    [mock.MagicMock(), mock.NonCallableMock(), mock.Mock(spec=Point), mock.create_autospec(Point)],
    ids=["MagicMock", "NonCallableMock", "spec", "autospec"],
)
def test_mock_variants_are_opaque_and_not_called(double: Any) -> None:
    shape = shape_of(double)

    assert "opaque" == shape[0]
    assert shape[1].startswith("unittest.mock.")
    assert [] == double.mock_calls


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: sqlite3.connect(":memory:"), ("opaque", "sqlite3.Connection")),
        (lambda: len, ("opaque", "builtin_function_or_method")),
        (lambda: test_mock_is_opaque_and_not_touched, ("opaque", "function")),
        (lambda: sys, ("opaque", "module")),
        (lambda: Point, ("opaque", "type")),
    ],
    ids=["connection", "builtin", "function", "module", "class"],
)
def test_handles_and_code_are_opaque(make: Any, expected: Shape) -> None:
    value = make()
    try:
        assert expected == shape_of(value)
    finally:
        if isinstance(value, sqlite3.Connection):
            value.close()


# ------------------------------------------------------------- cycles and depth


def test_self_referencing_dict_is_cut_without_recursion_error() -> None:
    value: dict[str, Any] = {"id": 1}
    value["self"] = value

    assert {"cycle", "depth"} & cut_reasons(shape_of(value))


def test_self_containing_list_is_cut_without_recursion_error() -> None:
    value: list[Any] = []
    value.append(value)

    assert {"cycle", "depth"} & cut_reasons(shape_of(value))


def test_self_containing_list_with_other_items_is_cut() -> None:
    value: list[Any] = [1]
    value.append(value)

    assert {"cycle", "depth"} & cut_reasons(shape_of(value))


def test_service_object_referencing_itself_is_walked_one_level() -> None:
    value = Plain()
    value.name = value  # type: ignore[assignment]

    plain = f"{HERE}.Plain"
    assert ("obj", plain, ("name", "count"), ((("opaque", plain),), (("int",),))) == shape_of(value)


@dataclasses.dataclass
class Linked:
    next: Any
    size: int


def test_data_object_referencing_itself_is_cut_without_recursion_error() -> None:
    value = Linked(None, 1)
    value.next = value

    assert {"cycle", "depth"} & cut_reasons(shape_of(value))


def test_mutually_referencing_data_objects_are_cut_without_recursion_error() -> None:
    first, second = Linked(None, 1), Linked(None, 2)
    first.next, second.next = second, first

    assert {"cycle", "depth"} & cut_reasons(shape_of(first))


def nest(levels: int, wrap: Any) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = wrap(value)
    return value


@pytest.mark.parametrize(
    "wrap",
    [
        lambda v: {"k": v},
        lambda v: (v,),
        lambda v: [v],
        lambda v: [v, 1],
        lambda v: Point(v, 1),
        lambda v: {"k": [v]},
    ],
    ids=["dict", "tuple", "single-item-list", "list", "dataclass", "dict-of-list"],
)
def test_very_deep_nesting_is_cut_without_recursion_error(wrap: Any) -> None:
    deep = nest(5000, wrap)

    assert "depth" in cut_reasons(shape_of(deep))


@pytest.mark.parametrize(
    "wrap",
    [lambda v: {"k": v}, lambda v: (v,), lambda v: [v], lambda v: Point(v, 1)],
    ids=["dict", "tuple", "single-item-list", "dataclass"],
)
def test_nesting_beyond_max_depth_is_cut(wrap: Any) -> None:
    walker = make_shape_function(max_depth=4)

    assert "depth" in cut_reasons(walker(nest(10, wrap)))
    assert set() == cut_reasons(walker(nest(2, wrap)))


def test_node_budget_cuts_huge_values() -> None:
    walker = make_shape_function(max_nodes=10)  # values visited per call

    assert "budget" in cut_reasons(walker({f"k{i}": [i, i] for i in range(50)}))
    assert set() == cut_reasons(walker({"a": [1, 2], "b": [3, 4]}))  # budget is per call


# ------------------------------------------------------------ hash-seed stability


HASH_SEED_SCRIPT = """
from seamrec.model.shape import make_shape_function
shape_of = make_shape_function()
words = {f"word{i}" for i in range(60)}
print(repr(shape_of(words)))
print(repr(shape_of(frozenset(words))))
print(repr(shape_of({"tags": words, "mixed": {1, "a", None, 2.5, b"x", (1,), ("a", "b")}})))
print(repr(shape_of([{"a": 1}, {"b": "x"}, {"c": None}])))
"""

NESTED_HASH_SEED_SCRIPT = """
from seamrec.model.shape import make_shape_function
shape_of = make_shape_function()
print(repr(shape_of({("a", ()), ("b", (1,)), ("c", (1, 2)), ("d", (1, 2, 3))})))
"""


def run_with_hash_seed(script: str, seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_set_shapes_do_not_depend_on_the_hash_seed() -> None:
    first = run_with_hash_seed(HASH_SEED_SCRIPT, "1")
    second = run_with_hash_seed(HASH_SEED_SCRIPT, "2")

    assert first == second
    assert "('coll', 'set', (('str',),))" == first.splitlines()[0]


def test_shapes_of_unions_inside_set_items_do_not_depend_on_the_hash_seed() -> None:
    outputs = {run_with_hash_seed(NESTED_HASH_SEED_SCRIPT, seed) for seed in ("1", "2", "3")}

    assert 1 == len(outputs)


# ------------------------------------------------------ canonical and compatible


SAMPLES: list[Any] = [
    1,
    None,
    {"b": 1, "a": [1, None, "x"]},
    [{"z": 1, "a": 2}, {"a": 3, "z": None}],
    (1, "a", [2.5]),
    {1: "a", (2,): {"k": b"x"}},
    {"s": {1, "a"}, "f": frozenset({None})},
    Point(1, 2),
    Pair("a", 1.0),
    Plain(),
    Slotted(),
    ValueError("x", {"b": 1, "a": 2}),
    Color.RED,
    [[], [1], [[1, "a"]]],
]


@pytest.mark.parametrize("value", SAMPLES, ids=[type(v).__name__ for v in SAMPLES])
def test_canonical_is_idempotent(value: object) -> None:
    once = canonical(shape_of(value))

    assert once == canonical(once)


@pytest.mark.parametrize("value", SAMPLES, ids=[type(v).__name__ for v in SAMPLES])
def test_compatible_is_reflexive(value: object) -> None:
    shape = shape_of(value)

    assert compatible(shape, shape)
    assert compatible(canonical(shape), shape)
    assert compatible(shape, canonical(shape))


def test_canonical_sorts_keys_and_unions_but_keeps_namedtuple_field_order() -> None:
    assert ("dict", "dict", ("a", "b"), ((("str",),), (("None",), ("int",)))) == canonical(
        ("dict", "dict", ("b", "a"), ((("int",), ("None",)), (("str",),)))
    )
    assert ("ntuple", "P", ("y", "x"), ((("int",),), (("str",),))) == canonical(
        ("ntuple", "P", ("y", "x"), ((("int",),), (("str",),)))
    )


def test_shape_function_is_deterministic_across_instances() -> None:
    other = make_shape_function()

    assert [shape_of(v) for v in SAMPLES] == [other(v) for v in SAMPLES]


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=examples(100), deadline=None)
@given(json_like)
def test_shape_of_json_like_values_is_deterministic_and_self_compatible(value: object) -> None:
    shape = shape_of(value)

    assert shape == shape_of(value)
    assert shape == make_shape_function()(value)
    assert compatible(shape, shape)
    assert canonical(shape) == canonical(canonical(shape))
    hash(shape)
