"""The compiled scan of a cassette body (`seamrec.cassette.scan`, `_scan.c`): a load that
uses it gives what the Python reading gives (the same cassette, or the same error, for
any bytes), and it reads the kept calls without a Python call per call."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seamrec.cassette import lazycalls, scan, store
from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.config import Limits
from seamrec.exceptions import CassetteFormatError
from seamrec.model.codec import make_packer, pack, raw_tree
from seamrec.model.nesting import Nest
from seamrec.model.paths import OUTCOMES
from seamrec.model.shape import args_shape, make_shape_function
from seamrec.model.shape_types import check_shape

pytestmark = pytest.mark.skipif(scan.lazy_calls is None, reason="the C scan is not built")

PATH = Path("scan.msgpack")
PACK = make_packer(Limits())
SHAPE_OF = make_shape_function()
SHAPES = [SHAPE_OF(v) for v in (1, "a", [1, 2], {"id": 1}, None)]
SHAPES.append(args_shape(("a", "b"), [SHAPES[0], SHAPES[3]]))
SEAMS = ["shop.orders:get", "shop.orders:put", "sql:SELECT * FROM t WHERE id = ?", "é:ü"]


HOOKS = [(store, "item_spans"), (store, "runs_of"), (store, "nests_of"), (lazycalls, "lazy_calls")]


@contextmanager
def pure() -> Iterator[None]:
    """Loads inside read the Python way only (what SEAMREC_PURE=1 chooses at import)."""
    saved = [getattr(module, name) for module, name in HOOKS]
    for module, name in HOOKS:
        setattr(module, name, None)
    try:
        yield
    finally:
        for (module, name), hook in zip(HOOKS, saved, strict=True):
            setattr(module, name, hook)


def outcome(data: bytes, *, lazy: bool, shared: bool) -> tuple[str, Any]:
    """What a load of `data` gives: its cassette's fields and bytes, or its error."""
    try:
        found = loads(data, path=PATH, lazy=lazy, shared=shared)
    except CassetteFormatError as exc:
        return "error", str(exc)
    calls = [(type(c).__name__, c) for c in found.calls]
    runs = {seam: [(type(r).__name__, r) for r in rs] for seam, rs in found.runs.items()}
    nesting = None
    if found.nesting is not None:
        nesting = {s: [(type(n).__name__, n) for n in ns] for s, ns in found.nesting.items()}
    return "cassette", (found.test, calls, runs, nesting, dump(found))


payloads = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
calls = st.builds(
    lambda seam, index, shapes, result, args, raised: Call(
        seam,
        "shop.api",
        index,
        shapes[0],
        "raise" if raised else "return",
        shapes[1],
        raw_tree(PACK(args)),
        raw_tree(PACK(result)),
    ),
    st.sampled_from(SEAMS),
    st.integers(-2, 2**40),
    st.tuples(st.sampled_from(SHAPES), st.sampled_from(SHAPES)),
    payloads,
    payloads,
    st.booleans(),
)
runs = st.lists(
    st.builds(
        Run,
        st.sampled_from(SHAPES),
        st.sampled_from(OUTCOMES),
        st.sampled_from(SHAPES),
        st.integers(1, 2**40),
    ),
    max_size=3,
)
nests = st.lists(
    st.builds(
        lambda parent, first, step, count: Nest(parent, first, step, count),
        st.sampled_from(SEAMS),
        st.integers(0, 9),
        st.integers(0, 1),
        st.integers(1, 9),
    ),
    max_size=3,
)
cassettes = st.builds(
    Cassette,
    st.text(max_size=10),
    st.lists(calls, max_size=5),
    st.dictionaries(st.sampled_from(SEAMS), runs, max_size=3),
    st.none() | st.dictionaries(st.sampled_from(SEAMS), nests, max_size=3),
)
edits = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "insert"]),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=2),
    ),
    min_size=1,
    max_size=3,
)


def edited(data: bytes, changes: list[tuple[str, int, bytes]]) -> bytes:
    """`data` with bytes changed, cut off or put in (past the header: a damaged body)."""
    header = len(store._header())
    for kind, at, value in changes:
        at = header + at % max(len(data) - header, 1)
        if kind == "flip":
            data = data[:at] + value[:1] + data[at + 1 :]
        elif kind == "cut":
            data = data[:at]
        else:
            data = data[:at] + value + data[at:]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=cassettes, lazy=st.booleans(), shared=st.booleans(), pure_first=st.booleans())
def test_a_scanned_load_gives_the_cassette_the_python_reading_gives(
    made: Cassette, lazy: bool, shared: bool, pure_first: bool
) -> None:
    data = dump(made)
    if pure_first:  # its payloads known good to the scanned load, else new to it
        with pure():
            reference = outcome(data, lazy=lazy, shared=shared)
        scanned = outcome(data, lazy=lazy, shared=shared)
    else:
        scanned = outcome(data, lazy=lazy, shared=shared)
        with pure():
            reference = outcome(data, lazy=lazy, shared=shared)

    assert ("cassette", data) == (reference[0], reference[1][-1])
    assert reference == scanned


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=cassettes, changes=edits, lazy=st.booleans(), shared=st.booleans())
def test_a_damaged_cassette_fails_a_scanned_load_as_the_python_reading(
    made: Cassette, changes: list[tuple[str, int, bytes]], lazy: bool, shared: bool
) -> None:
    data = edited(dump(made), changes)

    with pure():
        reference = outcome(data, lazy=lazy, shared=shared)
    scanned = outcome(data, lazy=lazy, shared=shared)

    assert reference == scanned


@given(items=st.lists(payloads, max_size=6), before=st.binary(max_size=3))
def test_item_spans_are_the_bytes_msgpack_reads_for_each_item(
    items: list[Any], before: bytes
) -> None:
    data = before + pack([raw_tree(PACK(item)) for item in items])
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data[len(before) :])
    expected = []
    for _ in range(unpacker.read_array_header()):
        first = unpacker.tell()
        unpacker.skip()
        expected.append(data[len(before) + first : len(before) + unpacker.tell()])

    assert (expected, len(data)) == scan.item_spans(data, len(before))  # type: ignore[misc]


@pytest.mark.parametrize(
    "data", [b"", b"\x81\xa1a\x01", b"\x92\x01", b"\x91\xc1", b"\x91\xd9\x05ab", b"\x91\xdd\xff"]
)
def test_item_spans_leave_what_is_no_whole_array_to_msgpack(data: bytes) -> None:
    assert scan.item_spans(data, 0) is None  # type: ignore[misc]


@pytest.mark.parametrize(
    "entry",
    [
        [0, "return", 1, True],  # a bool count
        [0, "return", 1, 0],
        [0, "returned", 1, 1],
        [0, "return", 6, 1],  # past the table of 6
        [-1, "return", 1, 1],
        [0, "return", 1],
        (0, "return", 1, 1),
        [0, "return", 1, 2**64],  # an int C does not hold: the Python checks decide
    ],
)
def test_runs_not_plainly_valid_are_left_to_the_python_checks(entry: Any) -> None:
    assert scan.runs_of({"s": [entry]}, SHAPES, OUTCOMES, Run) is None  # type: ignore[misc]
    assert scan.runs_of({b"s": [[0, "return", 1, 1]]}, SHAPES, OUTCOMES, Run) is None  # type: ignore[misc]


@pytest.mark.parametrize(
    "entry",
    [
        ["p", 0, 2, 1],
        ["p", -1, 0, 1],
        ["p", 0, 0, 0],
        [b"p", 0, 0, 1],
        ["p", 0, False, 1],
        ["p", 0, 0],
    ],
)
def test_nests_not_plainly_valid_are_left_to_the_python_checks(entry: Any) -> None:
    assert scan.nests_of({"s": [entry]}, Nest) is None  # type: ignore[misc]


def test_runs_and_nests_are_the_objects_the_python_checks_make() -> None:
    runs = {"a": [[0, "return", 1, 3], [2, "raise", 0, 1]], "b": []}
    nesting = {"a": [["p", 0, 1, 2]], "b": []}

    made = scan.runs_of(runs, SHAPES, OUTCOMES, Run)  # type: ignore[misc]
    nests = scan.nests_of(nesting, Nest)  # type: ignore[misc]

    assert {seam: store._valid_runs(rs, SHAPES) for seam, rs in runs.items()} == made
    assert made["a"][0].args_shape is SHAPES[0]
    assert store._nesting(nesting) == nests
    assert [Nest] == [type(n) for n in nests["a"]]


def python_calls_while(load: Any) -> int:
    """How many Python functions run while `load()` runs."""
    count = 0

    def seen(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        count += event == "call"

    sys.setprofile(seen)
    try:
        load()
    finally:
        sys.setprofile(None)
    return count


def test_a_scanned_load_runs_no_python_code_per_kept_call() -> None:
    def cassette_of(n: int) -> bytes:
        kept = [
            Call(
                "s:f", "c", i, ("int",), "return", ("int",), raw_tree(PACK([i])), raw_tree(PACK(i))
            )
            for i in range(n)
        ]
        runs = {"s:f": [Run(("int",), "return", ("int",), n)]}
        return dump(Cassette("t", kept, runs, {"s:f": [Nest("p", 0, 1, n)]}))

    few, many = cassette_of(3), cassette_of(300)
    for data in (few, many):  # the payloads known good from now on
        loads(data, path=PATH, lazy=True)

    calls = [python_calls_while(lambda d=d: loads(d, path=PATH, lazy=True)) for d in (few, many)]
    with pure():
        reference = python_calls_while(lambda: loads(many, path=PATH, lazy=True))

    assert calls[0] == calls[1]
    assert reference > calls[1] + 300  # the Python reading calls per kept call


SHAPE_NAMES = st.sampled_from(
    ["int", "str", "dict", "obj", "coll", "tuple", "exc", "args", "map", "enum", "cut", "x", ""]
)
SHAPE_ATOMS = SHAPE_NAMES | st.integers(-1, 1) | st.none() | st.binary(max_size=1)
SHAPE_LIKE = st.recursive(SHAPE_ATOMS, lambda inner: st.lists(inner, max_size=4), max_leaves=14)


def as_tuples(value: Any) -> Any:
    """`value` with its lists as tuples (how a shape-table entry is unpacked)."""
    return tuple(as_tuples(v) for v in value) if isinstance(value, list) else value


def grammar_passes(value: Any) -> bool:
    try:
        check_shape(value)
    except (ValueError, TypeError):
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(entry=SHAPE_LIKE)
def test_a_shape_passes_the_compiled_check_exactly_where_the_grammar_passes(entry: Any) -> None:
    value = as_tuples(entry)  # exact tuples, strs and other atoms: nothing left to Python

    assert grammar_passes(value) is scan.plain_shape(value, *store._KINDS)  # type: ignore[misc]


@given(value=payloads)
def test_walked_shapes_pass_the_compiled_check(value: Any) -> None:
    shape = SHAPE_OF(value)

    assert scan.plain_shape(shape, *store._KINDS) is grammar_passes(shape) is True  # type: ignore[misc]
    assert scan.plain_shape(args_shape(("a",), [shape]), *store._KINDS) is True  # type: ignore[misc]
