"""The compiled reading of a cassette body's lists (``_scan.c``), when it was built.

`store._fast_body` reads the shape table and `lazycalls.read_lazy_calls` the kept calls
one msgpack field at a time, a Python call to the unpacker each; the compiled twins walk
the bytes of a whole list in one call and give back None wherever the Python reading
(the reference, and the fallback: `SEAMREC_PURE=1` forces it) must decide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seamrec.compiled import compiled_module


def _load() -> Any:
    """The compiled module, None when pure Python is asked for or it was not built."""
    return compiled_module("seamrec.cassette._scan")[0]


_compiled = _load()

item_spans: Callable[[bytes, int], tuple[list[bytes], int] | None] | None = (
    None if _compiled is None else _compiled.item_spans
)
"""`item_spans(data, start)`: the bytes of each item of the msgpack array at `start` and
the offset after it; None if the bytes there are not a well-formed array."""

_Scanned = tuple[list[Any], list[tuple[dict[str, Any], int, bytes]], int, list[bytes]]
lazy_calls: Callable[..., _Scanned | None] | None = (
    None if _compiled is None else _compiled.lazy_calls
)
"""`lazy_calls(data, start, shapes, outcomes, call_type, shared, valid, shared_trees,
decoded)`: the kept calls at `start` as `call_type` objects, their fields in their
`__dict__` as `lazycalls.read_lazy_calls` sets them, but for the payloads whose bytes are
not known good (not in `valid`, nor a result in `shared_trees` when `shared`, nor bytes
msgpack surely reads whose ext values are all in `decoded`, the ext values decoded
before in the run; a shared result is never taken so: its tree is kept): those are
listed in order as (the call's `__dict__`, 0 for args or 1 for the result, the bytes),
for the caller to check. Then the offset after the list, and the bytes taken as good by
their ext values (for the caller to note as known good). None wherever the reference
must decide (a kept call not plainly valid, bytes that are not msgpack)."""

runs_of: Callable[..., dict[str, list[Any]] | None] | None = (
    None if _compiled is None else _compiled.runs_of
)
"""`runs_of(runs, shapes, outcomes, run_type)`: a body's unpacked `runs` as
`store._valid_runs` makes them, seam by seam; None unless every entry is plainly valid."""

nests_of: Callable[..., dict[str, list[Any]] | None] | None = (
    None if _compiled is None else _compiled.nests_of
)
"""`nests_of(nesting, nest_type)`: a body's unpacked `nesting` as `store._valid_nests`
makes it; None unless every entry is plainly valid."""

body_fields: Callable[[bytes, int], list[tuple[str, int, int]] | None] | None = (
    None if _compiled is None else _compiled.body_fields
)
"""`body_fields(data, start)`: the str keys of the map at `start` (a cassette's body)
with the offsets where each value's bytes start and end; None unless the map is well
formed, its keys UTF-8 strs and it ends where `data` ends."""

runs_at: Callable[..., tuple[dict[str, list[Any]], int] | None] | None = (
    None if _compiled is None else _compiled.runs_at
)
"""`runs_at(data, start, shapes, outcomes, run_type)`: the body's `runs` at `start` read
from their bytes, as `runs_of` makes them from msgpack's reading, and the offset after
them; None unless every entry is plainly valid (and no seam is given twice)."""

nests_at: Callable[..., tuple[dict[str, list[Any]], int] | None] | None = (
    None if _compiled is None else _compiled.nests_at
)
"""`nests_at(data, start, nest_type)`: the body's `nesting` at `start` read from its
bytes, as `nests_of` makes it, and the offset after it; None unless plainly valid."""

plain_shape: Callable[..., bool] | None = None if _compiled is None else _compiled.plain_shape
"""`plain_shape(value, named_only, format_kinds, record_kinds, positional_kinds)`: True
only where `shape_types.check_shape(value)` passes (exact tuples and strs in its
grammar); False where that check must decide."""
