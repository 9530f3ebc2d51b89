"""The recording of a test's calls (`Tape`), what it is checked against (`Expected`), and
the verdict (`Verdict`): runs kept in position order, recorded runs found by position,
and calls that only changed places passing."""

from __future__ import annotations

from seamrec.cassette.store import Cassette, Run
from seamrec.model.shape import Shape
from seamrec.runtime.calls import LiveCall
from seamrec.runtime.expected import Expected
from seamrec.runtime.tape import Tape
from seamrec.runtime.verdict import Verdict

SEAM = "app.repo:fetch"
ARGS: Shape = ("args", ("user_id",), ((("int",),),))
TEXT: Shape = ("str",)
NUMBER: Shape = ("int",)


def test_calls_ending_out_of_order_are_committed_in_position_order() -> None:
    tape = Tape("t.py::test", payload_calls=0)
    for _ in range(3):
        tape.allocate(SEAM)

    tape.commit(SEAM, 2, ARGS, "return", NUMBER)
    tape.commit(SEAM, 0, ARGS, "return", TEXT)
    assert [Run(ARGS, "return", TEXT, 1)] == tape.runs[SEAM]
    tape.commit(SEAM, 1, ARGS, "return", TEXT)

    assert [Run(ARGS, "return", TEXT, 2), Run(ARGS, "return", NUMBER, 1)] == tape.runs[SEAM]


def test_the_recorded_run_of_a_position_is_found_across_runs() -> None:
    runs = [Run(ARGS, "return", TEXT, 10**12), Run(ARGS, "raise", NUMBER, 2)]
    expected = Expected("t.py::test", Cassette("t.py::test", runs={SEAM: runs}))

    assert runs[0] is expected.at(SEAM, 10**12 - 1)
    assert runs[1] is expected.at(SEAM, 10**12 + 1)
    assert expected.at(SEAM, 10**12 + 2) is None
    assert expected.at("app.repo:other", 0) is None
    assert 10**12 + 2 == expected.recorded_count(SEAM)


def live(tape: Tape, expected: Expected, result: Shape) -> LiveCall:
    """A finished live call of SEAM at the next position, checked against `expected`."""
    index, sequence = tape.allocate(SEAM)
    call = LiveCall(SEAM, "tests", index, sequence, ARGS, None, expected.at(SEAM, index))
    call.outcome = "return"
    call.result_shape = result
    return call


def test_calls_that_only_changed_places_pass_and_a_changed_call_is_found() -> None:
    recorded = [Run(ARGS, "return", TEXT, 1), Run(ARGS, "return", NUMBER, 1)]
    expected = Expected("t.py::test", Cassette("t.py::test", runs={SEAM: recorded}))

    swapped_tape = Tape("t.py::test", payload_calls=0)
    swapped = Verdict(swapped_tape, expected)
    for result in (NUMBER, TEXT):
        call = live(swapped_tape, expected, result)
        call.result_drift = True
        swapped.hold(call)
    assert [] == swapped.finish()

    changed_tape = Tape("t.py::test", payload_calls=0)
    changed = Verdict(changed_tape, expected)
    first = live(changed_tape, expected, TEXT)
    assert first.expected is recorded[0]
    call = live(changed_tape, expected, TEXT)
    call.result_drift = True
    changed.hold(call)
    (finding,) = changed.finish()
    assert (1, "return", NUMBER, TEXT) == (
        finding.index,
        finding.part,
        finding.recorded_shape,
        finding.live_shape,
    )
