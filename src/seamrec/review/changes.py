"""How seam contracts changed between two sets of cassettes, grouped by seam.

Used by ``seamrec diff`` (a git revision against the working tree) and by
``--seams-report`` (the recorded shapes against the live ones of a checking run), so a
reviewer reads the same words in both. A change is *breaking* when code that relied on
the old contract can fail: a key, field or tuple position removed or renamed, a type
changed or widened, a key that is now sometimes missing, a seam or its calls gone, a
seam that now raises or no longer returns. It is *additive* (old code keeps working)
for new keys, new seams, more calls, a narrowed type (`dict | None` → `dict`), a seam
that no longer raises, a list that now has items or no longer has any (an empty list
fits anything when checking). A change explained only by tests that were deleted is
"no longer exercised": coverage was lost, the format did not change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from seamrec.cassette.store import Cassette
from seamrec.model.formats import asserted, label_fits
from seamrec.review.contract import Entry, PathKey, SeamContract, contracts_of, merge_all
from seamrec.review.explain import ITEMS_KEY, format_change, without_formats
from seamrec.runtime.adapters.httpseams import http_path, is_http, status_change
from seamrec.runtime.tape import Finding

BREAKING_KINDS = frozenset(
    {
        "seam removed",
        "key removed",
        "status changed",  # an HTTP response status (`seamrec.runtime.adapters.httpseams`)
        "key renamed?",
        "argument removed",
        "position removed",
        "position added",
        "type changed",
        "format changed",
        "now optional",
        "now raises",
        "no longer returns",
        "no longer yields",
        "calls removed",
        "outcome changed",
        "replay failed",
        "drift",
    }
)
_COVERAGE_KINDS = frozenset({"no longer exercised", "newly exercised"})
_VERBS = {"return": "returns", "raise": "raises", "yield": "yields"}


@dataclass(frozen=True)
class Change:
    """One change of one seam; `tests` says in how many tests it shows. `old` and `new`
    are types; a probable rename also has the new path in `to_path`."""

    seam: str
    kind: str
    path: str = ""
    old: str = ""
    new: str = ""
    tests: int = 0
    detail: str = ""
    to_path: str = ""

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING_KINDS

    @property
    def category(self) -> str:
        """ "breaking", "additive", or "coverage" (only deleted tests had it)."""
        if self.breaking:
            return "breaking"
        return "coverage" if self.kind in _COVERAGE_KINDS else "additive"

    def describe(self) -> str:
        """The change in one line, without the seam."""
        if self.to_path:
            text = f"{self.path} → {self.to_path}   ({self.old})"
        elif self.old and self.new:
            text = f"{self.path}  {self.old} → {self.new}".strip()
        elif self.old:
            text = f"{self.path}   (was {self.old})"
        elif self.new:
            text = f"{self.path}   ({self.new})"
        else:
            text = self.path
        extras = [e for e in (self.detail, in_tests(self.tests)) if e]
        return f"{text}   [{'; '.join(extras)}]" if extras and text else text or "; ".join(extras)

    def to_dict(self) -> dict[str, Any]:
        """For JSON output: the fields and whether the change is breaking."""
        return {**asdict(self), "breaking": self.breaking, "category": self.category}

    def to_record(self) -> dict[str, Any]:
        """Plain data that travels in a test report (xdist) and comes back by `from_record`."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Change:
        return cls(**{name: record[name] for name in _FIELDS if name in record})


_FIELDS = ("seam", "kind", "path", "old", "new", "tests", "detail", "to_path")


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


def contract_changes(seam: str, old: SeamContract, new: SeamContract) -> list[Change]:
    """The path-level changes from one contract of a seam to another."""
    before = {e.key: e for e in old.entries()}
    after = {e.key: e for e in new.entries()}
    retyped = [k for k in before.keys() & after.keys() if before[k].types != after[k].types]
    # below a value that became something else entirely (dict → tuple), keys say no more
    replaced = [k for k in retyped if not set(before[k].types) & set(after[k].types)]
    # a list that is now empty says nothing about the format of its items
    emptied = [k for k in before if k not in after and k[-1] == ITEMS_KEY]
    removed = _topmost(
        k
        for k in before
        if k not in after
        and not _under(k, replaced)
        and k not in emptied
        and not _under(k, emptied)
    )
    added = _topmost(k for k in after if k not in before and not _under(k, replaced))
    changes: list[Change] = []
    for key in list(removed):
        partner = _rename_partner(before[key], [after[k] for k in added])
        if partner is not None:
            added.remove(partner.key)
            removed.remove(key)
            types = without_formats(before[key].type_text)
            path, to_path = before[key].path, partner.path
            changes.append(Change(seam, "key renamed?", path, types, types, to_path=to_path))
    for key in removed:
        kind = _path_kind(key, "removed")
        old_text = without_formats(before[key].type_text)
        changes.append(Change(seam, kind, before[key].path, old=old_text))
    for key in added:
        entry = after[key]
        extra = "optional" if entry.optional else ""
        kind = _path_kind(key, "added")
        new_text = without_formats(entry.type_text)
        changes.append(Change(seam, kind, entry.path, new=new_text, detail=extra))
    for key in retyped:
        was, now = before[key], after[key]
        classes = format_change(was.type_text, now.type_text)
        if classes is not None:
            changes.append(Change(seam, format_kind(*classes), was.path, *classes))
            continue
        kind = "type narrowed" if set(now.types) < set(was.types) else "type changed"
        old_text, new_text = without_formats(was.type_text), without_formats(now.type_text)
        changes.append(Change(seam, kind, was.path, old_text, new_text))
    for key in before.keys() & after.keys():
        was, now = before[key], after[key]
        if was.optional != now.optional:
            kind = "now optional" if now.optional else "now required"
            changes.append(Change(seam, kind, was.path, new=without_formats(now.type_text)))
    return sorted(changes, key=lambda c: (not c.breaking, c.path, c.kind))


_PLAIN_CLASSES = frozenset({"text", "bytes", "int", "float"})  # how drift names "no class"


def format_kind(old: str, new: str) -> str:
    """ "format changed" (breaking) when a live value of the new class would fail a check
    against the old one; "format added" where none was asserted, else "format loosened"
    (a weak class such as ``epoch-s`` or ``int-text`` the new values no longer all have)."""
    olds = [o for o in old.split(" | ") if o not in _PLAIN_CLASSES and asserted(o)]
    if not olds:
        return "format added"
    news = [None if n in _PLAIN_CLASSES else n for n in new.split(" | ")]
    if all(any(label_fits(o, n) for o in olds) for n in news):
        return "format loosened"
    return "format changed"


def _path_kind(key: PathKey, how: str) -> str:
    """ "key removed", "position added", or for a whole outcome "now raises" /
    "no longer returns"."""
    if len(key) == 1:
        verb = _VERBS.get(key[0], key[0])
        return f"now {verb}" if how == "added" else f"no longer {verb}"
    if key[-1] == ITEMS_KEY:  # a list that had no items now has some, or the reverse
        return f"items {how}"
    if len(key) == 2 and key[0] == "args":
        return f"argument {how}"
    return f"{'position' if isinstance(key[-1], int) else 'key'} {how}"


def _under(key: PathKey, parents: list[PathKey]) -> bool:
    """Whether `key` lies below one of `parents` (a retyped value's insides say no more)."""
    return any(len(key) > len(p) and key[: len(p)] == p for p in parents)


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


def _topmost(keys: Iterable[PathKey]) -> list[PathKey]:
    """Drop keys under another key of the set: a removed key's children go with it."""
    chosen: list[PathKey] = []
    for key in sorted(keys, key=len):
        if not _under(key, chosen):
            chosen.append(key)
    return sorted(chosen, key=repr)


def _rename_partner(gone: Entry, candidates: list[Entry]) -> Entry | None:
    """The one added key next to `gone` with the same types, if there is exactly one."""
    same = [e for e in candidates if e.parent == gone.parent and e.types == gone.types]
    return same[0] if len(same) == 1 else None


def in_tests(count: int) -> str:
    """`in 3 tests`, or nothing for no count."""
    return "" if count == 0 else f"in {count} test{'s' if count != 1 else ''}"


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
    old, new = SeamContract(seam), SeamContract(seam)
    old.add_shape(part, finding.recorded_shape)
    new.add_shape(part, finding.live_shape)
    changes = contract_changes(seam, old, new) or [Change(seam, "type changed", part)]
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
