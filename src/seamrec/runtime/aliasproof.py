"""Reference counts that prove a walk over the heap would find nothing to redirect.

`sys.getrefcount(x)` counts every strong reference to `x`, from the heap, from the frames
running and from C. A batch's walk (`aliases.Redirector.run`) looks for the holders of its
originals (to redirect them) and for the functions defined in its module namespaces (the
referrers of each namespace, through `__globals__`). When every reference to an original
comes from an object that walk would leave alone (seamrec's own lists, tuples and undo
steps, the wrappers), no alias exists; when every reference to a namespace comes from an
object reached statically from it (its module, its functions, the class dicts defined
there, closure cells, the wrappers), the functions defined in it are all known. Then the
walk is skipped, with the same outcome. The references are counted with
`gc.get_referents` (each `tp_traverse` visits the references its object owns): a count
that falls short (a holder nobody reached, a frame's local) means the walk runs, never
that a holder is missed. Foreign objects are only read statically.
"""

from __future__ import annotations

import functools
import gc
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from seamrec.runtime import statics

EXPLORED_AT_MOST = 4000
"""The objects read from the namespaces before the proof gives up (the walk runs)."""

TRIED_AT_MOST = 64
"""The largest batch (originals and namespaces) a proof is tried for. A large batch is
the collection's: its modules' registries alias its seams anyway, and exploring its
namespaces in Python costs about what the walk does (sqlite-utils: 198 targets)."""

# Looked through for the functions of a namespace: their references are all owned ones.
_CONTAINERS = (types.FunctionType, types.CellType, types.MethodType, tuple, list, set, frozenset)
# Looked through, subclasses too (seamrec's SeamProperty and SeamCachedProperty).
_DESCRIPTORS = (classmethod, staticmethod, property, functools.partial, functools.cached_property)


def references_to(holders: dict[int, object], wanted: Iterable[object]) -> dict[int, int]:
    """How many references to each of `wanted` (by id) the `holders` (by id) and their
    dict own. Called in a frame of its own: no reference it takes outlives it."""
    found = Counter(map(id, gc.get_referents(holders, *holders.values())))
    return {id(target): found[id(target)] for target in wanted}


def all_counted(targets: list[Any], counts: dict[int, int]) -> bool:
    """Whether each of `targets` has exactly the references `counts` found, besides the
    two of this check (the loop's variable and `getrefcount`'s argument); `targets`
    itself must be among the holders counted."""
    for target in targets:  # noqa: SIM110 (a plain loop: the references it adds are plain)
        if sys.getrefcount(target) - 2 != counts[id(target)]:
            return False
    return True


def _counts_as_assumed() -> bool:
    """Whether reference counts behave here as this module assumes: CPython with its GIL,
    where a loop's variable and `getrefcount`'s argument each count once (a build that
    borrows references on its stack, or defers them, makes every proof fail safe)."""
    gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if sys.implementation.name != "cpython" or (gil_enabled is not None and not gil_enabled()):
        return False
    probe: list[Any] = [object()]
    counts = references_to({id(probe): probe}, probe)
    if not all_counted(probe, counts):
        return False
    hidden = probe[0]  # a reference no holder accounts for: the proof must fail
    proven = all_counted(probe, counts)
    del hidden
    return not proven


USABLE = _counts_as_assumed()
"""Whether the proofs may be tried at all (else every batch walks)."""


def reached_from(
    namespaces: list[dict[str, Any]], roots: list[object], is_wrapper: Callable[[type], bool]
) -> dict[int, object] | None:
    """The objects reached statically from the `namespaces` and the wrappers `roots` (by
    id): through functions (their globals left out), closure cells, containers, method
    descriptors and the classes defined in those namespaces. A dict is followed only
    from a namespace, a container or a function (a cell or a wrapper may hold another
    module's globals). `is_wrapper(kind)`: whether instances of `kind` are wrappers.
    None: more than `EXPLORED_AT_MOST` objects."""
    names = {id(namespace.get("__name__")) for namespace in namespaces}
    verdicts: dict[type, int] = {}  # by type: how the walk treats its instances
    reached: dict[int, object] = {}
    stack: list[object] = [*namespaces, *roots]
    while stack:
        value = stack.pop()
        if id(value) in reached:
            continue
        reached[id(value)] = value
        if len(reached) > EXPLORED_AT_MOST:
            return None
        kind = type(value)
        verdict = verdicts.get(kind)
        if verdict is None:
            verdict = verdicts[kind] = _verdict(kind, is_wrapper)
        if verdict == _CLASS:
            members = statics.class_dict(value)  # type: ignore[arg-type]
            if id(members.get("__module__")) not in names:
                continue
            referents = list(members.values())
            dicts = True
        else:
            referents = gc.get_referents(value)
            if kind is types.FunctionType:
                function: Any = value
                globals_, builtins = function.__globals__, function.__builtins__
                referents = [r for r in referents if r is not globals_ and r is not builtins]
            dicts = kind is not types.CellType and verdict != _WRAPPER
        for referent in referents:
            referent_kind = type(referent)
            followed = verdicts.get(referent_kind)
            if followed is None:
                followed = verdicts[referent_kind] = _verdict(referent_kind, is_wrapper)
            if followed and (dicts or followed != _DICT) and id(referent) not in reached:
                stack.append(referent)
    return reached


_FOLLOWED, _DICT, _CLASS, _WRAPPER = 1, 2, 3, 4


def _verdict(kind: type, is_wrapper: Callable[[type], bool]) -> int:
    """How the walk through a namespace treats an instance of `kind`: 0 (not followed),
    `_FOLLOWED`, `_DICT` (followed from where a dict is), `_CLASS` (its own namespace
    followed if defined in one of the namespaces) or `_WRAPPER`."""
    if kind is dict:
        return _DICT
    if kind in _CONTAINERS or issubclass(kind, _DESCRIPTORS):
        return _FOLLOWED
    if issubclass(kind, type):
        return _CLASS
    return _WRAPPER if is_wrapper(kind) else 0
