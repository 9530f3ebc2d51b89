"""A body's runs and nesting read by the compiled scan from their bytes (`runs_at`,
`nests_at`) are what `runs_of` and `nests_of` make of msgpack's reading of the same
bytes, or None where those (or the Python checks behind them) must decide; a lazy load
read by the scan alone (`store._scanned_body`, no unpacker) gives the cassette, or the
error, of the Python reading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seamrec.cassette import lazycalls, scan, store
from seamrec.cassette.store import Cassette, Run, dump, loads
from seamrec.exceptions import CassetteFormatError
from seamrec.model.nesting import Nest
from seamrec.model.paths import OUTCOMES

pytestmark = pytest.mark.skipif(scan.runs_at is None, reason="the C scan is not built")

PATH = Path("runs.msgpack")
SHAPES: list[Any] = [("int",), ("str",), ("none",)]
SEAMS = ["shop.orders:get", "sql:SELECT 1", "é:ü"]
HOOKS = [
    (store, "body_fields"),
    (store, "item_spans"),
    (store, "runs_of"),
    (store, "nests_of"),
    (store, "runs_at"),
    (store, "nests_at"),
    (lazycalls, "lazy_calls"),
]

# items of a run or nest entry: mostly plausible, sometimes not
fields = (
    st.integers(-2, 4)
    | st.sampled_from([*OUTCOMES, "returned", "p"])
    | st.sampled_from([True, False, None, 1.0, b"p", 2**63, 2**64 - 1, -(2**63), 2**40])
)
entries = st.lists(fields, min_size=3, max_size=5) | st.lists(
    st.sampled_from([0, 1, "return", "p"]), min_size=4, max_size=4
)
maps = st.dictionaries(
    st.sampled_from(SEAMS) | st.binary(max_size=2) | st.integers(0, 2),
    st.lists(entries, max_size=3) | st.none(),
    max_size=3,
)


def read_back(value: Any) -> tuple[bytes, Any]:
    """`value`'s msgpack bytes (after a prefix) and msgpack's reading of them."""
    data = msgpack.packb(value, use_bin_type=True)
    return b"\x00" + data, msgpack.unpackb(data, raw=False, strict_map_key=False)


def typed(found: Any) -> Any:
    """A reading with the type of each object in it (equal values of other types differ)."""
    if found is None:
        return None
    return {
        (type(seam), seam): [
            (type(item), item, [type(f) for f in fields_of(item)]) for item in items
        ]
        for seam, items in found.items()
    }


def fields_of(item: Any) -> list[Any]:
    if isinstance(item, Run):
        return [item.args_shape, item.outcome, item.result_shape, item.count]
    return list(item)


@settings(max_examples=400, deadline=None)
@given(value=maps)
def test_runs_at_reads_what_runs_of_makes_of_msgpacks_reading(value: Any) -> None:
    data, unpacked = read_back(value)

    found = scan.runs_at(data, 1, SHAPES, OUTCOMES, Run)  # type: ignore[misc]
    reference = scan.runs_of(unpacked, SHAPES, OUTCOMES, Run)  # type: ignore[misc]

    assert typed(reference) == (None if found is None else typed(found[0]))
    assert found is None or found[1] == len(data)


@settings(max_examples=400, deadline=None)
@given(value=maps)
def test_nests_at_reads_what_nests_of_makes_of_msgpacks_reading(value: Any) -> None:
    data, unpacked = read_back(value)

    found = scan.nests_at(data, 1, Nest)  # type: ignore[misc]
    reference = scan.nests_of(unpacked, Nest)  # type: ignore[misc]

    assert typed(reference) == (None if found is None else typed(found[0]))
    assert found is None or found[1] == len(data)


def test_a_run_reads_its_shapes_from_the_table() -> None:
    data, _ = read_back({"s": [[0, "return", 2, 3]]})

    found = scan.runs_at(data, 1, SHAPES, OUTCOMES, Run)  # type: ignore[misc]

    assert found is not None
    run = found[0]["s"][0]
    assert (run.args_shape, run.result_shape, run.count) == (SHAPES[0], SHAPES[2], 3)
    assert run.args_shape is SHAPES[0]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x81\xa1s",  # cut after the key
        b"\x82\xa1s\x90\xa1s\x90",  # a seam given twice: msgpack keeps the last
        b"\x81\xa1s\x91\x94\x00\xa6return\x01",  # cut inside an entry
        b"\x81\xa1s\x91\x94\x00\xa2\xff\xfe\x01\x01",  # an outcome that is not UTF-8
        b"\x90",  # an array
    ],
)
def test_bytes_msgpack_reads_otherwise_are_left_to_it(data: bytes) -> None:
    assert scan.runs_at(data, 0, SHAPES, OUTCOMES, Run) is None  # type: ignore[misc]
    assert scan.nests_at(data, 0, Nest) is None  # type: ignore[misc]


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


def outcome(data: bytes) -> tuple[str, Any]:
    """What a lazy load of `data` gives: its runs and nesting with their types, or its error."""
    try:
        found = loads(data, path=PATH, lazy=True)
    except CassetteFormatError as exc:
        return "error", str(exc)
    return "cassette", (typed(found.runs), typed(found.nesting), dump(found))


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
        Nest, st.sampled_from(SEAMS), st.integers(0, 9), st.integers(0, 1), st.integers(1, 9)
    ),
    max_size=3,
)
cassettes = st.builds(
    Cassette,
    st.text(max_size=10),
    st.just([]),
    st.dictionaries(st.sampled_from(SEAMS), runs, max_size=3),
    st.none() | st.dictionaries(st.sampled_from(SEAMS), nests, max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=cassettes, at=st.integers(0, 10**6), value=st.binary(min_size=1, max_size=2))
def test_a_load_gives_what_the_python_reading_gives(made: Cassette, at: int, value: bytes) -> None:
    whole = dump(made)
    header = len(store._header())
    at = header + at % (len(whole) - header)
    for data in (whole, whole[:at] + value + whole[at + 1 :], whole[:at] + value + whole[at:]):
        with pure():
            reference = outcome(data)
        assert reference == outcome(data)
    kind, found = outcome(whole)
    assert ("cassette", whole) == (kind, found[-1])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=cassettes)
def test_a_canonical_body_is_read_without_an_unpacker(made: Cassette) -> None:
    data = dump(made)

    found = store._scanned_body(data, store._ExtCheck(), shared=False)

    assert found is not None
    with pure():
        reference = loads(data, path=PATH, lazy=True)
    assert (typed(reference.runs), typed(reference.nesting), dump(reference)) == (
        typed(found.runs),
        typed(found.nesting),
        dump(found),
    )


@pytest.mark.parametrize(
    "body",
    [
        {"test": "t", "shapes": [], "calls": [], "runs": {}, "extra": 1},  # a key not ours
        {"test": "t", "shapes": [], "calls": []},  # no runs
        {"test": 1, "shapes": [], "calls": [], "runs": {}},  # the test not a str
        {"test": "t", "shapes": [], "calls": [], "runs": {}, "nesting": None},
    ],
)
def test_a_body_dump_would_not_write_is_left_to_the_unpacker(body: dict[str, Any]) -> None:
    data = store._header() + msgpack.packb(body)

    assert store._scanned_body(data, store._ExtCheck(), shared=False) is None
    with pure():
        reference = outcome(data)
    assert reference == outcome(data)
