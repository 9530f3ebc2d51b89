"""The named shape kinds: views equal to the tuples they name, builders of plain tuples."""

from __future__ import annotations

import collections
import dataclasses
import enum
from typing import Any, NamedTuple

import msgpack
import pytest

from seamrec.model.codec import pack
from seamrec.model.paths import ITEMS_KEY, KEYS_KEY, VALUES_KEY
from seamrec.model.shape import args_shape, canonical, make_shape_function, self_shape
from seamrec.model.shape_types import (
    ArgsShape,
    CollShape,
    CutShape,
    FormatShape,
    LeafShape,
    MapShape,
    PositionalShape,
    RecordShape,
    Shape,
    TypedShape,
    check_shape,
    children,
    is_leaf,
    shape_kind,
    view,
    view_as,
    with_children,
)

shape_of = make_shape_function()


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(NamedTuple):
    left: int
    right: str


def _views(shape: Shape) -> list[Any]:
    """The view of `shape` and of every shape inside it."""
    found = [view(shape)]
    for _, union in children(shape):
        for member in union:
            found += _views(member)
    return found


VALUES: list[Any] = [
    1,
    "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    {"id": 1, "tags": ["a", None], "at": (1.5, b"x")},
    {1: "one", 2: "two"},
    {"a", "b"},
    Point(1, 2),
    Pair(1, "r"),
    ValueError("bad", 3),
    Color.RED,
    object(),
    collections.OrderedDict(a=1),
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_every_walked_shape_has_a_view_equal_to_it(value: Any) -> None:
    shape = shape_of(value)
    for found in _views(shape):
        assert found == tuple(found)  # a NamedTuple is its tuple
        assert hash(found) == hash(tuple(found))
        assert type(found) is not tuple


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_a_view_packs_to_the_bytes_of_its_shape(value: Any) -> None:
    shape = shape_of(value)
    assert pack(shape) == pack(view(shape))


def test_a_record_names_its_type_fields_and_unions() -> None:
    shape = shape_of({"id": 1, "name": "ada"})
    found = view(shape)
    assert isinstance(found, RecordShape)
    assert ("dict", "dict", ("id", "name")) == (found.kind, found.type_name, found.names)
    assert ((("int",),), (("str",),)) == found.unions


def test_an_object_and_a_namedtuple_are_records_with_their_kind() -> None:
    point = view(shape_of(Point(1, 2)))
    pair = view(shape_of(Pair(1, "r")))
    assert isinstance(point, RecordShape)
    assert isinstance(pair, RecordShape)
    assert ("obj", ("x", "y")) == (point.kind, point.names)
    assert ("ntuple", ("left", "right")) == (pair.kind, pair.names)


def test_the_arguments_of_a_call_name_each_parameter() -> None:
    shape = args_shape(("self", "user_id"), [self_shape(Point(1, 2)), shape_of(7)])
    found = view(shape)
    assert isinstance(found, ArgsShape)
    assert ("self", "user_id") == found.names
    assert TypedShape("self", f"{__name__}.Point") == found.unions[0][0]


def test_a_list_names_its_items_and_a_map_its_keys_and_values() -> None:
    items = view(shape_of([1, 2]))
    mapping = view(shape_of({1: "one"}))
    assert isinstance(items, CollShape)
    assert ("list", (("int",),)) == (items.type_name, items.items)
    assert isinstance(mapping, MapShape)
    assert ((("int",),), (("str",),)) == (mapping.keys, mapping.values)


def test_a_tuple_and_an_exception_name_their_positions() -> None:
    pair = view(shape_of((1, "a")))
    error = view(shape_of(ValueError("bad")))
    assert isinstance(pair, PositionalShape)
    assert ("tuple", ((("int",),), (("str",),))) == (pair.kind, pair.unions)
    assert isinstance(error, PositionalShape)
    assert ("exc", "ValueError", ((("str",),),)) == (error.kind, error.type_name, error.unions)


def test_leaves_with_and_without_a_format_class() -> None:
    plain = view(shape_of(True))
    hexed = view(shape_of("a1b2c3d4e5f60718293a4b5c6d7e8f90"))
    assert LeafShape("bool") == plain
    assert isinstance(hexed, FormatShape)
    assert ("str", "hex(32)") == (hexed.kind, hexed.label)
    assert is_leaf(plain)
    assert is_leaf(hexed)
    assert not is_leaf(shape_of([1]))


def test_typed_and_cut_shapes() -> None:
    assert TypedShape("enum", f"{__name__}.Color") == view(shape_of(Color.RED))
    assert TypedShape("opaque", "object") == view(shape_of(object()))
    found = view(("cut", "depth"))
    assert isinstance(found, CutShape)
    assert "depth" == found.reason


def test_builders_make_plain_tuples_in_the_layout_the_walker_makes() -> None:
    built = [
        RecordShape.build("dict", "dict", ("a",), ((("int",),),)),
        CollShape.build("list", (("int",),)),
        MapShape.build("dict", (("int",),), (("str",),)),
        PositionalShape.build("tuple", "tuple", ((("int",),),)),
        TypedShape.build("opaque", "object"),
        FormatShape.build("str", "hex(32)"),
    ]
    walked = [
        shape_of({"a": 1}),
        shape_of([1]),
        shape_of({1: "x"}),
        shape_of((1,)),
        shape_of(object()),
        shape_of("a1b2c3d4e5f60718293a4b5c6d7e8f90"),
    ]
    assert walked == built
    assert all(type(shape) is tuple for shape in built)
    assert ("cut", "budget") == CutShape.build("budget")
    assert ("args", ("x",), ((("int",),),)) == ArgsShape.build(("x",), ((("int",),),))
    assert ("str",) == FormatShape.build("str", None) == LeafShape.build("str")


def test_a_view_of_a_view_is_itself() -> None:
    found = view(shape_of([1]))
    assert found is view(found)


@pytest.mark.parametrize(
    "bad", [(), ("dict", "dict", ("a",)), ("nope", "x"), ("coll", "list", (), ())]
)
def test_a_tuple_that_is_no_shape_has_no_view(bad: Shape) -> None:
    with pytest.raises(ValueError, match="not a shape"):
        view(bad)


def test_view_as_refuses_another_kind() -> None:
    assert isinstance(view_as(CollShape, shape_of([1])), CollShape)
    with pytest.raises(ValueError, match="not a RecordShape"):
        view_as(RecordShape, shape_of([1]))


def test_shape_kind_names_the_kind() -> None:
    assert ["dict", "coll", "int"] == [shape_kind(shape_of(v)) for v in ({"a": 1}, [1], 1)]


def test_children_step_into_every_composite() -> None:
    assert [("a", (("int",),))] == children(shape_of({"a": 1}))
    assert [(ITEMS_KEY, (("int",),))] == children(shape_of([1]))
    assert [KEYS_KEY, VALUES_KEY] == [step for step, _ in children(shape_of({1: "x"}))]
    assert [0, 1] == [step for step, _ in children(shape_of((1, "a")))]
    assert [] == children(shape_of(1))
    assert [] == children(("cut", "depth"))


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_with_children_rebuilds_a_shape_from_its_children(value: Any) -> None:
    shape = shape_of(value)
    unions = tuple(union for _, union in children(shape))
    rebuilt = with_children(shape, unions) if unions else shape
    assert shape == rebuilt
    assert type(rebuilt) is tuple


def test_with_children_replaces_the_unions() -> None:
    shape = shape_of({"a": 1})
    assert shape_of({"a": "x"}) == with_children(shape, ((("str",),),))


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_every_walked_shape_passes_the_grammar_check(value: Any) -> None:
    check_shape(shape_of(value))
    check_shape(canonical(shape_of(value)))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (["dict"], "bad shape"),
        (("dict", "dict", ("a", "b"), ((("int",),),)), "bad names"),
        (("tuple", "tuple", [(("int",),)]), "bad unions"),
        (("tuple", "tuple", ("int",)), "bad union 'int'"),
        (("coll", "list"), "bad 'coll' shape"),
    ],
)
def test_the_grammar_check_names_what_is_wrong(bad: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_shape(bad)


def test_a_shape_read_from_msgpack_has_the_same_view() -> None:
    shape = shape_of({"id": 1, "items": [(1, "a")]})

    def as_tuples(value: Any) -> Any:
        return tuple(map(as_tuples, value)) if isinstance(value, list) else value

    loaded = as_tuples(msgpack.unpackb(pack(shape)))
    assert view(shape) == view(loaded)
