"""Explain a shape mismatch in plain words: the changes of a drift failure message and of
``assert_matches``.

The cheap shape comparison in ``shape.compatible`` decides *whether* a seam drifted;
the change engine (`seamrec.review.change_model.compare_shapes`) says *how*. This module gives
it the words of a failure message for the types at a path (``list[int | str]``, ``enum
Color``), and example values from the recorded and live payloads at the same path when
they were kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from seamrec.model.codec import short_repr
from seamrec.model.formats import FORMAT_KINDS
from seamrec.model.shape import Shape
from seamrec.model.views import ExceptionView, ObjectView, RowView, TypedCollectionView
from seamrec.review.change_model import RENAMED, Change, compare_shapes, path_change
from seamrec.review.paths import (
    ARGS_KEY,
    ITEMS_KEY,
    TYPE_KEY,
    leaf_text,
    path_steps,
    render_path,
    type_name,
)

__all__ = ["Change", "explain", "failure_change", "render_path"]

_MISSING = object()


def explain(
    recorded: Shape,
    live: Shape,
    recorded_payload: Any = _MISSING,
    live_payload: Any = _MISSING,
    *,
    part: str | None = None,
) -> list[Change]:
    """The changes that turn `recorded` into `live`, in path order. `part` is where the
    shapes sit: "return", "args" (the default for argument shapes) or "args.<name>" for
    one argument's value; `Change.render` can put them under another root."""
    part = part or ("args" if recorded[0] == "args" else "return")
    changes = compare_shapes("", part, recorded, live, words)
    if not changes:  # shapes that differ where no path can say it
        changes = [path_change("type changed", (part,), words(recorded, ()), words(live, ()))]
    if recorded_payload is not _MISSING and live_payload is not _MISSING:
        changes = [_with_example(c, recorded_payload, live_payload) for c in changes]
    return sorted(changes, key=lambda c: (repr(c.segments), c.kind))


def failure_change(
    kind: str,
    segments: tuple[Any, ...],
    old: str,
    new: str,
    renamed_to: tuple[Any, ...] = (),
    example: str = "",
    root: str = "return",
) -> Change:
    """The change one line of a failure message stands for, at `segments` below `root`;
    a rename keeps its type, so its `new` is `old`."""
    to = (root, *renamed_to) if renamed_to else ()
    new = old if kind == RENAMED else new
    return path_change(kind, (root, *segments), old, new, to, example=example)


def words(shape: Shape, segments: tuple[Any, ...]) -> str:
    """The failure-message words for the types at `segments` below `shape`."""
    union = _members(shape, segments)
    return describe(union_view(union)) if union else "empty"


def _members(shape: Shape, segments: tuple[Any, ...]) -> tuple[Shape, ...]:
    """The shapes found at `segments` below `shape` (through every union member)."""
    found: list[Shape] = []
    pending = [(shape, segments)]
    while pending:
        member, rest = pending.pop()
        if not rest:
            found.append(member)
            continue
        for steps, union in path_steps(member):
            if rest[: len(steps)] == steps:
                pending += [(child, rest[len(steps) :]) for child in union]
    return tuple(dict.fromkeys(found))


def shape_view(shape: Shape) -> Any:
    """A value-free tree of a shape: type names at the leaves, children by segment."""
    kind = shape[0]
    if len(shape) == 1:
        return kind
    if kind in FORMAT_KINDS:
        return leaf_text(shape)
    if kind in ("enum", "opaque", "self"):
        return f"{kind} {type_name(shape)}"
    if kind == "cut":
        return f"<cut: {shape[1]}>"
    view: dict[Any, Any] = {} if kind == "args" else {TYPE_KEY: type_name(shape)}
    if kind == "exc":
        view[ARGS_KEY] = {}
    for steps, union in path_steps(shape):
        if kind == "exc":
            view[ARGS_KEY][steps[1]] = union_view(union)
        else:
            view[steps[0]] = union_view(union)
    return view


def union_view(union: Shape) -> Any:
    """One member's view, `a | b` for several leaves, a list for several composites."""
    if not union:
        return "empty"
    views = [shape_view(s) for s in union]
    if len(views) == 1:
        return views[0]
    if all(isinstance(v, str) for v in views):
        return " | ".join(sorted(views))
    return sorted(views, key=repr)


def describe(view: Any) -> str:
    """A short type description of a shape view: ``dict``, ``list[int | str]``."""
    if isinstance(view, str):
        return view
    if isinstance(view, dict):
        name = str(view.get(TYPE_KEY, "dict"))
        if name in ("list", "set", "frozenset", "tuple") and ITEMS_KEY in view:
            return f"{name}[{describe(view[ITEMS_KEY])}]"
        return name
    if isinstance(view, list):
        return " | ".join(describe(v) for v in view)
    return type(view).__name__


def _with_example(change: Change, recorded_payload: Any, live_payload: Any) -> Change:
    if change.kind not in ("type changed", "format changed"):
        return change
    old_candidates = _candidates(recorded_payload, change.segments)
    new_candidates = _candidates(live_payload, change.segments)
    if change.kind == "format changed":
        old = old_candidates[0] if old_candidates else _MISSING
        new = _differing(new_candidates, old_candidates)
    else:
        old = _example(old_candidates, change.old, change.new)
        new = _example(new_candidates, change.new, change.old)
    if old is _MISSING or new is _MISSING:
        return change
    example = f"{short_repr(old)} → {short_repr(new)}"
    return replace(change, example=example)


def _differing(candidates: list[Any], others: list[Any]) -> Any:
    """A live candidate that was not recorded (a changed format), else the first."""
    for candidate in candidates:
        if candidate not in others:
            return candidate
    return candidates[0] if candidates else _MISSING


def _example(candidates: list[Any], type_name: str, other: str) -> Any:
    """A candidate of a type this side has and the other lacks, else of this side's type,
    else the first one."""
    mine, theirs = type_name.split(" | "), other.split(" | ")
    for wanted in ([t for t in mine if t not in theirs], mine):
        for candidate in candidates:
            if _type_name(candidate) in wanted:
                return candidate
    return candidates[0] if candidates else _MISSING


def _type_name(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, ObjectView | RowView | TypedCollectionView):
        return value.type_path
    return type(value).__name__


def _candidates(value: Any, segments: Sequence[Any], limit: int = 50) -> list[Any]:
    """The values at a path; `[*]` fans out to every element (up to `limit`)."""
    found = [value]
    for segment in segments:
        following: list[Any] = []
        for item in found:
            if segment == ITEMS_KEY:
                following.extend(_elements(item))
            else:
                step = _step(item, segment)
                if step is not _MISSING:
                    following.append(step)
        found = following[:limit]
    return found


def _elements(value: Any) -> list[Any]:
    if isinstance(value, TypedCollectionView):
        value = value.as_python()
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return []


def _step(value: Any, segment: Any) -> Any:
    if isinstance(value, TypedCollectionView):
        value = value.as_python()
    if isinstance(segment, str) and segment.startswith("."):
        name = segment[1:]
        if isinstance(value, ObjectView):
            return dict(value.fields).get(name, _MISSING)
        if isinstance(value, RowView):
            return dict(zip(value.columns, value.values, strict=True)).get(name, _MISSING)
        return _MISSING
    if segment == ARGS_KEY:
        return value.args if isinstance(value, ExceptionView) else _MISSING
    if isinstance(value, RowView):
        return dict(zip(value.columns, value.values, strict=True)).get(segment, _MISSING)
    if isinstance(value, dict):
        return value.get(segment, _MISSING)
    if isinstance(segment, int) and isinstance(value, tuple | list) and segment < len(value):
        return value[segment]
    return _MISSING
