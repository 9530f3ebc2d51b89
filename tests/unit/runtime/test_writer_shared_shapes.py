"""seamrec.runtime.writer.SharedShapes: an equal shape met again is the object met first,
a different shape is itself, and a tape's cassette with its shapes shared dumps to the
very bytes it dumps to without."""

from __future__ import annotations

from seamrec.cassette.store import dump
from seamrec.model.shape import Shape
from seamrec.runtime.tape import Tape
from seamrec.runtime.writer import SharedShapes

ROW: Shape = ("dict", "dict", ("id", "name"), ((("int",),), (("str",),)))


def equal_copy(shape: Shape) -> Shape:
    """An equal shape built anew, as a later test's walk builds it."""
    return tuple(equal_copy(part) if isinstance(part, tuple) else part for part in shape)


def test_an_equal_shape_met_again_is_the_object_met_first() -> None:
    shared = SharedShapes()
    first, again = equal_copy(ROW), equal_copy(ROW)

    assert first is not again
    assert shared(first) is first
    assert shared(again) is first
    assert shared(again) is first  # known by its id now


def test_a_different_shape_is_itself() -> None:
    shared = SharedShapes()
    other: Shape = ("dict", "dict", ("id",), ((("int",),),))

    assert shared(ROW) is ROW
    assert shared(other) is other


def test_the_shapes_held_are_bounded() -> None:
    shared = SharedShapes()
    for number in range(20_000):
        shared(("str", f"format-{number}"))

    assert len(shared._known) <= 8_192
    assert len(shared._ids) <= 8_192


def tape_of_two_tests_shapes() -> Tape:
    tape = Tape("tests/test_a.py::test_a", payload_calls=1, nesting=True)
    for index in range(3):  # each call's shapes built anew, equal to the first's
        tape.allocate("app.repo:find")
        tape.commit("app.repo:find", index, equal_copy(("args", (), ())), "return", equal_copy(ROW))
    return tape


def test_a_cassette_with_shared_shapes_dumps_to_the_same_bytes() -> None:
    shared = SharedShapes()
    shared(equal_copy(ROW))  # met in an earlier test

    plain = tape_of_two_tests_shapes().to_cassette(lambda payload: payload)
    with_shared = tape_of_two_tests_shapes().to_cassette(lambda payload: payload, shared)

    assert dump(plain) == dump(with_shared)
    assert with_shared.runs == plain.runs
