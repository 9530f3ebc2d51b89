"""seamrec.runtime.writer: the old cassette is read whole with `os` calls (or None), and
a payload's bytes decode to the one tree `raw_tree` gives, the same object each time."""

from __future__ import annotations

from pathlib import Path

import msgpack

from seamrec.model.codec import raw_tree
from seamrec.runtime.writer import SharedTrees, _read


def test_the_old_cassette_is_read_whole_whatever_its_size(tmp_path: Path) -> None:
    sizes = {"empty": b"", "small": b"\x81\xa1a\x01", "large": bytes(range(256)) * 1000}
    for name, data in sizes.items():  # (the large one takes more than one read)
        tmp_path.joinpath(name).write_bytes(data)

    assert sizes == {name: _read(tmp_path / name) for name in sizes}


def test_no_cassette_or_one_that_cannot_be_read_is_none(tmp_path: Path) -> None:
    assert _read(tmp_path / "absent.msgpack") is None
    assert _read(tmp_path) is None  # a folder


def test_the_same_bytes_give_the_same_tree_that_raw_tree_gives() -> None:
    trees = SharedTrees()
    data = msgpack.packb({"a": [msgpack.ExtType(5, b"\x92\xa1x\x01"), None]}, use_bin_type=True)

    first, again = trees(data), trees(bytes(bytearray(data)))

    assert raw_tree(data) == first
    assert first is again
    assert trees(None) is None
    assert [1] == trees(msgpack.packb([1]))


def test_a_large_payload_is_decoded_each_time() -> None:
    trees = SharedTrees()
    data = msgpack.packb(["x" * 20_000])

    assert trees(data) == trees(data) == raw_tree(data)
    assert trees(data) is not trees(data)
