"""seamrec's own work between a suite's tests, run with the garbage collector paused.

A cassette loaded at a test's start, written at its end, the contracts at the run's end:
seamrec's own objects, made and mostly dropped again within the step. A collection
that falls inside such a step walks them, and moves those still alive (for a moment) to
an older generation, where they count towards the next full collection of the whole
heap. With the collector paused for the step, what the step dropped again is never
walked, and what it kept is walked by the next collection as the run would have.

Only around seamrec's own code, never around the code under test. The collector is
left as the step found it: a suite that disabled it keeps it disabled (a thread that
switches it off during the step finds it on again after it, a rare race accepted).
The thresholds are never touched and nothing is frozen.
"""

from __future__ import annotations

import gc
from types import TracebackType


class CollectorPaused:
    """`with CollectorPaused(): ...` runs the block with the collector paused (when it
    was enabled), and enables it again after the block, however the block ends."""

    __slots__ = ("_was_enabled",)

    def __init__(self) -> None:
        self._was_enabled = False

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        if self._was_enabled:
            gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._was_enabled:
            gc.enable()
