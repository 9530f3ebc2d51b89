"""Calls of a seam that differ from the recording only in how often a call repeats.

How often a loop calls a seam (a poll until a subprocess has written, a retry, a page, a
per-row query) follows data and timing; the shapes are the contract. A kind of call (its
shapes) recorded at least twice and made at least twice is therefore checked by its
shapes, never by its count, and a re-record whose calls differ from the cassette on disk
only so keeps that file (`same_but_repeats`). A kind recorded once that now repeats, or
repeated and now happens once, new or gone, is still a drift: that is a call site added
or removed. Seams called from worker threads accept any count (`Verdict`'s scheduled
count), and so does a re-record of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from seamrec.cassette.store import Run
from seamrec.model.shape import canonical, compatible
from seamrec.runtime.align import Alignment, align

COMPARED_CALLS = 100_000  # a seam with more calls than this: a re-record rewrites it


def fits_shapes(expected: Run | None, live: Run | None) -> bool:
    """Whether a live call's shapes fit a recorded call (an unfinished call: its args)."""
    if expected is None or live is None:
        return False
    if expected is live or (
        expected.args_shape == live.args_shape
        and expected.outcome == live.outcome
        and expected.result_shape == live.result_shape
    ):
        return True
    if not compatible(expected.args_shape, live.args_shape):
        return False
    if not live.outcome:
        return True
    return live.outcome == expected.outcome and compatible(expected.result_shape, live.result_shape)


def drop_repeat_counts(
    alignment: Alignment, live: Sequence[Run | None], recorded: Sequence[Run | None]
) -> None:
    """Drop from `alignment` the extra and missing calls that only change how often a
    repeated kind of call repeats: a kind of call (its shapes) recorded at least twice
    and made at least twice (a live call is of the kind of equal shapes, else of the
    first kind it fits). How often a loop calls a seam (a poll, a retry,
    a page, a per-row query) follows data and timing; the shapes are the contract. A kind
    recorded once that now repeats, or repeated and now happens once, new or gone, stays
    reported: that is a call site added or removed."""
    if not (alignment.extra or alignment.missing):
        return
    kinds: list[Run] = []  # recorded kinds of call, one per distinct shapes
    recorded_counts: list[int] = []
    kind_of_run: dict[int, int] = {}
    for run in recorded:
        if run is None:
            continue
        kind = kind_of_run.get(id(run))
        if kind is None:
            kind = next((k for k, known in enumerate(kinds) if _same_shapes(known, run)), None)
            if kind is None:
                kind = len(kinds)
                kinds.append(run)
                recorded_counts.append(0)
            kind_of_run[id(run)] = kind
        recorded_counts[kind] += 1

    def kind_of(shape: Run | None) -> int | None:
        """The recorded kind of a call: the one of equal shapes, else the first it fits."""
        if shape is None:
            return None
        kind = kind_of_run.get(id(shape))
        if kind is None:
            kind = next((k for k, known in enumerate(kinds) if _same_shapes(known, shape)), None)
        if kind is None:
            kind = next((k for k, known in enumerate(kinds) if fits_shapes(known, shape)), None)
        return kind

    live_kinds = [kind_of(shape) for shape in live]
    live_counts = [0] * len(kinds)
    for kind in live_kinds:
        if kind is not None:
            live_counts[kind] += 1

    def repeated(kind: int | None) -> bool:
        return kind is not None and recorded_counts[kind] >= 2 and live_counts[kind] >= 2

    alignment.extra = [i for i in alignment.extra if not repeated(live_kinds[i])]
    alignment.missing = [
        j for j in alignment.missing if not repeated(kind_of_run.get(id(recorded[j])))
    ]


def _same_shapes(one: Run, other: Run) -> bool:
    return one is other or (
        one.args_shape == other.args_shape
        and one.outcome == other.outcome
        and one.result_shape == other.result_shape
    )


def same_but_repeats(new: list[Run], old: list[Run], pooled: bool) -> bool:
    """Whether the runs of one seam in a new recording (`new`) differ from those of the
    cassette on disk (`old`) only as a check would let pass either way: in how often a
    repeated kind of call repeats (any count for a seam called from worker threads,
    `pooled`), or in shapes that each fit the other (`_equivalent`)."""
    new, old = _canonical(new), _canonical(old)
    live = [run for run in new for _ in range(run.count)]
    recorded = [run for run in old for _ in range(run.count)]
    if max(len(live), len(recorded)) > COMPARED_CALLS:
        return False
    alignment = align(len(live), len(recorded), lambda i, j: _equivalent(recorded[j], live[i]))
    if alignment is None or alignment.changed:
        return False
    if pooled:
        return all(any(_equivalent(r, live[i]) for r in old) for i in alignment.extra) and all(
            any(_equivalent(recorded[j], n) for n in new) for j in alignment.missing
        )
    drop_repeat_counts(alignment, live, recorded)
    return not (alignment.extra or alignment.missing)


def _equivalent(old: Run, new: Run) -> bool:
    """Whether a check passes whichever of the two calls was recorded: equal shapes, or
    each fits the other (a format seen in one run only, `str` and `str<int-text>` of a
    random character; an empty list and a list of rows)."""
    return _same_shapes(old, new) or (fits_shapes(old, new) and fits_shapes(new, old))


def _canonical(runs: list[Run]) -> list[Run]:
    """The runs with their shapes in canonical order (a cassette read back and a tape's
    own may differ in key order only)."""
    return [
        Run(canonical(r.args_shape), r.outcome, canonical(r.result_shape), r.count) for r in runs
    ]
