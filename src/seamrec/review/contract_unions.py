"""Long unions of class names in a contract line, written so that people can read them.

A seam called on many subclasses, or handed many classes of one library, merges every
class seen into one union: django-filter's `BaseFilterSet.qs` took 83 classes as `self`
(most of them `FilterSet`s its tests define inline), a 6,091-character line. From
`MIN_UNION` names on, a contract line shows instead:

- a receiver (``self``) as the seam's own class: ``pkg.mod.Base or a subclass (self)``;
  which subclass called is the test's business, not the contract's;
- names of one package and kind (their first two dotted parts) as their shared prefix
  and suffix once, the differing middles in braces:
  ``django.db.models.fields.{BooleanField, CharField, related.ForeignKey} (opaque)``.

Only the text of contract files and `seamrec show` changes: the change engine compares
the full unions (`SeamContract.entries`)."""

from __future__ import annotations

MIN_UNION = 4  # a union of this many names or more is written folded
SELF = " (self)"
_SUFFIX_STARTS = (",", "]", "[", " ")


def readable_types(types: tuple[str, ...], seam: str) -> tuple[str, ...]:
    """`types` (sorted, as a contract line holds them) folded for reading; unchanged
    below `MIN_UNION` names."""
    if len(types) < MIN_UNION:
        return types
    owner = _owner_class(seam)
    if owner is not None and all(t.endswith(SELF) for t in types):
        return (f"{owner} or a subclass{SELF}",)
    groups: dict[str, list[str]] = {}
    for text in types:
        groups.setdefault(_family_of(text) or text, []).append(text)
    shown: list[str] = []
    for members in groups.values():
        if len(members) < MIN_UNION:
            shown += members
        else:
            shown.append(_braced(members))
    return tuple(shown)


def _owner_class(seam: str) -> str | None:
    """The class a method seam is defined on (`pkg.mod:Cls.meth` -> `pkg.mod.Cls`)."""
    module, colon, qualname = seam.partition(":")
    owner, dot, _ = qualname.rpartition(".")
    if not (colon and dot) or "<" in owner:
        return None
    return f"{module}.{owner}"


def _family_of(text: str) -> str | None:
    """Which names are braced together: the first two parts of a dotted class name, and
    its kind (`(opaque)`); None for a name of fewer than three parts (`int`, `mod.C`)."""
    head = text.split("[", 1)[0].split(" (", 1)[0]
    parts = head.split(".")
    if len(parts) < 3:
        return None
    kind = text[text.rfind(" (") :] if text.endswith(")") and " (" in text else ""
    return ".".join(parts[:2]) + kind


def _braced(members: list[str]) -> str:
    """`prefix{a, b, c}suffix` for names that share a dotted prefix and a suffix."""
    prefix = _common_start(members)
    prefix = prefix[: max(prefix.rfind("."), prefix.rfind("[")) + 1]
    reversed_suffix = _common_start([m[len(prefix) :][::-1] for m in members])
    suffix = reversed_suffix[::-1]
    starts = [i for i, char in enumerate(suffix) if char in _SUFFIX_STARTS]
    suffix = suffix[starts[0] :] if starts else ""
    middles = [m[len(prefix) : len(m) - len(suffix)] for m in members]
    if not all(middles):
        return " | ".join(members)
    return f"{prefix}{{{', '.join(middles)}}}{suffix}"


def _common_start(texts: list[str]) -> str:
    """The longest start every text shares, character by character."""
    first, last = min(texts), max(texts)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]
