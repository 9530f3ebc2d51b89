"""A cassette lists each seam's kept calls in position order, also when two threads took a
position and a sequence number crosswise (they are two `next()` calls, not taken together
under the tape's lock since recording went lock-free): the order the locked allocation
gave. Calls of other seams keep their places."""

from __future__ import annotations

import sys
import threading

from seamrec.model.shape_types import CutShape
from seamrec.runtime.tape import LiveCall, Tape

NODE = "tests/test_app.py::test_it"
ARGS, RESULT = CutShape.build("a"), CutShape.build("b")


def kept(tape: Tape, seam: str, index: int, sequence: int) -> None:
    """Keep call `index` of `seam` with sequence number `sequence`, and commit it."""
    call = LiveCall(seam, "tests.test_app", index, sequence, ARGS, None, None)
    call.outcome = "return"
    call.result_shape = RESULT
    tape.keep_detail(call)
    tape.commit(seam, index, ARGS, "return", RESULT)


def listed(tape: Tape) -> list[tuple[str, int]]:
    return [(call.seam, call.index) for call in tape.to_cassette(lambda payload: payload).calls]


def test_positions_and_sequence_numbers_taken_crosswise_are_listed_by_position() -> None:
    tape = Tape(NODE, 10, nesting=True)
    positions, sequence = tape.positions("s"), tape.sequence()
    other = tape.positions("o")
    first, second = next(positions), next(positions)  # thread 1, then thread 2
    later, earlier = next(sequence), next(sequence)  # thread 2, then thread 1
    between = next(other), next(sequence)  # another seam's call in the middle
    kept(tape, "s", second, later)
    kept(tape, "s", first, earlier)
    kept(tape, "o", *between)

    assert [("s", 0), ("s", 1), ("o", 0)] == listed(tape)


def test_calls_taken_in_order_are_listed_in_sequence_order() -> None:
    tape = Tape(NODE, 10, nesting=True)
    sequence = tape.sequence()
    for seam in ["s", "o", "s", "o", "o"]:
        kept(tape, seam, next(tape.positions(seam)), next(sequence))

    assert [("s", 0), ("o", 0), ("s", 1), ("o", 1), ("o", 2)] == listed(tape)


def test_threads_recording_one_seam_list_its_calls_by_position() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(5):
            tape = Tape(NODE, 400, nesting=True)

            def calls(tape: Tape) -> None:
                positions, sequence = tape.positions("s"), tape.sequence()
                for _ in range(100):
                    index = next(positions)  # as `RecordStrategy.run` takes them
                    kept(tape, "s", index, next(sequence))

            threads = [threading.Thread(target=calls, args=(tape,)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            assert [("s", index) for index in range(400)] == listed(tape)
    finally:
        sys.setswitchinterval(interval)
