"""seamrec.model.format_agreement.formatted: shapes none of which has a formatted leaf
never disagree (what lets `Cassette.keep_consistent_formats` pass such a seam by), and
the answer is the same for equal shapes made as distinct objects."""

from __future__ import annotations

import pickle
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seamrec.cassette.store import Call, Cassette, Run
from seamrec.model.format_agreement import formatted, inconsistent
from seamrec.model.shape import PathFormats, Shape, collect_formats, inconsistent_paths

EMAIL: Shape = ("str", "email")
UUID: Shape = ("str", "uuid")


def record(**fields: tuple[Shape, ...]) -> Shape:
    return ("dict", "dict", tuple(fields), tuple(fields.values()))


def reference(rooted: list[tuple[str, Shape]]) -> set[tuple[Any, ...]]:
    found: PathFormats = {}
    for root, shape in rooted:
        collect_formats(shape, (root,), found)
    return inconsistent_paths(found)


def test_a_leaf_with_a_format_class_makes_a_shape_formatted() -> None:
    assert formatted(record(who=(EMAIL,)))
    assert formatted(("coll", "list", (("int", "positive"), ("None",))))
    assert not formatted(record(who=(("str",),), n=(("int",),)))
    assert not formatted(("None",))


def test_an_equal_shape_made_anew_gets_the_same_answer() -> None:
    shape = record(a=(("coll", "list", (UUID, ("int",))),))
    made: Shape = pickle.loads(pickle.dumps(shape))

    assert made is not shape
    assert formatted(shape) is formatted(made) is True


_LEAVES = st.sampled_from([EMAIL, UUID, ("int",), ("str",), ("int", "positive"), ("None",)])


def _shapes(depth: int = 2) -> st.SearchStrategy[Shape]:
    if depth == 0:
        return _LEAVES
    inner = _shapes(depth - 1)
    unions = st.lists(inner, min_size=1, max_size=3, unique=True).map(tuple)
    records = st.dictionaries(st.sampled_from(["a", "b", "c"]), unions, max_size=3).map(
        lambda fields: record(**fields)
    )
    return st.one_of(_LEAVES, records, unions.map(lambda items: ("coll", "list", items)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["args", "return", "raise"]), _shapes()), min_size=1, max_size=5
    )
)
def test_shapes_none_of_which_is_formatted_never_disagree(
    rooted: list[tuple[str, Shape]],
) -> None:
    if not any(formatted(shape) for _, shape in rooted):
        assert set() == inconsistent(rooted) == reference(rooted)


def test_a_seam_without_a_formatted_leaf_keeps_its_runs_and_calls_as_they_are() -> None:
    plain = record(who=(("str",),))
    runs = [Run(plain, "return", ("int",), 2), Run(plain, "return", ("None",), 1)]
    calls = [Call("app.a:f", "app.b", 0, plain, "return", ("int",), {"who": "x"}, 1)]
    made = Cassette("tests/test_a.py::test_a", calls=list(calls), runs={"app.a:f": list(runs)})

    made.keep_consistent_formats()

    assert all(a is b for a, b in zip(made.runs["app.a:f"], runs, strict=True))
    assert made.calls == calls
    assert made.calls[0] is calls[0]


def test_a_seam_whose_calls_disagree_on_a_format_still_loses_it() -> None:
    runs = [Run(record(who=(EMAIL,)), "return", ("int",), 1)]
    runs.append(Run(record(who=(UUID,)), "return", ("int",), 1))
    made = Cassette("tests/test_a.py::test_a", runs={"app.a:f": runs})

    made.keep_consistent_formats()

    assert [Run(record(who=(("str",),)), "return", ("int",), 2)] == made.runs["app.a:f"]
