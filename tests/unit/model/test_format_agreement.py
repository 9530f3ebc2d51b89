"""seamrec.model.format_agreement: the memoised answers are the ones the plain walks give,
for equal shapes made as distinct objects and for the very same objects again."""

from __future__ import annotations

import copy
import pickle
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model.format_agreement import Stripper, inconsistent
from seamrec.model.shape import (
    PathFormats,
    Shape,
    collect_formats,
    inconsistent_paths,
    strip_formats,
)

EMAIL: Shape = ("str", "email")
UUID: Shape = ("str", "uuid")
INT: Shape = ("int",)


def record(**fields: tuple[Shape, ...]) -> Shape:
    return ("dict", "dict", tuple(fields), tuple(fields.values()))


def reference(rooted: list[tuple[str, Shape]]) -> set[tuple[Any, ...]]:
    found: PathFormats = {}
    for root, shape in rooted:
        collect_formats(shape, (root,), found)
    return inconsistent_paths(found)


def fresh(shape: Shape) -> Shape:
    """An equal shape made of new tuples (as the next test's first call builds them)."""
    made: Shape = pickle.loads(pickle.dumps(shape))
    assert made == shape
    assert made is not shape
    return made


def test_two_shapes_of_one_root_that_disagree_at_a_path_make_it_plain() -> None:
    rooted = [("args", record(who=(EMAIL,))), ("args", record(who=(UUID,)))]

    assert {("args", "who", "str")} == inconsistent(rooted) == reference(rooted)


def test_the_same_leaves_under_different_roots_never_disagree() -> None:
    rooted = [("args", record(who=(EMAIL,))), ("return", record(who=(UUID,)))]

    assert set() == inconsistent(rooted) == reference(rooted)


def test_a_union_inside_one_shape_that_disagrees_is_plain_on_its_own() -> None:
    shape = ("coll", "list", (EMAIL, UUID))

    assert {("return", "<items>", "str")} == inconsistent([("return", shape)])
    assert inconsistent([("return", shape)]) == reference([("return", shape)])


def test_equal_shapes_as_new_objects_give_the_same_answer_again() -> None:
    shape = record(a=(EMAIL,), b=(("coll", "list", (UUID, INT)),))
    first = inconsistent([("args", shape), ("args", record(a=(UUID,), b=((INT,),)))])

    again = inconsistent([("args", fresh(shape)), ("args", record(a=(UUID,), b=((INT,),)))])

    assert first == again == reference([("args", shape), ("args", record(a=(UUID,), b=((INT,),)))])


def test_the_stripper_gives_what_strip_formats_gives_and_keeps_an_untouched_shape() -> None:
    shape = record(who=(EMAIL,), n=(INT,))
    plain = {("args", "who", "str")}
    fixed = Stripper(plain)

    stripped = fixed("args", shape)
    again = fixed("args", fresh(shape))
    untouched = record(n=(INT,))

    assert strip_formats(shape, ("args",), plain) == stripped == again
    assert record(who=(("str",),), n=(INT,)) == stripped
    assert fixed("args", untouched) is untouched
    assert Stripper(plain)("args", fresh(untouched)) == untouched
    assert Stripper(plain)("return", shape) is shape  # another root: its paths differ


def test_a_stripper_for_other_paths_does_not_reuse_the_answer_for_these() -> None:
    shape = record(who=(EMAIL,), id=(UUID,))

    assert record(who=(("str",),), id=(UUID,)) == Stripper({("args", "who", "str")})("args", shape)
    assert record(who=(EMAIL,), id=(("str",),)) == Stripper({("args", "id", "str")})("args", shape)


_LEAVES = st.sampled_from([EMAIL, UUID, INT, ("str",), ("int", "positive"), ("None",)])


def _shapes(depth: int = 2) -> st.SearchStrategy[Shape]:
    if depth == 0:
        return _LEAVES
    inner = _shapes(depth - 1)
    unions = st.lists(inner, min_size=1, max_size=3, unique=True).map(tuple)
    records = st.dictionaries(st.sampled_from(["a", "b", "c"]), unions, max_size=3).map(
        lambda fields: record(**fields)
    )
    return st.one_of(_LEAVES, records, unions.map(lambda items: ("coll", "list", items)))


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["args", "return", "raise"]), _shapes()), min_size=1, max_size=5
    )
)
def test_inconsistent_and_the_stripper_match_the_plain_walks(
    rooted: list[tuple[str, Shape]],
) -> None:
    plain = inconsistent(rooted)
    assert reference(rooted) == plain
    assert plain == inconsistent([(root, copy.deepcopy(fresh(shape))) for root, shape in rooted])
    fixed = Stripper(plain)
    for root, shape in rooted:
        assert (
            strip_formats(shape, (root,), plain) == fixed(root, shape) == fixed(root, fresh(shape))
        )
