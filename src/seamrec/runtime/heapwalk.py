"""The objects that refer to any of many targets, in one walk over the heap.

`gc.get_referrers(*targets)` compares every reference it visits with every target, so a
walk for 200 seams costs several walks for one. The compiled walk (`_heapwalk.c`, when
built) looks each reference up in a hash set of the targets instead: the same objects in
the same order, at the cost of a walk for one target. `gc.get_referrers` is the reference
and the fallback (`SEAMREC_PURE=1` forces it). `referrers_by_group` does the walks for
several groups of targets in one.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from seamrec.compiled import compiled_module


def _load() -> tuple[Any, Any]:
    """The compiled walks, or Nones (pure Python asked for, or not built)."""
    _heapwalk = compiled_module("seamrec.runtime._heapwalk")[0]
    if _heapwalk is None:
        return None, None
    return _heapwalk.in_heap, getattr(_heapwalk, "in_heap_groups", None)  # None: built before it


_walks = _load()
compiled: Callable[[list[Any]], list[Any]] | None = _walks[0]
"""The compiled `in_heap(targets)` (None: `gc.get_referrers` stands in)."""
compiled_groups: Callable[[list[list[Any]]], list[list[Any]]] | None = _walks[1]
"""The compiled `in_heap_groups(groups)` (None: `gc.get_referrers` stands in)."""


def referrers(targets: list[Any], *, pure: bool = False) -> list[Any]:
    """The objects the collector tracks that refer to any of `targets` (the `targets` list
    itself left out), in the order `gc.get_referrers(*targets)` gives them."""
    if pure or compiled is None:
        return [held for held in gc.get_referrers(*targets) if held is not targets]
    return compiled(targets)


def referrers_by_group(groups: list[list[Any]], *, pure: bool = False) -> list[list[Any]]:
    """For each group of targets, what `referrers(group)` gives, in one walk over the heap
    (the containers of the groups left out): an object referring to targets of several
    groups is in the list of each. The pure fallback walks once per group."""
    if not pure and compiled_groups is not None:
        return compiled_groups(groups)
    containers = {id(groups), *map(id, groups)}
    return [
        [held for held in gc.get_referrers(*group) if id(held) not in containers] if group else []
        for group in groups
    ]
