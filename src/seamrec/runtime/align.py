"""Align the live calls of one seam with its recorded calls, the way a diff aligns lines.

One extra or missing call (a timing-dependent refresh query, a cache miss) then stands
out as itself instead of shifting every later call onto the wrong recording. The result
is a longest common subsequence under a "fits" predicate, found by dynamic programming
over the part that differs (the matching head and tail are trimmed first), then:

- calls left over on both sides that fit each other are paired anyway (calls that only
  changed places, e.g. across threads: the multiset rule);
- the rest, between the same two aligned calls, are paired in order as changed calls, and
  so are, in order, extra and missing calls in different places (a call that changed and
  moved, as across threads);
- what is still left is an extra live call or a missing recorded call.

Pure and deterministic: the same sequences always align the same way.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

# Cells of the table; above this the caller falls back to matching by position.
DEFAULT_BUDGET = 250_000


@dataclass
class Alignment:
    """Live positions against recorded positions (0-based)."""

    aligned: list[tuple[int, int]] = field(default_factory=list)  # (live, recorded), in order
    moved: list[tuple[int, int]] = field(default_factory=list)  # fit, but out of order
    changed: list[tuple[int, int]] = field(default_factory=list)  # same place, no fit: drift
    extra: list[int] = field(default_factory=list)  # live calls with no recording
    missing: list[int] = field(default_factory=list)  # recorded calls that did not happen


def align(
    live: int,
    recorded: int,
    fits: Callable[[int, int], bool],
    *,
    head: int = 0,
    budget: int = DEFAULT_BUDGET,
) -> Alignment | None:
    """Align `live` calls with `recorded` ones; `fits(i, j)` says whether live call `i`
    fits recorded call `j`. The first `head` calls are known to fit their own position.
    None when the differing middle would need more than `budget` comparisons."""
    head = min(head, live, recorded)
    while head < live and head < recorded and fits(head, head):
        head += 1
    tail = 0
    while (
        tail < live - head and tail < recorded - head and fits(live - 1 - tail, recorded - 1 - tail)
    ):
        tail += 1
    rows, columns = live - head - tail, recorded - head - tail
    if rows * columns > budget:
        return None
    result = Alignment(aligned=[(i, i) for i in range(head)])
    middle = _common(rows, columns, lambda i, j: fits(head + i, head + j))
    result.aligned += [(head + i, head + j) for i, j in middle]
    offset = recorded - live
    result.aligned += [(i, i + offset) for i in range(live - tail, live)]
    _leftovers(result, live, recorded, fits)
    return result


def _common(rows: int, columns: int, fits: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """A longest common subsequence of two sequences, preferring early diagonal pairs."""
    if not rows or not columns:
        return []
    width = columns + 1
    lengths = [0] * ((rows + 1) * width)
    matched = bytearray(rows * columns)
    for i in range(rows - 1, -1, -1):
        for j in range(columns - 1, -1, -1):
            here = i * width + j
            if fits(i, j):
                matched[i * columns + j] = 1
                lengths[here] = lengths[here + width + 1] + 1
            else:
                lengths[here] = max(lengths[here + width], lengths[here + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < rows and j < columns:
        here = i * width + j
        if matched[i * columns + j] and lengths[here] == lengths[here + width + 1] + 1:
            pairs.append((i, j))
            i += 1
            j += 1
        elif lengths[here + width] >= lengths[here + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _leftovers(
    result: Alignment, live: int, recorded: int, fits: Callable[[int, int], bool]
) -> None:
    """Pair what the common subsequence left: moved calls first, then changed ones."""
    used_live = {i for i, _ in result.aligned}
    used_recorded = {j for _, j in result.aligned}
    extra = [i for i in range(live) if i not in used_live]
    missing = [j for j in range(recorded) if j not in used_recorded]
    for i in list(extra):
        j = next((j for j in missing if fits(i, j)), None)
        if j is not None:
            result.moved.append((i, j))
            extra.remove(i)
            missing.remove(j)
    anchors_live = [i for i, _ in result.aligned]
    anchors_recorded = [j for _, j in result.aligned]
    gaps: dict[int, list[int]] = {}
    for j in missing:
        gaps.setdefault(bisect_left(anchors_recorded, j), []).append(j)
    for i in extra:
        waiting = gaps.get(bisect_left(anchors_live, i))
        if waiting:
            result.changed.append((i, waiting.pop(0)))
        else:
            result.extra.append(i)
    paired = {j for _, j in result.changed}
    missing = [j for j in missing if j not in paired]
    extra, result.extra = result.extra, []
    for i in extra:  # calls that swapped places and changed (threads): paired all the same
        if missing:
            result.changed.append((i, missing.pop(0)))
        else:
            result.extra.append(i)
    result.missing = missing
