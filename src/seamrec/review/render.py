"""Words for a reviewer: seam changes as text, Markdown (a PR comment) or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from seamrec.review.changes import CATEGORIES, Change, SeamChanges, in_tests

FORMATS = ("text", "markdown", "json")


def render(groups: Sequence[SeamChanges], title: str, fmt: str, notes: Sequence[str] = ()) -> str:
    """`groups` in the format `fmt` ("text", "markdown" or "json"); `notes` say what the
    comparison had to leave out."""
    if fmt == "json":
        return as_json(groups, title, notes)
    if fmt == "markdown":
        return as_markdown(groups, title, notes)
    return as_text(groups, title, notes)


def headline(groups: Sequence[SeamChanges]) -> str:
    """`2 breaking, 1 additive change in 2 seams` (and what is no longer exercised)."""
    if not groups:
        return "no seam changed shape"
    breaking, additive, coverage = (_count(groups, c) for c in CATEGORIES)
    seams = f"{len(groups)} seam{'s' if len(groups) != 1 else ''}"
    changes = f"change{'s' if additive != 1 else ''}"
    lost = f", {coverage} no longer exercised" if coverage else ""
    return f"{breaking} breaking, {additive} additive {changes}{lost} in {seams}"


def _count(groups: Sequence[SeamChanges], category: str) -> int:
    return sum(c.category == category for g in groups for c in g.changes)


_ICONS = {"breaking": "🔴", "additive": "🟡", "coverage": "⚪"}
_TEXT_MARKS = {"breaking": "BREAKING", "additive": "additive", "coverage": "coverage"}
_MARKDOWN_MARKS = {"breaking": "**breaking**", "additive": "additive", "coverage": "coverage"}


def as_text(groups: Sequence[SeamChanges], title: str, notes: Sequence[str] = ()) -> str:
    lines = [f"{title}: {headline(groups)}", *(f"note: {note}" for note in notes)]
    for group in groups:
        lines += ["", group.seam]
        for change in group.changes:
            mark = _TEXT_MARKS[change.category]
            lines.append(f"  {mark}  {change.kind:<15} {change.describe()}".rstrip())
    return "\n".join(lines) + "\n"


def as_markdown(groups: Sequence[SeamChanges], title: str, notes: Sequence[str] = ()) -> str:
    lines = [f"### {_md(title)}", "", f"**{headline(groups)}**"]
    lines += [f"\n> ⚠️ {_md(note)}" for note in notes]
    for group in groups:
        icon = _ICONS[min((c.category for c in group.changes), key=CATEGORIES.index)]
        lines += ["", f"#### {icon} `{group.seam}`", ""]
        lines += ["| | change | where | details |", "|---|---|---|---|"]
        for change in group.changes:
            mark = _MARKDOWN_MARKS[change.category]
            where = f"`{change.path}`" if change.path else ""
            lines.append(f"| {mark} | {change.kind} | {_md(where)} | {_md(_details(change))} |")
    return "\n".join(lines) + "\n"


def as_json(groups: Sequence[SeamChanges], title: str, notes: Sequence[str] = ()) -> str:
    document = {
        "title": title,
        "notes": list(notes),
        "breaking": _count(groups, "breaking"),
        "additive": _count(groups, "additive"),
        "coverage": _count(groups, "coverage"),
        "seams": [
            {
                "seam": g.seam,
                "breaking": g.breaking,
                "changes": [c.to_dict() for c in g.changes],
            }
            for g in groups
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _details(change: Change) -> str:
    parts = []
    if change.to_path:
        parts.append(f"→ `{change.to_path}` ({change.old})")
    elif change.old or change.new:
        parts.append(" → ".join(p for p in (change.old, change.new) if p))
    if change.detail:
        parts.append(change.detail)
    if change.tests:
        parts.append(in_tests(change.tests))
    return "; ".join(parts)


def _md(text: str) -> str:
    """Table-cell safe: pipes and newlines would break the Markdown table."""
    return text.replace("|", "\\|").replace("\n", " ")
