"""The objects that refer to any of many targets, in one walk over the heap.

`gc.get_referrers(*targets)` compares every reference it visits with every target, so a
walk for 200 seams costs several walks for one. The compiled walk (`_heapwalk.c`, when
built) looks each reference up in a hash set of the targets instead: the same objects in
the same order, at the cost of a walk for one target. `gc.get_referrers` is the reference
and the fallback (`SEAMREC_PURE=1` forces it).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from typing import Any

PURE_VARIABLE = "SEAMREC_PURE"


def _load() -> Callable[[list[Any]], list[Any]] | None:
    """The compiled walk, or None (pure Python asked for, or not built)."""
    if os.environ.get(PURE_VARIABLE, "") not in ("", "0"):
        return None
    try:
        from seamrec.runtime._heapwalk import in_heap  # type: ignore[import-not-found]
    except ImportError:
        return None
    walk: Callable[[list[Any]], list[Any]] = in_heap
    return walk


compiled = _load()
"""The compiled `in_heap(targets)` (None: `gc.get_referrers` stands in)."""


def referrers(targets: list[Any], *, pure: bool = False) -> list[Any]:
    """The objects the collector tracks that refer to any of `targets` (the `targets` list
    itself left out), in the order `gc.get_referrers(*targets)` gives them."""
    if pure or compiled is None:
        return [held for held in gc.get_referrers(*targets) if held is not targets]
    return compiled(targets)
