"""Cassette files: one per test, msgpack, versioned, written atomically.

A cassette is two msgpack objects: a header ``{"format": "seamrec-cassette", "version": 1}``
then the body::

    {"test": node id,
     "shapes": [shape, ...],                  # table of distinct shapes
     "calls": [[seam, caller, index, args_shape, outcome, result_shape, args, result], ...],
     "runs": {seam: [[args_shape, outcome, result_shape, count], ...]},
     "nesting": {seam: [[parent_seam, parent_index, step, count], ...]}}

Payload trees stay as raw msgpack trees (``ExtType`` values) in memory, so an unchanged
cassette re-dumps to the same bytes; ``codec.unpack(codec.pack(tree))`` gives views.
``calls`` holds full payloads for the first ``payload_calls`` calls of each seam, in the
order they happened; ``runs`` holds the shape of every call of each seam, run-length
encoded, so a hot seam with 100,000 calls of one shape costs one entry. ``nesting`` says
which call each call was made in (see ``seamrec.model.nesting``); cassettes written before it
existed lack it (``Cassette.nesting`` is None) and are read as before.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgpack

from seamrec.cassette.scan import (
    body_fields,
    item_spans,
    nests_at,
    nests_of,
    plain_shape,
    runs_at,
    runs_of,
)
from seamrec.exceptions import CassetteError, CassetteFormatError
from seamrec.model.codec import decode_ext, pack, unpack
from seamrec.model.format_agreement import Stripper, formatted, inconsistent_by_root
from seamrec.model.nesting import Nest
from seamrec.model.paths import OUTCOMES
from seamrec.model.payload import Ext, inner, node
from seamrec.model.shape import Shape, canonical
from seamrec.model.shape_types import (
    FORMAT_KINDS,
    POSITIONAL_KINDS,
    RECORD_KINDS,
    TYPED_KINDS,
    CutShape,
    check_shape,
)

FORMAT = "seamrec-cassette"
VERSION = 1
SUFFIX = ".msgpack"
TEMP_SUFFIX = ".seamrec-tmp"
MAX_FILE_BYTES = 256 * 1024 * 1024
_T = TypeVar("_T")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@dataclass(frozen=True)
class Call:
    """One recorded call with full payloads (`args` and `result` are encoded trees)."""

    seam: str
    caller: str
    index: int
    args_shape: Shape
    outcome: str
    result_shape: Shape
    args: Any
    result: Any


def new_call(
    seam: str,
    caller: str,
    index: int,
    args_shape: Shape,
    outcome: str,
    result_shape: Shape,
    args: Any,
    result: Any,
) -> Call:
    """`Call(...)` of fields known to be right, made without the frozen dataclass's
    `__init__` (which sets its eight fields one by one through `object.__setattr__`):
    the same object, in half the time (a record run makes two per kept call)."""
    call = _new_object(Call)
    _set_attribute(
        call,
        "__dict__",
        {
            "seam": seam,
            "caller": caller,
            "index": index,
            "args_shape": args_shape,
            "outcome": outcome,
            "result_shape": result_shape,
            "args": args,
            "result": result,
        },
    )
    return call


_new_object = object.__new__
_set_attribute = object.__setattr__


@dataclass(slots=True)
class Run:
    """`count` consecutive calls of one seam with the same shapes: the one type for runs,
    read from cassettes, grown by the tape while recording (`count` goes up in place)
    and looked up for each checked call."""

    args_shape: Shape
    outcome: str
    result_shape: Shape
    count: int


@dataclass
class Cassette:
    """Everything one test sent across its seams."""

    test: str
    calls: list[Call] = field(default_factory=list)
    runs: dict[str, list[Run]] = field(default_factory=dict)
    nesting: dict[str, list[Nest]] | None = None  # None: recorded before nesting was kept
    _positions: tuple[list[Call], int, dict[tuple[str, int], int]] | None = field(
        default=None, init=False, compare=False, repr=False
    )

    def call_count(self) -> int:
        """How many calls were recorded across all seams."""
        return sum(run.count for runs in self.runs.values() for run in runs)

    def shapes_at(self, seam: str) -> Iterator[tuple[Shape, str, Shape]]:
        """The (args shape, outcome, result shape) of every call of `seam`, in order."""
        for run in self.runs.get(seam, []):
            for _ in range(run.count):
                yield run.args_shape, run.outcome, run.result_shape

    def detail(self, seam: str, index: int) -> Call | None:
        """The full payloads of call `index` (0-based) of `seam`, if they were kept (the
        first such call; found through an index of the calls, made again when the list
        is replaced or grows)."""
        calls = self.calls
        known = self._positions
        if known is None or known[0] is not calls or known[1] != len(calls):
            positions: dict[tuple[str, int], int] = {}
            for position, call in enumerate(calls):
                positions.setdefault((call.seam, call.index), position)
            known = self._positions = (calls, len(calls), positions)
        at = known[2].get((seam, index))
        if at is not None:
            found = calls[at]
            if found.seam == seam and found.index == index:
                return found
        for call in calls:  # not indexed, or a call replaced in place: look again
            if call.seam == seam and call.index == index:
                return call
        return None

    def keep_consistent_formats(self) -> None:
        """Drop the format class of every path where this test's calls of a seam disagree
        (or saw only an observation): a format is asserted only where every recorded
        value had it. Runs that become equal are merged. A seam none of whose shapes has
        a formatted leaf (most) has nothing to agree on and is passed by."""
        for seam, runs in self.runs.items():
            for run in runs:
                if formatted(run.args_shape) or formatted(run.result_shape):
                    break
            else:
                continue
            args: dict[int, Shape] = {}  # each root's shapes by id (what `inconsistent` takes)
            by_root = {"args": args}
            for run in runs:
                args[id(run.args_shape)] = run.args_shape
                results = by_root.get(run.outcome)
                if results is None:
                    by_root[run.outcome] = {id(run.result_shape): run.result_shape}
                else:
                    results[id(run.result_shape)] = run.result_shape
            plain = inconsistent_by_root(by_root)
            if plain:
                fixed = Stripper(plain)
                self.runs[seam] = _merged_runs(
                    Run(
                        fixed("args", r.args_shape),
                        r.outcome,
                        fixed(r.outcome, r.result_shape),
                        r.count,
                    )
                    for r in runs
                )
                self.calls = [
                    dataclasses.replace(
                        c,
                        args_shape=fixed("args", c.args_shape),
                        result_shape=fixed(c.outcome, c.result_shape),
                    )
                    if c.seam == seam
                    else c
                    for c in self.calls
                ]

    def signature(self) -> tuple[Any, ...]:
        """What a re-record must change before the file is rewritten: shapes, not values."""
        runs = tuple(
            (
                seam,
                tuple(
                    (canonical(r.args_shape), r.outcome, canonical(r.result_shape), r.count)
                    for r in seam_runs
                ),
            )
            for seam, seam_runs in self.runs.items()
        )
        callers = tuple((c.seam, c.caller) for c in self.calls)
        cut = any(_has_cut(c.args) or _has_cut(c.result) for c in self.calls)
        nesting = (
            None
            if self.nesting is None
            else tuple((seam, tuple(nests)) for seam, nests in self.nesting.items())
        )
        return (self.test, runs, callers, cut, nesting)


def _merged_runs(runs: Iterable[Run]) -> list[Run]:
    """Adjacent runs with equal shapes and outcome as one run."""
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last is not None and (last.args_shape, last.outcome, last.result_shape) == (
            run.args_shape,
            run.outcome,
            run.result_shape,
        ):
            merged[-1] = dataclasses.replace(last, count=last.count + run.count)
        else:
            merged.append(run)
    return merged


BUDGET_CUT: Shape = CutShape.build("budget")


def budget_cut_seams(cassette: Cassette) -> list[str]:
    """The seams of `cassette` with a payload cut by the per-call budget (in its shape or
    in its stored payload), for the summary."""
    seams = [
        seam
        for seam, runs in cassette.runs.items()
        if any(_holds(r.args_shape, BUDGET_CUT) or _holds(r.result_shape, BUDGET_CUT) for r in runs)
    ]
    for call in cassette.calls:
        if call.seam not in seams and (
            _has_cut(call.args, "budget") or _has_cut(call.result, "budget")
        ):
            seams.append(call.seam)
    return seams


def _holds(shape: Any, part: Shape) -> bool:
    pending = [shape]
    while pending:
        item = pending.pop()
        if item == part:
            return True
        if isinstance(item, tuple):
            pending.extend(child for child in item if isinstance(child, tuple))
    return False


def _has_cut(tree: Any, reason: str | None = None) -> bool:
    """Whether a payload was cut by a limit (then a re-record with higher limits must
    rewrite the file even though no shape changed)."""
    pending = [tree]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, msgpack.ExtType):
            if item.code != Ext.CUT and _CUT_CODE not in item.data:
                continue  # a cut inside would have its ext code byte in these bytes
            held = inner(item)
            if item.code == Ext.CUT and (reason is None or node(item.code, held).reason == reason):
                return True
            pending.append(held)
    return False


_CUT_CODE = bytes([Ext.CUT])


@functools.lru_cache(maxsize=8)  # asked at a test's start and end, by session and strategy
def cassette_path(cassette_dir: Path, nodeid: str) -> Path:
    """Where the cassette of a test lives: mirrors the test file's path, one file per test."""
    file_part, _, rest = nodeid.partition("::")
    folder = _cassette_folder(cassette_dir, file_part)
    name = rest.replace("::", ".") or "module"
    safe = _safe(name)
    if safe != name or len(safe) > 120:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        safe = f"{safe[:100]}-{digest}"
    return folder / f"{safe}{SUFFIX}"


@functools.lru_cache(maxsize=64)  # the tests of a file are run one after another
def _cassette_folder(cassette_dir: Path, file_part: str) -> Path:
    """The folder of the cassettes of the tests in the test file `file_part`."""
    stem = file_part[:-3] if file_part.endswith(".py") else file_part
    return cassette_dir.joinpath(*[_safe(p) for p in stem.split("/") if p not in ("", ".", "..")])


_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]]")


def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part)


def dump(cassette: Cassette) -> bytes:
    """The canonical bytes of a cassette."""
    shapes, calls, runs = _layout(cassette)
    body: dict[str, Any] = {
        "test": cassette.test,
        "shapes": shapes,
        "calls": calls,
        "runs": runs,
    }
    if cassette.nesting is not None:
        body["nesting"] = cassette.nesting  # each `Nest` (a tuple) packs as the list it is
    return _header() + pack(body)


def _layout(cassette: Cassette) -> tuple[list[Shape], list[list[Any]], dict[str, list[list[Any]]]]:
    """The shape table, the kept calls and the runs of a cassette as `dump` writes them.
    A shape object met before is found by its id (the runs of a seam repeat a few
    tuples), so a deep tuple is hashed once per object, not once per run."""
    table: dict[Shape, int] = {}
    by_id: dict[int, int] = {}  # id of a shape met before -> its entry (all alive here)

    def ref(shape: Shape) -> int:
        found = by_id.get(id(shape))
        if found is None:
            found = by_id[id(shape)] = table.setdefault(shape, len(table))
        return found

    calls = [
        [
            c.seam,
            c.caller,
            c.index,
            ref(c.args_shape),
            c.outcome,
            ref(c.result_shape),
            c.args,
            c.result,
        ]
        for c in cassette.calls
    ]
    runs = {
        seam: [[ref(r.args_shape), r.outcome, ref(r.result_shape), r.count] for r in seam_runs]
        for seam, seam_runs in cassette.runs.items()
    }
    return list(table), calls, runs


@functools.cache
def _header() -> bytes:
    return pack({"format": FORMAT, "version": VERSION})


def load(path: Path, *, payloads: bool = True, shared: bool = False) -> Cassette:
    """Read a cassette, or raise CassetteFormatError naming the file and what is wrong
    (`shared`: see `loads`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CassetteFormatError(f"cannot be read ({exc.strerror})", path=path) from exc
    return loads(data, path=path, payloads=payloads, shared=shared)


def load_present(path: Path, *, shared: bool = False, lazy: bool = False) -> Cassette | None:
    """`load(path)`, or None where `path.exists()` says there is no file (one read of
    the file instead of a look and a read: a check run starts every test so; `shared`
    and `lazy`: see `loads`)."""
    try:
        data = _read_bytes(path)
    except OSError as exc:
        if exc.errno in _ABSENT or getattr(exc, "winerror", None) in _ABSENT_WINDOWS:
            return None
        raise CassetteFormatError(f"cannot be read ({exc.strerror})", path=path) from exc
    except ValueError:  # a path the file system cannot name
        return None
    return loads(data, path=path, shared=shared, lazy=lazy)


def _read_bytes(path: Path) -> bytes:
    """`path.read_bytes()` without the file object (what it raises, it raises)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if not data:  # empty: the end of the file
            return data
        chunks = [data]  # a read may give less than asked (a grown file, some file
        while more := os.read(fd, max(size + 1 - len(data), 1 << 16)):  # systems): to the end
            chunks.append(more)
        return data if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


# the errors for which `Path.exists` says False (pathlib's `_ignore_error`)
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
_ABSENT_WINDOWS = frozenset({21, 123, 1921})  # not ready, invalid name, unresolvable


def cassette_files(cassette_dir: Path) -> list[Path]:
    """Every cassette under `cassette_dir`, in a stable order."""
    if not cassette_dir.is_dir():
        return []
    return sorted(p for p in cassette_dir.rglob(f"*{SUFFIX}") if p.is_file())


def read_cassettes(
    cassette_dir: Path, *, payloads: bool = True, known: Mapping[Path, Cassette] | None = None
) -> tuple[list[tuple[Path, Cassette]], list[CassetteError]]:
    """The readable cassettes under `cassette_dir` with their paths, and the errors of the
    others (`payloads=False`: see `loads`). A file whose path is in `known` is not read:
    the cassette given there is what it holds (one this run wrote or found unchanged)."""
    cassettes, errors = [], []
    known = known or {}
    for path in cassette_files(cassette_dir):
        found = known.get(path)
        if found is not None:
            cassettes.append((path, found))
            continue
        try:
            cassettes.append((path, load(path, payloads=payloads)))
        except CassetteError as exc:
            errors.append(exc)
    return cassettes, errors


def same_but_payloads(old: bytes, new: bytes) -> bool:
    """Whether the cassette bytes `old` hold what `new` holds but for the payload values:
    the same header, test, shape table, runs and nesting and the same kept calls (seam,
    caller, index, shapes, outcome) byte for byte, a payload cut in both or in neither,
    nothing else in the body and every ext value of `old` well formed. True means `old`
    reads back (`loads`) with the `signature()` of `new`, found without building either
    cassette; False says nothing (compare the signatures)."""
    found = _old_sections(old)
    try:
        wanted = _sections(new, _ext_value)
    except Exception:
        return False
    return found is not None and found == wanted


_Sections = tuple[bytes, dict[str, bytes], int, bytes, bool]


def _old_sections(old: bytes) -> _Sections | None:
    """The sections (`_sections`) of the bytes of a file, None unless every ext value in
    them is well formed (as `loads` requires)."""
    if not old or len(old) > MAX_FILE_BYTES:
        return None
    checked = _ExtCheck()
    try:
        found = _sections(old, checked)
    except Exception:
        return None
    return None if checked.failed else found


def _sections(data: bytes, hook: Any) -> _Sections | None:
    """The header's bytes, each body value's bytes but the calls', how many calls are
    kept, the bytes of their fields but the payloads (one after another), and whether a
    payload holds a cut; None if the body is not a plain map of distinct string keys
    followed by nothing, or a kept call is not a list of 8."""
    unpacker = msgpack.Unpacker(
        raw=False, strict_map_key=False, max_buffer_size=len(data), ext_hook=hook
    )
    unpacker.feed(data)
    unpacker.skip()
    header = data[: unpacker.tell()]
    sections: dict[str, bytes] = {}
    kept: list[bytes] = []
    cut = False
    for _ in range(unpacker.read_map_header()):
        key = unpacker.unpack()
        if type(key) is not str or key in sections:
            return None
        start = unpacker.tell()
        if key != "calls":
            unpacker.skip()
            sections[key] = data[start : unpacker.tell()]
            continue
        sections[key] = b""
        for _ in range(unpacker.read_array_header()):
            if unpacker.read_array_header() != 8:
                return None
            start = unpacker.tell()
            for _ in range(6):
                unpacker.skip()
            kept.append(data[start : unpacker.tell()])
            start = unpacker.tell()
            args = unpacker.unpack()  # unpacked: the ext hook sees (and checks) every value
            result = unpacker.unpack()
            if not cut and _CUT_CODE in data[start : unpacker.tell()]:  # else none can hold one
                cut = _has_cut(args) or _has_cut(result)
    if unpacker.tell() != len(data):
        return None
    return header, sections, len(kept), b"".join(kept), cut


def loads(
    data: bytes, *, path: Path, payloads: bool = True, shared: bool = False, lazy: bool = False
) -> Cassette:
    """Parse cassette bytes; every problem becomes a CassetteFormatError. With
    `payloads=False` the payload trees are not decoded to check them (contracts, diffs and
    maps read only shapes, runs and callers: several times faster on a large suite).
    With `shared=True` a kept call's result whose bytes were read before in this run
    (in any cassette loaded so) is the tree they gave, the same object, not decoded
    again: such a cassette's payload trees are to be read, never changed (check and
    replay read them; a replayed tree is then known by its identity). With `lazy=True`
    the kept calls' payloads are checked as above but their trees are built when first
    read (`seamrec.cassette.lazycalls`: a check run reads few of them)."""
    if not data:
        raise CassetteFormatError("is empty", path=path)
    if len(data) > MAX_FILE_BYTES:
        raise CassetteFormatError(f"is larger than {MAX_FILE_BYTES} bytes", path=path)
    checked = _ExtCheck() if payloads else None
    if lazy and checked is not None and body_fields is not None and data.startswith(_header()):
        try:
            found = _scanned_body(data, checked, shared)
        except Exception:  # any doubt: the readings below decide
            found = None
        if found is not None:
            return found
        checked = _ExtCheck()  # (what the scan's payloads set is not the readings' below)
    unpacker = _unpacker(data, checked)
    try:
        header = unpacker.unpack()
    except Exception as exc:
        raise CassetteFormatError(f"is not a seamrec cassette ({_why(exc)})", path=path) from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CassetteFormatError("is not a seamrec cassette (no seamrec header)", path=path)
    version = header.get("version")
    if type(version) is not int or version != VERSION:
        raise CassetteFormatError(
            f"has format version {header.get('version')!r}; this seamrec reads version {VERSION}",
            path=path,
        )
    try:
        fast = _fast_body(unpacker, data, checked, shared and payloads, lazy and payloads)
    except Exception:  # any doubt: the full read below says what is wrong, and where
        fast = None
    if fast is not None:
        return fast
    unpacker = _unpacker(data, checked)  # read again from the start
    unpacker.skip()  # the header, checked above
    try:
        body = unpacker.unpack()
    except Exception as exc:
        raise CassetteFormatError(f"is truncated or corrupt ({_why(exc)})", path=path) from exc
    if unpacker.tell() != len(data):
        raise CassetteFormatError("has unexpected trailing data after the body", path=path)
    try:
        return _from_body(body, payloads and checked is not None and checked.failed)
    except Exception as exc:  # any way a hand-edited or damaged body fails to be ours
        raise CassetteFormatError(f"has an invalid structure ({_why(exc)})", path=path) from exc


def _unpacker(data: bytes, checked: _ExtCheck | None) -> msgpack.Unpacker:
    """An unpacker of a cassette's bytes; `checked` decodes its ext values (else they
    are left packed)."""
    unpacker = msgpack.Unpacker(
        raw=False,
        strict_map_key=False,
        max_buffer_size=len(data),
        ext_hook=_ext_value if checked is None else checked,
    )
    unpacker.feed(data)
    return unpacker


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class _ExtCheck:
    """The ext hook of a cassette's body: decodes each ext value into its view as it is
    read (what `_payload` checks), remembering whether one failed (then `_payload` checks
    each payload again, to raise its error at its place); ext values already decoded
    once in this run are not decoded again."""

    def __init__(self) -> None:
        self.failed = False

    def __call__(self, code: int, data: bytes) -> msgpack.ExtType:
        # the value is its own key: an ExtType is the tuple (code, data)
        value = _ext_value(code, data) if code < 0 else _new_ext(msgpack.ExtType, (code, data))
        if value not in _DECODED:
            try:
                decode_ext(code, data)
            except Exception:
                self.failed = True
                return value
            if len(data) <= _DECODED_BYTES:
                if len(_DECODED) >= _DECODED_MAX:
                    _DECODED.clear()
                _DECODED[value] = None
        return value


def _ext_value(code: int, data: bytes) -> msgpack.ExtType:
    """msgpack's ExtType, made without its Python-level argument checks (the unpacker
    gives an int code and bytes) except for a code msgpack's own type refuses."""
    if code < 0:
        return msgpack.ExtType(code, data)  # raises as the unpacker's default does
    return _new_ext(msgpack.ExtType, (code, data))


_new_ext = tuple.__new__
_new_tuple = tuple.__new__  # a NamedTuple from checked fields, without its Python __new__
_DECODED: dict[tuple[int, bytes], None] = {}
_DECODED_MAX = 4_096
_DECODED_BYTES = 2_048  # larger ext values are decoded each time (bounds the memory held)


def _fast_body(
    unpacker: msgpack.Unpacker,
    data: bytes,
    checked: _ExtCheck | None,
    shared: bool = False,
    lazy: bool = False,
) -> Cassette | None:
    """The cassette of a well-formed body, read by `unpacker` (of `data`, past the
    header; its ext hook is `checked`, else `_ext_value`), its shape table read entry
    by entry: an entry whose bytes were read before (in any cassette of the run) is the
    checked shape they gave, found by those bytes without being unpacked or packed again
    (so identical shapes are the same object across a suite's cassettes); with `shared`,
    the kept calls' results likewise (`_shared_calls`); with `lazy`, the kept calls
    as `LazyCall`s (`lazycalls.read_lazy_calls`). Raises (or gives None) on
    anything else; `loads` then reads the body the full way, which gives the same
    cassette or says what is wrong."""
    body: dict[Any, Any] = {}
    shapes: list[Shape] | None = None
    calls: list[Call] | None = None
    runs: dict[str, list[Run]] | None = None  # read from their bytes (`scan.runs_at`)
    nesting: dict[str, list[Nest]] | None = None
    for _ in range(unpacker.read_map_header()):
        key = unpacker.unpack()
        if key == "shapes" and key not in body:
            shapes = []
            known = _READ.get
            for raw in _entry_bytes(unpacker, data):
                shape = known(raw)  # (`_shape_from_bytes` looks first, too)
                shapes.append(_shape_from_bytes(raw) if shape is None else shape)
            body[key] = shapes
        elif key == "calls" and lazy and checked is not None and shapes is not None:
            if key in body:
                return None
            calls = _lazy_reader()(unpacker, data, checked, shapes, shared)
            if calls is None:
                return None
            body[key] = calls
        elif key == "calls" and shared and checked is not None and key not in body:
            found = _shared_calls(unpacker, data, checked)
            if found is None:
                return None
            body[key] = found
        elif key == "runs" and key not in body and shapes is not None and runs_at is not None:
            read = runs_at(data, unpacker.tell(), shapes, OUTCOMES, Run)
            if read is None:  # not plainly valid: `_from_body` decides on msgpack's reading
                body[key] = unpacker.unpack()
            else:
                runs = body[key] = _past(unpacker, read)
        elif key == "nesting" and key not in body and nests_at is not None:
            read = nests_at(data, unpacker.tell(), Nest)
            if read is None:
                body[key] = unpacker.unpack()
            else:
                nesting = body[key] = _past(unpacker, read)
        elif key in body:
            return None  # a key given twice: the full read keeps the last one
        else:
            body[key] = unpacker.unpack()
    if unpacker.tell() != len(data) or shapes is None:
        return None
    failed = checked is not None and checked.failed
    if calls is not None and failed:
        return None  # the full read checks the payloads again, to say what is wrong
    return _from_body(body, failed, shapes, calls, runs, nesting)


def _scanned_body(data: bytes, checked: _ExtCheck, shared: bool) -> Cassette | None:
    """A lazy load's cassette read from `data` by the compiled scan alone, without an
    unpacker (a check run starts every test with one): the canonical header (checked by
    the caller), then a body of the keys `dump` writes, each given once, whose values
    the compiled readings read whole to where the next begins (`scan.body_fields`);
    the test's name and each new shape are read by msgpack as `_fast_body` reads them.
    None (or raises) on anything else: `loads` then reads the body with an unpacker."""
    fields = body_fields(data, len(_header()))  # type: ignore[misc]  # (built: the caller)
    if fields is None:
        return None
    spans: dict[str, tuple[int, int]] = {}
    for key, first, end in fields:
        if key in spans or key not in _BODY_KEYS:
            return None
        spans[key] = (first, end)
    if len(spans) < len(_BODY_KEYS) - ("nesting" not in spans):
        return None
    first, end = spans["shapes"]
    entries = item_spans(data, first) if item_spans is not None else None
    if entries is None or entries[1] != end:
        return None
    known = _READ.get
    shapes = []
    for raw in entries[0]:
        shape = known(raw)
        shapes.append(_shape_from_bytes(raw) if shape is None else shape)
    first, end = spans["calls"]
    calls = _lazy_calls_at()(data, first, end, checked, shapes, shared)
    if calls is None or checked.failed:
        return None
    first, end = spans["runs"]
    runs = runs_at(data, first, shapes, OUTCOMES, Run) if runs_at is not None else None
    if runs is None or runs[1] != end:
        return None
    nesting = None
    if "nesting" in spans:
        first, end = spans["nesting"]
        nesting = nests_at(data, first, Nest) if nests_at is not None else None
        if nesting is None or nesting[1] != end:
            return None
    first, end = spans["test"]
    test = msgpack.unpackb(data[first:end], raw=False, strict_map_key=False, ext_hook=checked)
    if type(test) is not str:
        return None
    return Cassette(
        test=test,
        calls=calls,
        runs=runs[0],
        nesting=None if nesting is None else nesting[0],
    )


_BODY_KEYS = frozenset({"test", "shapes", "calls", "runs", "nesting"})


def _lazy_calls_at() -> Any:
    """`lazycalls.lazy_calls_at` (imported by the first lazy load: it imports this
    module)."""
    from seamrec.cassette.lazycalls import lazy_calls_at

    return lazy_calls_at


def _past(unpacker: msgpack.Unpacker, read: tuple[_T, int]) -> _T:
    """What the compiled scan read at the unpacker, which moves past the same bytes by
    msgpack's own reading (raises where the two disagree: the full read decides)."""
    unpacker.skip()
    if unpacker.tell() != read[1]:
        raise ValueError("the scan and msgpack disagree")
    return read[0]


def _entry_bytes(unpacker: msgpack.Unpacker, data: bytes) -> list[bytes]:
    """The bytes of each entry of the array at the unpacker, which moves past it (the
    compiled scan's slices when built; msgpack reads the array either way)."""
    if item_spans is not None:
        spans = item_spans(data, unpacker.tell())
        if spans is not None:
            unpacker.skip()
            if unpacker.tell() != spans[1]:
                raise ValueError("the scan and msgpack disagree")  # the full read decides
            return spans[0]
    entries = []
    tell, skip = unpacker.tell, unpacker.skip
    for _ in range(unpacker.read_array_header()):
        first = tell()
        skip()
        entries.append(data[first : tell()])
    return entries


def _lazy_reader() -> Any:
    """`lazycalls.read_lazy_calls` (imported by the first lazy load: it imports this
    module)."""
    from seamrec.cassette.lazycalls import read_lazy_calls

    return read_lazy_calls


def _shared_calls(unpacker: msgpack.Unpacker, data: bytes, checked: _ExtCheck) -> Any:
    """The entries of a body's `calls`, each read field by field: its result payload is
    found by its bytes among those read before (`_SHARED`), else decoded (through
    `checked`, as the whole body would be) and kept when its ext values decoded. None
    when an entry is not a list of 8 (the full read says what is wrong)."""
    entries = []
    tell, skip, unpack = unpacker.tell, unpacker.skip, unpacker.unpack
    for _ in range(unpacker.read_array_header()):
        if unpacker.read_array_header() != 8:
            return None
        entry = [unpack(), unpack(), unpack(), unpack(), unpack(), unpack(), unpack()]
        first = tell()
        skip()
        raw = data[first : tell()]
        result = _SHARED.get(raw, _UNREAD)
        if result is _UNREAD:
            result = msgpack.unpackb(raw, raw=False, strict_map_key=False, ext_hook=checked)
            if not checked.failed:  # (once set, no later payload is known good)
                _share(raw, result)
        entry.append(result)
        entries.append(entry)
    return entries


def _share(raw: bytes, tree: Any) -> None:
    """Keep `tree` as what `raw` gives (small payloads only; bounded)."""
    global _SHARED_BYTES
    size = len(raw)
    if size > _SHARED_MAX_ONE:
        return
    if _SHARED_BYTES + size > _SHARED_MAX_BYTES:
        _SHARED.clear()
        _SHARED_BYTES = 0
    _SHARED[raw] = tree
    _SHARED_BYTES += size


_UNREAD: Any = object()
_SHARED: dict[bytes, Any] = {}  # a payload's bytes -> the tree they gave (see `loads`)
_SHARED_BYTES = 0  # the bytes `_SHARED` holds as keys
_SHARED_MAX_ONE = 16 * 1024  # larger results are decoded each time (runtime.rebuild too)
_SHARED_MAX_BYTES = 1024 * 1024  # then it starts again (the trees take ~10x their bytes)


def _shape_from_bytes(raw: bytes) -> Shape:
    """The checked shape of one shape-table entry, by its msgpack bytes."""
    known = _READ.get(raw)
    if known is not None:
        return known
    # arrays read as tuples: a shape as it is (a value of any other type in it fails
    # `check_shape` or the dict lookup, and `loads` reads the body the full way)
    value = msgpack.unpackb(
        raw, raw=False, use_list=False, strict_map_key=False, ext_hook=_ext_value
    )
    if type(value) is not tuple:
        raise TypeError(f"bad shape {type(value).__name__}")
    known = _CHECKED.get(value)
    if known is None:
        if plain_shape is None or not plain_shape(value, *_KINDS):
            check_shape(value)  # (raises where the grammar is not followed)
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
            _READ.clear()
        known = _CHECKED[value] = _untracked(value)  # msgpack made it parent first
    if len(_READ) >= _CHECKED_MAX:
        _READ.clear()
    _READ[raw] = known
    return known


# the kinds `check_shape` knows, as `scan.plain_shape` takes them
_KINDS = (TYPED_KINDS | {"cut"}, FORMAT_KINDS, RECORD_KINDS, POSITIONAL_KINDS)


def _untracked(shape: Shape) -> Shape:
    """`model.accel.untrack`: imported when the first new shape is read."""
    from seamrec.model.accel import untrack

    return untrack(shape)


def _from_body(
    body: Any,
    payloads: bool = True,
    shapes: list[Shape] | None = None,
    calls: list[Call] | None = None,
    runs: dict[str, list[Run]] | None = None,
    nesting: dict[str, list[Nest]] | None = None,
) -> Cassette:
    if not isinstance(body, dict):
        raise TypeError("body is not a map")
    test = _typed(body["test"], str)
    if shapes is None:  # else read and checked already
        shapes = [_valid_shape(s) for s in _typed(body["shapes"], list)]
    if calls is None:  # else read and checked already (`_fast_body`, lazy)
        calls = _valid_calls(body["calls"], shapes, payloads)
    value = body["runs"]
    if runs is None:  # else read and checked already (`_fast_body`)
        runs = None if runs_of is None else runs_of(value, shapes, OUTCOMES, Run)
    if runs is None:  # not built, or not plainly valid: checked (and its error raised) here
        runs = {}
        for seam, seam_runs in _typed(value, dict).items():
            runs[seam if type(seam) is str else _typed(seam, str)] = _valid_runs(seam_runs, shapes)
    value = body.get("nesting")
    if value is not None and nesting is None:
        nesting = None if nests_of is None else nests_of(value, Nest)
        if nesting is None:
            nesting = _nesting(value)
    return Cassette(test=test, calls=calls, runs=runs, nesting=nesting)


def _valid_calls(entries: Any, shapes: list[Shape], payloads: bool) -> list[Call]:
    """The kept calls, checked entry by entry in one loop; an entry that is not plainly
    valid (or payloads to check again) sends them all through `_checked_calls`, which
    raises the error that names what is wrong."""
    if not payloads and type(entries) is list:
        count = len(shapes)
        found: list[Call] = []
        for entry in entries:
            if type(entry) is list and len(entry) == 8:
                seam, caller, index, args_ref, outcome, result_ref, args, result = entry
                if well_typed_entry(seam, caller, index, args_ref, outcome, result_ref, count):
                    found.append(
                        Call(
                            seam,
                            caller,
                            index,
                            shapes[args_ref],
                            outcome,
                            shapes[result_ref],
                            args,
                            result,
                        )
                    )
                    continue
            break
        else:
            return found
    return _checked_calls(entries, shapes, payloads)


def well_typed_entry(
    seam: object,
    caller: object,
    index: object,
    args_ref: object,
    outcome: object,
    result_ref: object,
    count: int,
) -> bool:
    """Whether a kept call's fields but its payloads are of their types, its shape
    references inside a table of `count` shapes (else the full read says what is wrong)."""
    return (
        type(seam) is str
        and type(caller) is str
        and type(index) is int
        and type(args_ref) is int
        and 0 <= args_ref < count
        and type(outcome) is str
        and outcome in OUTCOMES
        and type(result_ref) is int
        and 0 <= result_ref < count
    )


def _checked_calls(entries: Any, shapes: list[Shape], payloads: bool) -> list[Call]:
    calls = []
    for entry in _typed(entries, list):
        seam, caller, index, args_ref, outcome, result_ref, args, result = _typed(entry, list)
        call = Call(
            _typed(seam, str),
            _typed(caller, str),
            _typed(index, int),
            shapes[_ref(args_ref, shapes)],
            _outcome(outcome),
            shapes[_ref(result_ref, shapes)],
            args,
            result,
        )
        if payloads:
            _payload(args)
            _payload(result)
        calls.append(call)
    return calls


def _valid_runs(entries: Any, shapes: list[Shape]) -> list[Run]:
    """The runs of one seam, checked as `_valid_calls` checks calls."""
    if type(entries) is list:
        count = len(shapes)
        found: list[Run] = []
        for entry in entries:
            if type(entry) is list and len(entry) == 4:
                args_ref, outcome, result_ref, calls = entry
                if (
                    type(args_ref) is int
                    and 0 <= args_ref < count
                    and type(outcome) is str
                    and outcome in OUTCOMES
                    and type(result_ref) is int
                    and 0 <= result_ref < count
                    and type(calls) is int
                    and calls >= 1
                ):
                    found.append(Run(shapes[args_ref], outcome, shapes[result_ref], calls))
                    continue
            break
        else:
            return found
    return [
        Run(shapes[_ref(a, shapes)], _outcome(o), shapes[_ref(r, shapes)], _positive(c))
        for a, o, r, c in _typed(entries, list)
    ]


def _nesting(value: Any) -> dict[str, list[Nest]]:
    nesting: dict[str, list[Nest]] = {}
    for seam, nests in _typed(value, dict).items():
        nesting[seam if type(seam) is str else _typed(seam, str)] = _valid_nests(nests)
    return nesting


def _valid_nests(nests: Any) -> list[Nest]:
    """The nests of one seam: checked entry by entry in one loop (a cassette holds one
    per run of calls); an entry that is not plainly valid is checked again by the
    checks below, which raise the error that names what is wrong."""
    found: list[Nest] = []
    if type(nests) is list:
        for entry in nests:
            if type(entry) is list and len(entry) == 4:
                parent, first, step, count = entry
                if (
                    type(parent) is str
                    and type(first) is int
                    and first >= 0
                    and type(step) is int
                    and (step == 0 or step == 1)
                    and type(count) is int
                    and count >= 1
                ):
                    found.append(_new_tuple(Nest, (parent, first, step, count)))
                    continue
            break
        else:
            return found
    return [
        Nest(_str(parent), _count(first), _step(step), _positive(count))
        for parent, first, step, count in _typed(nests, list)
    ]


def _str(value: object) -> str:
    if type(value) is not str:
        raise TypeError(f"expected str, found {type(value).__name__}")
    return value


def _count(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"bad index {value!r}")
    return value


def _step(value: object) -> int:
    if value not in (0, 1) or type(value) is not int:
        raise ValueError(f"bad step {value!r}")
    return value


def _outcome(value: object) -> str:
    if value not in OUTCOMES:
        raise ValueError(f"unknown outcome {value!r}")
    return str(value)


def _payload(tree: Any) -> Any:
    """A payload tree that decodes into views (data only; raises if it does not)."""
    unpack(pack(tree))
    return tree


def _ref(value: object, shapes: list[Shape]) -> int:
    if type(value) is not int or not 0 <= value < len(shapes):
        raise ValueError(f"bad shape reference {value!r}")
    return value


def _positive(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"bad count {value!r}")
    return value


def _typed(value: object, cls: type[_T]) -> _T:
    if not isinstance(value, cls) or isinstance(value, bool):
        raise TypeError(f"expected {cls.__name__}, found {type(value).__name__}")
    return value


def _valid_shape(value: Any) -> Shape:
    """A shape from the table, checked against the grammar in `seamrec.model.shape_types`. Shapes
    repeat across a suite's cassettes: one already checked is not checked again, and the
    same object is returned for it (less memory, faster comparisons); one read before in
    the same bytes is found by them, without being converted again."""
    packed = pack(value) if type(value) is list else None
    if packed is not None:
        seen = _READ.get(packed)
        if seen is not None:
            return seen
    shape = _to_shape(value)
    known = _CHECKED.get(shape)
    if known is None:
        check_shape(shape)
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
            _READ.clear()
        known = _CHECKED[shape] = shape
    if packed is not None:
        if len(_READ) >= _CHECKED_MAX:
            _READ.clear()
        _READ[packed] = known
    return known


_CHECKED: dict[Shape, Shape] = {}
_READ: dict[bytes, Shape] = {}  # the packed bytes of a table entry: its checked shape
_CHECKED_MAX = 20_000


def _to_shape(value: Any) -> Shape:
    if isinstance(value, str):
        return value  # type: ignore[return-value]  # names inside shapes stay strings
    if isinstance(value, list):  # names (most elements) without a call each
        return tuple([v if type(v) is str else _to_shape(v) for v in value])
    raise TypeError(f"bad shape element {type(value).__name__}")


def display_path(path: Path, root: Path) -> str:
    """`path` relative to `root` when it lies inside it, for messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never part.
    No fsync: the rename is atomic for readers and for a killed run; surviving a power
    cut is not worth ~4 ms per cassette (a record run writes hundreds; git holds them)."""
    try:  # the folder is there but for a test file's first cassette: made when missing
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; cassettes are shared files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
