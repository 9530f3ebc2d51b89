"""How seam contracts changed between two sets of cassettes, grouped by seam.

Used by ``seamrec diff`` (a git revision against the working tree) and by
``--seams-report`` (the recorded shapes against the live ones of a checking run), so a
reviewer reads the same words in both; the changes themselves, and what makes one
breaking, come from the one change model (`seamrec.review.change_model`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from seamrec.cassette.store import Cassette
from seamrec.review.change_model import (
    BREAKING_KINDS,
    Change,
    compare_shapes,
    contract_changes,
    format_kind,
    in_tests,
)
from seamrec.review.contract import SeamContract, contracts_of, merge_all
from seamrec.review.http_text import http_path, status_change
from seamrec.runtime.adapters.httpseams import is_http
from seamrec.runtime.tape import Finding

__all__ = [
    "BREAKING_KINDS",
    "CATEGORIES",
    "Change",
    "SeamChanges",
    "Snapshot",
    "compare",
    "contract_changes",
    "finding_changes",
    "format_kind",
    "group_reported",
    "in_tests",
]


@dataclass
class SeamChanges:
    """Every change of one seam."""

    seam: str
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


@dataclass(frozen=True)
class Snapshot:
    """Per-test contracts of a set of cassettes (one side of a comparison)."""

    tests: dict[str, dict[str, SeamContract]]

    @classmethod
    def of(cls, cassettes: Iterable[Cassette]) -> Snapshot:
        return cls({c.test: contracts_of(c) for c in cassettes})

    def merged(self) -> dict[str, SeamContract]:
        return merge_all(self.tests.values())


def compare(base: Snapshot, head: Snapshot) -> list[SeamChanges]:
    """What changed from `base` to `head`, grouped by seam, breaking seams first.

    Format changes are found test by test, over the tests on both sides, and counted:
    a merged contract would hide a key one test lost while another test still has it.
    What only deleted tests had is "no longer exercised", what only new tests show is
    "newly exercised" (coverage). A seam no test on both sides calls is compared over all
    its tests, with a note that its tests were replaced."""
    shared = sorted(set(base.tests) & set(head.tests))
    old_all, new_all = base.merged(), head.merged()
    old_shared = merge_all(base.tests[t] for t in shared)
    new_shared = merge_all(head.tests[t] for t in shared)
    per_test = _per_test_changes(base, head, shared)
    grouped: dict[str, SeamChanges] = {}
    for seam in sorted(set(old_all) | set(new_all)):
        group = grouped.setdefault(seam, SeamChanges(seam))
        if seam not in old_all:
            group.changes.append(Change(seam, "seam added", tests=len(new_all[seam].tests)))
            continue
        if seam not in new_all:
            group.changes.append(_seam_gone(seam, old_all[seam], old_shared.get(seam)))
            continue
        if seam in old_shared and seam in new_shared:
            changes = [replace(c, tests=n) for c, n in per_test.get(seam, Counter()).items()]
            changes += _coverage(
                seam, old_all[seam], old_shared[seam], new_shared[seam], new_all[seam], changes
            )
        else:  # every test calling it was added or deleted (renamed tests?)
            replaced = "its tests were replaced: compared over all of them"
            changes = [
                replace(c, detail="; ".join(d for d in (c.detail, replaced) if d))
                for c in contract_changes(seam, old_all[seam], new_all[seam])
            ]
        group.changes += sorted(changes, key=lambda c: (_RANK[c.category], c.path, c.kind))
        group.changes += _call_changes(seam, base, head, shared)
    found = [http_words(g) if is_http(g.seam) else g for g in grouped.values() if g.changes]
    return sorted(found, key=lambda g: (not g.breaking, g.seam))


def http_words(group: SeamChanges) -> SeamChanges:
    """An HTTP seam's changes with their paths in HTTP terms (`response[201].json['id']`),
    a renamed status as `status changed`."""
    changes = []
    for c in group.changes:
        status = status_change(c.path, c.to_path) if c.kind == "key renamed?" else None
        if status is not None:
            changes.append(
                replace(c, kind="status changed", path=status, to_path="", old="", new="")
            )
        else:
            changes.append(replace(c, path=http_path(c.path), to_path=http_path(c.to_path)))
    return SeamChanges(group.seam, changes)


CATEGORIES = ("breaking", "additive", "coverage")  # in the order they are listed
_RANK = {category: rank for rank, category in enumerate(CATEGORIES)}


def _per_test_changes(
    base: Snapshot, head: Snapshot, shared: list[str]
) -> dict[str, Counter[Change]]:
    """Each seam's changes in the tests on both sides, with how many tests show each."""
    found: dict[str, Counter[Change]] = {}
    for test in shared:
        before, after = base.tests[test], head.tests[test]
        for seam in set(before) & set(after):
            if before[seam].paths == after[seam].paths:
                continue  # most tests of a change did not change
            counter = found.setdefault(seam, Counter())
            counter.update(contract_changes(seam, before[seam], after[seam]))
    return found


def _coverage(
    seam: str,
    old_all: SeamContract,
    old_shared: SeamContract,
    new_shared: SeamContract,
    new_all: SeamContract,
    changes: list[Change],
) -> list[Change]:
    """What only deleted tests had, and what only new tests show, at paths the format
    changes do not already mention."""
    mentioned = {c.path for c in changes} | {c.to_path for c in changes}
    lost = [c for c in contract_changes(seam, old_all, old_shared) if c.path not in mentioned]
    gained = [c for c in contract_changes(seam, new_shared, new_all) if c.path not in mentioned]
    return [_no_longer_exercised(c) for c in lost] + [_newly_exercised(c) for c in gained]


def _seam_gone(seam: str, old: SeamContract, kept: SeamContract | None) -> Change:
    """A seam no test calls any more: breaking if a test that still exists used to."""
    if kept is None:
        return Change(
            seam,
            "no longer exercised",
            detail=f"only deleted tests called it: {_was_in(old.tests)}",
        )
    return Change(seam, "seam removed", tests=len(kept.tests), detail=_was_in(kept.tests))


def _newly_exercised(change: Change) -> Change:
    return _as_coverage(change, "newly exercised", "seen only in new tests")


def _no_longer_exercised(change: Change) -> Change:
    return _as_coverage(replace(change, new=""), "no longer exercised", "but only in deleted tests")


def _as_coverage(change: Change, kind: str, why: str) -> Change:
    """A change that tests added or deleted explain: coverage, its own kind in the detail."""
    return replace(change, kind=kind, to_path="", tests=0, detail=f"{change.kind}, {why}")


def _call_changes(
    seam: str, base: Snapshot, head: Snapshot, shared_tests: list[str]
) -> list[Change]:
    fewer: list[str] = []
    more: list[str] = []
    for test in shared_tests:
        was = base.tests[test].get(seam)
        now = head.tests[test].get(seam)
        old_count, new_count = was.calls if was else 0, now.calls if now else 0
        if new_count < old_count:
            fewer.append(f"{test}: {old_count} → {new_count}")
        elif new_count > old_count:
            more.append(f"{test}: {old_count} → {new_count}")
    changes = []
    if fewer:
        changes.append(Change(seam, "calls removed", tests=len(fewer), detail=_listed(fewer)))
    if more:
        changes.append(Change(seam, "calls added", tests=len(more), detail=_listed(more)))
    return changes


def _was_in(tests: set[str]) -> str:
    return _listed(sorted(tests))


def _listed(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, and {len(items) - limit} more"


def finding_changes(finding: Finding) -> list[Change]:
    """The changes one drift finding of a checking or replaying run stands for."""
    seam, part = finding.seam, finding.part
    if part == "missing":  # how many calls is in each test's failure message
        return [Change(seam, "calls removed")]
    if part == "unrecorded":
        return [Change(seam, "calls added")]
    if part == "replay":
        return [Change(seam, "replay failed", detail=finding.message)]
    if part == "outcome":
        was, now = finding.recorded_outcome, finding.live_outcome
        if now == "raise":
            return [Change(seam, "now raises", "raise", was, now)]
        if was == "raise":
            return [Change(seam, "no longer raises", "raise", was, now)]
        return [Change(seam, "outcome changed", old=was, new=now)]
    if finding.recorded_shape is None or finding.live_shape is None:
        return [Change(seam, "type changed", part)]
    found = compare_shapes(seam, part, finding.recorded_shape, finding.live_shape)
    changes = sorted(found, key=lambda c: (not c.breaking, c.path, c.kind))
    changes = changes or [Change(seam, "type changed", part)]
    return http_words(SeamChanges(seam, changes)).changes if is_http(seam) else changes


def group_reported(changes: Iterable[tuple[str, Change]]) -> list[SeamChanges]:
    """Changes reported by tests (test id, change), the same change counted once per test."""
    tests: dict[Change, set[str]] = {}
    for test, change in changes:
        tests.setdefault(change, set()).add(test)
    grouped: dict[str, SeamChanges] = {}
    for change, where in tests.items():
        counted = replace(change, tests=len(where))
        grouped.setdefault(change.seam, SeamChanges(change.seam)).changes.append(counted)
    for group in grouped.values():
        group.changes.sort(key=lambda c: (not c.breaking, c.path, c.kind, c.detail))
    return sorted(grouped.values(), key=lambda g: (not g.breaking, g.seam))
