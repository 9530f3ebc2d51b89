"""seamrec.review.explain: explaining in plain words how a seam's payload changed shape."""

import collections
import dataclasses
import sqlite3
from typing import Any, NamedTuple

from seamrec.config import Limits
from seamrec.model.codec import make_encoder, pack, unpack
from seamrec.model.shape import args_shape, make_shape_function
from seamrec.review.explain import explain, render_path
from seamrec.review.explain import failure_change as Change

shape_of = make_shape_function()
encode = make_encoder(Limits())
HERE = __name__


def view(value: object) -> Any:
    """The payload view of a value, as a check would read it from a cassette."""
    return unpack(pack(encode(value)))


def changes(old: object, new: object, *, examples: bool = False) -> list[Any]:
    if examples:
        return explain(shape_of(old), shape_of(new), view(old), view(new))
    return explain(shape_of(old), shape_of(new))


def rendered(old: object, new: object, root: str = "return") -> list[str]:
    return [c.render(root) for c in changes(old, new, examples=True)]


# --------------------------------------------------------------------------- keys


def test_renamed_key_is_one_key_renamed_change() -> None:
    assert [Change("key renamed?", ("user_id",), "int", "", ("userId",))] == changes(
        {"user_id": 1, "name": "a"}, {"userId": 2, "name": "b"}
    )


def test_renamed_key_renders_old_and_new_path() -> None:
    assert ["key renamed?  return['user_id'] → return['userId']   (int)"] == rendered(
        {"user_id": 1}, {"userId": 1}
    )


def test_key_renamed_with_a_new_type_is_a_removal_and_an_addition() -> None:
    assert [
        Change("key removed", ("user_id",), "int", ""),
        Change("key added", ("userId",), "", "str"),
    ] == sorted(changes({"user_id": 1}, {"userId": "1"}), key=lambda c: c.kind, reverse=True)


def test_removed_nested_key_is_reported_at_its_path() -> None:
    old = {"order": {"id": 1, "customer": {"name": "a", "email": "a@x"}}}
    new = {"order": {"id": 1, "customer": {"name": "a"}}}

    actual = changes(old, new)

    assert [Change("key removed", ("order", "customer", "email"), "str", "")] == actual
    assert "key removed   return['order']['customer']['email']   (was str)" == actual[0].render(
        "return"
    )


def test_added_key_is_reported_at_its_path() -> None:
    assert ["key added     return['meta']   (dict)"] == rendered(
        {"id": 1}, {"id": 1, "meta": {"v": 2}}
    )


# -------------------------------------------------------------------------- types


def test_int_to_str_is_a_type_change() -> None:
    assert [Change("type changed", ("total",), "int", "str")] == changes(
        {"total": 10}, {"total": "10.00"}
    )


def test_type_change_carries_example_values_when_payloads_are_given() -> None:
    assert [Change("type changed", ("total",), "int", "str", (), "10 → '10.00'")] == changes(
        {"total": 10}, {"total": "10.00"}, examples=True
    )
    assert ["type changed  return['total']  int → str   10 → '10.00'"] == rendered(
        {"total": 10}, {"total": "10.00"}
    )


def test_nested_type_change_carries_the_nested_example_values() -> None:
    assert ["type changed  return['order']['customer']['id']  int → str   7 → 'c-7'"] == rendered(
        {"order": {"customer": {"id": 7}}}, {"order": {"customer": {"id": "c-7"}}}
    )


def test_type_change_inside_a_list_carries_an_element_as_example() -> None:
    assert ["type changed  return[*]['id']  int → str   1 → 'a'"] == rendered(
        [{"id": 1}, {"id": 2}], [{"id": "a"}, {"id": "b"}]
    )


def test_type_change_inside_an_ordered_dict_carries_example_values() -> None:
    old = collections.OrderedDict(total=10)
    new = collections.OrderedDict(total="10.00")

    assert [Change("type changed", ("total",), "int", "str", (), "10 → '10.00'")] == changes(
        old, new, examples=True
    )


def test_no_example_when_payloads_are_not_given() -> None:
    assert [""] == [c.example for c in changes({"a": 1}, {"a": "x"})]


def test_list_of_tuples_to_list_of_dicts_is_reported_once_for_all_elements() -> None:
    old = [(1, "a"), (2, "b"), (3, "c")]
    new = [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}, {"id": 3, "sku": "c"}]

    actual = changes(old, new, examples=True)

    assert [("type changed", ("<items>",), "tuple", "dict")] == [
        (c.kind, c.segments, c.old, c.new) for c in actual
    ]
    assert "type changed  return[*]  tuple → dict   (1, 'a') → {'id': 1, 'sku': 'a'}" == (
        actual[0].render("return")
    )


def test_children_of_a_retyped_value_are_not_reported_separately() -> None:
    old = {"order": {"id": 1, "lines": [{"sku": "a"}], "total": 10}}
    new = {"order": [1, "a", "10"]}

    assert [Change("type changed", ("order",), "dict", "list[int | str]")] == changes(old, new)


def test_dict_turned_into_a_list_of_dicts_reports_only_the_container() -> None:
    assert ["type changed  return['a']  dict → list[dict]"] == [
        c.render("return") for c in changes({"a": {"x": 1}}, {"a": [{"y": "s"}]})
    ]


def test_tuple_turned_into_a_list_is_a_type_change() -> None:
    assert ["type changed  return['pair']  tuple → list[int]   (1, 2) → [1, 2]"] == rendered(
        {"pair": (1, 2)}, {"pair": [1, 2]}
    )


def test_tuple_position_type_change_is_reported_at_its_index() -> None:
    assert ["type changed  return[1]  str → int   'a' → 2"] == rendered((1, "a"), (1, 2))


def test_new_member_in_a_union_is_a_type_change_of_the_union() -> None:
    assert [Change("type changed", ("<items>",), "int", "int | str")] == changes([1], [1, "x"])


# ----------------------------------------------------------- records and errors


@dataclasses.dataclass
class Invoice:
    id: int
    total: str


def invoice_with_int_total() -> object:
    @dataclasses.dataclass
    class Invoice:
        id: int
        total: int

    Invoice.__qualname__ = "Invoice"  # the same class, edited: its total is now an int
    return Invoice(1, 999)


def test_dataclass_field_type_change_is_reported_at_the_field() -> None:
    actual = changes(Invoice(1, "9.99"), invoice_with_int_total(), examples=True)

    assert [Change("type changed", (".total",), "str", "int", (), "'9.99' → 999")] == actual
    assert "type changed  return.total  str → int   '9.99' → 999" == actual[0].render("return")


def test_dataclass_field_renamed_is_a_key_rename() -> None:
    @dataclasses.dataclass
    class Renamed:
        id: int
        amount: str

    Renamed.__qualname__ = "Invoice"

    assert ["key renamed?  return.total → return.amount   (str)"] == rendered(
        Invoice(1, "9.99"), Renamed(1, "9.99")
    )


def test_dataclass_replaced_by_another_type_is_one_type_change() -> None:
    @dataclasses.dataclass
    class Receipt:
        id: int
        total: str

    assert [
        Change("type changed", (), f"{HERE}.Invoice", f"{HERE}.{Receipt.__qualname__}")
    ] == changes(Invoice(1, "x"), Receipt(1, "x"))


class Line(NamedTuple):
    sku: str
    qty: int


def test_fields_of_a_record_replaced_by_another_type_are_not_reported_separately() -> None:
    @dataclasses.dataclass
    class Receipt:
        number: str
        amount: int

    actual = changes({"doc": Invoice(1, "x")}, {"doc": Receipt("r-1", 2)})

    assert [
        Change("type changed", ("doc",), f"{HERE}.Invoice", f"{HERE}.{Receipt.__qualname__}")
    ] == actual


def test_namedtuple_field_type_change_is_reported_at_the_field() -> None:
    assert ["type changed  return[*].qty  int → str   2 → '2'"] == rendered(
        [Line("a", 2)],
        [Line("a", "2")],  # type: ignore[arg-type]
    )


def test_sqlite_row_column_type_change_is_reported_at_the_column() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.row_factory = sqlite3.Row
        old = conn.execute("SELECT 1 AS id, 5 AS total").fetchone()
        new = conn.execute("SELECT 1 AS id, '5.00' AS total").fetchone()
    finally:
        conn.close()

    assert ["type changed  return['total']  int → str   5 → '5.00'"] == rendered(old, new)


class OrderMissing(LookupError):
    pass


def test_changed_exception_type_is_one_type_change() -> None:
    actual = changes(KeyError("order 7"), OrderMissing("order 7"))

    assert [Change("type changed", (), "KeyError", f"{HERE}.OrderMissing")] == actual
    assert f"type changed  raise  KeyError → {HERE}.OrderMissing" == actual[0].render("raise")


def test_changed_exception_arg_type_is_reported_at_the_arg() -> None:
    assert ["type changed  raise.args[0]  int → str   7 → 'seven'"] == rendered(
        OrderMissing(7), OrderMissing("seven"), root="raise"
    )


# ------------------------------------------------------------------- arguments


def test_argument_changes_render_under_args() -> None:
    old = args_shape(("user", "limit"), [shape_of({"email": "a@x"}), shape_of(10)])
    new = args_shape(("user", "limit"), [shape_of({"mail": "a@x"}), shape_of("10")])

    actual = explain(old, new)

    assert [
        "type changed  args.limit  int → str",
        "key renamed?  args.user['email'] → args.user['mail']   (str)",
    ] == [c.render("args") for c in actual]


def test_argument_type_change_carries_example_values() -> None:
    old = args_shape(("order_id",), [shape_of(7)])
    new = args_shape(("order_id",), [shape_of("7")])

    actual = explain(old, new, view({"order_id": 7}), view({"order_id": "7"}))

    assert ["type changed  args.order_id  int → str   7 → '7'"] == [
        c.render("args") for c in actual
    ]


# ---------------------------------------------------------------------- render


def test_render_of_each_kind_at_the_return_root() -> None:
    assert [
        "type changed  return['a'][*]  int → str",
        "type changed  return['a'][*]  int → str   1 → 'x'",
        "key removed   return['a']   (was int)",
        "key added     return.b   (str)",
        "key renamed?  return['a'] → return['b']   (int)",
    ] == [
        Change("type changed", ("a", "<items>"), "int", "str").render("return"),
        Change("type changed", ("a", "<items>"), "int", "str", (), "1 → 'x'").render("return"),
        Change("key removed", ("a",), "int", "").render("return"),
        Change("key added", (".b",), "", "str").render("return"),
        Change("key renamed?", ("a",), "int", "", ("b",)).render("return"),
    ]


def test_render_of_each_kind_at_the_args_root() -> None:
    assert [
        "type changed  args  int → str",
        "type changed  args.user['id']  int → str",
        "key removed   args.user   (was dict)",
        "key renamed?  args.user['id'] → args.user['uid']   (int)",
        "key added     args.order.lines[*]   (Line)",
    ] == [
        Change("type changed", (), "int", "str").render("args"),
        Change("type changed", ("user", "id"), "int", "str").render("args"),
        Change("key removed", ("user",), "dict", "").render("args"),
        Change("key renamed?", ("user", "id"), "int", "", ("user", "uid")).render("args"),
        Change("key added", ("order", ".lines", "<items>"), "", "Line").render("args"),
    ]


def test_render_path_formats_every_segment_kind() -> None:
    assert "return['a'][0][*].field.keys().values().args[1]" == render_path(
        "return", ("a", 0, "<items>", ".field", "<keys>", "<values>", "<args>", 1)
    )
    assert "yield" == render_path("yield", ())
    assert "args.x[*]" == render_path("args", ("x", "<items>"))
