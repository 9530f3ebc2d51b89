"""The compiled heap walk (`_heapwalk.in_heap`) against its reference, `gc.get_referrers`:
on heaps of every kind of holder (lists, dicts by value and by key, tuples, sets, instance
dicts, slots, closure cells, bound methods, weak references, cycles) and on the test
process's own heap, both give the same referrers in the same order."""

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

pytestmark = pytest.mark.skipif(
    heapwalk.compiled is None, reason="the compiled heap walk is not built (or SEAMREC_PURE=1)"
)


class Plain:
    """An object holding values in its instance `__dict__`."""

    def method(self) -> None:
        """Bound to an instance: a holder of it."""


class Slotted:
    """An object holding a value in a `__slots__` member."""

    __slots__ = ("held",)


def closure_over(value: object) -> types.FunctionType:
    """A function holding `value` in a closure cell."""

    def inner() -> object:
        return value

    return inner  # type: ignore[return-value]


KINDS = (
    *("list", "dict", "key", "tuple", "set", "frozenset", "plain", "slotted", "cell"),
    *("method", "weakref", "int", "str", "function"),
)

# A heap recipe: each node is (kind, the indices of earlier nodes it holds, an index it
# gets later, to close a cycle); the targets are indices into the nodes.
NODES = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.lists(st.integers(0, 40), max_size=4),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=40,
)


def hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def build(recipe: list[tuple[str, list[int], int]]) -> list[Any]:
    """The objects of `recipe`, each holding the earlier ones it names."""
    nodes: list[Any] = []
    for position, (kind, picks, _) in enumerate(recipe):
        held = [nodes[index % position] for index in picks] if position else []
        keys = [value for value in held if hashable(value)]
        node: Any
        if kind == "list":
            node = list(held)
        elif kind == "dict":
            node = {str(index): value for index, value in enumerate(held)}
        elif kind == "key":
            node = {value: index for index, value in enumerate(keys)}
        elif kind == "tuple":
            node = tuple(held)
        elif kind == "set":
            node = set(keys)
        elif kind == "frozenset":
            node = frozenset(keys)
        elif kind == "plain":
            node = Plain()
            node.__dict__.update({f"a{index}": value for index, value in enumerate(held)})
        elif kind == "slotted":
            node = Slotted()
            if held:
                node.held = held[0]
        elif kind == "cell":
            node = closure_over(held[0] if held else None)
        elif kind == "method":
            node = Plain().method
        elif kind == "weakref":
            node = weakref.ref(closure_over(None)) if not held else _weak_or_self(held[0])
        elif kind == "int":
            node = 10**20 + position  # not tracked by the collector
        elif kind == "str":
            node = f"node-{position}"
        else:
            node = closure_over(position)
        nodes.append(node)
    for position, (kind, _, later) in enumerate(recipe):  # cycles, through mutable holders
        node = nodes[position]
        if kind == "list":
            node.append(nodes[later % len(nodes)])
        elif kind == "plain":
            node.later = nodes[later % len(nodes)]
    return nodes


def _weak_or_self(value: object) -> object:
    try:
        return weakref.ref(value)
    except TypeError:
        return value


@contextmanager
def no_collection() -> Iterator[None]:
    """No collection between the two walks: it would reorder the collector's lists."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def both_walks(targets: list[Any]) -> tuple[list[int], list[int]]:
    """The ids of the referrers each walk finds, each without the other's result list."""
    with no_collection():
        compiled = heapwalk.referrers(targets)
        reference = heapwalk.referrers(targets, pure=True)
    return (
        [id(held) for held in compiled if held is not reference],
        [id(held) for held in reference if held is not compiled],
    )


@settings(max_examples=examples(20), deadline=None)  # two walks over the whole heap each
@given(NODES, st.lists(st.integers(0, 40), min_size=1, max_size=6))
def test_the_compiled_walk_finds_what_gc_get_referrers_finds(
    recipe: list[tuple[str, list[int], int]], picks: list[int]
) -> None:
    nodes = build(recipe)
    targets = [nodes[index % len(nodes)] for index in picks]

    compiled, reference = both_walks(targets)

    assert compiled == reference
    assert id(nodes) in compiled  # the recipe's own list holds every target


def test_on_the_real_heap_any_number_of_targets_gives_the_same_referrers() -> None:
    functions = [held for held in gc.get_objects() if type(held) is types.FunctionType]
    for count in (1, 7, 50, 300):
        targets = functions[:: max(1, len(functions) // count)][:count]

        compiled, reference = both_walks(targets)

        assert compiled == reference
        assert len(compiled) >= len(targets) // 2  # most functions are held by a namespace


def test_the_targets_container_is_left_out_and_a_tuple_of_targets_is_taken() -> None:
    target = Plain()
    holder = [target]
    targets = [target]
    assert heapwalk.compiled is not None

    found = heapwalk.compiled(targets)
    from_tuple = heapwalk.compiled((target,))  # type: ignore[arg-type]

    assert any(held is holder for held in found)
    assert not any(held is targets for held in found)
    assert any(held is holder for held in from_tuple)
    assert any(held is targets for held in from_tuple)  # now just another holder
    assert heapwalk.compiled([]) == [] == gc.get_referrers()


def test_targets_that_are_not_a_sequence_are_refused() -> None:
    assert heapwalk.compiled is not None

    with pytest.raises(TypeError):
        heapwalk.compiled(Plain())  # type: ignore[arg-type]
