"""The answer path of replay: each live call answered by the recorded call the cassette
keeps at its position (read from the seam state's answers), and a payload tree replayed
before known by its identity, its value still handed out as a fresh copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seamrec.cassette.store import Call, Cassette, Run, cassette_path, dump
from seamrec.config import Limits, SeamPattern, settings_from_table
from seamrec.exceptions import ReplayError
from seamrec.model.codec import make_packer, raw_tree
from seamrec.model.shape import args_shape, make_shape_function
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.rebuild import Rebuilder, TypeResolver
from seamrec.runtime.stats import Stats

FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)
OTHER = "app.repo:other"
NODE = "tests/test_app.py::test_it"
REPLAY = (SeamPattern.parse("app.repo:fetch", key="replay"),)
shape_of = make_shape_function()
ARGS = args_shape(("user_id",), [shape_of(0)])
pack = make_packer(Limits())


def never_called(user_id: int) -> Any:
    raise AssertionError("a replayed seam was called")


def recorded(seam: str, index: int, result: Any) -> Call:
    tree = raw_tree(pack(result))
    return Call(
        seam, "tests.test_app", index, ARGS, "return", shape_of(result), {"user_id": 0}, tree
    )


def written(tmp_path: Path, calls: list[Call], count: int) -> None:
    runs = {
        seam: [Run(ARGS, "return", shape_of(None), count)]
        for seam in dict.fromkeys(c.seam for c in calls)
    }
    cassette = Cassette(test=NODE, calls=calls, runs=runs)
    path = cassette_path(tmp_path / "cassettes", NODE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dump(cassette))


def replayer(tmp_path: Path) -> CheckStrategy:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    return CheckStrategy(settings, Stats(), Report())


def answered(checker: CheckStrategy, calls: int) -> list[Any]:
    """The answers of `calls` calls of FETCH in one test (a ReplayError's text in place of
    an answer)."""
    checker.begin(NODE, REPLAY)
    found: list[Any] = []
    for _ in range(calls):
        try:
            found.append(checker.crossing(FETCH, "tests.test_app", never_called, None, (0,), {}))
        except ReplayError as exc:
            found.append(str(exc))
    checker.finish("passed")
    return found


def row(n: int) -> dict[str, Any]:
    return {"n": n, "rows": [{"id": n}]}


KEPT = {
    "in-order": [recorded(FETCH.id, i, row(i)) for i in range(3)],
    "other-seams-between": [
        recorded(OTHER, 0, row(90)),
        recorded(FETCH.id, 0, row(0)),
        recorded(OTHER, 1, row(91)),
        recorded(FETCH.id, 1, row(1)),
        recorded(FETCH.id, 2, row(2)),
    ],
    "a-position-kept-twice": [
        recorded(FETCH.id, 0, row(0)),
        recorded(FETCH.id, 1, row(1)),
        recorded(FETCH.id, 1, row(11)),
        recorded(FETCH.id, 2, row(2)),
    ],
    "out-of-order": [
        recorded(FETCH.id, 0, row(0)),
        recorded(FETCH.id, 2, row(2)),
        recorded(FETCH.id, 1, row(1)),
    ],
    "a-position-not-kept": [recorded(FETCH.id, 0, row(0)), recorded(FETCH.id, 2, row(2))],
}


@pytest.mark.parametrize("calls", KEPT.values(), ids=KEPT.keys())
def test_each_call_is_answered_by_the_first_call_kept_at_its_position(
    tmp_path: Path, calls: list[Call]
) -> None:
    written(tmp_path, calls, count=4)
    kept = Cassette(test=NODE, calls=calls)

    for _ in range(2):  # the second test finds the replayed trees by their identity
        answers = answered(replayer(tmp_path), 5)

        for index, answer in enumerate(answers[:3]):
            detail = kept.detail(FETCH.id, index)
            if detail is None:
                assert f"{FETCH.id} call {index + 1} kept no payload" in answer
            else:
                assert raw_tree(pack(answer)) == detail.result
        assert f"{FETCH.id} call 4 kept no payload" in answers[3]
        assert f"{FETCH.id} call 5 was not recorded (4 recorded)" in answers[4]


def test_a_test_run_again_gets_equal_answers_sharing_nothing(tmp_path: Path) -> None:
    written(tmp_path, [recorded(FETCH.id, 0, row(0)), recorded(FETCH.id, 1, row(0))], count=2)
    checker = replayer(tmp_path)

    first = answered(checker, 2)
    first[0]["rows"][0]["id"] = 99  # the caller's copy
    second = answered(checker, 2)

    assert [row(0), row(0)] == second
    assert first[1] == second[1]
    answers = [*first, *second]
    assert len({id(a) for a in answers}) == len({id(a["rows"]) for a in answers}) == 4


def test_a_tree_known_from_a_return_is_still_raised_as_recorded_where_it_was_raised(
    tmp_path: Path,
) -> None:
    returned = recorded(FETCH.id, 0, row(0))
    raised = Call(FETCH.id, "tests.test_app", 1, ARGS, "raise", shape_of(None), {}, returned.result)
    written(tmp_path, [returned, raised], count=2)
    checker = replayer(tmp_path)

    for _ in range(2):  # the second test knows the tree from the first one's return
        answers = answered(checker, 2)

        assert [row(0), "the recorded exception is a dict"] == answers


def known(builder: Rebuilder, tree: Any) -> Any:
    """The copier `builder` knows `tree` by (None: not known)."""
    found = builder.known_trees.get(id(tree))
    return found[1] if found is not None and found[0] is tree else None


def test_a_tree_is_known_once_replayed_and_its_copies_are_fresh() -> None:
    builder = Rebuilder(TypeResolver(lambda module: False))
    tree = raw_tree(pack({"rows": [{"id": 1}], "pair": (1, [2])}))

    assert known(builder, tree) is None
    first = builder.replay(tree, "return")
    copy = known(builder, tree)
    assert copy is not None
    again, third = builder.replay(tree, "return"), copy()

    assert first == again == third
    for one, other in [(first, again), (again, third), (first, third)]:
        assert one["rows"] is not other["rows"]
        assert one["rows"][0] is not other["rows"][0]
        assert one["pair"][1] is not other["pair"][1]
    assert known(builder, raw_tree(pack({"rows": [{"id": 1}], "pair": (1, [2])}))) is None


def test_scalars_and_values_rebuilt_each_time_are_never_known() -> None:
    builder = Rebuilder(TypeResolver(lambda module: module == __name__))
    rebuilt = raw_tree(pack(Point(1, 2)))
    scalar = "text"
    for tree in (rebuilt, scalar):
        builder.replay(tree, "return")

    assert known(builder, rebuilt) is None
    assert known(builder, scalar) is None
    assert builder.replay(rebuilt, "return") is not builder.replay(rebuilt, "return")


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y
