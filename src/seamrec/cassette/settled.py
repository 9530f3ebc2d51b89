"""The cassettes a record run settled, kept until the run's end in a form the garbage
collector does not track.

The end of a record run folds every cassette's shapes into the contracts and looks for
stale ones; the cassettes this run wrote or found unchanged are taken from memory rather
than read back. Kept as `Cassette` objects (a `Call` per kept call, a `Run` per run, a
`Nest` per nest, lists around them), a suite's worth of them doubled the objects every
full collection of the run walks. Kept here as nested plain tuples of strings, ints and
shapes (themselves such tuples), the collector untracks them after their first
collection; a `Cassette` of the shapes only (each kept call without its payloads) is made
again when the run's end asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from seamrec.cassette.store import Cassette, Run, new_call
from seamrec.model.accel import untrack
from seamrec.model.nesting import Nest

# (test, calls, runs, nesting): a kept call as (seam, caller, index, args shape, outcome,
# result shape), a seam's runs as (seam, ((args shape, outcome, result shape, count), ...)),
# its nests as (seam, ((parent, first, step, calls), ...)); nesting None when not kept
Compact: TypeAlias = tuple[str, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...] | None]

_new_tuple = tuple.__new__  # a Nest from its checked fields, without its Python __new__


def compact(cassette: Cassette) -> Compact:
    """What contracts and stale detection read of `cassette`, as plain tuples."""
    calls = tuple(
        (c.seam, c.caller, c.index, c.args_shape, c.outcome, c.result_shape) for c in cassette.calls
    )
    runs = tuple(
        (seam, tuple((r.args_shape, r.outcome, r.result_shape, r.count) for r in seam_runs))
        for seam, seam_runs in cassette.runs.items()
    )
    nesting = None
    if cassette.nesting is not None:
        nesting = tuple(
            (seam, tuple(tuple(nest) for nest in nests)) for seam, nests in cassette.nesting.items()
        )
    return untrack((cassette.test, calls, runs, nesting))


def expand(kept: Compact) -> Cassette:
    """The cassette `compact` was given, its kept calls without their payloads."""
    test, calls, runs, nesting = kept
    return Cassette(
        test=test,
        calls=[new_call(s, c, i, a, o, r, None, None) for s, c, i, a, o, r in calls],
        runs={seam: [Run(*run) for run in seam_runs] for seam, seam_runs in runs},
        nesting=None
        if nesting is None
        else {seam: [_new_tuple(Nest, nest) for nest in nests] for seam, nests in nesting},
    )


class SettledCassettes(Mapping[Path, Cassette]):
    """The cassettes a run wrote or found unchanged, by path: kept compact (`compact`),
    each made again (`expand`) when it is read."""

    def __init__(self) -> None:
        self._kept: dict[str, Compact] = {}  # by the path as a string (a Path is tracked)

    def keep(self, path: Path, cassette: Cassette) -> None:
        """Keep the shapes of `cassette`, the one at `path` now."""
        self._kept[str(path)] = compact(cassette)

    def drop(self, path: Path) -> None:
        """Forget the cassette at `path` (its test runs again, or left none)."""
        self._kept.pop(str(path), None)

    def __getitem__(self, path: Path) -> Cassette:
        return expand(self._kept[str(path)])

    def get(self, path: Path, default: Any = None) -> Any:
        kept = self._kept.get(str(path))
        return default if kept is None else expand(kept)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, Path) and str(path) in self._kept

    def __iter__(self) -> Iterator[Path]:
        return (Path(key) for key in self._kept)

    def __len__(self) -> int:
        return len(self._kept)
