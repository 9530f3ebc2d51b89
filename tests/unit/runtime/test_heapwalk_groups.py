"""The walk for several groups of targets (`heapwalk.referrers_by_group`) gives, for each
group, what a walk for that group alone gives: compiled and pure, on heaps of every kind
of holder and on the test process's own heap."""

from __future__ import annotations

import gc
import types
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.runtime import heapwalk


class Holder:
    """An object holding values in its instance `__dict__`."""

    both: tuple[object, object]
    kept: list[Any]


@contextmanager
def no_collection() -> Iterator[None]:
    """No collection between the walks: it would reorder the collector's lists."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def ids(found: list[Any], *mine: object) -> list[int]:
    """The ids of `found`, the test's own lists of results left out."""
    return [id(held) for held in found if not any(held is own for own in mine)]


def grouped_and_alone(groups: list[list[Any]], *, pure: bool) -> tuple[list[list[int]], ...]:
    """The ids each group's referrers have in one walk for all, and in a walk of its own."""
    with no_collection():
        together = heapwalk.referrers_by_group(groups, pure=pure)
        alone = [heapwalk.referrers(group, pure=True) for group in groups]
    mine = (together, *together, alone, *alone)
    return [ids(found, *mine) for found in together], [ids(found, *mine) for found in alone]


def heap(sizes: list[int]) -> list[list[Any]]:
    """Groups of targets, each held by lists, dicts, tuples, objects and weak references,
    some holders holding targets of two groups."""
    groups: list[list[Any]] = [[Holder() for _ in range(size)] for size in sizes]
    flat = [target for group in groups for target in group]
    kept: list[Any] = []
    for index, target in enumerate(flat):
        neighbour = flat[(index + 1) % len(flat)]
        holder = Holder()
        holder.both = (target, neighbour)
        kept += [[target], {"value": target, "other": neighbour}, (target,), holder]
        kept.append(weakref.ref(target))
    Holder.kept = kept
    return groups


MODES = [False, True] if heapwalk.compiled_groups is not None else [True]


@settings(max_examples=examples(10), deadline=None)  # several walks over the whole heap each
@given(st.lists(st.integers(0, 5), min_size=1, max_size=4), st.sampled_from(MODES))
def test_each_group_gets_what_a_walk_for_it_alone_gets(sizes: list[int], pure: bool) -> None:
    groups = heap(sizes)

    together, alone = grouped_and_alone(groups, pure=pure)

    assert together == alone
    assert all(found for found, group in zip(together, groups, strict=True) if group)


@pytest.mark.parametrize("pure", MODES)
def test_weak_references_and_functions_of_the_real_heap_give_the_same_referrers(
    pure: bool,
) -> None:
    functions = [held for held in gc.get_objects() if type(held) is types.FunctionType]
    refs = [held for held in gc.get_objects() if type(held) is weakref.ReferenceType]
    groups: list[list[Any]] = [functions[::97][:40], refs[::13][:40], []]

    together, alone = grouped_and_alone(groups, pure=pure)

    assert together == alone
    assert together[0]
    assert together[1]
    assert not together[2]


@pytest.mark.parametrize("pure", MODES)
def test_the_containers_of_the_groups_are_left_out(pure: bool) -> None:
    target = Holder()
    holder = [target]
    first, second = [target], [target]
    groups = [first, second]

    found = heapwalk.referrers_by_group(groups, pure=pure)

    for walked in found:
        assert any(held is holder for held in walked)
        assert not any(held is first or held is second or held is groups for held in walked)
    assert heapwalk.referrers_by_group([[], []], pure=pure) == [[], []]
    assert heapwalk.referrers_by_group([], pure=pure) == []


@pytest.mark.skipif(heapwalk.compiled_groups is None, reason="the compiled walk is not built")
def test_groups_that_are_not_lists_are_refused() -> None:
    walk = heapwalk.compiled_groups
    assert walk is not None

    with pytest.raises(TypeError):
        walk((Holder(),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        walk([(Holder(),)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at most 64 groups"):
        walk([[] for _ in range(65)])
