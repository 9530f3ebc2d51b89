"""seamrec.review.changes: how seam contracts changed between two sets of cassettes (in process).

Cassettes are built by hand from shapes, so every test states exactly which payload
shapes each test recorded before (`base`) and after (`head`) a change.
"""

from __future__ import annotations

import json

from seamrec.cassette.store import Cassette, Run
from seamrec.model.shape import Shape, args_shape, make_shape_function
from seamrec.review.changes import (
    Change,
    SeamChanges,
    Snapshot,
    compare,
    contract_changes,
    finding_changes,
    group_reported,
)
from seamrec.review.contract import contracts_of
from seamrec.review.render import headline, render
from seamrec.runtime.tape import Finding

shape_of = make_shape_function()
SEAM = "app.repo:get"
OTHER = "app.repo:save"
T1 = "tests/test_a.py::test_one"
T2 = "tests/test_a.py::test_two"
T3 = "tests/test_a.py::test_three"
T4 = "tests/test_a.py::test_four"
ARGS = args_shape(("user_id",), [("int",)])

Row = tuple[str, str, str, str, int, str]  # kind, path, old, new, tests, category


def ret(value: object, count: int = 1) -> Run:
    """`count` calls that returned a value shaped like `value`."""
    return Run(ARGS, "return", shape_of(value), count)


def raised(error: BaseException, count: int = 1) -> Run:
    """`count` calls that raised an exception shaped like `error`."""
    return Run(ARGS, "raise", shape_of(error), count)


def cassette(test: str, *runs: Run, seam: str = SEAM) -> Cassette:
    """One test's cassette with `runs` of one seam."""
    return Cassette(test=test, calls=[], runs={seam: list(runs)})


def diff(base: list[Cassette], head: list[Cassette]) -> list[SeamChanges]:
    return compare(Snapshot.of(base), Snapshot.of(head))


def rows(groups: list[SeamChanges], seam: str = SEAM) -> list[Row]:
    """The changes of one seam as (kind, path, old, new, tests, category)."""
    found = [g for g in groups if g.seam == seam]
    assert len(found) <= 1
    changes = found[0].changes if found else []
    return [(c.kind, c.path, c.old, c.new, c.tests, c.category) for c in changes]


def only(groups: list[SeamChanges], seam: str = SEAM) -> Change:
    """The single change of `seam` (fails if there are several)."""
    [group] = [g for g in groups if g.seam == seam]
    [change] = group.changes
    return change


# --------------------------------------------------------------------------- keys


def test_a_key_removed_from_the_return_value_is_breaking() -> None:
    """A dict key the seam no longer returns is a breaking "key removed" with its old type."""
    groups = diff([cassette(T1, ret({"id": 1, "name": "a"}))], [cassette(T1, ret({"id": 1}))])
    assert rows(groups) == [("key removed", "return['name']", "str", "", 1, "breaking")]
    assert groups[0].breaking


def test_a_key_added_always_present_is_additive_without_detail() -> None:
    """A new key present in every returned dict is "key added", additive, no "optional"."""
    groups = diff([cassette(T1, ret({"id": 1}))], [cassette(T1, ret({"id": 1, "name": "a"}))])
    assert rows(groups) == [("key added", "return['name']", "", "str", 1, "additive")]
    assert only(groups).detail == ""
    assert not groups[0].breaking


def test_a_key_added_that_some_calls_lack_is_marked_optional() -> None:
    """A new key only some returned dicts have is "key added" with detail "optional"."""
    head = cassette(T1, ret({"id": 1}), ret({"id": 2, "name": "a"}))
    groups = diff([cassette(T1, ret({"id": 1}, count=2))], [head])
    assert rows(groups) == [("key added", "return['name']", "", "str", 1, "additive")]
    assert only(groups).detail == "optional"


def test_a_key_removed_and_one_added_with_the_same_type_pair_as_a_probable_rename() -> None:
    """A removed key and one added sibling of the same type become one "key renamed?" line."""
    groups = diff(
        [cassette(T1, ret({"id": 1, "name": "a"}))], [cassette(T1, ret({"id": 1, "title": "a"}))]
    )
    assert rows(groups) == [("key renamed?", "return['name']", "str", "str", 1, "breaking")]
    change = only(groups)
    assert change.to_path == "return['title']"
    assert change.describe() == "return['name'] → return['title']   (str)   [in 1 test]"


def test_a_removed_key_with_two_candidate_partners_is_not_paired() -> None:
    """With two added siblings of the removed key's type, nothing is called a rename."""
    head = cassette(T1, ret({"id": 1, "title": "a", "label": "b"}))
    groups = diff([cassette(T1, ret({"id": 1, "name": "a"}))], [head])
    assert rows(groups) == [
        ("key removed", "return['name']", "str", "", 1, "breaking"),
        ("key added", "return['label']", "", "str", 1, "additive"),
        ("key added", "return['title']", "", "str", 1, "additive"),
    ]
    assert all(c.to_path == "" for c in groups[0].changes)


def test_a_removed_key_is_not_paired_with_an_added_key_of_another_type() -> None:
    """A rename needs the same types: `name: str` gone and `title: int` new stay apart."""
    groups = diff(
        [cassette(T1, ret({"id": 1, "name": "a"}))], [cassette(T1, ret({"id": 1, "title": 5}))]
    )
    assert [r[:2] for r in rows(groups)] == [
        ("key removed", "return['name']"),
        ("key added", "return['title']"),
    ]


def test_a_removed_key_takes_its_children_with_it() -> None:
    """Only the topmost removed path is reported, not each key under it."""
    base = cassette(T1, ret({"id": 1, "user": {"email": "e", "age": 3}}))
    groups = diff([base], [cassette(T1, ret({"id": 1}))])
    assert rows(groups) == [("key removed", "return['user']", "dict", "", 1, "breaking")]


def test_an_argument_removed_is_a_breaking_argument_removal() -> None:
    """Argument paths read `args.name`; a parameter that is gone is "argument removed"."""
    before = Run(args_shape(("user_id", "lang"), [("int",), ("str",)]), "return", ("int",), 1)
    after = Run(ARGS, "return", ("int",), 1)
    groups = diff([cassette(T1, before)], [cassette(T1, after)])
    assert rows(groups) == [("argument removed", "args.lang", "str", "", 1, "breaking")]


# -------------------------------------------------------------------------- types


def test_a_type_changed_from_int_to_str_is_breaking() -> None:
    """`id: int` becoming `id: str` is a breaking "type changed" with both types."""
    groups = diff([cassette(T1, ret({"id": 1}))], [cassette(T1, ret({"id": "1"}))])
    assert rows(groups) == [("type changed", "return['id']", "int", "str", 1, "breaking")]


def test_widening_str_to_optional_str_is_a_breaking_type_change() -> None:
    """`str` → `str | None` is a widening: old code may not handle None, so it breaks."""
    head = cassette(T1, ret({"id": "a"}), ret({"id": None}))
    groups = diff([cassette(T1, ret({"id": "a"}, count=2))], [head])
    assert rows(groups) == [("type changed", "return['id']", "str", "str | None", 1, "breaking")]


def test_narrowing_optional_dict_to_dict_is_an_additive_type_narrowed() -> None:
    """`dict | None` → `dict` is "type narrowed": old code handling None keeps working."""
    base = cassette(T1, ret({"user": {"id": 1}}), ret({"user": None}))
    groups = diff([base], [cassette(T1, ret({"user": {"id": 1}}, count=2))])
    assert rows(groups) == [
        ("type narrowed", "return['user']", "dict | None", "dict", 1, "additive")
    ]
    assert not groups[0].breaking


def test_a_dict_retyped_to_a_tuple_gives_one_line_and_nothing_under_it() -> None:
    """A value that changes kind gives one "type changed"; no key/position lines under it."""
    base = cassette(T1, ret({"user": {"id": 1, "name": "a"}}))
    groups = diff([base], [cassette(T1, ret({"user": (1, "a")}))])
    assert rows(groups) == [("type changed", "return['user']", "dict", "tuple", 1, "breaking")]


def test_the_whole_return_value_retyped_gives_one_line_at_the_root() -> None:
    """A seam that returned a dict and now returns a list: one "type changed" at `return`."""
    groups = diff([cassette(T1, ret({"id": 1}))], [cassette(T1, ret([1, 2]))])
    assert rows(groups) == [("type changed", "return", "dict", "list", 1, "breaking")]


def test_a_key_removed_under_a_narrowed_parent_is_still_reported_as_breaking() -> None:
    """`user: dict | None` → `dict` while `user['name']` goes still reports the removal."""
    # the dict member is the same kind on both sides, so its keys can still be compared
    base = cassette(T1, ret({"user": {"id": 1, "name": "a"}}), ret({"user": None}))
    groups = diff([base], [cassette(T1, ret({"user": {"id": 1}}, count=2))])
    kinds = {(kind, path) for kind, path, *_ in rows(groups)}
    assert ("key removed", "return['user']['name']") in kinds
    assert groups[0].breaking


# ---------------------------------------------------------------- tuple positions


def test_a_two_tuple_becoming_a_three_tuple_adds_a_breaking_position() -> None:
    """Unpacking `a, b = seam()` fails on a 3-tuple: "position added" at `return[2]`."""
    groups = diff([cassette(T1, ret((1, "x")))], [cassette(T1, ret((1, "x", 2.0)))])
    assert rows(groups) == [("position added", "return[2]", "", "float", 1, "breaking")]


def test_a_three_tuple_becoming_a_two_tuple_removes_a_breaking_position() -> None:
    """A tuple position that is gone is "position removed", breaking, with its old type."""
    groups = diff([cassette(T1, ret((1, "x", 2.0)))], [cassette(T1, ret((1, "x")))])
    assert rows(groups) == [("position removed", "return[2]", "float", "", 1, "breaking")]


# --------------------------------------------------------------- whole outcomes


def test_a_seam_that_starts_raising_is_breaking_now_raises() -> None:
    """A seam that starts raising: one breaking "now raises" (no lines for the exc args)."""
    head = cassette(T1, ret(1), raised(KeyError("x")))
    groups = diff([cassette(T1, ret(1))], [head])
    assert rows(groups) == [
        ("now raises", "raise", "", "KeyError", 1, "breaking"),
        ("calls added", "", "", "", 1, "additive"),
    ]


def test_a_seam_a_still_existing_test_stopped_raising_with_is_additive() -> None:
    """A test that still exists and no longer sees the raise gives "no longer raises"."""
    base = cassette(T1, ret(1, count=2), raised(KeyError("x")))
    groups = diff([base], [cassette(T1, ret(1, count=3))])
    assert rows(groups) == [("no longer raises", "raise", "KeyError", "", 1, "additive")]


def test_a_raise_only_a_deleted_test_saw_is_no_longer_exercised() -> None:
    """When the only raising test is deleted, the raise is lost coverage, not a change."""
    base = [cassette(T1, ret(1)), cassette(T2, raised(KeyError("x")))]
    groups = diff(base, [cassette(T1, ret(1))])
    assert rows(groups) == [("no longer exercised", "raise", "KeyError", "", 0, "coverage")]
    assert only(groups).detail == "no longer raises, but only in deleted tests"


def test_a_seam_that_no_longer_returns_is_breaking() -> None:
    """A seam that returned and raised and now only raises: "no longer returns"."""
    base = cassette(T1, ret(1), raised(KeyError("x")))
    groups = diff([base], [cassette(T1, raised(KeyError("x"), count=2))])
    assert rows(groups) == [("no longer returns", "return", "int", "", 1, "breaking")]


def test_a_generator_that_no_longer_yields_is_breaking() -> None:
    """The `yield` root follows the same words: "no longer yields" is breaking."""
    items = Run(ARGS, "yield", ("coll", "yield", (("int",),)), 1)
    base = cassette(T1, items, ret(None))
    groups = diff([base], [cassette(T1, ret(None, count=2))])
    assert rows(groups) == [("no longer yields", "yield", "generator", "", 1, "breaking")]


# ------------------------------------------------------------------ empty lists


def test_a_list_that_was_always_empty_getting_items_is_additive() -> None:
    """`[]` then `[{"id": 1}]` is one additive "items added", not the items' keys."""
    groups = diff([cassette(T1, ret([]))], [cassette(T1, ret([{"id": 1}]))])
    assert rows(groups) == [("items added", "return[*]", "", "dict", 1, "additive")]


def test_the_contract_of_a_seam_that_only_returned_empty_lists_has_no_item_line() -> None:
    """An empty list recorded says nothing about items: no `return[*]` entry or line."""
    contract = contracts_of(cassette(T1, ret([], count=3)))[SEAM]
    assert [(e.path, e.types, e.optional) for e in contract.entries()] == [
        ("args.user_id", ("int",), False),
        ("return", ("list",), False),
    ]
    assert contract.lines() == [
        f"## {SEAM}",
        "  args.user_id: int",
        "  return: list",
        "tests:",
        f"  {T1}",
    ]
    assert contract.calls == 3


def test_an_empty_list_in_one_test_and_items_in_another_merge_without_a_change() -> None:
    """A kept test now recording `[]` next to one with items does not change the items."""
    base = [cassette(T1, ret([{"id": 1}])), cassette(T2, ret([{"id": 2}]))]
    head = [cassette(T1, ret([{"id": 1}])), cassette(T2, ret([]))]
    assert rows(diff(base, head)) == []


# ---------------------------------------------------------------- optional keys


def test_a_required_key_becoming_optional_is_breaking() -> None:
    """A key every call had and some calls now lack: "now optional", breaking."""
    head = cassette(T1, ret({"id": 1, "name": "a"}), ret({"id": 2}))
    groups = diff([cassette(T1, ret({"id": 1, "name": "a"}, count=2))], [head])
    assert rows(groups) == [("now optional", "return['name']", "", "str", 1, "breaking")]


def test_an_optional_key_becoming_required_is_additive() -> None:
    """A key some calls lacked and every call now has: "now required", additive."""
    base = cassette(T1, ret({"id": 1, "name": "a"}), ret({"id": 2}))
    groups = diff([base], [cassette(T1, ret({"id": 1, "name": "a"}, count=2))])
    assert rows(groups) == [("now required", "return['name']", "", "str", 1, "additive")]


def test_a_key_one_test_lost_while_another_kept_it_counts_that_test() -> None:
    """T1 loses `name`, T2 keeps it: the merged contract only makes `name` optional, but
    test by test it is a key removed, in one test."""
    base = [cassette(T1, ret({"id": 1, "name": "a"})), cassette(T2, ret({"id": 1, "name": "b"}))]
    head = [cassette(T1, ret({"id": 1})), cassette(T2, ret({"id": 1, "name": "b"}))]
    assert rows(diff(base, head)) == [("key removed", "return['name']", "str", "", 1, "breaking")]


# -------------------------------------------------------------------- coverage


def test_a_key_only_a_deleted_test_had_is_no_longer_exercised() -> None:
    """T2 (deleted) was the only test with `name`: coverage lost, not a breaking change."""
    base = [cassette(T1, ret({"id": 1})), cassette(T2, ret({"id": 2, "name": "a"}))]
    groups = diff(base, [cassette(T1, ret({"id": 1}))])
    assert rows(groups) == [("no longer exercised", "return['name']", "str", "", 0, "coverage")]
    assert only(groups).detail == "key removed, but only in deleted tests"
    assert not groups[0].breaking


def test_a_key_a_still_existing_test_lost_is_the_real_breaking_removal() -> None:
    """Same data as the deleted-test case, but T2 still exists and lost `name`: breaking."""
    base = [cassette(T1, ret({"id": 1})), cassette(T2, ret({"id": 2, "name": "a"}))]
    head = [cassette(T1, ret({"id": 1})), cassette(T2, ret({"id": 2}))]
    groups = diff(base, head)
    assert rows(groups) == [("key removed", "return['name']", "str", "", 1, "breaking")]
    assert groups[0].breaking


def test_a_union_member_only_a_deleted_test_had_is_no_longer_exercised() -> None:
    """`id: str | None` where only a deleted test saw None narrows by coverage only."""
    base = [cassette(T1, ret({"id": "a"})), cassette(T2, ret({"id": None}))]
    groups = diff(base, [cassette(T1, ret({"id": "a"}))])
    assert rows(groups) == [
        ("no longer exercised", "return['id']", "str | None", "", 0, "coverage")
    ]
    assert only(groups).detail == "type narrowed, but only in deleted tests"


def test_a_seam_only_deleted_tests_called_is_no_longer_exercised() -> None:
    """A seam no remaining test called before is coverage lost, naming the deleted tests."""
    base = [
        cassette(T1, ret(1)),
        cassette(T2, ret(1), seam=OTHER),
        cassette(T3, ret(2), seam=OTHER),
    ]
    groups = diff(base, [cassette(T1, ret(1))])
    assert rows(groups, OTHER) == [("no longer exercised", "", "", "", 0, "coverage")]
    assert only(groups, OTHER).detail == f"only deleted tests called it: {T3}, {T2}"
    assert rows(groups, SEAM) == []


def test_a_seam_a_still_existing_test_no_longer_calls_is_removed() -> None:
    """A seam kept tests no longer call is "seam removed", counted by the kept tests only."""
    base = [
        Cassette(T1, [], {SEAM: [ret(1)], OTHER: [ret(1)]}),
        Cassette(T2, [], {SEAM: [ret(1)], OTHER: [ret(1)]}),
        Cassette(T3, [], {OTHER: [ret(1)]}),
    ]
    head = [cassette(T1, ret(1)), cassette(T2, ret(1))]
    groups = diff(base, head)
    assert rows(groups, OTHER) == [("seam removed", "", "", "", 2, "breaking")]
    assert only(groups, OTHER).detail == f"{T1}, {T2}"
    assert [g.seam for g in groups] == [OTHER]


def test_a_brand_new_seam_is_an_additive_seam_added_counted_by_tests() -> None:
    """A seam no base test called: "seam added", counted by the tests that call it now."""
    head = [Cassette(T1, [], {SEAM: [ret(1)], OTHER: [ret(1)]}), cassette(T4, ret(1), seam=OTHER)]
    groups = diff([cassette(T1, ret(1))], head)
    assert rows(groups, OTHER) == [("seam added", "", "", "", 2, "additive")]
    assert rows(groups, SEAM) == []


def test_breaking_seams_come_first_then_by_name() -> None:
    """Groups are sorted breaking first, then by seam id, whatever their names."""
    base = [Cassette(T1, [], {"a.mod:f": [ret(1)], "z.mod:g": [ret({"id": 1, "x": 1})]})]
    head = [Cassette(T1, [], {"a.mod:f": [ret("s")], "z.mod:g": [ret({"id": 1})]})]
    head[0].runs["b.mod:new"] = [ret(1)]
    groups = diff(base, head)
    assert [(g.seam, g.breaking) for g in groups] == [
        ("a.mod:f", True),
        ("z.mod:g", True),
        ("b.mod:new", False),
    ]


def test_a_kept_tests_lost_key_stays_breaking_when_deleted_tests_change_the_pairing() -> None:
    """A key a kept test lost is breaking even if a deleted test's key makes it a rename."""
    # T1 (kept) loses `name`, gains `title` and `label`; T2 (deleted) had `label`. Over all
    # tests `name` → `title` pairs as a rename; over the kept tests it does not.
    base = [cassette(T1, ret({"id": 1, "name": "a"})), cassette(T2, ret({"id": 1, "label": "a"}))]
    head = [cassette(T1, ret({"id": 1, "title": "a", "label": "b"}))]
    groups = diff(base, head)
    assert groups[0].breaking
    assert any(c.path == "return['name']" and c.breaking for c in groups[0].changes)


def test_a_key_a_still_existing_test_gained_is_reported_when_a_deleted_key_had_its_type() -> None:
    """A kept test's new key is reported even when a deleted test's lost key pairs with it."""
    # T2 (deleted) had `name: str`; T1 (kept) now returns `title: str`.
    base = [cassette(T1, ret({"id": 1})), cassette(T2, ret({"id": 1, "name": "a"}))]
    head = [cassette(T1, ret({"id": 1, "title": "a"}))]
    kinds = {(kind, path) for kind, path, *_ in rows(diff(base, head))}
    assert ("key added", "return['title']") in kinds


# ---------------------------------------------------------------------- counts


def test_the_same_change_in_three_shared_tests_counts_three() -> None:
    """One type change every one of three kept tests shows is one line "in 3 tests"."""
    base = [cassette(t, ret({"id": 1})) for t in (T1, T2, T3)]
    head = [cassette(t, ret({"id": "1"})) for t in (T1, T2, T3)]
    change = only(diff(base, head))
    assert (change.kind, change.path, change.tests) == ("type changed", "return['id']", 3)
    assert change.describe() == "return['id']  int → str   [in 3 tests]"


def test_a_change_counts_only_the_tests_that_show_it() -> None:
    """Of three tests, the two whose shapes changed are counted; the unchanged one is not."""
    base = [cassette(t, ret({"id": 1})) for t in (T1, T2, T3)]
    head = [cassette(T1, ret({"id": "1"})), cassette(T2, ret({"id": "1"})), base[2]]
    groups = diff(base, head)
    assert ("type changed", "return['id']", "int", "str", 2, "breaking") in rows(groups)


def test_calls_removed_and_added_name_each_test_with_its_counts() -> None:
    """Fewer calls in one test and more in another are two lines, `test: old → new`."""
    base = [cassette(T1, ret(1, count=3)), cassette(T2, ret(1)), cassette(T3, ret(1))]
    head = [cassette(T1, ret(1)), cassette(T2, ret(1, count=2)), cassette(T3, ret(1))]
    groups = diff(base, head)
    assert rows(groups) == [
        ("calls removed", "", "", "", 1, "breaking"),
        ("calls added", "", "", "", 1, "additive"),
    ]
    assert [c.detail for c in groups[0].changes] == [f"{T1}: 3 → 1", f"{T2}: 1 → 2"]


def test_a_kept_test_that_stops_calling_a_seam_others_still_call_removes_calls() -> None:
    """A kept test no longer calling a seam that other tests still call: `test: 1 → 0`."""
    base = [Cassette(T1, [], {SEAM: [ret(1)], OTHER: [ret(1)]}), cassette(T2, ret(1))]
    head = [Cassette(T1, [], {OTHER: [ret(1)]}), cassette(T2, ret(1))]
    change = only(diff(base, head))
    assert (change.kind, change.tests, change.detail) == ("calls removed", 1, f"{T1}: 1 → 0")


def test_calls_changed_in_many_tests_list_three_and_count_the_rest() -> None:
    """The calls detail lists three tests (sorted) and says how many more there are."""
    tests = [f"tests/test_b.py::test_{n}" for n in "abcde"]
    base = [cassette(t, ret(1)) for t in tests]
    head = [cassette(t, ret(1, count=2)) for t in tests]
    change = only(diff(base, head))
    assert change.tests == 5
    shown = ", ".join(f"{t}: 1 → 2" for t in tests[:3])
    assert change.detail == f"{shown}, and 2 more"


def test_calls_of_deleted_and_new_tests_are_not_call_changes() -> None:
    """Only tests on both sides are compared for call counts."""
    base = [cassette(T1, ret(1)), cassette(T2, ret(1, count=4))]
    head = [cassette(T1, ret(1)), cassette(T3, ret(1, count=9))]
    assert rows(diff(base, head)) == []


def test_identical_snapshots_have_no_changes() -> None:
    """Nothing changed, nothing reported (and the headline says so)."""
    same = [cassette(T1, ret({"id": 1})), cassette(T2, raised(KeyError("x")))]
    groups = diff(same, list(same))
    assert groups == []
    assert headline(groups) == "no seam changed shape"


# ------------------------------------------------------- contract_changes direct


def test_contract_changes_sorts_breaking_first_then_by_path() -> None:
    """Within a seam, breaking changes come before additive ones, each sorted by path."""
    old = contracts_of(cassette(T1, ret({"a": 1, "b": 1, "c": "x"})))[SEAM]
    new = contracts_of(cassette(T1, ret({"a": "s", "c": "x", "d": 2.0, "e": [1]})))[SEAM]
    found = [(c.kind, c.path) for c in contract_changes(SEAM, old, new)]
    assert found == [
        ("type changed", "return['a']"),
        ("key removed", "return['b']"),
        ("key added", "return['d']"),
        ("key added", "return['e']"),
    ]


# ------------------------------------------------ reported changes (--seams-report)


def test_group_reported_counts_an_identical_change_once_per_test() -> None:
    """The same change reported twice by one test and once by another is "in 2 tests"."""
    removed = Change(SEAM, "key removed", "return['name']", old="str")
    added = Change(SEAM, "calls added")
    other = Change(OTHER, "seam added")
    groups = group_reported([(T1, removed), (T1, removed), (T2, removed), (T1, added), (T3, other)])
    assert [(g.seam, [(c.kind, c.tests) for c in g.changes]) for g in groups] == [
        (SEAM, [("key removed", 2), ("calls added", 1)]),
        (OTHER, [("seam added", 1)]),
    ]


def test_group_reported_keeps_different_details_apart() -> None:
    """Two changes differing only in detail are two lines, each counted on its own."""
    one = Change(SEAM, "replay failed", detail="boom")
    two = Change(SEAM, "replay failed", detail="bang")
    [group] = group_reported([(T1, one), (T2, two), (T3, two)])
    assert [(c.detail, c.tests) for c in group.changes] == [("bang", 2), ("boom", 1)]


def finding(part: str, recorded: Shape | None = None, live: Shape | None = None) -> Finding:
    return Finding(SEAM, 0, part, recorded_shape=recorded, live_shape=live)


def test_finding_changes_for_missing_and_unrecorded_calls() -> None:
    """A missing call run is "calls removed" (breaking), an unrecorded one "calls added"."""
    assert finding_changes(finding("missing")) == [Change(SEAM, "calls removed")]
    assert finding_changes(finding("unrecorded")) == [Change(SEAM, "calls added")]
    assert finding_changes(finding("missing"))[0].breaking
    assert not finding_changes(finding("unrecorded"))[0].breaking


def test_finding_changes_for_an_outcome_and_a_replay_failure() -> None:
    """An outcome drift keeps both outcomes and says which way it went (as `diff` does);
    a replay failure keeps its message."""
    outcome = Finding(SEAM, 0, "outcome", recorded_outcome="return", live_outcome="raise")
    assert finding_changes(outcome) == [Change(SEAM, "now raises", "raise", "return", "raise")]
    assert "breaking" == finding_changes(outcome)[0].category
    back = Finding(SEAM, 0, "outcome", recorded_outcome="raise", live_outcome="return")
    [change] = finding_changes(back)
    assert ("no longer raises", "additive") == (change.kind, change.category)
    items = Finding(SEAM, 0, "outcome", recorded_outcome="return", live_outcome="yield")
    assert finding_changes(items) == [Change(SEAM, "outcome changed", old="return", new="yield")]
    replay = Finding(SEAM, 0, "replay", message="no recorded call 3")
    [change] = finding_changes(replay)
    assert (change.kind, change.detail, change.category) == (
        "replay failed",
        "no recorded call 3",
        "breaking",
    )


def test_finding_changes_for_return_shapes_use_the_contract_words() -> None:
    """Return shapes are compared like contracts: a type change and a removed key."""
    retyped = finding("return", shape_of({"id": 1}), shape_of({"id": "1"}))
    assert finding_changes(retyped) == [
        Change(SEAM, "type changed", "return['id']", old="int", new="str")
    ]
    lost = finding("return", shape_of({"id": 1, "name": "a"}), shape_of({"id": 1}))
    assert finding_changes(lost) == [Change(SEAM, "key removed", "return['name']", old="str")]


def test_finding_changes_for_argument_shapes() -> None:
    """An argument the live call passes that was not recorded is "argument added"."""
    live = args_shape(("user_id", "lang"), [("int",), ("str",)])
    changes = finding_changes(finding("args", ARGS, live))
    assert changes == [Change(SEAM, "argument added", "args.lang", new="str")]


def test_finding_changes_without_shapes_or_with_no_contract_difference() -> None:
    """No shapes, or shapes whose contracts read the same: a plain "type changed" at the part."""
    assert finding_changes(finding("return")) == [Change(SEAM, "type changed", "return")]
    same = finding("return", shape_of({"id": 1}), shape_of({"id": 2}))
    assert finding_changes(same) == [Change(SEAM, "type changed", "return")]


def test_a_change_survives_a_record_round_trip() -> None:
    """`to_record`/`from_record` (used across xdist workers) give back an equal change."""
    change = Change(SEAM, "key renamed?", "return['a']", "str", "str", 2, "x", "return['b']")
    assert Change.from_record(change.to_record()) == change
    assert Change.from_record({**change.to_record(), "unknown": 1}) == change


# ---------------------------------------------------------------------- review


def mixed_groups() -> list[SeamChanges]:
    """One breaking removal (kept test T1), one key only deleted T2 had, and a seam only
    deleted T3 called: 1 breaking, 0 additive, 2 no longer exercised in 2 seams."""
    base = [
        cassette(T1, ret({"id": 1, "name": "a"})),
        cassette(T2, ret({"id": 1, "name": "a", "extra": 1.5})),
        cassette(T3, ret(1), seam=OTHER),
    ]
    return diff(base, [cassette(T1, ret({"id": 1}))])


def test_the_mixed_fixture_holds_one_breaking_and_two_coverage_changes() -> None:
    """The review fixture is what the review tests below assume it is."""
    groups = mixed_groups()
    assert sorted(rows(groups)) == [  # order within the seam is not what this test is about
        ("key removed", "return['name']", "str", "", 1, "breaking"),
        ("no longer exercised", "return['extra']", "float", "", 0, "coverage"),
    ]
    assert rows(groups, OTHER) == [("no longer exercised", "", "", "", 0, "coverage")]


def test_the_text_headline_counts_breaking_additive_and_lost_coverage() -> None:
    """The text report's first line counts each category and the seams."""
    text = render(mixed_groups(), "t", "text")
    lines = text.splitlines()
    assert lines[0] == "t: 1 breaking, 0 additive changes, 2 no longer exercised in 2 seams"
    assert "  BREAKING  key removed     return['name']   (was str)   [in 1 test]" in lines
    lost = "[key removed, but only in deleted tests]"
    assert f"  coverage  no longer exercised return['extra']   (was float)   {lost}" in lines


def test_the_headline_uses_singular_words_for_one_additive_change_in_one_seam() -> None:
    """`1 additive change in 1 seam`, without a coverage part when nothing was lost."""
    groups = diff([cassette(T1, ret({"id": 1}))], [cassette(T1, ret({"id": 1, "n": 2}))])
    assert headline(groups) == "0 breaking, 1 additive change in 1 seam"


def test_the_json_report_parses_with_counts_and_a_category_per_change() -> None:
    """JSON output parses, counts each category, and every change carries its category."""
    document = json.loads(render(mixed_groups(), "t", "json"))
    assert (document["title"], document["breaking"], document["additive"]) == ("t", 1, 0)
    assert document["coverage"] == 2
    assert [s["seam"] for s in document["seams"]] == [SEAM, OTHER]
    assert [s["breaking"] for s in document["seams"]] == [True, False]
    categories = [
        (c["kind"], c["category"], c["breaking"]) for c in document["seams"][0]["changes"]
    ]
    assert sorted(categories) == [
        ("key removed", "breaking", True),
        ("no longer exercised", "coverage", False),
    ]
    assert document["seams"][1]["changes"][0]["detail"] == f"only deleted tests called it: {T3}"


def test_the_markdown_report_marks_breaking_bold_and_coverage_plainly() -> None:
    """Markdown rows start with `**breaking**` or `coverage`; pipes in types are escaped."""
    markdown = render(mixed_groups(), "t", "markdown")
    lines = markdown.splitlines()
    assert lines[:3] == [
        "### t",
        "",
        "**1 breaking, 0 additive changes, 2 no longer exercised in 2 seams**",
    ]
    assert f"#### 🔴 `{SEAM}`" in lines
    assert f"#### ⚪ `{OTHER}`" in lines  # only coverage changes
    assert "| **breaking** | key removed | `return['name']` | str; in 1 test |" in lines
    assert (
        "| coverage | no longer exercised | `return['extra']` | "
        "float; key removed, but only in deleted tests |"
    ) in lines
    widened = diff([cassette(T1, ret("a"))], [cassette(T1, ret("a"), ret(None))])
    assert "| **breaking** | type changed | `return` | str → str \\| None; in 1 test |" in (
        render(widened, "t", "markdown").splitlines()
    )


def test_a_key_one_test_lost_is_breaking_although_another_test_still_has_it() -> None:
    """Merged over both tests `error` never disappears; test by test, T1 lost it."""
    base = [cassette(T1, ret({"status": 404, "error": "gone"})), cassette(T2, ret({"error": "x"}))]
    head = [cassette(T1, ret({"status": 404, "detail": "gone"})), cassette(T2, ret({"error": "x"}))]
    groups = diff(base, head)
    assert [("key renamed?", "return['error']", "str", "str", 1, "breaking")] == rows(groups)
    assert "return['detail']" == groups[0].changes[0].to_path


def test_what_only_a_new_test_shows_is_newly_exercised_not_breaking() -> None:
    """A new test that makes a seam raise changes coverage, not the format."""
    base = [cassette(T1, ret({"id": 1}))]
    head = [cassette(T1, ret({"id": 1})), cassette(T2, raised(KeyError("k")))]
    groups = diff(base, head)
    [change] = groups[0].changes
    assert ("newly exercised", "raise", "coverage") == (change.kind, change.path, change.category)
    assert "now raises, seen only in new tests" == change.detail
    assert not groups[0].breaking


def test_a_seam_whose_tests_were_all_renamed_is_compared_over_all_of_them() -> None:
    """Renamed test, changed return type: the change keeps its real severity, with a note."""
    base = [cassette(T1, ret(None))]
    head = [cassette(T2, ret(True))]
    [change] = diff(base, head)[0].changes
    assert ("type changed", "return", "None", "bool", "breaking") == (
        change.kind,
        change.path,
        change.old,
        change.new,
        change.category,
    )
    assert "its tests were replaced" in change.detail


def test_an_emptied_list_in_a_kept_test_is_no_change() -> None:
    """`[{...}]` → `[]`: an empty list says nothing about its items' format."""
    base = [cassette(T1, ret([{"id": 1}]))]
    head = [cassette(T1, ret([]))]
    assert [] == rows(diff(base, head))
