"""`seamrec.runtime.repeats`: a seam's calls that differ from the recording only in how
often a repeated kind of call repeats (a re-record keeps the cassette on disk then)."""

from __future__ import annotations

import pytest

from seamrec.cassette.store import Run
from seamrec.model.shape import Shape
from seamrec.runtime.repeats import same_but_repeats

ARGS: Shape = ("args", ("kind",), ((("str",),),))
EMPTY: Shape = ("coll", "list", ())
NAMES: Shape = ("coll", "list", (("str",),))
NUMBER: Shape = ("int",)
TEXT: Shape = ("str",)
DIGITS: Shape = ("str", "int-text")


def runs(pattern: str) -> list[Run]:
    """One run per letter group: `E` an empty list returned, `N` a list of names, `I` an
    int, `T` a text, `D` a text of digits; `E3` three calls of one run."""
    shapes = {"E": EMPTY, "N": NAMES, "I": NUMBER, "T": TEXT, "D": DIGITS}
    result = []
    for token in pattern.split():
        result.append(Run(ARGS, "return", shapes[token[0]], int(token[1:] or 1)))
    return result


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("N3", "N2"),  # a poll ran once more
        ("N2", "N5"),  # and fewer times
        ("E N E N E N", "E N E N"),  # two kinds alternating, one more round
        ("N2 E", "N2"),  # an empty result fits the names: one more call of that kind
        ("E2", "N2"),  # empty lists and lists of names: each fits the other
        ("T D T", "T3"),  # a random character that happened to be a digit
        ("E N E N", "E N E N E N E N"),
    ],
)
def test_repeats_that_differ_in_number_settle(new: str, old: str) -> None:
    assert same_but_repeats(runs(new), runs(old), pooled=False)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("N2", "N1"),  # a call made once now repeats: a call site added
        ("N1", "N2"),  # a repeated call now happens once
        ("N2 I", "N2"),  # a new kind of call
        ("N2", "N2 I"),  # a kind of call gone
        ("I2", "N2"),  # the same count, another shape
    ],
)
def test_other_differences_are_rewritten(new: str, old: str) -> None:
    assert not same_but_repeats(runs(new), runs(old), pooled=False)


def test_a_seam_called_from_worker_threads_settles_at_any_count_of_its_kinds() -> None:
    assert same_but_repeats(runs("N1"), runs("N3"), pooled=True)
    assert not same_but_repeats(runs("N1 I"), runs("N3"), pooled=True)
