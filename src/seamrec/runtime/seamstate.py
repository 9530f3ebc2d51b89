"""What the calls of one seam in the running test look up, held in one object per seam
so that a crossing call finds it with one dict lookup: the seam's position counter on
the tape, how its common call binds, and (when checking) the recorded run its calls
are at with that run's compiled checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seamrec.cassette.store import Run
from seamrec.model.conform import ArgsCheck, Check
from seamrec.runtime.expected import NO_END
from seamrec.runtime.instrument import Seam

Window = tuple[int, int, Run | None, ArgsCheck | None, Check | None]
"""(start, end, run, args check, result check): live positions [start, end) of a seam
expect recorded `run` (None: no recorded call), checked by these compiled checks (the
result check is None unless the run returned)."""

UNKNOWN: Window = (0, 0, None, None, None)  # holds no position: found on the first call


class SeamState:
    """One seam's state in the running test. The hot paths read the fields directly:
    a call whose keywords are empty and whose positional arguments fill `arity`
    parameters is bound as (`names`, `[instance, *args]` if `has_self` else
    `list(args)`), which is what `Seam.bind` gives it; any other call is bound by
    `Seam.bind`. `window` is replaced as one tuple, so threads never mix two windows."""

    __slots__ = (
        "answers",
        "arity",
        "function",
        "has_self",
        "names",
        "positions",
        "replayed",
        "seam",
        "window",
    )

    def __init__(self, seam: Seam, positions: Iterator[int]) -> None:
        self.seam = seam
        self.function = seam.kind == "function"  # a plain function's call (the hot case)
        self.positions = positions
        self.names = seam.positional
        self.has_self = seam.has_self
        self.arity = len(seam.positional) - 1 if seam.has_self else len(seam.positional)
        self.window: Window = UNKNOWN
        self.replayed = False  # its calls are answered from the cassette (checking)
        # replayed: the recorded calls answering its calls, by position (`_answers`)
        self.answers: list[Any] | None = None

    def bind(
        self, instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[str, ...], list[Any]]:
        """Names and values of the arguments, as `Seam.bind` gives them."""
        if kwargs or len(args) != self.arity:
            return self.seam.bind(instance, args, kwargs)
        if self.has_self:
            return self.names, [instance, *args]
        return self.names, list(args)


__all__ = ["NO_END", "UNKNOWN", "SeamState", "Window"]
