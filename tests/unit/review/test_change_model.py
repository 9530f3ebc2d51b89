"""seamrec.review.changes: one change model and one engine for failure messages,
`assert_matches`, `seamrec diff`, `--seams-report` and contracts (real shapes of real values)."""

from __future__ import annotations

import dataclasses

import pytest

from seamrec.cassette.store import Cassette, Run
from seamrec.model.shape import Shape, args_shape, make_shape_function
from seamrec.review.change_model import Change, compare_shapes, contract_changes
from seamrec.review.changes import Snapshot, compare, finding_changes
from seamrec.review.contract import SeamContract
from seamrec.review.explain import explain
from seamrec.review.render import as_text
from seamrec.runtime.tape import Finding

shape_of = make_shape_function()
SEAM = "app.repo:get"
TEST = "tests/test_a.py::test_one"


def contract(*values: object) -> SeamContract:
    """The contract of calls that returned `values`."""
    return shaped("return", *map(shape_of, values))


def shaped(part: str, *shapes: Shape) -> SeamContract:
    """The contract of calls with `shapes` at `part`."""
    merged = SeamContract(SEAM, tests={TEST})
    for shape in shapes:
        merged.add_shape(part, shape)
    return merged


def kinds(old: SeamContract, new: SeamContract) -> list[tuple[str, str, str, str]]:
    return [(c.kind, c.path, c.old, c.new) for c in contract_changes(SEAM, old, new)]


def lines(old: object, new: object, part: str = "return") -> list[str]:
    """The failure-message lines for `old` recorded and `new` live at `part`."""
    return [c.render() for c in explain(shape_of(old), shape_of(new), part=part)]


# ------------------------------------------------------------- every change kind


def test_key_removed_added_and_type_changed() -> None:
    """The three commonest kinds, each at its path, with the types before and after."""
    assert kinds(contract({"a": 1, "b": "x"}), contract({"a": "1", "c": 2.0})) == [
        ("type changed", "return['a']", "int", "str"),
        ("key removed", "return['b']", "str", ""),
        ("key added", "return['c']", "", "float"),
    ]


def test_type_narrowed_is_additive_and_widened_is_breaking() -> None:
    """`str | None` → `str` keeps old readers working; the reverse does not."""
    [narrowed] = contract_changes(SEAM, contract("a", None), contract("a"))
    [widened] = contract_changes(SEAM, contract("a"), contract("a", None))
    assert (narrowed.kind, narrowed.category) == ("type narrowed", "additive")
    assert (widened.kind, widened.old, widened.new) == ("type changed", "str", "str | None")
    assert widened.breaking


def test_format_changed_added_and_loosened() -> None:
    """A strict class lost is breaking; a class where none was asserted, or a weak class
    (epoch seconds) the values no longer have, is not."""
    hexed = "3f2a1b0c3f2a1b0c3f2a1b0c3f2a1b0c"
    assert kinds(contract(hexed), contract("plain text")) == [
        ("format changed", "return", "hex(32)", "text")
    ]
    assert kinds(contract("plain text"), contract("a@b.com")) == [
        ("format added", "return", "text", "email")
    ]
    assert kinds(contract(1700000000), contract(5)) == [
        ("format loosened", "return", "epoch-s", "int")
    ]


def test_now_optional_and_now_required() -> None:
    """A key some records lack is "now optional" (breaking); the reverse is additive."""
    both = contract({"a": 1, "b": 2})
    some = contract({"a": 1, "b": 2}, {"a": 1})
    [optional] = contract_changes(SEAM, both, some)
    [required] = contract_changes(SEAM, some, both)
    assert (optional.kind, optional.path, optional.breaking) == (
        "now optional",
        "return['b']",
        True,
    )
    assert (required.kind, required.breaking) == ("now required", False)


def test_arguments_positions_and_items_have_their_own_words() -> None:
    """An argument, a tuple position and a list's items are named as such."""
    old = shaped("args", args_shape(("a", "b"), [shape_of(1), shape_of(2)]))
    new = shaped("args", args_shape(("a",), [shape_of(1)]))
    assert kinds(old, new) == [("argument removed", "args.b", "int", "")]
    assert kinds(contract((1, 2)), contract((1, 2, 3))) == [
        ("position added", "return[2]", "", "int")
    ]
    assert kinds(contract([]), contract([1])) == [("items added", "return[*]", "", "int")]
    assert kinds(contract([1]), contract([])) == []  # an emptied list says nothing


def test_outcome_kinds_of_a_whole_part() -> None:
    """A part that appears or disappears: "now raises", "no longer returns"."""
    old, new = contract(1), SeamContract(SEAM)
    new.add_shape("raise", shape_of(KeyError("k")))
    assert [(c.kind, c.path) for c in contract_changes(SEAM, old, new)] == [
        ("now raises", "raise"),
        ("no longer returns", "return"),
    ]


# ------------------------------------------------------------------ rename rule


def test_a_key_renamed_with_the_same_value_is_one_rename() -> None:
    """Same parent, same types all the way down, one candidate: "key renamed?"."""
    [change] = contract_changes(SEAM, contract({"user": {"id": 1}}), contract({"owner": {"id": 1}}))
    assert (change.kind, change.path, change.to_path) == (
        "key renamed?",
        "return['user']",
        "return['owner']",
    )
    assert (change.old, change.new) == ("dict", "dict")


def test_a_renamed_key_whose_insides_changed_is_a_removal_and_an_addition() -> None:
    """`diff` used to pair keys by their own type only; the insides must read the same
    too, as failure messages always required."""
    found = kinds(contract({"user": {"id": 1}}), contract({"owner": {"id": "1"}}))
    assert found == [
        ("key removed", "return['user']", "dict", ""),
        ("key added", "return['owner']", "", "dict"),
    ]


def test_two_candidates_for_a_rename_are_no_rename() -> None:
    """Failure messages used to pair the first candidate; a guess between two equal
    candidates is no better than none, as `diff` always said."""
    assert lines({"a": 1, "b": 2}, {"x": 1, "y": 2}) == [
        "key removed   return['a']   (was int)",
        "key removed   return['b']   (was int)",
        "key added     return['x']   (int)",
        "key added     return['y']   (int)",
    ]


def test_a_rename_is_found_only_next_to_the_removed_key() -> None:
    """A key that moved to another parent is removed there and added here."""
    assert lines({"a": {"k": 1}, "b": {}}, {"a": {}, "b": {"k": 1}}) == [
        "key removed   return['a']['k']   (was int)",
        "key added     return['b']['k']   (int)",
    ]


# --------------------------------------------------- what a changed type hides


def test_nothing_is_said_below_a_value_that_became_something_else() -> None:
    """dict → list: its keys are gone with it, in failure messages and in `diff`."""
    old, new = {"order": {"id": 1, "total": 2}}, {"order": [1, 2]}
    assert lines(old, new) == ["type changed  return['order']  dict → list[int]"]
    assert kinds(contract(old), contract(new)) == [
        ("type changed", "return['order']", "dict", "list")
    ]


def test_a_value_that_is_still_the_same_type_keeps_its_inside_changes() -> None:
    """`dict` → `dict | None`: the dict is still there, so a key that changed in it is
    said too (failure messages used to hide everything below a widened type)."""
    assert lines([{"id": 1}], [{"id": "1"}, None]) == [
        "type changed  return[*]['id']  int → str",
        "type changed  return[*]  dict → None | dict",
    ]


def test_records_where_a_key_is_sometimes_missing_say_so() -> None:
    """A list of records that now sometimes lack a key: "now optional" at the key, where
    failure messages used to say "dict → dict | dict"."""
    assert lines([{"a": 1, "b": 2}], [{"a": 1, "b": 2}, {"a": 1}]) == [
        "now optional  return[*]['b']   (int)"
    ]


# ------------------------------------------------------ one model, every reader


def test_failure_lines_use_the_same_kinds_as_diff() -> None:
    """An argument or tuple position removed is worded alike everywhere."""
    old = args_shape(("user_id", "lang"), [shape_of(1), shape_of("en")])
    new = args_shape(("user_id",), [shape_of(1)])
    assert [c.render() for c in explain(old, new)] == ["argument removed  args.lang   (was str)"]
    assert lines((1, "a"), (1,)) == ["position removed  return[1]   (was str)"]


def test_a_drift_finding_and_explain_find_the_same_changes() -> None:
    """`--seams-report` (finding_changes) and the failure message (explain) come from one
    comparison: the same kinds at the same paths."""
    recorded, live = shape_of({"id": 1, "name": "a", "tags": [1]}), shape_of({"id": "1"})
    finding = Finding(SEAM, 0, "return", recorded_shape=recorded, live_shape=live)
    reported = {(c.kind, c.path) for c in finding_changes(finding)}
    explained = {(c.kind, c.path) for c in explain(recorded, live)}
    assert (
        reported
        == explained
        == {
            ("type changed", "return['id']"),
            ("key removed", "return['name']"),
            ("key removed", "return['tags']"),
        }
    )


def test_parts_of_a_live_shape_that_fit_the_recording_are_no_change() -> None:
    """An empty list, a narrower union: they fit, so neither reader reports them."""
    recorded: Shape = shape_of({"items": [{"id": 1}], "note": "a"})
    live: Shape = shape_of({"items": [], "note": 1})
    assert [(c.kind, c.path) for c in compare_shapes(SEAM, "return", recorded, live)] == [
        ("type changed", "return['note']")
    ]


def test_an_argument_value_is_explained_under_its_argument() -> None:
    """`assert_matches(..., part="args.user")` reads paths under `args.user`."""
    changes = explain(shape_of({"email": "a"}), shape_of({"mail": "a"}), part="args.user")
    assert [c.render() for c in changes] == [
        "key renamed?  args.user['email'] → args.user['mail']   (str)"
    ]


@pytest.mark.parametrize(
    ("kind", "category"),
    [
        ("key removed", "breaking"),
        ("key renamed?", "breaking"),
        ("type changed", "breaking"),
        ("format changed", "breaking"),
        ("now optional", "breaking"),
        ("key added", "additive"),
        ("type narrowed", "additive"),
        ("format added", "additive"),
        ("format loosened", "additive"),
        ("now required", "additive"),
        ("no longer exercised", "coverage"),
    ],
)
def test_breaking_additive_or_coverage(kind: str, category: str) -> None:
    """What each kind means for code that relied on the old format."""
    assert Change(SEAM, kind).category == category


def test_a_change_is_the_same_however_it_was_built() -> None:
    """Its identity is its words; the path keys only help renderers, and records (xdist)
    and JSON carry the words alone."""
    [found] = contract_changes(SEAM, contract({"a": 1}), contract({"a": "x"}))
    plain = Change(SEAM, "type changed", "return['a']", "int", "str")
    assert found == plain
    assert hash(found) == hash(plain)
    assert found.at == ("return", "a")
    assert plain.at == ()
    assert Change.from_record(found.to_record()) == found
    assert set(found.to_dict()) == {*found.to_record(), "breaking", "category"}
    assert dataclasses.replace(found, tests=2).describe() == "return['a']  int → str   [in 2 tests]"


def test_diff_and_its_text_report_read_the_change_the_engine_found() -> None:
    """`seamrec diff` over two recordings of one test: the engine's change, in text."""
    base = Snapshot.of(
        [Cassette(TEST, [], {SEAM: [Run(("args", (), ()), "return", shape_of({"a": 1}), 1)]})]
    )
    head = Snapshot.of(
        [Cassette(TEST, [], {SEAM: [Run(("args", (), ()), "return", shape_of({"a": "1"}), 1)]})]
    )
    text = as_text(compare(base, head), "t")
    assert "  BREAKING  type changed    return['a']  int → str   [in 1 test]" in text.splitlines()
