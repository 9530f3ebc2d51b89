"""What one test is checked or replayed against: its cassette, and the seams it replays.

Live call `i` of a seam is expected at recorded position `i`, except where recorded calls
were made inside a replayed call (they do not happen now: the replayed seam is not
called); then the recorded positions still expected are kept in order. Positions are
found by bisecting the runs: a run of 10**12 calls costs nothing to look into.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from itertools import accumulate

from seamrec.cassette.store import Cassette, Run
from seamrec.config import SeamPattern
from seamrec.model.codec import pack
from seamrec.model.nesting import absent_calls

NO_END = sys.maxsize  # the end of a window that never ends


class Expected:
    """The recording of one test (None if it has none) and the seams it replays."""

    def __init__(
        self, nodeid: str, cassette: Cassette | None, replay: tuple[SeamPattern, ...] = ()
    ) -> None:
        self.nodeid = nodeid
        self.cassette = cassette
        self.replay = replay
        self._replays: dict[str, bool] = {}
        self._runs: dict[str, tuple[list[int], list[Run]]] = {}
        self._kept = self._expected_calls() if replay else {}

    def _expected_calls(self) -> dict[str, list[int]]:
        """For each seam with recorded calls made inside a replayed call, the recorded
        positions still expected, in order; live call `i` of such a seam is held against
        the `i`th."""
        if self.cassette is None or self.cassette.nesting is None:
            return {}  # recorded before nesting was kept: every call is expected
        absent = absent_calls(self.cassette.nesting, self.replays)
        return {
            seam: [j for j in range(self._recorded_total(seam)) if j not in skipped]
            for seam, skipped in absent.items()
        }

    def replays(self, seam: str) -> bool:
        """True when calls of `seam` are answered from the cassette in this test."""
        known = self._replays.get(seam)
        if known is None:
            module, _, qualname = seam.partition(":")
            known = self._replays[seam] = any(p.matches(module, qualname) for p in self.replay)
        return known

    def renumbers(self, seam: str) -> bool:
        """True when live positions of `seam` are not its recorded positions (recorded
        calls made inside a replayed call are skipped: see `recorded_index`)."""
        return seam in self._kept

    def recorded_index(self, seam: str, index: int) -> int:
        """The position in the cassette of the call expected at live position `index`."""
        kept = self._kept.get(seam)
        if kept is None:
            return index
        if index < len(kept):
            return kept[index]
        return self._recorded_total(seam) + index - len(kept)  # beyond the recording

    def at(self, seam: str, index: int) -> Run | None:
        """The recorded run holding the call expected at live position `index` of `seam`."""
        if self.cassette is None:
            return None
        if self._kept:
            kept = self._kept.get(seam)
            if kept is not None:
                if index >= len(kept):
                    return None
                index = kept[index]
        ends, runs = self._ends(seam)
        if not ends or index >= ends[-1]:
            return None
        return runs[bisect_right(ends, index)]

    def window(self, seam: str, index: int) -> tuple[int, int, Run | None]:
        """`at(seam, index)` with the live positions [start, end) around `index` that
        expect the same (the calls of one recorded run, or every call beyond the
        recording), so the calls of a hot seam look nothing up until they leave it."""
        if self.cassette is None:
            return 0, NO_END, None
        if self._kept and seam in self._kept:
            return index, index + 1, self.at(seam, index)
        ends, runs = self._ends(seam)
        if not ends or index >= ends[-1]:
            return (ends[-1] if ends else 0), NO_END, None
        at = bisect_right(ends, index)
        return (ends[at - 1] if at else 0), ends[at], runs[at]

    def _ends(self, seam: str) -> tuple[list[int], list[Run]]:
        """The recorded runs of `seam` and the position after each."""
        cached = self._runs.get(seam)
        if cached is None:
            runs = self.cassette.runs.get(seam, []) if self.cassette is not None else []
            ends = [runs[0].count] if len(runs) == 1 else list(accumulate(r.count for r in runs))
            cached = self._runs[seam] = (ends, runs)
        return cached

    def recorded_count(self, seam: str) -> int:
        """How many recorded calls of `seam` are expected (the cassette's calls, less
        those made inside a replayed call)."""
        kept = self._kept.get(seam)
        return self._recorded_total(seam) if kept is None else len(kept)

    def recorded_counts(self) -> dict[str, int]:
        """`recorded_count` of every seam of the recording (any other seam's is 0)."""
        if self.cassette is None:
            return {}
        return {seam: self.recorded_count(seam) for seam in self.cassette.runs}

    def _recorded_total(self, seam: str) -> int:
        """The cassette's calls of `seam`: the end of its last run (`_ends`, kept)."""
        ends = self._ends(seam)[0]
        return ends[-1] if ends else 0

    def recorded_payload(self, seam: str, index: int, part: str) -> bytes | None:
        """The recorded args or result of one expected call, packed, when its detail was
        kept."""
        if self.cassette is None:
            return None
        detail = self.cassette.detail(seam, self.recorded_index(seam, index))
        if detail is None:
            return None
        return pack(detail.args if part == "args" else detail.result)

    def seams(self) -> list[str]:
        """The seams of the recording, in its order."""
        return list(self.cassette.runs) if self.cassette is not None else []
