"""Kept calls read without their payload trees: what a check run loads at each test start.

A check run needs the payload values of a kept call only to replay it or to show an
example in a drift report, yet `loads` would build every tree of every kept call. Read
with `lazy=True`, a kept call's args and result stay as their msgpack bytes and are
turned into trees when first read (`LazyCall`), giving the trees the eager read gives.

Nothing that the eager read rejects is accepted: a payload's bytes are checked as the
eager read checks them (every ext value decodes) unless the same bytes were checked
before in this run (`_VALID`, bounded; the compiled scan also takes bytes that msgpack
surely reads whose ext values were all decoded before, see `scan.lazy_calls`); a
payload that fails sends the whole body to the eager read, which raises the same error,
naming the same file. A tree built to check
new bytes is dropped (a shared result's is kept, as `loads` keeps it): the test keeps the
bytes, which the garbage collector does not walk.
"""

from __future__ import annotations

from typing import Any

import msgpack

from seamrec.cassette.scan import lazy_calls
from seamrec.cassette.store import (
    _DECODED,
    _SHARED,
    _UNREAD,
    Call,
    _ext_value,
    _ExtCheck,
    _share,
    well_typed_entry,
)
from seamrec.model.paths import OUTCOMES
from seamrec.model.shape import Shape


class LazyCall(Call):
    """A kept call whose `args` and `result` are decoded from their bytes on first read
    (a result read `shared` is the tree those bytes gave before in the run, see
    `store.loads`); equal to the `Call` the eager read gives."""

    def __getattr__(self, name: str) -> Any:
        # only a field not read yet gets here: its bytes wait under `_raw_<name>`
        held = self.__dict__
        raw = held.get(f"_raw_{name}")
        if raw is None:
            if name in held:  # another thread decoded it since this lookup missed
                return held[name]
            raise AttributeError(name)
        tree = _decoded(raw, shared=name == "result" and held["_shared"])
        held[name] = tree
        held.pop(f"_raw_{name}", None)  # (another thread may have read it meanwhile)
        return tree

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Call):
            return NotImplemented
        return _fields(self) == _fields(other)

    __hash__ = Call.__hash__

    def __repr__(self) -> str:
        return Call.__repr__(self).replace("LazyCall(", "Call(", 1)


def _fields(call: Call) -> tuple[Any, ...]:
    return (
        call.seam,
        call.caller,
        call.index,
        call.args_shape,
        call.outcome,
        call.result_shape,
        call.args,
        call.result,
    )


def _decoded(raw: bytes, *, shared: bool) -> Any:
    """The tree of payload bytes checked when their cassette was read."""
    if shared:
        known = _SHARED.get(raw, _UNREAD)
        if known is not _UNREAD:
            return known
    tree = msgpack.unpackb(raw, raw=False, strict_map_key=False, ext_hook=_ext_value)
    if shared:
        _share(raw, tree)
    return tree


def read_lazy_calls(
    unpacker: msgpack.Unpacker,
    data: bytes,
    checked: _ExtCheck,
    shapes: list[Shape],
    shared: bool,
) -> list[Call] | None:
    """The kept calls of a body, the unpacker at their array: each entry read field by
    field, its payloads left as bytes once known to decode. None where the eager read
    must decide (an entry not plainly valid, a payload whose ext values do not decode:
    it raises the error that names what is wrong, or reads what this does not). The
    compiled scan (`scan.lazy_calls`) reads the entries when built; what it leaves
    pending is checked here, in order, as the loop below checks it."""
    if lazy_calls is not None:
        scanned = lazy_calls(
            data, unpacker.tell(), shapes, OUTCOMES, LazyCall, shared, _VALID, _SHARED, _DECODED
        )
        if scanned is not None:
            unpacker.skip()  # past the calls, by msgpack's own reading of them
            if unpacker.tell() != scanned[2]:
                return None
            return _settled(scanned, checked, shared)
    calls: list[Call] = []
    count = len(shapes)
    tell, skip, unpack = unpacker.tell, unpacker.skip, unpacker.unpack
    new = object.__new__
    for _ in range(unpacker.read_array_header()):
        if unpacker.read_array_header() != 8:
            return None
        seam, caller, index, args_ref, outcome, result_ref = (
            unpack(),
            unpack(),
            unpack(),
            unpack(),
            unpack(),
            unpack(),
        )
        if not well_typed_entry(seam, caller, index, args_ref, outcome, result_ref, count):
            return None
        call = new(LazyCall)
        held = call.__dict__
        held.update(
            seam=seam,
            caller=caller,
            index=index,
            args_shape=shapes[args_ref],
            outcome=outcome,
            result_shape=shapes[result_ref],
            _shared=shared,
        )
        start = tell()
        skip()
        middle = tell()
        skip()
        if not _args_held(held, data[start:middle], checked, shared):
            return None
        if not _result_held(held, data[middle : tell()], checked, shared):
            return None
        calls.append(call)
    return calls


def lazy_calls_at(
    data: bytes, start: int, end: int, checked: _ExtCheck, shapes: list[Shape], shared: bool
) -> list[Call] | None:
    """The kept calls whose array is `data[start:end]`, read by the compiled scan alone
    (no unpacker: `store._scanned_body`); None where it cannot read them so (not built,
    not plainly valid, a payload that does not decode), for the reading above to decide."""
    if lazy_calls is None:
        return None
    scanned = lazy_calls(data, start, shapes, OUTCOMES, LazyCall, shared, _VALID, _SHARED, _DECODED)
    if scanned is None or scanned[2] != end:
        return None
    return _settled(scanned, checked, shared)


def _settled(scanned: Any, checked: _ExtCheck, shared: bool) -> list[Call] | None:
    """The scan's kept calls once the payloads it left pending are checked, in order, as
    the loop of `read_lazy_calls` checks them (None: one does not decode)."""
    found, pending, _, good = scanned
    for raw in good:  # known good now, as `_checked_tree` notes what it checked
        _note_valid(raw)
    for held, part, raw in pending:
        if not (_result_held if part else _args_held)(held, raw, checked, shared):
            return None
    return found  # type: ignore[no-any-return]


def _args_held(held: dict[str, Any], raw: bytes, checked: _ExtCheck, shared: bool) -> bool:
    """Keep a kept call's args bytes in its `__dict__` once known to decode (False: they
    do not). A tree built to check them is dropped: the test rarely reads it, and trees
    held through a test are what the collector walks."""
    if raw in _VALID or _checked_tree(raw, checked) is not _UNREAD:
        held["_raw_args"] = raw
        return True
    return False


def _result_held(held: dict[str, Any], raw: bytes, checked: _ExtCheck, shared: bool) -> bool:
    """Keep a kept call's result as `_args_held` keeps its args, or (`shared`) as the
    tree those bytes gave before in the run (False: they do not decode)."""
    if shared and raw in _SHARED:
        held["result"] = _SHARED[raw]
    elif raw in _VALID:
        held["_raw_result"] = raw
    else:
        tree = _checked_tree(raw, checked)
        if tree is _UNREAD:
            return False
        if shared:
            _share(raw, tree)
            held["result"] = tree
        else:
            held["_raw_result"] = raw
    return True


def _checked_tree(raw: bytes, checked: _ExtCheck) -> Any:
    """The tree of payload bytes read for the first time in the run, its ext values
    decoded through the body's hook (`_UNREAD` when one fails); bytes that pass are
    known to be valid from now on."""
    tree = msgpack.unpackb(raw, raw=False, strict_map_key=False, ext_hook=checked)
    if checked.failed:
        return _UNREAD
    _note_valid(raw)
    return tree


def _note_valid(raw: bytes) -> None:
    """Keep payload bytes as known good for the rest of the run (small ones; bounded)."""
    if len(raw) <= _VALID_MAX_ONE:
        global _VALID_BYTES
        if _VALID_BYTES + len(raw) > _VALID_MAX_BYTES:
            _VALID.clear()
            _VALID_BYTES = 0
        _VALID[raw] = None
        _VALID_BYTES += len(raw)


_VALID: dict[bytes, None] = {}  # payload bytes whose ext values all decoded this run
_VALID_BYTES = 0
_VALID_MAX_ONE = 64 * 1024  # larger payloads are checked each time they are read
_VALID_MAX_BYTES = 4 * 1024 * 1024  # then it starts again (the bytes only: no trees)
