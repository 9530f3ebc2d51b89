"""seamrec.review.contract.merged: a shape object met in an earlier cassette is passed by
without being hashed again, and the contracts are what folding each cassette on its own
and merging them gives: the same lines, tests, callers and call counts."""

from __future__ import annotations

from seamrec.cassette.store import Call, Cassette, Run
from seamrec.model.shape import Shape
from seamrec.review.contract import contracts_of, merge_all, merged, render_files

SEAM = "app.repo:find"
ARGS: Shape = ("args", ("user_id",), ((("int",),),))
ROW: Shape = ("dict", "dict", ("id", "name"), ((("int",),), (("str",),)))
SHORT: Shape = ("dict", "dict", ("id",), ((("int",),),))


def cassette(test: str, result: Shape, count: int) -> Cassette:
    made = Cassette(test)
    made.calls = [Call(SEAM, f"app.{test[-1]}", 0, ARGS, "return", result, None, None)]
    made.runs = {SEAM: [Run(ARGS, "return", result, count)]}
    return made


def test_shared_shape_objects_fold_in_as_the_cassettes_do_one_by_one() -> None:
    cassettes = [  # the same objects recur, as a record run's cassettes share theirs
        cassette("tests/test_a.py::test_a", ROW, 2),
        cassette("tests/test_a.py::test_b", SHORT, 1),
        cassette("tests/test_b.py::test_c", ROW, 3),
    ]

    found = merged(cassettes)
    expected = merge_all(contracts_of(c) for c in cassettes)

    assert render_files(expected) == render_files(found)
    assert expected[SEAM].calls == found[SEAM].calls == 6
    assert expected[SEAM].callers == found[SEAM].callers
    assert "  return['name']?: str" in render_files(found)["app.repo"].splitlines()


def test_a_shape_of_one_seam_is_folded_into_another_seam_too() -> None:
    first = cassette("tests/test_a.py::test_a", ROW, 1)
    other = Cassette("tests/test_a.py::test_b")
    other.runs = {"app.repo:other": [Run(ARGS, "return", ROW, 1)]}  # the same objects

    found = merged([first, other])

    assert found[SEAM].entries() == found["app.repo:other"].entries()
