"""What the shortcuts of a recorded test's end keep: a cassette's bytes do not depend on
whether its runs share shape objects or hold equal copies, a secret used as a key is
replaced in every run that repeats its shape, payload bytes decode to the trees msgpack
gives, and a cassette is written into a folder that is not there yet."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from seamrec.cassette.redact import Redactor
from seamrec.cassette.store import Call, Cassette, Run, dump, write_atomic
from seamrec.model.codec import raw_tree
from seamrec.model.format_agreement import inconsistent, inconsistent_by_root
from seamrec.model.paths import REDACTED
from seamrec.model.shape import Shape

SEAM = "app.repo:find"
TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


def args_shape() -> Shape:
    return ("args", ("user_id",), ((("int",),),))


def row_shape(key: str = "name") -> Shape:
    return ("dict", "dict", ("id", key), ((("int",),), (("str", "hex(32)"),)))


def cassette(args: Shape, rows: list[Shape]) -> Cassette:
    made = Cassette("tests/test_a.py::test_a")
    made.calls = [Call(SEAM, "app.api", 0, args, "return", rows[0], {"user_id": 7}, None)]
    made.runs = {SEAM: [Run(args, "return", row, 1 + n) for n, row in enumerate(rows)]}
    return made


def test_runs_sharing_shape_objects_dump_as_runs_holding_equal_copies() -> None:
    args, row = args_shape(), row_shape()
    shared = cassette(args, [row, row_shape("other"), row])
    copies = cassette(args_shape(), [row_shape(), row_shape("other"), row_shape()])

    assert dump(copies) == dump(shared)
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(shared))
    _, body = list(unpacker)
    assert 3 == len(body["shapes"])  # args, row and the other row: each once


def test_a_secret_key_is_replaced_in_every_run_that_repeats_its_shape() -> None:
    secret_row = row_shape(TOKEN)
    made = cassette(args_shape(), [secret_row, row_shape(), secret_row])

    redacted = Redactor().redact(made)

    keys = [run.result_shape[2][1] for run in redacted.runs[SEAM]]
    assert [REDACTED, "name", REDACTED] == keys
    assert REDACTED == redacted.calls[0].result_shape[2][1]


def test_the_shapes_a_re_record_compares_are_those_redaction_writes() -> None:
    secret_row = row_shape(TOKEN)
    made = cassette(args_shape(), [secret_row, row_shape(), secret_row])

    compared = Redactor().shapes_redacted(made)
    written = Redactor().redact(cassette(args_shape(), [secret_row, row_shape(), secret_row]))

    assert [r.result_shape for r in written.runs[SEAM]] == [
        r.result_shape for r in compared.runs[SEAM]
    ]


def test_payload_bytes_decode_to_the_trees_msgpack_gives() -> None:
    tree = {"a": [msgpack.ExtType(5, b"\x92\xa1x\x01"), None], "b": msgpack.ExtType(127, b"")}
    data = msgpack.packb(tree, use_bin_type=True)

    decoded = raw_tree(data)

    assert msgpack.unpackb(data, raw=False, strict_map_key=False) == decoded
    assert msgpack.ExtType is type(decoded["b"])
    assert msgpack.packb(decoded, use_bin_type=True) == data


def test_an_ext_code_msgpack_refuses_is_still_refused() -> None:
    with pytest.raises(ValueError, match="code must be"):
        raw_tree(b"\xd4\xfe\x00")  # fixext 1 of code -2


def test_format_disagreement_given_by_root_is_what_the_pairs_give() -> None:
    uuid_id: Shape = ("dict", "dict", ("id",), ((("str", "uuid"),),))
    plain_id: Shape = ("dict", "dict", ("id",), ((("str",),),))
    hex_id: Shape = ("dict", "dict", ("id",), ((("str", "hex(32)"),),))
    pairs = [("args", uuid_id), ("return", hex_id), ("args", plain_id), ("return", hex_id)]

    by_root = {
        "args": {id(uuid_id): uuid_id, id(plain_id): plain_id},
        "return": {id(hex_id): hex_id},
    }

    assert {("args", "id", "str")} == inconsistent(pairs) == inconsistent_by_root(by_root)


def test_a_cassette_is_written_into_a_folder_that_is_not_there_yet(tmp_path: Path) -> None:
    path = tmp_path / "tests" / "test_a" / "test_one.msgpack"

    write_atomic(path, b"bytes")
    write_atomic(path, b"again")

    assert b"again" == path.read_bytes()
    assert ["test_one.msgpack"] == [p.name for p in path.parent.iterdir()]
