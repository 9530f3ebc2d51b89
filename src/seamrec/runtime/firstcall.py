"""The check of a recorded shape met by a single call: the live shape compared, nothing
compiled.

A check run compiles each distinct recorded shape once into a check (`model.conform`),
which pays when many calls are checked against it; but most shapes of a suite's
cassettes are met by one call in the whole run (each test inserts its own rows, passes
its own arguments). For a window of one call whose shape the run has not met before,
the strategy hands out one of these instead: its call shapes the live value (the walker
every drift report uses) and compares it with the recorded shape; equal shapes fit (as
`shape.compatible` says of equal shapes). Any other answer, and any later call, comes
from the compiled check, so verdicts are the compiled path's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seamrec.model.conform import ArgsCheck, Check
from seamrec.model.shape import Shape


class FirstValueCheck:
    """A value check of `shape` for a single call: `compile()` gives the compiled check
    (kept by the strategy) when the live shape differs or the check is called again."""

    __slots__ = ("_compile", "_shape", "_shape_of", "_used")

    def __init__(
        self, shape: Shape, shape_of: Callable[[object], Shape], compile: Callable[[], Check | None]
    ) -> None:
        self._shape = shape
        self._shape_of = shape_of
        self._compile = compile
        self._used = False

    def __call__(self, column: list[Any]) -> bool:
        if not self._used:
            self._used = True
            if len(column) == 1:
                try:
                    if self._shape_of(column[0]) == self._shape:
                        return True
                except Exception:  # the compiled check decides
                    pass
        check = self._compile()
        return check is not None and check(column)


class FirstArgsCheck:
    """An args check of `shape` for a single call (as `FirstValueCheck`); `args_shape`
    shapes the bound arguments of the window's seam."""

    __slots__ = ("_args_shape", "_compile", "_shape", "_used")

    def __init__(
        self,
        shape: Shape,
        args_shape: Callable[[tuple[str, ...], list[Any]], Shape],
        compile: Callable[[], ArgsCheck | None],
    ) -> None:
        self._shape = shape
        self._args_shape = args_shape
        self._compile = compile
        self._used = False

    def __call__(self, names: tuple[str, ...], values: list[Any]) -> bool:
        if not self._used:
            self._used = True
            try:
                if self._args_shape(names, values) == self._shape:
                    return True
            except Exception:  # the compiled check decides
                pass
        check = self._compile()
        return check is not None and check(names, values)
