"""Where the recorded shapes of one seam disagree on a format class, and those shapes with
the format dropped there: memoised per shape object for the whole run.

A recording re-uses a seam's last shape objects while their checks pass, so the same
tuples reach the end of test after test; walking them again at every cassette (the
format leaves of each, then the stripped copy) was a per-test cost that grew with the
size of the shapes. Both answers depend on the shape's value alone (and the paths to
strip), so they are kept by value (a test's first calls build new tuples equal to the
last test's), and in front of that by the shape's ``id`` with the shape itself held (its
id is not reused while the memo holds it), so the very same tuple is not hashed again;
the memos are bounded and simply emptied when full. What they hold is made of tuples of
strings and numbers only (no dict or set), which the garbage collector stops tracking:
a memo of sets made every later collection of the run slower.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seamrec.model.shape import PathFormats, Shape, collect_formats, strip_formats

Path = tuple[Any, ...]

_MEMO_MAX = 8_192
# (each path below a shape with its format leaves, the paths where those disagree,
# whether a leaf has a format class: without one, no two leaves of a path can differ)
_Formats = tuple[tuple[tuple[Path, tuple[Shape, ...]], ...], tuple[Path, ...], bool]
_FORMATS: dict[Shape, _Formats] = {}
_FORMATS_BY_ID: dict[int, tuple[Shape, _Formats]] = {}  # the same, by id(shape)
# (paths to strip, root, shape) -> the stripped shape, None when nothing was stripped
_STRIPPED: dict[tuple[frozenset[Path], str, Shape], Shape | None] = {}


def _formats(shape: Shape) -> _Formats:
    """The format leaves of `shape` by path (relative to it), the paths where they
    disagree within the shape itself, and whether a leaf has a format class."""
    by_id = _FORMATS_BY_ID.get(id(shape))
    if by_id is not None and by_id[0] is shape:
        return by_id[1]
    known = _FORMATS.get(shape)
    if known is None:
        found: PathFormats = {}
        collect_formats(shape, (), found)
        leaves = tuple((path, tuple(of_path)) for path, of_path in found.items())
        known = (
            leaves,
            tuple(path for path, of_path in leaves if len(of_path) > 1),
            any(len(leaf) != 1 for _, of_path in leaves for leaf in of_path),
        )
        if len(_FORMATS) >= _MEMO_MAX:
            _FORMATS.clear()
        _FORMATS[shape] = known
    if len(_FORMATS_BY_ID) >= _MEMO_MAX:
        _FORMATS_BY_ID.clear()
    _FORMATS_BY_ID[id(shape)] = (shape, known)
    return known


def formatted(shape: Shape) -> bool:
    """Whether a leaf of `shape` has a format class (``("str", "email")``): shapes
    without one never disagree (each path's leaves are the one bare kind), so
    `inconsistent` of shapes none of which is formatted is empty."""
    by_id = _FORMATS_BY_ID.get(id(shape))
    if by_id is not None and by_id[0] is shape:
        return by_id[1][2]
    return _formats(shape)[2]


def inconsistent(rooted: Iterable[tuple[str, Shape]]) -> set[Path]:
    """The paths (starting with their root: ``args`` or an outcome) where the format
    leaves of these shapes disagree: what `collect_formats` of every shape under its
    root, then `inconsistent_paths`, would give."""
    by_root: dict[str, dict[int, Shape]] = {}
    for root, shape in rooted:
        shapes = by_root.get(root)
        if shapes is None:
            by_root[root] = {id(shape): shape}
        else:
            shapes[id(shape)] = shape
    return inconsistent_by_root(by_root)


def inconsistent_by_root(by_root: dict[str, dict[int, Shape]]) -> set[Path]:
    """`inconsistent` of the shapes under each root, given by their ids."""
    plain: set[Path] = set()
    for root, shapes in by_root.items():
        if len(shapes) == 1:
            for shape in shapes.values():
                disagree = _formats(shape)[1]
                if disagree:
                    plain.update((root, *path) for path in disagree)
            continue
        merged: PathFormats = {}
        for shape in shapes.values():
            for path, leaves in _formats(shape)[0]:
                known = merged.get(path)
                if known is None:
                    merged[path] = set(leaves)
                else:
                    known.update(leaves)
        plain.update((root, *path) for path, leaves in merged.items() if len(leaves) > 1)
    return plain


class Stripper:
    """`strip_formats` of shapes under a root for one set of paths, once per shape value
    in the run."""

    def __init__(self, plain: set[Path]) -> None:
        self.plain = plain
        self.key = frozenset(plain)

    def __call__(self, root: str, shape: Shape) -> Shape:
        key = (self.key, root, shape)
        if key in _STRIPPED:
            known = _STRIPPED[key]
            return shape if known is None else known
        stripped = strip_formats(shape, (root,), self.plain)
        if len(_STRIPPED) >= _MEMO_MAX:
            _STRIPPED.clear()
        _STRIPPED[key] = None if stripped is shape else stripped
        return stripped
