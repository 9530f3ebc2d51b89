"""A cassette is read to its end even when the file system hands it over in pieces
(a pipe, some network and FUSE file systems): a short read is not the end of the file."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from seamrec.cassette.store import _read_bytes


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe (POSIX)")
def test_a_file_given_in_pieces_is_read_whole(tmp_path: Path) -> None:
    pipe = tmp_path / "pieces"
    os.mkfifo(pipe)
    pieces = [bytes([n]) * 70_000 for n in range(3)]

    def write_slowly() -> None:
        with open(pipe, "wb", buffering=0) as out:
            for piece in pieces:
                out.write(piece)
                time.sleep(0.05)

    writer = threading.Thread(target=write_slowly)
    writer.start()
    try:
        assert _read_bytes(pipe) == b"".join(pieces)
    finally:
        writer.join(timeout=5)


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "whole"
    path.write_bytes(b"seamrec" * 50_000)
    assert _read_bytes(path) == b"seamrec" * 50_000
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert _read_bytes(empty) == b""
