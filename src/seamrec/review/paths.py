"""Paths into a payload and the type words shown at them, shared by contracts, the change
engine and its renderers.

A path is a key ``(root, *segments)``: the root is the part ("args", "return", "raise",
"yield"), a segment a dict key or column, ``.field`` for an attribute, an int for a
tuple position, or a marker of `seamrec.model.paths`. ``render_path`` writes it the way every
message shows it: ``return['order'][*].total``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seamrec.model.formats import FORMAT_KINDS
from seamrec.model.formats import describe as describe_format
from seamrec.model.paths import ARGS_KEY as ARGS_KEY
from seamrec.model.paths import ITEMS_KEY as ITEMS_KEY
from seamrec.model.paths import KEYS_KEY as KEYS_KEY
from seamrec.model.paths import VALUES_KEY as VALUES_KEY
from seamrec.model.paths import render_path as render_path
from seamrec.model.shape import Shape
from seamrec.model.shape_types import children as children
from seamrec.model.shape_types import with_children as _with_children

TYPE_KEY = "<type>"
PathKey = tuple[Any, ...]  # (root, *segments)


def leaf_text(shape: Shape) -> str:
    """A format-bearing leaf's type text: ``str<hex(32)>``."""
    return f"{shape[0]}<{shape[1]}>" if len(shape) == 2 else str(shape[0])


def without_formats(text: str) -> str:
    """A type text without format classes: ``int | str<uuid>`` → ``int | str``; a type or
    key change says which types changed, the classes add nothing there."""
    if "<" not in text:
        return text
    parts = [_base(t) for t in text.split(" | ")]
    return " | ".join(dict.fromkeys(parts))


def format_change(old: str, new: str) -> tuple[str, str] | None:
    """(old class, new class) when two type texts (``str<hex(32)> | None`` → ``str |
    None``) differ only in the format class of their leaves, else None."""
    old_parts, new_parts = old.split(" | "), new.split(" | ")
    old_bases = [_base(t) for t in old_parts]
    if sorted(old_bases) != sorted(_base(t) for t in new_parts):
        return None
    was = [_class_of(t) for t in old_parts if t not in new_parts]
    now = [_class_of(t) for t in new_parts if t not in old_parts]
    if not was and not now:
        return None
    return " | ".join(was) or "text", " | ".join(now) or "text"


def shown_types(text: str) -> str:
    """A type text for people: observations (``str<~token(22)>``) assert nothing and
    show as their plain type."""
    if "<~" not in text:
        return text
    parts = [_base(t) if "<~" in t else t for t in text.split(" | ")]
    return " | ".join(dict.fromkeys(parts))


def _base(text: str) -> str:
    kind, _, label = text.partition("<")
    return kind if label.endswith(">") and kind in FORMAT_KINDS else text


def _class_of(text: str) -> str:
    kind, _, label = text.partition("<")
    if not label.endswith(">"):
        return "text" if kind == "str" else kind
    return describe_format(label[:-1])


# Reading shapes: through `seamrec.model.shape_types` (`children`, `with_children`).


def with_children(shape: Shape, unions: Sequence[Shape]) -> Shape:
    """`shape` with new child unions, in `children` order."""
    return _with_children(shape, tuple(unions))


def type_name(shape: Shape) -> str | None:
    """The type a composite or typed shape names (`dict`, `app.models.User`); None for a
    plain leaf and for arguments."""
    return None if len(shape) < 2 or shape[0] in ("args", "cut", *FORMAT_KINDS) else shape[1]


def path_steps(shape: Shape) -> list[tuple[tuple[Any, ...], Shape]]:
    """`children` with the segments a path shows for them: `.field` for an attribute or a
    namedtuple field, `.args` and the position for an exception's arguments."""
    kind = shape[0]
    if kind in ("obj", "ntuple"):
        return [((f".{name}",), union) for name, union in children(shape)]
    if kind == "exc":
        return [((ARGS_KEY, i), union) for i, union in children(shape)]
    return [((step,), union) for step, union in children(shape)]
