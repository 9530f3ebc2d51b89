"""seamrec.model.nesting: which recorded call was made inside which, and what a replay skips."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from seamrec.cassette.store import FORMAT, VERSION, Cassette, Run, dump, load, loads
from seamrec.exceptions import CassetteFormatError
from seamrec.model.codec import pack
from seamrec.model.nesting import Nest, NestingRecorder, absent_calls

SHAPE = ("int",)


def recorded(calls: Sequence[tuple[str, tuple[str, int] | None]]) -> dict[str, list[Nest]]:
    """The nesting a cassette keeps for `calls` (seam, parent), in the order they began."""
    recorder = NestingRecorder()
    for seam, parent in calls:
        recorder.add(seam, parent)
    return recorder.nesting(list(dict.fromkeys(seam for seam, _ in calls)))


def test_calls_inside_one_call_and_one_per_call_are_one_entry_each() -> None:
    nesting = recorded(
        [("svc", None)]
        + [("repo", ("svc", 0))] * 3  # three calls inside the first service call
        + [("svc", None), ("svc", None)]
        + [("db", ("repo", i)) for i in range(4)]  # one in each of four repo calls
    )

    assert {
        "repo": [Nest("svc", 0, 0, 3)],
        "db": [Nest("repo", 0, 1, 4)],
    } == nesting


def test_a_seam_called_only_by_the_test_has_no_entry_and_mixed_callers_keep_their_order() -> None:
    nesting = recorded(
        [
            ("api", None),
            ("repo", None),
            ("repo", ("api", 0)),
            ("repo", ("api", 0)),
            ("repo", None),
            ("repo", ("api", 3)),
        ]
    )

    assert {
        "repo": [
            Nest("", 0, 0, 1),
            Nest("api", 0, 0, 2),
            Nest("", 0, 0, 1),
            Nest("api", 3, 0, 1),
        ]
    } == nesting


THREE_LAYERS = recorded(
    [
        ("api", None),
        ("svc", ("api", 0)),
        ("repo", ("svc", 0)),
        ("repo", ("svc", 0)),
        ("svc", ("api", 0)),
        ("repo", ("svc", 1)),
        ("repo", ("api", 0)),  # the api's own call of the repository
        ("repo", None),  # the test's own call of the repository
    ]
)


def test_the_calls_inside_a_replayed_seam_are_absent() -> None:
    assert {"repo": {0, 1, 2}} == absent_calls(THREE_LAYERS, lambda seam: seam == "svc")


def test_calls_at_any_depth_inside_a_replayed_seam_are_absent() -> None:
    assert {"svc": {0, 1}, "repo": {0, 1, 2, 3}} == absent_calls(
        THREE_LAYERS, lambda seam: seam == "api"
    )


def test_nothing_is_absent_when_no_replayed_seam_made_calls() -> None:
    assert {} == absent_calls(THREE_LAYERS, lambda seam: seam == "repo")


def test_a_recursive_seam_inside_a_replayed_call_is_absent_at_every_level() -> None:
    nesting = recorded(
        [("walk", None), ("visit", ("walk", 0)), ("walk", ("visit", 0)), ("visit", ("walk", 1))]
    )

    assert {"visit": {0, 1}, "walk": {1}} == absent_calls(nesting, lambda seam: seam == "walk")


def test_a_cassette_keeps_its_nesting_through_dump_and_load(tmp_path: Path) -> None:
    runs = {seam: [Run(SHAPE, "return", SHAPE, 4)] for seam in ("api", "svc", "repo")}
    cassette = Cassette("t.py::test", runs=runs, nesting=THREE_LAYERS)
    path = tmp_path / "c.msgpack"
    path.write_bytes(dump(cassette))

    loaded = load(path)

    assert THREE_LAYERS == loaded.nesting
    assert dump(cassette) == dump(loaded)


def test_a_cassette_written_before_nesting_was_kept_loads_without_it(tmp_path: Path) -> None:
    cassette = Cassette("t.py::test", runs={"svc": [Run(SHAPE, "return", SHAPE, 1)]})

    loaded = loads(dump(cassette), path=tmp_path / "old.msgpack")

    assert loaded.nesting is None
    assert (
        cassette.signature() != Cassette("t.py::test", runs=cassette.runs, nesting={}).signature()
    )  # so a re-record writes the nesting in


@pytest.mark.parametrize(
    "bad",
    [
        {"repo": [["svc", 0, 2, 1]]},  # a step that is neither 0 nor 1
        {"repo": [["svc", -1, 0, 1]]},
        {"repo": [["svc", 0, 0, 0]]},
        {"repo": [[3, 0, 0, 1]]},
        {"repo": "svc"},
    ],
)
def test_a_damaged_nesting_is_an_invalid_structure(tmp_path: Path, bad: object) -> None:
    header = pack({"format": FORMAT, "version": VERSION})
    body = {"test": "t.py::test", "shapes": [], "calls": [], "runs": {}, "nesting": bad}

    with pytest.raises(CassetteFormatError, match="invalid structure"):
        loads(header + pack(body), path=tmp_path / "bad.msgpack")
