"""One change model: `Change`, and the one engine that finds changes between two shapes
or two contracts.

Two shapes or two contracts are flattened into tables of paths
(`seamrec.review.contract`) and compared by `diff_tables`, with one rename rule and one
rule for what a changed type hides. Every reader of a change takes it from here: drift
failure messages and ``assert_matches`` (`seamrec.review.explain` words them), ``seamrec
diff`` and ``--seams-report`` (`seamrec.review.changes` groups them by seam,
`seamrec.review.render` words them).

A change is *breaking* when code that relied on the old contract can fail: a key, field
or tuple position removed or renamed, a type changed or widened, a key that is now
sometimes missing, a seam or its calls gone, a seam that now raises or no longer returns.
It is *additive* (old code keeps working) for new keys, new seams, more calls, a narrowed
type (`dict | None` → `dict`), a seam that no longer raises, a list that now has items or
no longer has any (an empty list fits anything when checking). A change explained only by
tests that were deleted is "no longer exercised": coverage was lost, the format did not
change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from seamrec.model.formats import asserted, label_fits
from seamrec.model.shape import Shape, canonical, canonical_union, fits, fits_union
from seamrec.review.contract import Entry, SeamContract
from seamrec.review.paths import (
    ITEMS_KEY,
    PathKey,
    children,
    format_change,
    render_path,
    type_name,
    with_children,
    without_formats,
)

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
RENAMED = "key renamed?"


@dataclass(frozen=True)
class Change:
    """One change of one seam.

    `path` says where in the seam's words (`return['user']['id']`, `response[201].json`);
    `old` and `new` are the types before and after (a probable rename keeps its type in
    both and has its new path in `to_path`). `tests` counts the tests that show it,
    `detail` says anything else, `example` holds example values for a failure message
    (`10 → '10.00'`). `at` and `to` are the paths as keys, (root, *segments), for the
    renderers that need their parts; they are not part of a change's identity.
    """

    seam: str
    kind: str
    path: str = ""
    old: str = ""
    new: str = ""
    tests: int = 0
    detail: str = ""
    to_path: str = ""
    example: str = ""
    at: PathKey = field(default=(), compare=False)
    to: PathKey = field(default=(), compare=False)

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING_KINDS

    @property
    def category(self) -> str:
        """ "breaking", "additive", or "coverage" (only deleted tests had it)."""
        if self.breaking:
            return "breaking"
        return "coverage" if self.kind in _COVERAGE_KINDS else "additive"

    @property
    def segments(self) -> tuple[Any, ...]:
        """The path below its root (the part): `("user", "id")` for `args.user['id']`."""
        return self.at[1:]

    @property
    def renamed_to(self) -> tuple[Any, ...]:
        """The segments of a probable rename's new path."""
        return self.to[1:]

    def describe(self) -> str:
        """The change in one line for a review, without the seam or its kind."""
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

    def render(self, root: str | None = None) -> str:
        """One line of a failure message, its path under `root` ("args", "return", "raise",
        "yield"; by default the change's own)."""
        if root is None:  # a change built from words alone is shown at its path
            root = self.at[0] if self.at else self.path
        path = render_path(root, self.segments)
        if self.to:
            line = f"{self.kind}  {path} → {render_path(root, self.renamed_to)}   ({self.old})"
        elif self.old and self.new:
            line = f"{self.kind}  {path}  {self.old} → {self.new}"
        else:  # `key removed   ` and `key added     ` line up with `type changed  `
            gap = " " * max(2, 14 - len(self.kind))
            was = f"was {self.old}" if self.old else self.new
            line = f"{self.kind}{gap}{path}   ({was})"
        return f"{line}   {self.example}" if self.example else line

    def to_dict(self) -> dict[str, Any]:
        """For JSON output: the fields and whether the change is breaking."""
        return {**self.to_record(), "breaking": self.breaking, "category": self.category}

    def to_record(self) -> dict[str, Any]:
        """Plain data that travels in a test report (xdist) and comes back by `from_record`."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Change:
        return cls(**{name: record[name] for name in _FIELDS if name in record})


_FIELDS = ("seam", "kind", "path", "old", "new", "tests", "detail", "to_path")


def path_change(
    kind: str,
    at: PathKey,
    old: str = "",
    new: str = "",
    to: PathKey = (),
    *,
    seam: str = "",
    detail: str = "",
    example: str = "",
) -> Change:
    """A change at a path key, its `path` (and `to_path`) written from the key."""
    to_path = render_path(to[0], to[1:]) if to else ""
    return Change(
        seam, kind, render_path(at[0], at[1:]), old, new, 0, detail, to_path, example, at, to
    )


def contract_changes(seam: str, old: SeamContract, new: SeamContract) -> list[Change]:
    """The path-level changes from one contract of a seam to another, breaking first."""
    changes = diff_tables(seam, Table.of_contract(old), Table.of_contract(new))
    return sorted(changes, key=lambda c: (not c.breaking, c.path, c.kind))


TypeWords = Callable[[Shape, tuple[Any, ...]], str]  # (shape, segments below it) → type text


@dataclass(frozen=True)
class Table:
    """One side of a comparison: a contract's lines by path, and the words for the types at
    a path (a contract's type names, or a failure message's ``list[int | str]``)."""

    entries: dict[PathKey, Entry]
    words: Callable[[PathKey], str]

    @classmethod
    def of_contract(cls, contract: SeamContract) -> Table:
        entries = {e.key: e for e in contract.entries()}
        return cls(entries, lambda key: entries[key].type_text)

    @classmethod
    def of_shape(cls, part: str, shape: Shape, words: TypeWords | None = None) -> Table:
        """The table of one shape of `part` ("return", "args", or "args.<name>" for one
        argument's value)."""
        root, _, name = part.partition(".")
        contract = SeamContract("")
        contract.add_shape(f"{root}.{name}" if name else root, shape)
        entries = {e.key: e for e in contract.entries(ordered=False)}
        if name:  # the shape of one argument: its paths are under `args.<name>`
            entries = {
                (root, name, *k[1:]): replace(e, key=(root, name, *k[1:]))
                for k, e in entries.items()
            }
        prefix = 2 if name else 1
        if words is None:
            return cls(entries, lambda key: entries[key].type_text)
        return cls(entries, lambda key: words(shape, key[prefix:]))


def compare_shapes(
    seam: str, part: str, recorded: Shape, live: Shape, words: TypeWords | None = None
) -> list[Change]:
    """The changes from a recorded shape of `part` to a live one; the parts of `live` that
    fit `recorded` (a narrower union, an empty list, an unasserted format) are no change."""
    old = canonical(recorded)
    new = align(old, canonical(live))
    return diff_tables(seam, Table.of_shape(part, old, words), Table.of_shape(part, new, words))


def diff_tables(seam: str, before: Table, after: Table) -> list[Change]:
    """The changes from `before` to `after`. Below a value that became something else
    entirely (dict → tuple, one dataclass → another) nothing more is said; a removed or
    added key's children go with it; a list that is now empty says nothing about the
    format of its items. A removed key is "renamed?" when exactly one added key next to it
    reads the same all the way down."""
    old, new = before.entries, after.entries
    retyped = [k for k in old.keys() & new.keys() if old[k].types != new[k].types]
    replaced = [k for k in retyped if not set(old[k].types) & set(new[k].types)]
    emptied = [k for k in old if k not in new and k[-1] == ITEMS_KEY]
    hidden = replaced + emptied
    removed = _topmost(
        k for k in old if k not in new and k not in emptied and not _under(k, hidden)
    )
    added = _topmost(k for k in new if k not in old and not _under(k, replaced))
    changes: list[Change] = []
    for key in list(removed):
        partner = _rename_partner(key, old, added, new)
        if partner is not None:
            added.remove(partner)
            removed.remove(key)
            types = without_formats(before.words(key))
            changes.append(path_change(RENAMED, key, types, types, partner, seam=seam))
    for key in removed:
        old_text = without_formats(before.words(key))
        changes.append(path_change(_path_kind(key, "removed"), key, old_text, seam=seam))
    for key in added:
        detail = "optional" if new[key].optional else ""
        new_text = without_formats(after.words(key))
        changes.append(
            path_change(_path_kind(key, "added"), key, new=new_text, seam=seam, detail=detail)
        )
    for key in retyped:
        if _under(key, replaced):
            continue
        was, now = before.words(key), after.words(key)
        classes = format_change(was, now)
        if classes is not None:
            changes.append(path_change(format_kind(*classes), key, *classes, seam=seam))
            continue
        kind = "type narrowed" if set(new[key].types) < set(old[key].types) else "type changed"
        changes.append(
            path_change(kind, key, without_formats(was), without_formats(now), seam=seam)
        )
    for key in old.keys() & new.keys():
        if old[key].optional != new[key].optional and not _under(key, replaced):
            kind = "now optional" if new[key].optional else "now required"
            changes.append(path_change(kind, key, new=without_formats(after.words(key)), seam=seam))
    return changes


def align(recorded: Shape, live: Shape) -> Shape:
    """`live` with every part that fits `recorded` replaced by the recorded part (both
    canonical)."""
    if fits(recorded, live):
        return recorded
    kind = recorded[0]
    if kind != live[0] or type_name(recorded) != type_name(live):
        return live
    old_children = dict(children(recorded))
    new_children = children(live)
    if not new_children or (kind in ("tuple", "exc") and len(old_children) != len(new_children)):
        return live
    unions = [
        _align_union(old_children[step], union) if step in old_children else union
        for step, union in new_children
    ]
    return with_children(live, unions)


def _align_union(recorded: Shape, live: Shape) -> Shape:
    if fits_union(recorded, live):
        return recorded
    if len(recorded) == 1 and len(live) == 1:
        return (align(recorded[0], live[0]),)
    return canonical_union(live)


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


def _topmost(keys: Iterable[PathKey]) -> list[PathKey]:
    """Drop keys under another key of the set: a removed key's children go with it."""
    chosen: list[PathKey] = []
    for key in sorted(keys, key=len):
        if not _under(key, chosen):
            chosen.append(key)
    return sorted(chosen, key=repr)


def _rename_partner(
    gone: PathKey, before: dict[PathKey, Entry], added: list[PathKey], after: dict[PathKey, Entry]
) -> PathKey | None:
    """The one added key next to `gone` whose value reads the same all the way down (the
    same types and keys at every path below it), if there is exactly one."""
    neighbours = [k for k in added if k[:-1] == gone[:-1]]
    if not neighbours:
        return None
    mine = _subtree(gone, before)
    same = [k for k in neighbours if _subtree(k, after) == mine]
    return same[0] if len(same) == 1 else None


def _subtree(key: PathKey, entries: dict[PathKey, Entry]) -> set[tuple[Any, ...]]:
    """Every line at or below `key`, with its path relative to `key`."""
    size = len(key)
    return {(k[size:], e.types, e.optional) for k, e in entries.items() if k[:size] == key}


def in_tests(count: int) -> str:
    """`in 3 tests`, or nothing for no count."""
    return "" if count == 0 else f"in {count} test{'s' if count != 1 else ''}"
