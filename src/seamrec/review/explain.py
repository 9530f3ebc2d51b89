"""Explain a shape mismatch in plain words (the only module that imports deepdiff).

The cheap shape comparison in ``shape.compatible`` decides *whether* a seam drifted;
this module says *how*. Both shapes are turned into small value-free trees (type names
at the leaves), the parts that still fit are aligned away, and deepdiff reports the
rest: keys removed, added or probably renamed, and types changed. Example values come
from the recorded and live payloads at the same path when they were kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from seamrec.model.codec import (
    ExceptionView,
    ObjectView,
    RowView,
    TypedCollectionView,
    short_repr,
)
from seamrec.model.formats import FORMAT_KINDS
from seamrec.model.formats import describe as describe_format
from seamrec.model.shape import Shape, canonical, canonical_union, fits, fits_union

TYPE_KEY = "<type>"
ITEMS_KEY = "<items>"
KEYS_KEY = "<keys>"
VALUES_KEY = "<values>"
ARGS_KEY = "<args>"
_MISSING = object()
_SEGMENT_TEXT = {KEYS_KEY: ".keys()", VALUES_KEY: ".values()", ARGS_KEY: ".args"}


@dataclass(frozen=True)
class Change:
    """One way a seam's payload changed shape, at a path below the part that drifted."""

    kind: str  # "type changed" | "format changed" | "key removed" | "key added" | ...
    segments: tuple[Any, ...]
    old: str
    new: str
    renamed_to: tuple[Any, ...] = ()
    example: str = ""

    def render(self, root: str) -> str:
        """One line for a failure message; `root` is "args", "return", "raise" or "yield"."""
        path = render_path(root, self.segments)
        if self.kind == "key renamed?":
            line = f"key renamed?  {path} → {render_path(root, self.renamed_to)}   ({self.old})"
        elif self.kind == "type changed":
            line = f"type changed  {path}  {self.old} → {self.new}"
        elif self.kind == "format changed":
            line = f"format changed  {path}  {self.old} → {self.new}"
        elif self.kind == "key removed":
            line = f"key removed   {path}   (was {self.old})"
        else:
            line = f"key added     {path}   ({self.new})"
        return f"{line}   {self.example}" if self.example else line


def explain(
    recorded: Shape, live: Shape, recorded_payload: Any = _MISSING, live_payload: Any = _MISSING
) -> list[Change]:
    """The changes that turn `recorded` into `live`, most specific paths first."""
    old, new = canonical(recorded), canonical(live)
    new = align(old, new)
    old_view, new_view = shape_view(old), shape_view(new)
    if old_view == new_view:
        return [Change("type changed", (), describe(old_view), describe(new_view))]
    tree = DeepDiff(old_view, new_view, view="tree", threshold_to_diff_deeper=0)
    changes: list[Change] = []
    retyped: list[list[Any]] = []
    removed: list[tuple[list[Any], Any]] = []
    added: list[tuple[list[Any], Any]] = []
    for report_type, levels in tree.items():
        for level in levels:
            segments = list(level.path(output_format="list"))
            if segments and segments[-1] == TYPE_KEY:
                retyped.append(segments[:-1])
                changes.append(_type_change(segments[:-1], level.t1, level.t2, old_view, new_view))
            elif report_type in ("values_changed", "type_changes"):
                retyped.append(segments)
                changes.append(_type_change(segments, level.t1, level.t2, old_view, new_view))
            elif report_type.endswith("_removed"):
                removed.append((segments, level.t1))
            elif report_type.endswith("_added"):
                added.append((segments, level.t2))
    changes += _key_changes(removed, added, retyped)
    changes = [c for c in changes if not _under_retyped(c, retyped)]
    if recorded_payload is not _MISSING and live_payload is not _MISSING:
        changes = [_with_example(c, recorded_payload, live_payload) for c in changes]
    return sorted(changes, key=lambda c: (repr(c.segments), c.kind))


def _type_change(segments: list[Any], old: Any, new: Any, old_view: Any, new_view: Any) -> Change:
    old_at, new_at = _navigate(old_view, segments), _navigate(new_view, segments)
    old_text = describe(old_at if old_at is not _MISSING else old)
    new_text = describe(new_at if new_at is not _MISSING else new)
    classes = format_change(old_text, new_text)
    if classes is not None:
        return Change("format changed", tuple(segments), *classes)
    return Change(
        "type changed", tuple(segments), without_formats(old_text), without_formats(new_text)
    )


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


def _base(text: str) -> str:
    kind, _, label = text.partition("<")
    return kind if label.endswith(">") and kind in FORMAT_KINDS else text


def _class_of(text: str) -> str:
    kind, _, label = text.partition("<")
    if not label.endswith(">"):
        return "text" if kind == "str" else kind
    return describe_format(label[:-1])


def leaf_text(shape: Shape) -> str:
    """A format-bearing leaf's type text: ``str<hex(32)>``."""
    return f"{shape[0]}<{shape[1]}>" if len(shape) == 2 else str(shape[0])


def shown_types(text: str) -> str:
    """A type text for people: observations (``str<~token(22)>``) assert nothing and
    show as their plain type."""
    if "<~" not in text:
        return text
    parts = [_base(t) if "<~" in t else t for t in text.split(" | ")]
    return " | ".join(dict.fromkeys(parts))


def _key_changes(
    removed: list[tuple[list[Any], Any]],
    added: list[tuple[list[Any], Any]],
    retyped: list[list[Any]],
) -> list[Change]:
    changes: list[Change] = []
    unmatched_added = list(added)
    for segments, old in removed:
        partner = next(
            (a for a in unmatched_added if a[0][:-1] == segments[:-1] and a[1] == old), None
        )
        if partner is not None:
            unmatched_added.remove(partner)
            old_text = without_formats(describe(old))
            changes.append(Change("key renamed?", tuple(segments), old_text, "", tuple(partner[0])))
        else:
            changes.append(
                Change("key removed", tuple(segments), without_formats(describe(old)), "")
            )
    for segments, new in unmatched_added:
        changes.append(Change("key added", tuple(segments), "", without_formats(describe(new))))
    return changes


def _under_retyped(change: Change, retyped: list[list[Any]]) -> bool:
    """Changes inside a value whose own type changed say nothing more."""
    here = list(change.segments)
    return any(len(here) > len(p) and here[: len(p)] == p for p in retyped)


def align(recorded: Shape, live: Shape) -> Shape:
    """`live` with every part that fits `recorded` replaced by the recorded part."""
    if fits(recorded, live):
        return recorded
    kind = recorded[0]
    if kind != live[0] or len(recorded) < 3:
        return live
    if kind in ("dict", "obj", "row", "ntuple") and recorded[1] == live[1]:
        old_fields = dict(zip(recorded[2], recorded[3], strict=True))
        unions = tuple(
            _align_union(old_fields[k], u) if k in old_fields else u
            for k, u in zip(live[2], live[3], strict=True)
        )
        return (kind, live[1], live[2], unions)
    if kind == "args":
        old_fields = dict(zip(recorded[1], recorded[2], strict=True))
        unions = tuple(
            _align_union(old_fields[k], u) if k in old_fields else u
            for k, u in zip(live[1], live[2], strict=True)
        )
        return ("args", live[1], unions)
    if kind == "coll" and recorded[1] == live[1]:
        return ("coll", live[1], _align_union(recorded[2], live[2]))
    if kind in ("tuple", "exc") and recorded[1] == live[1] and len(recorded[2]) == len(live[2]):
        return (kind, live[1], tuple(map(_align_union, recorded[2], live[2])))
    return live


def _align_union(recorded: Shape, live: Shape) -> Shape:
    if fits_union(recorded, live):
        return recorded
    if len(recorded) == 1 and len(live) == 1:
        return (align(recorded[0], live[0]),)
    return canonical_union(live)


def shape_view(shape: Shape) -> Any:
    """A value-free tree deepdiff can compare: type names at the leaves."""
    kind = shape[0]
    if len(shape) == 1:
        return kind
    if kind in FORMAT_KINDS:
        return leaf_text(shape)
    if kind in ("enum", "opaque", "self"):
        return f"{kind} {shape[1]}"
    if kind == "cut":
        return f"<cut: {shape[1]}>"
    if kind == "args":
        return {name: union_view(u) for name, u in zip(shape[1], shape[2], strict=True)}
    view: dict[Any, Any] = {TYPE_KEY: shape[1]}
    if kind in ("dict", "row"):  # rows are read by key, too: row["price"]
        view.update({k: union_view(u) for k, u in zip(shape[2], shape[3], strict=True)})
    elif kind in ("obj", "ntuple"):
        view.update({f".{k}": union_view(u) for k, u in zip(shape[2], shape[3], strict=True)})
    elif kind == "coll":
        view[ITEMS_KEY] = union_view(shape[2])
    elif kind == "map":
        view[KEYS_KEY] = union_view(shape[2])
        view[VALUES_KEY] = union_view(shape[3])
    elif kind == "tuple":
        view.update(dict(enumerate(union_view(u) for u in shape[2])))
    elif kind == "exc":
        view[ARGS_KEY] = {i: union_view(u) for i, u in enumerate(shape[2])}
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
    """A short type description of a shape view."""
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


def render_path(root: str, segments: Sequence[Any]) -> str:
    """`return['order']['created_at']`, `args.user.email`, `[*]` for any element."""
    parts: list[str] = []
    rest = list(segments)
    if root == "args" and rest:
        parts.append(f"args.{rest.pop(0)}")
    else:
        parts.append(root)
    for segment in rest:
        if segment == ITEMS_KEY:
            parts.append("[*]")
        elif segment in _SEGMENT_TEXT:
            parts.append(_SEGMENT_TEXT[segment])
        elif isinstance(segment, str) and segment.startswith("."):
            parts.append(segment)
        else:
            parts.append(f"[{segment!r}]")
    return "".join(parts)


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
    return Change(change.kind, change.segments, change.old, change.new, (), example)


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


def _navigate(view: Any, segments: Sequence[Any]) -> Any:
    for segment in segments:
        if isinstance(view, dict) and segment in view:
            view = view[segment]
        else:
            return _MISSING
    return view


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
