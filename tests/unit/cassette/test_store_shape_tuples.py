"""A shape-table entry read with its arrays as tuples (no list-to-tuple copy) gives what
the full read gives: the same shape for a valid entry, the same error for any other."""

from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.cassette import store
from seamrec.cassette.store import FORMAT, VERSION, loads
from seamrec.exceptions import CassetteFormatError

PATH = Path("cassettes/tests/entry.msgpack")
NAMES = st.sampled_from(["int", "str", "dict", "coll", "tuple", "args", "map", "list", "x", ""])
ATOMS = st.one_of(
    NAMES,
    st.integers(-2, 2),
    st.none(),
    st.booleans(),
    st.binary(max_size=2),
    st.just(msgpack.ExtType(1, b"x")),
)

ENTRIES = st.recursive(ATOMS, lambda inner: st.lists(inner, max_size=4), max_leaves=12)
VALID = [
    ["int"],
    ["str", "uuid"],
    ["dict", "dict", ["id", "tags"], [[["int"]], [["coll", "list", [["str"]]]]]],
    ["args", ["self", "n"], [[["self", "app.Repo"]], [["int"], ["None"]]]],
    ["map", "dict", [["int"]], [["tuple", "tuple", [[["int"]], [["cut", "depth"]]]]]],
]


def cassette_bytes(entry: Any) -> bytes:
    body = {
        "test": "t.py::entry",
        "shapes": [entry],
        "calls": [],
        "runs": {"s:f": [[0, "return", 0, 1]]},
    }
    return msgpack.packb({"format": FORMAT, "version": VERSION}) + msgpack.packb(body)


def full_read(entry: Any) -> Any:
    """The shape the full read makes of `entry`, or its error as `loads` words it."""
    try:
        return store._valid_shape(entry)
    except Exception as exc:
        return f"{PATH}: has an invalid structure ({type(exc).__name__}: {exc})"


def read(entry: Any) -> Any:
    try:
        return loads(cassette_bytes(entry), path=PATH).runs["s:f"][0].args_shape
    except CassetteFormatError as exc:
        return str(exc)


@pytest.mark.parametrize("entry", VALID)
def test_a_valid_entry_reads_as_the_full_read_does(entry: Any) -> None:
    expected = full_read(entry)
    assert isinstance(expected, tuple)
    assert read(entry) == expected
    assert read(entry) is read(entry)  # known by its bytes now: the same object


@pytest.mark.parametrize(
    "entry",
    [
        {"kind": "int"},
        ["int", 5],
        ["dict", "dict", ["id"], [[msgpack.ExtType(1, b"x")]]],
        msgpack.ExtType(1, b"x"),
        ["coll", "list", [["str", None]]],
        ["args", ["n"], [[{"x": 1}]]],
        "int",
    ],
)
def test_an_invalid_entry_is_the_full_reads_error(entry: Any) -> None:
    assert read(entry) == full_read(entry)
    assert isinstance(read(entry), str)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ENTRIES)
def test_any_entry_reads_as_the_full_read_does(entry: Any) -> None:
    assert read(entry) == full_read(entry)
