"""seamrec.cassette.store.load_present: a test's cassette read at its start with one
read of the file: no file is no cassette, anything else is what `load` says."""

from pathlib import Path

import pytest

from seamrec.cassette.store import Cassette, Run, dump, load, load_present
from seamrec.exceptions import CassetteFormatError

CASSETTE = Cassette(
    "tests/test_a.py::test_one",
    runs={"app.orders:total": [Run(("args", ("n",), ((("int",),),)), "return", ("int",), 2)]},
)


def test_a_cassette_on_disk_reads_as_load_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "test_one.msgpack"
    path.write_bytes(dump(CASSETTE))

    assert load(path) == load_present(path) == CASSETTE


def test_no_file_is_no_cassette(tmp_path: Path) -> None:
    assert load_present(tmp_path / "missing.msgpack") is None
    assert load_present(tmp_path / "no" / "folder" / "missing.msgpack") is None


def test_a_file_where_a_folder_should_be_is_no_cassette(tmp_path: Path) -> None:
    (tmp_path / "tests").write_text("a file, not a folder")

    path = tmp_path / "tests" / "test_one.msgpack"

    assert not path.exists()
    assert load_present(path) is None


def test_a_folder_where_the_file_should_be_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "test_one.msgpack"
    path.mkdir()

    with pytest.raises(CassetteFormatError, match="cannot be read"):
        load_present(path)


def test_a_damaged_file_says_what_load_says(tmp_path: Path) -> None:
    path = tmp_path / "test_one.msgpack"
    path.write_bytes(b"not a cassette")

    with pytest.raises(CassetteFormatError) as from_load:
        load(path)
    with pytest.raises(CassetteFormatError) as from_present:
        load_present(path)
    assert str(from_load.value) == str(from_present.value)
