"""The per-crossing bookkeeping: positions handed out without a lock, the seam state a
call finds with one lookup (position, bind, recorded window and checks), the session
handing the wrappers the strategy's entry, and replayed values the caller cannot change."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from seamrec.cassette.store import Cassette, Run
from seamrec.config import SeamPattern, settings_from_table
from seamrec.model.nesting import NestingRecorder, Parent
from seamrec.model.shape_types import CutShape
from seamrec.runtime import stats as run_stats
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.expected import NO_END, Expected
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.rebuild import Rebuilder, TypeResolver
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.seamstate import SeamState
from seamrec.runtime.session import Mode, SeamSession
from seamrec.runtime.stats import Stats
from seamrec.runtime.tape import Tape

FETCH = Seam("app.repo:fetch", "app.repo", "fetch", "function", False, ("user_id",), None)
NODE = "tests/test_app.py::test_it"
A, B, C = (CutShape.build(name) for name in ("a", "b", "c"))


def fetch(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "name": "Ada"}


def fetch_renamed(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "full_name": "Ada"}


# ------------------------------------------------------------------ positions


def test_threads_taking_positions_of_one_seam_get_each_position_once() -> None:
    tape = Tape(NODE, 10)
    taken: list[list[int]] = [[] for _ in range(8)]

    def take(mine: list[int]) -> None:
        positions = tape.positions(FETCH.id)
        for _ in range(5_000):
            mine.append(next(positions))

    threads = [threading.Thread(target=take, args=(mine,)) for mine in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert list(range(40_000)) == sorted(i for mine in taken for i in mine)
    assert 40_000 == tape.count(FETCH.id) == tape.call_count()


def test_reading_a_seams_count_takes_no_position() -> None:
    tape = Tape(NODE, 10)
    tape.allocate("b")
    tape.allocate("a")
    tape.allocate("b")

    assert (2, 2, 1, 0) == (tape.count("b"), tape.count("b"), tape.count("a"), tape.count("x"))
    assert (2, 3) == tape.allocate("b")
    assert ["b", "a"] == tape.seams()


def test_recording_threads_note_each_calls_parent_in_position_order() -> None:
    tape = Tape(NODE, 10, nesting=True)
    parents: list[Parent | None] = [None, ("outer", 0), None]

    def take(parent: Parent | None) -> None:
        for _ in range(2_000):
            tape.allocate("inner", parent)

    threads = [threading.Thread(target=take, args=(parent,)) for parent in parents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert 6_000 == tape.count("inner")
    cassette = tape.to_cassette(lambda payload: payload)
    nests = cassette.nesting["inner"] if cassette.nesting else []
    assert 6_000 == sum(nest.calls for nest in nests)
    assert 2_000 == sum(nest.calls for nest in nests if nest.parent == "outer")


def test_calls_of_the_test_itself_after_nested_ones_are_nested_as_add_would_nest_them() -> None:
    parents: list[Parent | None] = [None, None, ("p", 0), ("p", 1), None, None, ("p", 1)]
    fast = Tape(NODE, 10, nesting=True)
    reference = NestingRecorder()
    for parent in parents:
        fast.allocate("s", parent)
        reference.add("s", parent)

    found = fast.to_cassette(lambda payload: payload).nesting

    assert reference.nesting(["s"]) == found
    assert [("", 2), ("p", 2), ("", 2), ("p", 1)] == [
        (nest.parent, nest.calls) for nest in (found or {})["s"]
    ]


# ------------------------------------------------------------------ the seam state


@pytest.mark.parametrize(
    ("seam", "instance", "args", "kwargs"),
    [
        (FETCH, None, (1,), {}),
        (FETCH, None, (), {"user_id": 1}),
        (FETCH, None, (1, 2), {}),
        (Seam("m:C.f", "m", "C.f", "function", True, ("self", "a", "b"), None), "obj", (1, 2), {}),
        (Seam("m:C.f", "m", "C.f", "function", True, ("self", "a"), "rest"), "obj", (1, 2, 3), {}),
        (Seam("m:C.f", "m", "C.f", "function", True, ("self", "a"), None), "obj", (), {"a": 1}),
        (Seam("m:f", "m", "f", "function", False, (), "args"), None, (), {}),
        (Seam("m:C.f", "m", "C.f", "function", True, (), None), "obj", (), {}),
    ],
)
def test_the_seam_states_bind_gives_what_seam_bind_gives(
    seam: Seam, instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    state = SeamState(seam, iter(()))

    assert seam.bind(instance, args, kwargs) == state.bind(instance, args, kwargs)


def test_a_window_holds_the_positions_of_one_recorded_run() -> None:
    first, second = Run(A, "return", B, 3), Run(A, "return", C, 2)
    expected = Expected(NODE, Cassette(test=NODE, runs={FETCH.id: [first, second]}))

    windows = [expected.window(FETCH.id, index) for index in range(6)]

    assert [(0, 3, first)] * 3 + [(3, 5, second)] * 2 + [(5, NO_END, None)] == windows
    assert [expected.at(FETCH.id, index) for index in range(6)] == [w[2] for w in windows]
    assert (0, NO_END, None) == expected.window("app.repo:other", 4)
    assert (0, NO_END, None) == Expected(NODE, None).window(FETCH.id, 7)


def check_strategy(tmp_path: Path) -> CheckStrategy:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    return CheckStrategy(settings, Stats(), Report())


def recorded(tmp_path: Path, node: str, *functions: Any) -> None:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    recorder = RecordStrategy(settings, Stats(), Report())
    recorder.begin(node, ())
    for number, function in enumerate(functions):
        recorder.crossing(FETCH, "tests.test_app", function, None, (number,), {})
    recorder.finish("passed")


def test_each_test_checks_its_calls_against_its_own_recording(tmp_path: Path) -> None:
    recorded(tmp_path, "tests/test_app.py::test_one", fetch, fetch)
    recorded(tmp_path, "tests/test_app.py::test_two", fetch_renamed, fetch_renamed)
    checker = check_strategy(tmp_path)
    drifts = []
    for node, function in [
        ("tests/test_app.py::test_one", fetch),
        ("tests/test_app.py::test_two", fetch_renamed),
        ("tests/test_app.py::test_one", fetch_renamed),
    ]:
        checker.begin(node, ())
        for number in range(2):
            checker.crossing(FETCH, "tests.test_app", function, None, (number,), {})
        outcome = run_stats.TestOutcome(node)
        checker.judge(outcome)
        checker.finish("passed")
        drifts.append(sorted({(f.seam, f.part) for f in outcome.findings}))

    assert [[], [], [(FETCH.id, "return")]] == drifts


def test_a_call_beyond_the_recorded_runs_is_found_unrecorded(tmp_path: Path) -> None:
    recorded(tmp_path, NODE, fetch, fetch_renamed)
    checker = check_strategy(tmp_path)
    checker.begin(NODE, ())
    for number, function in enumerate([fetch, fetch_renamed, fetch_renamed]):
        checker.crossing(FETCH, "tests.test_app", function, None, (number,), {})
    outcome = run_stats.TestOutcome(NODE)
    checker.judge(outcome)

    assert [(FETCH.id, 2, "unrecorded")] == [(f.seam, f.index, f.part) for f in outcome.findings]


# ------------------------------------------------------------------ the session's routing


def session(tmp_path: Path) -> SeamSession:
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=tmp_path)
    return SeamSession(settings, Mode.CHECK)


def routed_to_strategy(found: SeamSession) -> bool:
    return found.crossing == found._strategy.crossing


def test_the_wrappers_reach_the_strategy_only_while_a_test_runs_unpaused(tmp_path: Path) -> None:
    found = session(tmp_path)
    states = [routed_to_strategy(found)]
    found.begin_test(NODE)
    states.append(routed_to_strategy(found))
    found.pause()
    states.append(routed_to_strategy(found))
    found.resume()
    states.append(routed_to_strategy(found))
    found.end_test_calls()
    states.append(routed_to_strategy(found))
    found.finish_test("passed")
    states.append(routed_to_strategy(found))

    assert [False, True, False, True, False, False] == states


def test_calls_while_a_thread_imports_are_counted_outside_the_test(tmp_path: Path) -> None:
    found = session(tmp_path)
    found.begin_test(NODE)
    calls: list[int] = []
    with found.importing():
        assert not routed_to_strategy(found)
        found.crossing(FETCH, "tests.test_app", lambda n: calls.append(n), None, (1,), {})
    assert routed_to_strategy(found)
    found.crossing(FETCH, "tests.test_app", lambda n: calls.append(n), None, (2,), {})

    assert [1, 2] == calls
    assert 1 == found.stats.calls_outside
    assert 1 == (found.tape.count(FETCH.id) if found.tape else 0)


def test_a_thread_that_imports_keeps_the_gate_until_every_thread_is_done(
    tmp_path: Path,
) -> None:
    found = session(tmp_path)
    found.begin_test(NODE)
    entered, release = threading.Event(), threading.Event()

    def imports() -> None:
        with found.importing():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=imports)
    thread.start()
    entered.wait(10)
    with found.importing():
        pass
    gated_after_mine = not routed_to_strategy(found)
    release.set()
    thread.join()

    assert gated_after_mine
    assert routed_to_strategy(found)


def test_calls_outside_a_test_are_counted(tmp_path: Path) -> None:
    found = session(tmp_path)
    found.crossing(FETCH, "tests.test_app", fetch, None, (1,), {})
    found.begin_test(NODE)
    found.end_test_calls()
    found.crossing(FETCH, "tests.test_app", fetch, None, (2,), {})
    found.finish_test("passed")
    found.crossing(FETCH, "tests.test_app", fetch, None, (3,), {})

    assert 3 == found.stats.calls_outside


# ------------------------------------------------------------------ replayed values


def rebuilder() -> Rebuilder:
    return Rebuilder(TypeResolver(lambda module: False))


@pytest.mark.parametrize("tree", ["text", 7, 2.5, True, None, b"raw"])
def test_a_recorded_scalar_is_replayed_as_itself(tree: object) -> None:
    value = rebuilder().replay(tree, "return")

    assert tree == value
    assert type(tree) is type(value)


def test_a_recorded_tuple_of_immutables_is_handed_out_as_one_shared_value() -> None:
    from seamrec.config import Limits
    from seamrec.model.codec import make_packer, raw_tree

    tree = raw_tree(make_packer(Limits())(("a", 1, None)))
    builder = rebuilder()
    first, second = builder.replay(tree, "return"), builder.replay(tree, "return")

    assert ("a", 1, None) == first
    assert first is second


def test_a_recorded_tuple_holding_a_list_cannot_be_changed_through_a_caller() -> None:
    from seamrec.config import Limits
    from seamrec.model.codec import make_packer, raw_tree

    tree = raw_tree(make_packer(Limits())(([1, 2], "x")))
    builder = rebuilder()
    first = builder.replay(tree, "return")
    first[0].append(3)
    second = builder.replay(tree, "return")

    assert ([1, 2], "x") == second
    assert first[0] is not second[0]


def test_a_replayed_seam_answers_each_test_from_its_own_cassette(tmp_path: Path) -> None:
    recorded(tmp_path, "tests/test_app.py::test_one", fetch)
    recorded(tmp_path, "tests/test_app.py::test_two", fetch_renamed)
    replay = (SeamPattern.parse("app.repo:fetch", key="replay"),)
    checker = check_strategy(tmp_path)
    answers = []
    for node in ["tests/test_app.py::test_one", "tests/test_app.py::test_two"]:
        checker.begin(node, replay)
        answers.append(checker.crossing(FETCH, "tests.test_app", fetch_renamed, None, (0,), {}))
        answers[-1]["id"] = 99  # the caller's copy
        checker.finish("passed")
    checker.begin("tests/test_app.py::test_one", replay)
    again = checker.crossing(FETCH, "tests.test_app", fetch_renamed, None, (0,), {})

    assert [{"id": 99, "name": "Ada"}, {"id": 99, "full_name": "Ada"}] == answers
    assert {"id": 0, "name": "Ada"} == again


def test_a_seam_replayed_in_one_test_runs_for_real_in_a_test_that_does_not_replay_it(
    tmp_path: Path,
) -> None:
    recorded(tmp_path, NODE, fetch)
    replay = (SeamPattern.parse("app.repo:fetch", key="replay"),)
    checker = check_strategy(tmp_path)
    made: list[int] = []

    def fetch_counted(user_id: int) -> dict[str, Any]:
        made.append(user_id)
        return fetch(user_id)

    for patterns in [replay, (), replay]:
        checker.begin(NODE, patterns)
        checker.crossing(FETCH, "tests.test_app", fetch_counted, None, (0,), {})
        checker.finish("passed")

    assert [0] == made  # only the test that did not replay it made the call
