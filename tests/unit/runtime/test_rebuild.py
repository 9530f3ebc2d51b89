"""seamrec.runtime.rebuild: recorded payload trees back into real values, for replay.

Trees are produced the way the session records them: `make_packer(limits)(value)` gives
the payload bytes, `raw_tree` the tree a cassette stores. The classes below live in this
module, which plays the part of the configured boundaries (`in_scope`); the types of
"other" modules are made with their `__module__` set to a module that is never allowed.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import importlib
import json
import sqlite3
import sys
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import msgpack
import pytest
import sqlalchemy
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

from helpers import examples
from seamrec.config import Limits
from seamrec.exceptions import ReplayError
from seamrec.model.codec import make_packer, raw_tree
from seamrec.model.shape import make_shape_function
from seamrec.runtime.rebuild import Rebuilder, RebuildError, TypeResolver

HERE = __name__
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
INIT_CALLS: list[str] = []  # every __init__ / __post_init__ below notes its class here


def in_scope(module: str) -> bool:
    """This test module is the only configured boundary."""
    return module == HERE


def tree_of(value: object, limits: Limits | None = None) -> Any:
    """The tree a cassette stores for `value`, recorded as the session records it."""
    return raw_tree(make_packer(limits or Limits())(value))


def rebuilder(allowed: tuple[str, ...] = ()) -> Rebuilder:
    return Rebuilder(TypeResolver(in_scope, allowed))


def rebuilt(value: object, *, limits: Limits | None = None, allowed: tuple[str, ...] = ()) -> Any:
    """`value` recorded, then rebuilt for replay."""
    return rebuilder(allowed).rebuild(tree_of(value, limits))


def assert_same(expected: Any, actual: Any, path: str = "value") -> None:
    """Equal in value, and of exactly the same types all the way down."""
    assert type(expected) is type(actual), f"{path}: {type(expected)} → {type(actual)}"
    if isinstance(expected, dict):
        assert list(expected) == list(actual), f"{path}: keys"
        for key in expected:
            assert_same(expected[key], actual[key], f"{path}[{key!r}]")
    elif isinstance(expected, list | tuple | collections.deque):
        assert len(expected) == len(actual), f"{path}: length"
        for index, (old, new) in enumerate(zip(expected, actual, strict=True)):
            assert_same(old, new, f"{path}[{index}]")
    elif dataclasses.is_dataclass(expected) and not isinstance(expected, type):
        for field in dataclasses.fields(expected):
            name = field.name
            assert_same(getattr(expected, name), getattr(actual, name), f"{path}.{name}")
    elif isinstance(expected, dt.datetime | dt.time):
        assert expected == actual, path
        assert expected.tzinfo == actual.tzinfo, f"{path}: tzinfo"
        assert expected.utcoffset() == actual.utcoffset(), f"{path}: utcoffset"
    elif isinstance(expected, decimal.Decimal):
        assert str(expected) == str(actual), path
    else:
        assert expected == actual, path


# ------------------------------------------------------------------ boundary types


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 3


class Point(NamedTuple):
    x: int
    y: int = 0


Pair = collections.namedtuple("Pair", "left right")


@dataclasses.dataclass
class Item:
    id: int
    name: str
    price: decimal.Decimal
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        INIT_CALLS.append("Item")


@dataclasses.dataclass(frozen=True)
class Frozen:
    id: int
    when: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class FrozenSlots:
    id: int
    color: Color


@dataclasses.dataclass
class Versioned:
    """A model that gained the field `added` after a cassette was recorded."""

    kept: int
    added: str


@dataclasses.dataclass
class Order:
    lines: list[int]
    note: str = ""


class Plain:
    def __init__(self, name: str, items: list[Item]) -> None:
        INIT_CALLS.append("Plain")
        self.name = name
        self.items = items


class Refuses:
    """A class that cannot be built through its constructor."""

    state: str
    count: int

    def __init__(self) -> None:
        INIT_CALLS.append("Refuses")
        raise RuntimeError("Refuses.__init__ must not run during replay")


class Slotted:
    __slots__ = ("a", "b")
    a: int
    b: tuple[int, ...]

    def __init__(self) -> None:
        INIT_CALLS.append("Slotted")
        raise RuntimeError("Slotted.__init__ must not run during replay")


class Tags(list[str]):
    def __init__(self, source: str) -> None:
        INIT_CALLS.append("Tags")
        super().__init__(source.split(","))


class Registry(dict[str, int]):
    def __init__(self, name: str) -> None:
        INIT_CALLS.append("Registry")
        super().__init__()
        self.name = name


class Sku(str):
    __slots__ = ()


class OutOfStock(Exception):
    note: str

    def __init__(self, item_id: int, wanted: int) -> None:
        INIT_CALLS.append("OutOfStock")
        super().__init__(item_id, wanted)
        self.item_id = item_id
        self.wanted = wanted


class Unbuildable(Exception):
    code: int

    def __init__(self) -> None:
        INIT_CALLS.append("Unbuildable")
        raise RuntimeError("Unbuildable.__init__ must not run during replay")


@pytest.fixture
def no_init_calls() -> Iterator[None]:
    """INIT_CALLS starts and ends empty."""
    INIT_CALLS.clear()
    yield
    INIT_CALLS.clear()


def made_without_init(cls: type, **fields: Any) -> Any:
    """An instance of `cls` as the code under test might hold it, made without __init__."""
    factory: Any = cls
    value = factory.__new__(factory)
    for name, item in fields.items():
        object.__setattr__(value, name, item)
    return value


# --------------------------------------------------------------------- round trips


def sqlite_row() -> sqlite3.Row:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    row: sqlite3.Row = connection.execute(
        "SELECT 1 AS id, 'Ada' AS name, NULL AS missing, 2.5 AS \"score value\", "
        'X\'00ff\' AS blob, 3 AS "odd""name"'
    ).fetchone()
    connection.close()
    return row


ROUND_TRIPS: dict[str, object] = {
    "none": None,
    "bools": [True, False],
    "ints": [0, -1, 2**63 - 1, 2**64 - 1, -(2**63)],
    "big int": 2**100,
    "negative big int": -(2**80),
    "float": 1.25,
    "str": "ünïcode",
    "bytes": b"\x00\xff",
    "list": [1, "a", None],
    "tuple": (1, ("nested", 2.0)),
    "empty tuple": (),
    "set": {1, 2, 3},
    "frozenset": frozenset({"a", "b"}),
    "set of tuples": {(1, 2), (3, 4)},
    "dict": {"a": 1, "b": [2]},
    "dict with non-str keys": {1: "one", (2, 3): "pair", None: "none"},
    "decimal": decimal.Decimal("3.50"),
    "negative decimal": decimal.Decimal("-0.000"),
    "naive datetime": dt.datetime(2024, 5, 1, 9, 30, 15, 123456),
    "utc datetime": dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC),
    "offset datetime": dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
    "zoned datetime": dt.datetime(2024, 5, 1, 9, 30, tzinfo=BERLIN),
    "date": dt.date(2024, 2, 29),
    "time": dt.time(23, 59, 1, 5),
    "utc time": dt.time(12, 0, tzinfo=dt.UTC),
    "zoned time": dt.time(12, 0, tzinfo=BERLIN),
    "timedelta": dt.timedelta(days=2, seconds=5, microseconds=7),
    "negative timedelta": dt.timedelta(seconds=-1),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "complex": complex(1.5, -2),
    "ordered dict": collections.OrderedDict([("b", 1), ("a", 2)]),
    "counter": collections.Counter("abracadabra"),
    "deque": collections.deque([1, 2, 3]),
    "enum": Color.RED,
    "enum with int value": Color.GREEN,
    "int enum": Level.HIGH,
    "typed namedtuple": Point(3, 4),
    "namedtuple": Pair("l", ("r",)),
    "dataclass": Item(1, "tea", decimal.Decimal("3.50"), ("green",)),
    "frozen dataclass": Frozen(7, dt.datetime(2024, 1, 1, tzinfo=BERLIN)),
    "frozen slots dataclass": FrozenSlots(8, Color.GREEN),
    "str subclass": Sku("SKU-1"),
    "nested": {"items": [Item(2, "cup", decimal.Decimal("12.00"))], "at": (Point(1, 2),)},
}


@pytest.mark.parametrize("value", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_every_supported_type_is_rebuilt_with_its_type_and_value(value: object) -> None:
    assert_same(value, rebuilt(value))


def test_a_defaultdict_is_rebuilt_as_a_defaultdict_with_its_items() -> None:
    value = collections.defaultdict(list, {"a": [1]})

    result = rebuilt(value)

    assert type(result) is collections.defaultdict
    assert {"a": [1]} == dict(result)


def test_a_zoned_datetime_in_the_repeated_hour_keeps_its_offset() -> None:
    # 02:30 happens twice in Berlin on 2024-10-27; fold=1 is the second time, at +01:00.
    second = dt.datetime(2024, 10, 27, 2, 30, tzinfo=BERLIN, fold=1)

    result = rebuilt(second)

    assert dt.timedelta(hours=1) == second.utcoffset()
    assert second.utcoffset() == result.utcoffset()
    assert second.astimezone(dt.UTC) == result.astimezone(dt.UTC)


def test_a_sqlite_row_is_rebuilt_as_a_real_row_with_its_columns() -> None:
    row = sqlite_row()

    result = rebuilt([row])[0]

    assert type(result) is sqlite3.Row
    assert ["id", "name", "missing", "score value", "blob", 'odd"name'] == result.keys()
    assert (1, "Ada", None, 2.5, b"\x00\xff", 3) == tuple(result)
    assert "Ada" == result["name"]
    assert row == result


def typed_sqlite_row() -> sqlite3.Row:
    """A row of a `detect_types` connection whose columns hold what its converters made:
    datetime and date (PARSE_DECLTYPES), and a Decimal and a bool from converters of
    declared types only this test uses (registering them changes no other column)."""
    sqlite3.register_converter("rebuild_test_money", lambda raw: decimal.Decimal(raw.decode()))
    sqlite3.register_converter("rebuild_test_flag", lambda raw: raw == b"1")
    connection = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    connection.row_factory = sqlite3.Row
    connection.execute(
        "CREATE TABLE orders (id INTEGER, created TIMESTAMP, due DATE, "
        "total REBUILD_TEST_MONEY, paid REBUILD_TEST_FLAG, note TEXT)"
    )
    connection.execute(
        "INSERT INTO orders VALUES (1, '2026-12-07 04:42:40.123456', '2026-12-24', '3.50', 1, "
        "'2026-12-07 04:42:40')"
    )
    row: sqlite3.Row = connection.execute("SELECT * FROM orders").fetchone()
    connection.close()
    return row


def test_a_sqlite_row_keeps_the_values_its_converters_made() -> None:
    row = typed_sqlite_row()

    result = rebuilt([row])[0]

    assert type(result) is sqlite3.Row
    assert row.keys() == result.keys()
    assert [dt.datetime, dt.date, decimal.Decimal, bool, str] == [type(v) for v in result][1:]
    assert dt.datetime(2026, 12, 7, 4, 42, 40, 123456) == result["created"]
    assert "2026-12-07 04:42:40" == result["note"]  # text stays text
    assert row == result


def test_a_rebuilt_sqlite_row_has_the_recorded_shape() -> None:
    row = typed_sqlite_row()
    shape_of = make_shape_function()

    assert shape_of([row]) == shape_of(rebuilt([row]))


def test_rebuilding_rows_registers_no_adapter_or_converter() -> None:
    row = typed_sqlite_row()
    adapters, converters = dict(sqlite3.adapters), dict(sqlite3.converters)

    rebuilt(row)

    assert (adapters, converters) == (dict(sqlite3.adapters), dict(sqlite3.converters))


def sqlalchemy_rows() -> list[Any]:
    """Rows of a real query with typed columns: DateTime, Numeric, Boolean."""
    metadata = sqlalchemy.MetaData()
    orders = sqlalchemy.Table(
        "orders",
        metadata,
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("created", sqlalchemy.DateTime),
        sqlalchemy.Column("total", sqlalchemy.Numeric(10, 2)),
        sqlalchemy.Column("paid", sqlalchemy.Boolean),
    )
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            orders.insert(),
            [{"id": 1, "created": dt.datetime(2026, 12, 7, 4, 42), "total": "3.50", "paid": True}],
        )
        rows = list(
            connection.execute(
                select(
                    orders.c.id, orders.c.created, orders.c.total, orders.c.paid.label("is paid")
                )
            )
        )
    engine.dispose()
    return rows


def test_a_sqlalchemy_row_is_rebuilt_as_a_row_with_its_value_types() -> None:
    row = sqlalchemy_rows()[0]

    result = rebuilt(row)

    assert type(row) is type(result)
    assert ("id", "created", "total", "is paid") == result._fields
    assert [int, dt.datetime, decimal.Decimal, bool] == [type(v) for v in result]
    assert tuple(row) == tuple(result)
    assert make_shape_function()(row) == make_shape_function()(result)


def test_a_sqlalchemy_row_mapping_is_rebuilt_as_a_row_mapping() -> None:
    mapping = sqlalchemy_rows()[0]._mapping

    result = rebuilt([mapping])[0]

    assert type(mapping) is type(result)
    assert dict(mapping) == dict(result)
    assert dt.datetime is type(result["created"])
    assert make_shape_function()(mapping) == make_shape_function()(result)


@settings(max_examples=examples(150), deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text()
        | st.binary()
        | st.decimals(allow_nan=False, allow_infinity=False)
        | st.datetimes()
        | st.dates()
        | st.timedeltas()
        | st.uuids(),
        lambda children: (
            st.lists(children, max_size=4)
            | st.lists(children, max_size=4).map(tuple)
            | st.dictionaries(st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_value_of_plain_types_is_rebuilt_exactly(value: object) -> None:
    assert_same(value, rebuilt(value))


@pytest.mark.parametrize(
    "value",
    [
        tuple(range(150)),
        set(range(150)),
        Order(list(range(150))),
        Order([], note="x" * 3000),
    ],
    ids=["tuple", "set", "list in a dataclass", "long str in a dataclass"],
)
def test_a_small_payload_is_not_cut_by_max_items_or_max_str(value: object) -> None:
    # max_items and max_str apply to payloads over 64 KiB only (README); these are small.
    assert len(make_packer(Limits())(value)) < 64 * 1024
    assert_same(value, rebuilt(value))


# ------------------------------------------------------------- no __init__ is run


@pytest.mark.usefixtures("no_init_calls")
def test_objects_are_built_without_running_their_init() -> None:
    plain = Plain("basket", [Item(1, "tea", decimal.Decimal("1"))])
    refuses = made_without_init(Refuses, state="ok", count=2)
    slotted = made_without_init(Slotted, a=1, b=(2,))
    INIT_CALLS.clear()

    result = rebuilt([plain, refuses, slotted])

    assert [] == INIT_CALLS
    new_plain, new_refuses, new_slotted = result
    assert type(new_plain) is Plain
    assert "basket" == new_plain.name
    assert [Item(1, "tea", decimal.Decimal("1"))] == new_plain.items
    assert type(new_refuses) is Refuses
    assert ("ok", 2) == (new_refuses.state, new_refuses.count)
    assert type(new_slotted) is Slotted
    assert (1, (2,)) == (new_slotted.a, new_slotted.b)


@pytest.mark.usefixtures("no_init_calls")
def test_a_dataclass_is_built_without_running_init_or_post_init() -> None:
    item = Item(1, "tea", decimal.Decimal("3.50"))
    INIT_CALLS.clear()

    result = rebuilt(item)

    assert [] == INIT_CALLS
    assert item == result


@pytest.mark.usefixtures("no_init_calls")
def test_collection_subclasses_are_built_without_running_their_init() -> None:
    tags = Tags("a,b")
    registry = Registry("stock")
    registry["tea"] = 3
    INIT_CALLS.clear()

    new_tags, new_registry = rebuilt((tags, registry))

    assert [] == INIT_CALLS
    assert type(new_tags) is Tags
    assert ["a", "b"] == new_tags
    assert type(new_registry) is Registry
    assert {"tea": 3} == new_registry


def test_a_frozen_dataclass_stays_frozen() -> None:
    result = rebuilt(Frozen(1, dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))

    assert Frozen(1, dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == result
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.id = 2
    assert hash(Frozen(1, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))) == hash(result)


def test_a_dataclass_recorded_before_it_gained_a_field_asks_to_re_record() -> None:
    # The cassette was recorded when Versioned had only `kept`.
    old = dataclasses.make_dataclass("Versioned", [("kept", int)])
    old.__module__, old.__qualname__ = HERE, "Versioned"

    with pytest.raises(ReplayError, match=r"lacks its field 'added'; re-record") as error:
        rebuilt(old(1))

    assert f"{HERE}.Versioned" == error.value.type_path


# --------------------------------------------------------------------- exceptions


@pytest.mark.usefixtures("no_init_calls")
def test_an_exception_keeps_its_class_args_and_public_attributes_without_init() -> None:
    original = OutOfStock(2, 3)
    original.note = "retry later"
    unbuildable = made_without_init(Unbuildable)
    unbuildable.args = ("no", 1)
    unbuildable.code = 42
    INIT_CALLS.clear()

    result, new_unbuildable = rebuilt([original, unbuildable])

    assert [] == INIT_CALLS
    assert type(result) is OutOfStock
    assert (2, 3) == result.args
    assert (2, 3, "retry later") == (result.item_id, result.wanted, result.note)
    assert str(original) == str(result)
    assert type(new_unbuildable) is Unbuildable
    assert ("no", 1) == new_unbuildable.args
    assert 42 == new_unbuildable.code
    with pytest.raises(OutOfStock):
        raise result


def json_error() -> json.JSONDecodeError:
    try:
        json.loads('{"a": ')
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("json.loads accepted a broken document")


@pytest.mark.parametrize(
    "error",
    [
        KeyError("missing"),
        ValueError("bad", 2),
        LookupError(),
        sqlite3.IntegrityError("UNIQUE constraint failed: users.email"),
        decimal.InvalidOperation("[<class 'decimal.ConversionSyntax'>]"),
        zoneinfo.ZoneInfoNotFoundError("No time zone found with key Mars/Olympus"),
        json_error(),
    ],
    ids=lambda error: type(error).__name__,
)
def test_standard_exceptions_are_rebuilt_with_their_class_and_args(error: Exception) -> None:
    result = rebuilt(error)

    assert type(error) is type(result)
    assert error.args == result.args
    assert str(error) == str(result)
    assert {k: v for k, v in vars(error).items() if not k.startswith("_")} == vars(result)


def renamed(tree: Any, path: str) -> msgpack.ExtType:
    """A recorded ext value whose type path was replaced (a cassette edited by hand)."""
    assert isinstance(tree, msgpack.ExtType)
    inner = msgpack.unpackb(tree.data, raw=False, strict_map_key=False)
    inner[0] = path
    return msgpack.ExtType(tree.code, msgpack.packb(inner, use_bin_type=True))


def test_an_exception_whose_type_path_names_no_exception_class_is_refused() -> None:
    tree = renamed(tree_of(ValueError("x")), f"{HERE}.Plain")

    with pytest.raises(ReplayError, match=r"is not an exception class") as error:
        rebuilder().rebuild(tree)

    assert f"{HERE}.Plain" == error.value.type_path


def test_a_stdlib_class_that_is_not_an_exception_is_not_built_from_an_exception_module() -> None:
    tree = renamed(tree_of(Item(1, "tea", decimal.Decimal("1"))), "decimal.Decimal")

    with pytest.raises(ReplayError, match=r"replay_types") as error:
        rebuilder().rebuild(tree)

    assert "decimal.Decimal" == error.value.type_path


# ----------------------------------------------------- values that cannot be rebuilt


def a_function() -> None:
    """Functions are recorded by type only."""


OPAQUE: dict[str, tuple[Callable[[], object], str]] = {
    "connection": (lambda: sqlite3.connect(":memory:"), "sqlite3.Connection"),
    "function": (lambda: a_function, "function"),
    "module": (lambda: json, "module"),
    "path": (lambda: Path("/tmp"), f"pathlib.{type(Path()).__name__}"),
}


@pytest.mark.parametrize(("make", "path"), list(OPAQUE.values()), ids=list(OPAQUE))
def test_a_value_recorded_by_type_only_cannot_be_rebuilt(
    make: Callable[[], object], path: str
) -> None:
    value = make()

    with pytest.raises(ReplayError, match=r"only its type was recorded") as error:
        rebuilt({"nested": [value]})

    assert path == error.value.type_path
    assert path in str(error.value)


def cyclic() -> list[object]:
    value: list[object] = [1]
    value.append(value)
    return value


def deep(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = (value,)
    return value


CUTS: dict[str, tuple[object, Limits, str]] = {
    "cycle": (cyclic(), Limits(), "cycle"),
    "depth": (deep(10), Limits(max_depth=4), "depth"),
    "items of a large payload": (
        [("x" * 1000,)] * 200,
        Limits(max_items=50),
        "items",
    ),
    "str of a large payload": (("y" * 70_000,), Limits(max_str=100), "str"),
}


@pytest.mark.parametrize(("value", "limits", "reason"), list(CUTS.values()), ids=list(CUTS))
def test_a_value_cut_by_a_limit_cannot_be_rebuilt(
    value: object, limits: Limits, reason: str
) -> None:
    with pytest.raises(ReplayError, match=r"cut by a limit .*re-record") as error:
        rebuilt(value, limits=limits)

    assert reason == error.value.type_path


# ------------------------------------------------- types outside the boundaries


PROBE = "seamrec_probe_mod"
PROBE_PACKAGE = "seamrec_probe_pkg"

PROBE_SOURCE = """\
import collections
import dataclasses
import enum
import pathlib

pathlib.Path(__file__).with_name(__name__ + ".imported").write_text("imported")


@dataclasses.dataclass
class Money:
    amount: int
    currency: str


class Thing:
    pass


class Boom(Exception):
    pass


class Mood(enum.Enum):
    HAPPY = 1


Spot = collections.namedtuple("Spot", "x y")


class Code(str):
    pass


class Bag(list):
    pass
"""


def outside(module: str) -> dict[str, object]:
    """Values of types that claim to come from `module`, made without importing it."""
    money = dataclasses.make_dataclass("Money", [("amount", int), ("currency", str)])
    thing = type("Thing", (), {})
    boom = type("Boom", (Exception,), {})
    code = type("Code", (str,), {})
    bag = type("Bag", (list,), {})
    for cls in (money, thing, boom, code, bag):
        cls.__module__ = module
    Spot: Any = collections.namedtuple("Spot", "x y", module=module)
    plain_thing = thing()
    plain_thing.size = 3
    return {
        "Money": money(5, "EUR"),
        "Thing": plain_thing,
        "Boom": boom("bang"),
        "Mood": enum.Enum("Mood", [("HAPPY", 1)], module=module).HAPPY,  # type: ignore[attr-defined]
        "Spot": Spot(1, 2),
        "Code": code("c-1"),
        "Bag": bag([1, 2]),
    }


@pytest.fixture
def probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module and a package on sys.path that leave a `.imported` file when imported."""
    (tmp_path / f"{PROBE}.py").write_text(PROBE_SOURCE)
    package = tmp_path / PROBE_PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text(
        "import pathlib\n"
        "pathlib.Path(__file__).parent.with_name(__name__ + '.imported').write_text('yes')\n"
    )
    (package / "models.py").write_text(PROBE_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in sys.modules if m.split(".")[0] in (PROBE, PROBE_PACKAGE)]:
        del sys.modules[name]


@pytest.mark.parametrize("module", [PROBE, f"{PROBE_PACKAGE}.models"])
@pytest.mark.parametrize("name", ["Money", "Thing", "Boom", "Mood", "Spot", "Code", "Bag"])
def test_a_type_outside_the_boundaries_is_refused_without_importing_anything(
    probes: Path, module: str, name: str
) -> None:
    value = outside(module)[name]
    path = f"{module}.{name}"

    with pytest.raises(ReplayError) as error:
        rebuilt({"value": value})

    assert path == error.value.type_path
    assert f'replay_types = ["{path}"]' in str(error.value)
    assert not {PROBE, PROBE_PACKAGE, f"{PROBE_PACKAGE}.models"} & set(sys.modules)
    assert [] == sorted(p.name for p in probes.rglob("*.imported"))


@pytest.mark.parametrize("module", [PROBE, f"{PROBE_PACKAGE}.models"])
def test_replay_types_allows_a_type_outside_the_boundaries(probes: Path, module: str) -> None:
    value = outside(module)["Money"]

    result = rebuilt([value], allowed=(f"{module}.Money",))[0]

    real = importlib.import_module(module).Money
    assert type(result) is real
    assert (5, "EUR") == (result.amount, result.currency)
    assert (probes / f"{module.split('.')[0]}.imported").exists()
    # Allowing one type does not allow its neighbours.
    with pytest.raises(ReplayError):
        rebuilt(outside(module)["Thing"], allowed=(f"{module}.Money",))


def test_the_resolver_finds_boundary_classes_and_caches_them() -> None:
    resolver = TypeResolver(in_scope)

    assert Item is resolver.resolve(f"{HERE}.Item")
    assert Point is resolver.resolve(f"{HERE}.Point")
    assert KeyError is resolver.resolve("KeyError")
    assert collections.OrderedDict is resolver.resolve("collections.OrderedDict")
    assert sqlite3.IntegrityError is resolver.resolve("sqlite3.IntegrityError")
    with pytest.raises(ReplayError) as error:
        resolver.resolve(f"{HERE}.NoSuchClass")
    assert f"{HERE}.NoSuchClass" == error.value.type_path
    with pytest.raises(ReplayError):
        resolver.resolve("os.PathLike")  # a stdlib class outside the fixed list


def test_a_bytearray_is_given_back_as_bytes_though_its_shape_stays_bytearray() -> None:
    # msgpack's C packer writes a bytearray as plain binary; the shape (which decides
    # drift) still says "bytearray", only the replayed value is bytes.
    assert b"ab\x00" == rebuilt(bytearray(b"ab\x00"))
    assert ("bytearray",) == make_shape_function()(bytearray(b"ab\x00"))


# ------------------------------------------------------- where a failure is, and ORM objects


def test_a_value_that_cannot_be_rebuilt_is_named_by_its_place_and_the_fix_said_once() -> None:
    tree = tree_of({"user": {"tags": [1, sqlite3.connect(":memory:")]}})

    with pytest.raises(RebuildError) as error:
        rebuilder().rebuild(tree, "return")

    assert "return['user']['tags'][1]" == error.value.where
    assert "narrow the replay patterns so that this seam runs for real" == error.value.fix
    assert 1 == str(error.value).count("narrow the replay patterns")
    assert str(error.value).startswith("return['user']['tags'][1]: a recorded sqlite3.")


class OrmBase(DeclarativeBase):
    pass


class Shelf(OrmBase):
    __tablename__ = "shelves"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str]
    books: Mapped[list[Book]] = relationship(back_populates="shelf")


class Book(OrmBase):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id"))
    title: Mapped[str]
    shelf: Mapped[Shelf] = relationship(back_populates="books")


class Label(OrmBase):
    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


def loaded_shelf() -> Shelf:
    """A shelf with two books, loaded from SQLite and detached, as a repository returns it."""
    engine = create_engine("sqlite://")
    OrmBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Shelf(id=1, label="new", books=[Book(id=1, title="A"), Book(id=2, title="B")]))
        session.commit()
    with Session(engine, expire_on_commit=False) as session:
        query = select(Shelf).options(selectinload(Shelf.books))
        return session.scalars(query).one()


def test_a_sqlalchemy_mapped_object_is_rebuilt_as_a_transient_object_the_orm_accepts() -> None:
    engine = create_engine("sqlite://")
    OrmBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Label(id=4, text="fragile"))
        session.commit()
    with Session(engine, expire_on_commit=False) as session:
        recorded = session.scalars(select(Label)).one()

    label = rebuilder().rebuild(tree_of(recorded), "return")

    assert type(label) is Label
    assert sqlalchemy.inspect(label).transient
    with Session(engine) as session:
        assert "fragile" == session.merge(label).text


def test_a_sqlalchemy_mapped_object_with_relationships_is_refused_up_front() -> None:
    with pytest.raises(RebuildError) as caught:
        rebuilder().rebuild(tree_of(loaded_shelf()), "return")

    assert "leaves out its relationships (books)" in caught.value.what
    assert "narrow the replay patterns" in caught.value.fix
