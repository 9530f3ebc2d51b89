"""A contract names each shape by reading its kind and size, as the shape's view would:
the same name for every kind of shape, and a tuple that is no shape still refused."""

from __future__ import annotations

import pytest

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
)
from seamrec.review.contract import _viewed_type_name, type_name

INT = LeafShape.build("int")
SHAPES: list[Shape] = [
    INT,
    LeafShape.build("datetime+tz"),
    LeafShape.build("str:shop.Sku"),
    FormatShape.build("str", "hex(32)"),
    FormatShape.build("int", "unix-seconds"),
    CutShape.build("budget"),
    TypedShape.build("enum", "shop.Color"),
    TypedShape.build("opaque", "sqlite3.Connection"),
    TypedShape.build("self", "shop.Repo"),
    ArgsShape.build(("a",), ((INT,),)),
    CollShape.build("list", (INT,)),
    CollShape.build("yield", (INT,)),
    PositionalShape.build("tuple", "tuple", ((INT,),)),
    PositionalShape.build("exc", "ValueError", ((INT,),)),
    MapShape.build("dict", (INT,), (INT,)),
    RecordShape.build("dict", "dict", ("a",), ((INT,),)),
    RecordShape.build("obj", "shop.User", ("a",), ((INT,),)),
    RecordShape.build("row", "sqlite3.Row", ("a",), ((INT,),)),
    RecordShape.build("ntuple", "shop.Point", ("a",), ((INT,),)),
]


@pytest.mark.parametrize("shape", SHAPES, ids=repr)
def test_each_kind_of_shape_is_named_as_its_view_names_it(shape: Shape) -> None:
    assert _viewed_type_name(shape) == type_name(shape)


def test_the_names_read_as_a_contract_shows_them() -> None:
    assert ["int", "str<hex(32)>", "<cut: budget>", "shop.Color (enum)", "generator"] == [
        type_name(shape) for shape in (SHAPES[0], SHAPES[3], SHAPES[5], SHAPES[6], SHAPES[11])
    ]


@pytest.mark.parametrize("tuple_", [("coll", "list"), ("nope", "x", "y"), ()], ids=repr)
def test_a_tuple_that_is_no_shape_is_still_refused(tuple_: Shape) -> None:
    with pytest.raises(ValueError, match="not a shape"):
        type_name(tuple_)
