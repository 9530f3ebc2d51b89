"""The check of a recorded shape met by a single call: the live shape compared, nothing
compiled.

A check run compiles each distinct recorded shape once into a check (`model.conform`),
which pays when many calls are checked against it; but most shapes of a suite's
cassettes are met by one call in the whole run (each test inserts its own rows, passes
its own arguments). For a window of one call whose shape the run has not met before,
the strategy hands out one of these instead (unless the recorded walk ran out of its
budget: `worth_comparing`): its call walks the live value with the compiled walker
(builtin data only: it gives up on anything else, cheaply) and compares the shape with
the recorded one; equal shapes fit (as `shape.compatible` says of equal
shapes). Any other answer, and any later call, comes from the compiled check, so the
verdicts are the compiled path's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seamrec.model.conform import ArgsCheck, Check
from seamrec.model.shape import TOO_LARGE, Shape, ShapeFunction, args_shape, self_shape

Walk = Callable[[object], Shape | None]
"""The compiled walker: a value's shape, or None where the Python walker must walk it."""


def compiled_walk(shape_of: ShapeFunction) -> Walk | None:
    """The compiled walker behind `shape_of` (None without C: then every shape is
    compiled, as before)."""
    walk: Walk | None = getattr(shape_of, "walk", None)
    return walk


def worth_comparing(shape: Shape) -> bool:
    """Whether a live value of `shape` is cheaper to walk than to check compiled: not
    when the recording ran the walker out of its budget somewhere (a value as large
    would again be walked to the end of the budget, where the compiled check fits
    anything under the cut at once)."""
    pending = [shape]
    while pending:
        node = pending.pop()
        if node == TOO_LARGE:
            return False
        pending.extend(part for part in node if type(part) is tuple)
    return True


class FirstValueCheck:
    """A value check of `shape` for a single call: `compile()` gives the compiled check
    (kept by the strategy) when the live shape is another or is not builtin data, or
    when the check is called again."""

    __slots__ = ("_compile", "_shape", "_used", "_walk")

    def __init__(self, shape: Shape, walk: Walk, compile: Callable[[], Check | None]) -> None:
        self._shape = shape
        self._walk = walk
        self._compile = compile
        self._used = False

    def __call__(self, column: list[Any]) -> bool:
        if not self._used:
            self._used = True
            if len(column) == 1:
                try:
                    if self._walk(column[0]) == self._shape:
                        return True
                except Exception:  # the compiled check decides
                    pass
        check = self._compile()
        return check is not None and check(column)


class FirstArgsCheck:
    """An args check of `shape` for a single call (as `FirstValueCheck`), the bound
    arguments shaped as the strategy shapes them (`has_self`: the first is the seam's
    instance or class, shaped by its type)."""

    __slots__ = ("_compile", "_has_self", "_shape", "_used", "_walk")

    def __init__(
        self, shape: Shape, walk: Walk, has_self: bool, compile: Callable[[], ArgsCheck | None]
    ) -> None:
        self._shape = shape
        self._walk = walk
        self._has_self = has_self
        self._compile = compile
        self._used = False

    def __call__(self, names: tuple[str, ...], values: list[Any]) -> bool:
        if not self._used:
            self._used = True
            try:
                if self._live(names, values) == self._shape:
                    return True
            except Exception:  # the compiled check decides
                pass
        check = self._compile()
        return check is not None and check(names, values)

    def _live(self, names: tuple[str, ...], values: list[Any]) -> Shape | None:
        """The args shape of the call, None when a value is not builtin data."""
        shapes: list[Shape] = []
        rest = values
        if self._has_self and values:
            shapes.append(self_shape(values[0]))
            rest = values[1:]
        walk = self._walk
        for value in rest:
            shape = walk(value)
            if shape is None:
                return None
            shapes.append(shape)
        return args_shape(names, shapes)
