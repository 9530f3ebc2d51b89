"""`seamrec.runtime.align`: live calls aligned with recorded calls the way a diff aligns lines."""

from __future__ import annotations

import pytest

from seamrec.runtime.align import Alignment, align


def aligned(live: str, recorded: str, budget: int = 250_000) -> Alignment | None:
    """Align two strings, one letter per call; a letter fits the same letter."""
    return align(len(live), len(recorded), lambda i, j: live[i] == recorded[j], budget=budget)


def test_identical_calls_align_one_to_one() -> None:
    assert Alignment(aligned=[(0, 0), (1, 1), (2, 2)]) == aligned("ABC", "ABC")


def test_one_extra_call_in_the_middle_is_one_extra_and_shifts_nothing() -> None:
    assert Alignment(aligned=[(0, 0), (1, 1), (3, 2), (4, 3), (5, 4)], extra=[2]) == aligned(
        "ABXCDE", "ABCDE"
    )


def test_one_missing_call_in_the_middle_is_one_missing_and_shifts_nothing() -> None:
    assert Alignment(aligned=[(0, 0), (1, 1), (2, 3), (3, 4)], missing=[2]) == aligned(
        "ABDE", "ABCDE"
    )


def test_a_changed_call_between_the_same_neighbours_is_paired_with_its_recording() -> None:
    assert Alignment(aligned=[(0, 0), (1, 1), (3, 3), (4, 4)], changed=[(2, 2)]) == aligned(
        "ABYDE", "ABCDE"
    )


def test_calls_that_changed_places_are_moved_not_drifted() -> None:
    result = aligned("CAB", "ABC")

    assert result is not None
    assert ([], [], []) == (result.changed, result.extra, result.missing)
    assert [(0, 2), (1, 0), (2, 1)] == sorted(result.aligned + result.moved)


def test_an_extra_and_a_missing_call_in_different_places_are_one_changed_call() -> None:
    assert Alignment(aligned=[(1, 0), (2, 1), (3, 2)], changed=[(0, 3)]) == aligned("XABC", "ABCD")


def test_a_changed_call_is_paired_in_its_own_place_before_an_extra_call_elsewhere() -> None:
    assert Alignment(aligned=[(1, 0), (2, 1)], changed=[(3, 2)], extra=[0]) == aligned(
        "XABY", "ABC"
    )


@pytest.mark.parametrize(
    ("live", "recorded", "extra", "missing"),
    [("", "AB", [], [0, 1]), ("AB", "", [0, 1], []), ("AAA", "A", [1, 2], []), ("", "", [], [])],
)
def test_calls_beyond_either_side_are_extra_or_missing(
    live: str, recorded: str, extra: list[int], missing: list[int]
) -> None:
    result = aligned(live, recorded)

    assert result is not None
    assert (extra, missing) == (result.extra, result.missing)


def test_the_same_sequences_align_the_same_way_every_time() -> None:
    results = {repr(aligned("ABACABAXD", "ABCABDAB")) for _ in range(3)}

    assert 1 == len(results)


def test_a_middle_too_long_to_compare_gives_up_but_matching_head_and_tail_cost_nothing() -> None:
    assert aligned("XY" * 100, "YX" * 100, budget=1000) is None
    long = "A" * 10_000
    result = aligned(long + "X" + long, long + long, budget=1)
    assert result is not None
    assert [10_000] == result.extra


def test_the_known_head_is_not_compared_again() -> None:
    compared: list[tuple[int, int]] = []

    def fits(i: int, j: int) -> bool:
        compared.append((i, j))
        return i == j

    align(4, 4, fits, head=3)

    assert [(3, 3)] == compared
