"""Recording without the tape's lock on the steady path: a call made by the test itself
takes its position with `next()` alone and its nesting is noted from the gaps between
nested calls; the commit of one more call of the last run reads one dict. The cassette
is the one the locked, call-by-call bookkeeping gave."""

from __future__ import annotations

import random
import sys
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.cassette.store import Run
from seamrec.model.nesting import Nest, NestingRecorder, Parent
from seamrec.model.shape import Shape
from seamrec.model.shape_types import CutShape
from seamrec.runtime.tape import Tape

NODE = "tests/test_app.py::test_it"
A, B = CutShape.build("a"), CutShape.build("b")


def parents() -> st.SearchStrategy[list[Parent | None]]:
    """Who made each call of seam "s": the test (None) or a call of "p"."""
    return st.lists(st.one_of(st.none(), st.tuples(st.just("p"), st.integers(0, 3))), max_size=30)


@settings(max_examples=examples(300), deadline=None)
@given(parents())
def test_the_nesting_is_what_noting_every_call_in_order_gives(calls: list[Parent | None]) -> None:
    tape = Tape(NODE, 10, nesting=True)
    reference = NestingRecorder()
    for parent in calls:
        tape.allocate("s", parent)
        reference.add("s", parent)
        tape.commit("s", tape.count("s") - 1, A, "return", B)

    found = tape.to_cassette(lambda payload: payload).nesting

    assert reference.nesting(["s"]) == found


@settings(max_examples=examples(300), deadline=None)
@given(parents())
def test_noting_only_the_nested_calls_at_their_positions_gives_the_same_nesting(
    calls: list[Parent | None],
) -> None:
    reference, sparse = NestingRecorder(), NestingRecorder()
    for position, parent in enumerate(calls):
        reference.add("s", parent)
        if parent is not None:
            sparse.add_at("s", parent, position)

    assert reference.nesting(["s"]) == sparse.nesting(["s"], {"s": len(calls)})


def test_calls_of_the_test_after_the_last_nested_one_are_counted_at_the_end() -> None:
    recorder = NestingRecorder()
    recorder.add_at("s", ("p", 0), 2)

    assert {"s": [Nest("", 0, 0, 2), Nest("p", 0, 0, 1), Nest("", 0, 0, 4)]} == (
        recorder.nesting(["s"], {"s": 7})
    )


def test_threads_of_the_test_and_nested_calls_share_one_seam_without_losing_a_call() -> None:
    tape = Tape(NODE, 10, nesting=True)

    def take(parent: Parent | None) -> None:
        for _ in range(3_000):
            index, _ = tape.allocate("s", parent)
            tape.commit("s", index, A, "return", B)

    threads = [threading.Thread(target=take, args=(p,)) for p in (None, ("p", 0), None, ("q", 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    cassette = tape.to_cassette(lambda payload: payload)
    nests = (cassette.nesting or {})["s"]
    assert 12_000 == sum(nest.calls for nest in nests) == tape.count("s")
    assert 6_000 == sum(nest.calls for nest in nests if not nest.parent)
    assert [Run(A, "return", B, 12_000)] == cassette.runs["s"]
    assert {"s"} == tape.pooled


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from([(A, B), (B, A), (A, A)]), max_size=25), st.randoms())
def test_commits_in_any_order_give_the_runs_of_commits_in_position_order(
    shapes: list[tuple[Shape, Shape]], order: random.Random
) -> None:
    in_order, shuffled = Tape(NODE, 10, nesting=True), Tape(NODE, 10, nesting=True)
    for tape in (in_order, shuffled):
        for _ in shapes:
            tape.allocate("s")
    for index, (args, result) in enumerate(shapes):
        in_order.commit("s", index, args, "return", result)
    positions = list(range(len(shapes)))
    order.shuffle(positions)
    for index in positions:
        args, result = shapes[index]
        shuffled.commit("s", index, args, "return", result)

    expected = in_order.to_cassette(lambda payload: payload).runs.get("s")
    assert expected == shuffled.to_cassette(lambda payload: payload).runs.get("s")


def commit_as_recording_does(tape: Tape, index: int, args: Shape, result: Shape) -> None:
    """The commit of `RecordStrategy.run`: the steady commit first, else `Tape.commit`."""
    steady = tape.steady
    if steady is None or not steady("s", index, args, result):
        tape.commit("s", index, args, "return", result)


def runs_of(shapes: list[tuple[Shape, Shape]]) -> list[Run]:
    """The runs of calls 0, 1, ... with these shapes."""
    runs: list[Run] = []
    for args, result in shapes:
        if runs and (runs[-1].args_shape, runs[-1].result_shape) == (args, result):
            runs[-1].count += 1
        else:
            runs.append(Run(args, "return", result, 1))
    return runs


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from([(A, B), (B, A), (A, A)]), max_size=25), st.randoms())
def test_the_steady_commit_gives_the_runs_of_the_locked_commit_in_any_order(
    shapes: list[tuple[Shape, Shape]], order: random.Random
) -> None:
    tape = Tape(NODE, 10, nesting=True)
    for _ in shapes:
        tape.allocate("s")
    positions = list(range(len(shapes)))
    if order.random() < 0.5:
        order.shuffle(positions)
    for index in positions:
        commit_as_recording_does(tape, index, *shapes[index])

    assert runs_of(shapes) == tape.to_cassette(lambda payload: payload).runs.get("s", [])


def test_threads_committing_steady_and_changed_calls_keep_position_order() -> None:
    tape = Tape(NODE, 10, nesting=True)

    def shapes_at(index: int) -> tuple[Shape, Shape]:
        return (B, A) if index % 97 in (0, 1, 50) else (A, B)

    def record() -> None:
        for _ in range(4_000):
            index, _ = tape.allocate("s")
            commit_as_recording_does(tape, index, *shapes_at(index))

    threads = [threading.Thread(target=record) for _ in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    expected = runs_of([shapes_at(index) for index in range(16_000)])
    assert expected == tape.to_cassette(lambda payload: payload).runs["s"]
