"""Replay mode: only the seams a test replays are touched, answered from its cassette;
every other call runs untouched, and database queries are not recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from seamrec.model.shape import Shape
from seamrec.runtime.calls import LiveCall
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Seam

__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback


class ReplayStrategy(CheckStrategy):
    """Answers the replayed seams of each test; judges those seams only."""

    everything: ClassVar[bool] = False
    events: ClassVar[bool] = False

    @property
    def unreplayed(self) -> Callable[..., Any]:
        """What a call of a seam the test does not replay does: it runs untouched."""
        return _untouched

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None:
        """Database and HTTP crossings are not recorded in a replay run."""
        return None

    def close_event(self, call: LiveCall, outcome: str, value: object, shape: Shape) -> None:
        """Never called: `open_event` starts nothing."""


def _untouched(
    seam: Seam,
    caller: str,
    wrapped: Callable[..., Any],
    instance: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    return wrapped(*args, **kwargs)
