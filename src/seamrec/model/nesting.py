"""Which recorded call happened inside which: kept at record time, read when replaying.

While recording, the call of a seam that is running on the current thread or task is held
in ``ENCLOSING`` (a context variable, so asyncio tasks see the call that started them and
other threads see none). Each new call of a seam notes that enclosing call as its parent.
A cassette keeps the parents of each seam's calls run-length encoded::

    {seam: [[parent_seam, parent_index, step, count], ...]}

``count`` consecutive calls of ``seam`` whose parents are calls ``parent_index``,
``parent_index + step``, ... of ``parent_seam`` (step 0: all inside one call; step 1: one
in each of consecutive calls); ``parent_seam`` is ``""`` for calls made by the test itself.
A seam whose calls are all made by the test has no entry. When a seam is replayed, its
real implementation does not run, so the calls recorded inside its calls (at any depth)
are expected to be absent: ``absent_calls`` names them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from contextvars import ContextVar
from itertools import accumulate
from typing import Any, NamedTuple

Parent = tuple[str, int]  # (seam, index) of the enclosing call

ENCLOSING: ContextVar[Parent | None] = ContextVar("seamrec_enclosing_call", default=None)


class Nest(NamedTuple):
    """`calls` consecutive calls of one seam and the calls of `parent` they were made in."""

    parent: str  # the enclosing seam, "" for calls made by the test itself
    first: int  # index of the enclosing call of the first of them
    step: int  # 0: all in one call; 1: one in each of consecutive calls
    calls: int  # how many consecutive calls


class NestingRecorder:
    """Collects the parent of every call, in the order each seam's calls are numbered.
    The tape notes only the calls made inside another call (`add_at`, under its lock,
    with the position it hands out); the positions between them are calls made by the
    test itself, noted as such when the next nested call or the end (`nesting` with the
    counts) fills the gap. `add` notes every call, one after the other."""

    def __init__(self) -> None:
        self._nests: dict[str, list[list[Any]]] = {}  # [parent, first, step, count]
        # seam -> its last nest while that one holds calls made by the test itself: one
        # more such call adds 1 to its count (index 3), which `add` would do
        self.top_level: dict[str, list[Any]] = {}
        self._noted: dict[str, int] = {}  # seam -> how many of its calls are noted

    def add_at(self, seam: str, parent: Parent, position: int) -> None:
        """Note the parent of call `position` of `seam`; the calls before it that were
        not noted were made by the test itself."""
        noted = self._noted.get(seam, 0)
        if position == noted:  # the steady case of `add`: one more call inside one call
            nests = self._nests.get(seam)
            last = nests[-1] if nests else None
            if (
                last is not None
                and last[2] == 0
                and last[0] == parent[0] != ""
                and last[1] == parent[1]
            ):
                last[3] += 1
                self._noted[seam] = noted + 1
                return
        gap = position - noted
        if gap > 0:
            self._add_top_level(seam, gap)
        self.add(seam, parent)

    def _add_top_level(self, seam: str, calls: int) -> None:
        """Note `calls` more calls of `seam` made by the test itself (`add` each)."""
        nest = self.top_level.get(seam)
        if nest is None:
            self.add(seam, None)
            calls -= 1
            nest = self.top_level[seam]
        nest[3] += calls
        self._noted[seam] += calls

    def add(self, seam: str, parent: Parent | None) -> None:
        """Note the parent of the next call of `seam`."""
        self._noted[seam] = self._noted.get(seam, 0) + 1
        name, index = parent if parent is not None else ("", 0)
        nests = self._nests.get(seam)
        if nests is None:
            nests = self._nests[seam] = []
        elif nests[-1][0] == name:
            last = nests[-1]
            first, step, count = last[1], last[2], last[3]
            if not name or (step == 0 and index == first):
                last[3] = count + 1
                return
            if count == 1 and index == first + 1:
                last[2], last[3] = 1, 2
                return
            if step == 1 and index == first + count:
                last[3] = count + 1
                return
        nest = [name, index, 0, 1]
        nests.append(nest)
        if name:
            self.top_level.pop(seam, None)
        else:
            self.top_level[seam] = nest

    def nesting(
        self, seams: list[str], counts: dict[str, int] | None = None
    ) -> dict[str, list[Nest]]:
        """The parents of the calls of `seams` (in this order), as a cassette keeps them;
        a seam's calls after the last noted one, up to its count in `counts`, were made
        by the test itself."""
        found: dict[str, list[Nest]] = {}
        for seam in seams:
            nests = [Nest(*n) for n in self._nests.get(seam, [])]
            if not any(n.parent for n in nests):
                continue
            rest = (counts or {}).get(seam, 0) - self._noted.get(seam, 0)
            if rest > 0:
                last = nests[-1]
                if last.parent:
                    nests.append(Nest("", 0, 0, rest))
                else:
                    nests[-1] = last._replace(calls=last.calls + rest)
            found[seam] = nests
        return found


def absent_calls(
    nesting: dict[str, list[Nest]], replayed: Callable[[str], bool]
) -> dict[str, set[int]]:
    """The recorded calls of each seam made inside a call of a replayed seam (at any
    depth): a replayed seam is not called, so these calls do not happen."""
    if not any(n.parent and replayed(n.parent) for nests in nesting.values() for n in nests):
        return {}
    tree = _Tree(nesting)
    inside: dict[Parent, bool] = {}
    found: dict[str, set[int]] = {}
    for seam, nests in nesting.items():
        start = 0
        for nest in nests:
            if nest.parent:
                for k in range(nest.calls):
                    if _inside(tree, (nest.parent, nest.first + k * nest.step), replayed, inside):
                        found.setdefault(seam, set()).add(start + k)
            start += nest.calls
    return found


class _Tree:
    """Looks up the parent of a recorded call."""

    def __init__(self, nesting: dict[str, list[Nest]]) -> None:
        self._nesting = nesting
        self._ends = {s: list(accumulate(n.calls for n in ns)) for s, ns in nesting.items()}

    def parent(self, call: Parent) -> Parent | None:
        seam, index = call
        ends = self._ends.get(seam)
        if not ends or index >= ends[-1]:
            return None
        at = bisect_right(ends, index)
        nest = self._nesting[seam][at]
        if not nest.parent:
            return None
        offset = index - (ends[at - 1] if at else 0)
        return nest.parent, nest.first + offset * nest.step


def _inside(
    tree: _Tree, call: Parent, replayed: Callable[[str], bool], known: dict[Parent, bool]
) -> bool:
    """Whether `call` is, or is inside, a call of a replayed seam (walks up; remembers)."""
    chain: list[Parent] = []
    current: Parent | None = call
    answer = False
    while current is not None:
        seen = known.get(current)
        if seen is not None:
            answer = seen
            break
        if replayed(current[0]):
            answer = True
            break
        chain.append(current)
        current = tree.parent(current)
    for link in chain:
        known[link] = answer
    return answer
