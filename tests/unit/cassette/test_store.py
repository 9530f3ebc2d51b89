"""seamrec.cassette.store: file format, paths, strict loading and atomic writes."""

import dataclasses
import hashlib
import random
from pathlib import Path
from typing import Any

import msgpack
import pytest

from seamrec.cassette.store import (
    FORMAT,
    SUFFIX,
    TEMP_SUFFIX,
    VERSION,
    Call,
    Cassette,
    Run,
    cassette_path,
    dump,
    load,
    loads,
    write_atomic,
)
from seamrec.config import Limits
from seamrec.exceptions import CassetteError, CassetteFormatError
from seamrec.model.codec import ObjectView, make_encoder, pack, unpack
from seamrec.model.shape import args_shape, make_shape_function

shape_of = make_shape_function()
encode = make_encoder(Limits())
PATH = Path("cassettes/tests/test_orders/test_create.msgpack")
SEAM = "shop.repository:OrderRepo.get_order"


@dataclasses.dataclass
class Order:
    id: int
    total: str
    items: list[tuple[str, int]]


def recorded_call(
    seam: str, index: int, order_id: int, result: object, outcome: str = "return"
) -> Call:
    return Call(
        seam=seam,
        caller="tests/test_orders.py:12",
        index=index,
        args_shape=args_shape(("order_id",), [shape_of(order_id)]),
        outcome=outcome,
        result_shape=shape_of(result),
        args=encode({"order_id": order_id}),
        result=encode(result),
    )


def make_cassette(order_id: int = 7, total: str = "9.99", sku: str = "MUG-1") -> Cassette:
    order = Order(order_id, total, [(sku, 2), ("TEA", 1)])
    other = {"id": order_id, "when": None, "tags": {"a", "b"}, "big": 2**80}
    error = LookupError(f"order {order_id} not found")
    first = recorded_call(SEAM, 0, order_id, order)
    second = recorded_call(SEAM, 1, order_id + 1, order)
    third = recorded_call("shop.api:handle", 0, order_id, other)
    failing = recorded_call("shop.api:handle", 1, order_id, error, outcome="raise")
    return Cassette(
        test="tests/test_orders.py::test_create",
        calls=[first, second, third, failing],
        runs={
            SEAM: [Run(first.args_shape, "return", first.result_shape, 5)],
            "shop.api:handle": [
                Run(third.args_shape, "return", third.result_shape, 1),
                Run(failing.args_shape, "raise", failing.result_shape, 2),
            ],
        },
    )


def header(**fields: object) -> bytes:
    return msgpack.packb({"format": FORMAT, "version": VERSION, **fields})


def format_error(data: bytes, path: Path = PATH) -> CassetteFormatError:
    with pytest.raises(CassetteFormatError) as info:
        loads(data, path=path)
    return info.value


# ----------------------------------------------------------------- dump and loads


def test_dump_then_loads_gives_the_same_cassette() -> None:
    cassette = make_cassette()

    assert cassette == loads(dump(cassette), path=PATH)


def test_loaded_payloads_unpack_to_views() -> None:
    loaded = loads(dump(make_cassette()), path=PATH)
    call = loaded.detail(SEAM, 1)

    assert call is not None
    assert {"order_id": 8} == unpack(pack(call.args))
    expected = ObjectView(
        f"{__name__}.Order", (("id", 7), ("total", "9.99"), ("items", [("MUG-1", 2), ("TEA", 1)]))
    )
    assert expected == unpack(pack(call.result))


def test_empty_cassette_roundtrips() -> None:
    cassette = Cassette(test="tests/test_a.py::test_nothing")

    assert cassette == loads(dump(cassette), path=PATH)


def test_dump_is_canonical() -> None:
    data = dump(make_cassette())

    assert data == dump(make_cassette())
    assert data == dump(loads(data, path=PATH))
    assert data == dump(loads(dump(loads(data, path=PATH)), path=PATH))


def test_dump_starts_with_the_versioned_header() -> None:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(make_cassette()))

    assert {"format": "seamrec-cassette", "version": 1} == unpacker.unpack()
    assert ["calls", "runs", "shapes", "test"] == sorted(unpacker.unpack())


def test_dump_stores_each_distinct_shape_once() -> None:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(make_cassette()))
    unpacker.unpack()
    body = unpacker.unpack()

    shapes = [repr(shape) for shape in body["shapes"]]

    assert len(shapes) == len(set(shapes))
    assert 4 == len(shapes)  # the args shape, Order, the dict result and the exception


def test_cassette_queries() -> None:
    cassette = make_cassette()
    returned, raised = cassette.calls[2], cassette.calls[3]

    assert 8 == cassette.call_count()
    assert [
        (returned.args_shape, "return", returned.result_shape),
        (raised.args_shape, "raise", raised.result_shape),
        (raised.args_shape, "raise", raised.result_shape),
    ] == list(cassette.shapes_at("shop.api:handle"))
    assert 5 == len(list(cassette.shapes_at(SEAM)))
    assert [] == list(cassette.shapes_at("shop.nowhere:f"))
    assert returned == cassette.detail("shop.api:handle", 0)
    assert cassette.detail(SEAM, 9) is None


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"
    path.write_bytes(dump(make_cassette()))

    assert make_cassette() == load(path)


def test_load_of_a_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "missing.msgpack"

    with pytest.raises(CassetteFormatError) as info:
        load(path)

    assert path == info.value.path
    assert str(info.value).startswith(f"{path}: cannot be read")


# ------------------------------------------------------------ broken cassettes


def test_format_errors_are_cassette_errors() -> None:
    assert issubclass(CassetteFormatError, CassetteError)


def test_empty_bytes_raise_a_format_error_naming_the_path() -> None:
    error = format_error(b"")

    assert PATH == error.path
    assert f"{PATH}: is empty" == str(error)


def test_every_truncation_raises_a_format_error_naming_the_path() -> None:
    data = dump(make_cassette())
    problems = []

    for length in range(len(data)):
        try:
            loads(data[:length], path=PATH)
        except CassetteFormatError as exc:
            if exc.path != PATH or not str(exc).startswith(f"{PATH}: "):
                problems.append((length, str(exc)))
        except Exception as exc:  # any other exception is a bug
            problems.append((length, repr(exc)))
        else:
            problems.append((length, "loaded without error"))

    assert [] == problems


@pytest.mark.parametrize("seed", range(20))
def test_random_garbage_raises_a_format_error(seed: int) -> None:
    data = random.Random(seed).randbytes(1 + seed * 13)

    assert PATH == format_error(data).path


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",
        b"not a cassette at all",
        b"\x00" * 64,
        msgpack.packb([FORMAT, VERSION]),
        msgpack.packb("seamrec-cassette"),
        msgpack.packb({"version": VERSION}),
    ],
    ids=["reserved-byte", "text", "zeros", "header-as-list", "header-as-string", "no-format"],
)
def test_bytes_without_a_seamrec_header_raise_a_format_error(data: bytes) -> None:
    error = format_error(data)

    assert PATH == error.path
    assert "is not a seamrec cassette" in str(error)


def test_foreign_header_raises_a_format_error() -> None:
    body = dump(make_cassette())[len(header()) :]

    error = format_error(msgpack.packb({"format": "vcrpy-cassette", "version": 1}) + body)

    assert f"{PATH}: is not a seamrec cassette (no seamrec header)" == str(error)


@pytest.mark.parametrize("version", [0, 2, 99, "1", None, [1]])
def test_unknown_version_says_which_version_is_supported(version: object) -> None:
    body = dump(make_cassette())[len(header()) :]
    data = msgpack.packb({"format": FORMAT, "version": version}) + body

    error = format_error(data)

    assert PATH == error.path
    assert f"has format version {version!r}; this seamrec reads version 1" in str(error)


def test_missing_version_says_which_version_is_supported() -> None:
    error = format_error(msgpack.packb({"format": FORMAT}))

    assert "this seamrec reads version 1" in str(error)


@pytest.mark.parametrize(
    "extra",
    [b"\x00", msgpack.packb({"test": "again"}), b"\xc1", b"\xdc\x00"],
    ids=["fixint", "second-body", "reserved-byte", "truncated-array"],
)
def test_trailing_data_raises_a_format_error(extra: bytes) -> None:
    error = format_error(dump(make_cassette()) + extra)

    assert PATH == error.path
    assert "trailing data" in str(error)


def test_header_without_body_raises_a_format_error() -> None:
    error = format_error(header())

    assert f"{PATH}: is truncated or corrupt" in str(error)


def valid_body() -> dict[str, Any]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(make_cassette()))
    unpacker.unpack()
    body: dict[str, Any] = unpacker.unpack()
    return body


def edited(edit: Any) -> bytes:
    body = valid_body()
    edit(body)
    return header() + msgpack.packb(body)


HAND_EDITS = {
    "body-with-other-keys": lambda b: b.clear() or b.update({"x": 1}),
    "no-test": lambda b: b.pop("test"),
    "test-is-int": lambda b: b.update(test=3),
    "test-is-bool": lambda b: b.update(test=True),
    "no-shapes": lambda b: b.pop("shapes"),
    "shapes-is-map": lambda b: b.update(shapes={"a": 1}),
    "shape-with-int": lambda b: b["shapes"].append([["int"], 5]),
    "shape-is-int": lambda b: b["shapes"].__setitem__(0, 5),
    "calls-is-map": lambda b: b.update(calls={}),
    "call-too-short": lambda b: b["calls"][0].pop(),
    "call-too-long": lambda b: b["calls"][0].append(None),
    "call-is-map": lambda b: b["calls"].__setitem__(0, {"seam": SEAM}),
    "call-seam-is-int": lambda b: b["calls"][0].__setitem__(0, 1),
    "call-caller-is-none": lambda b: b["calls"][0].__setitem__(1, None),
    "call-index-is-str": lambda b: b["calls"][0].__setitem__(2, "0"),
    "call-index-is-bool": lambda b: b["calls"][0].__setitem__(2, False),
    "call-shape-ref-out-of-range": lambda b: b["calls"][0].__setitem__(3, 99),
    "call-shape-ref-negative": lambda b: b["calls"][0].__setitem__(3, -1),
    "call-shape-ref-is-str": lambda b: b["calls"][0].__setitem__(5, "0"),
    "call-outcome-unknown": lambda b: b["calls"][0].__setitem__(4, "returned"),
    "runs-is-list": lambda b: b.update(runs=[]),
    "runs-key-is-int": lambda b: b["runs"].update({5: []}),
    "seam-runs-is-map": lambda b: b["runs"].update({SEAM: {}}),
    "run-too-short": lambda b: b["runs"][SEAM][0].pop(),
    "run-shape-ref-out-of-range": lambda b: b["runs"][SEAM][0].__setitem__(0, 42),
    "run-shape-ref-negative": lambda b: b["runs"][SEAM][0].__setitem__(2, -2),
    "run-shape-ref-is-float": lambda b: b["runs"][SEAM][0].__setitem__(0, 0.0),
    "run-outcome-unknown": lambda b: b["runs"][SEAM][0].__setitem__(1, "crash"),
    "run-count-zero": lambda b: b["runs"][SEAM][0].__setitem__(3, 0),
    "run-count-negative": lambda b: b["runs"][SEAM][0].__setitem__(3, -4),
    "run-count-is-str": lambda b: b["runs"][SEAM][0].__setitem__(3, "5"),
    "run-count-is-bool": lambda b: b["runs"][SEAM][0].__setitem__(3, True),
}


@pytest.mark.parametrize("edit", HAND_EDITS.values(), ids=HAND_EDITS.keys())
def test_hand_edited_structure_raises_a_format_error(edit: Any) -> None:
    error = format_error(edited(edit))

    assert PATH == error.path
    assert f"{PATH}: has an invalid structure" in str(error)


def test_body_that_is_not_a_map_raises_a_format_error() -> None:
    error = format_error(header() + msgpack.packb(["tests/test_a.py::t", [], [], {}]))

    assert f"{PATH}: has an invalid structure (TypeError: body is not a map)" == str(error)


def test_untouched_body_loads() -> None:
    assert make_cassette() == loads(edited(lambda b: None), path=PATH)


# ---------------------------------------------------------------- cassette_path


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("tests/test_orders.py::test_create", "tests/test_orders/test_create.msgpack"),
        ("tests/api/test_users.py::test_get", "tests/api/test_users/test_get.msgpack"),
        ("test_top.py::test_one", "test_top/test_one.msgpack"),
        (
            "tests/test_orders.py::TestApi::test_get",
            "tests/test_orders/TestApi.test_get.msgpack",
        ),
        (
            "tests/test_orders.py::TestApi::TestNested::test_get",
            "tests/test_orders/TestApi.TestNested.test_get.msgpack",
        ),
        ("tests/test_orders.py::test_total[1-2]", "tests/test_orders/test_total[1-2].msgpack"),
        ("tests/test_orders.py", "tests/test_orders/module.msgpack"),
    ],
)
def test_cassette_path_mirrors_the_test_file_path(nodeid: str, expected: str) -> None:
    root = Path("/project/cassettes")

    assert root / expected == cassette_path(root, nodeid)


@pytest.mark.parametrize(
    "param",
    [
        "a/b",
        "a b",
        "../../etc/passwd",
        "x\\y",
        "é",
        "a:b",
        "tab\there",
        "nul\x00byte",
        "*?<>|\"'",
        "/absolute",
    ],
)
def test_parametrized_id_with_unsafe_chars_gets_a_hash_suffix_and_stays_in_the_dir(
    tmp_path: Path, param: str
) -> None:
    path = cassette_path(tmp_path, f"tests/test_orders.py::test_total[{param}]")

    assert tmp_path / "tests" / "test_orders" == path.parent
    assert path.resolve().is_relative_to(tmp_path.resolve())
    assert path.name.startswith("test_total[")
    assert path.name.endswith(SUFFIX)
    assert 8 == len(path.name[: -len(SUFFIX)].rpartition("-")[2])
    assert all(c.isascii() and (c.isalnum() or c in "._-[]") for c in path.name)


def test_ids_that_differ_only_in_unsafe_chars_get_different_files(tmp_path: Path) -> None:
    names = ["a/b", "a b", "a:b", "a_b", "a?b"]

    paths = {cassette_path(tmp_path, f"tests/test_x.py::test_p[{n}]") for n in names}

    assert len(names) == len(paths)


def test_very_long_test_ids_are_shortened_with_a_hash(tmp_path: Path) -> None:
    first = cassette_path(tmp_path, "tests/test_x.py::test_p[" + "x" * 300 + "1]")
    second = cassette_path(tmp_path, "tests/test_x.py::test_p[" + "x" * 300 + "2]")

    assert first != second
    assert first.parent == second.parent == tmp_path / "tests" / "test_x"
    assert len(first.name) <= 120 + len(SUFFIX)


@pytest.mark.parametrize(
    "nodeid",
    [
        "../../evil.py::test",
        "tests/../../evil.py::test",
        "/etc/evil.py::test",
        "./../x.py::t",
        "tests/test_x.py::..",
        "tests/test_x.py::test_p[..]",
        "tests/test_x.py::test_p[../..]",
    ],
)
def test_test_file_path_cannot_escape_the_cassette_dir(tmp_path: Path, nodeid: str) -> None:
    path = cassette_path(tmp_path, nodeid)

    assert path.resolve().is_relative_to(tmp_path.resolve())


def test_cassette_path_is_stable() -> None:
    nodeid = "tests/test_orders.py::test_total[a/b c]"

    digest = hashlib.sha1(b"test_total[a/b c]").hexdigest()[:8]

    assert cassette_path(Path("c"), nodeid) == cassette_path(Path("c"), nodeid)
    assert Path(f"c/tests/test_orders/test_total[a_b_c]-{digest}.msgpack") == cassette_path(
        Path("c"), nodeid
    )


# ------------------------------------------------------------------ write_atomic


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


def test_write_atomic_creates_parent_folders_and_writes_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "c.msgpack"

    write_atomic(path, b"payload")

    assert b"payload" == path.read_bytes()
    assert ["c.msgpack"] == sorted(p.name for p in path.parent.iterdir())


def test_write_atomic_replaces_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"
    path.write_bytes(b"old contents")

    with path.open("rb") as reader:
        write_atomic(path, b"new")
        old_view = reader.read()

    assert b"old contents" == old_view  # the old file was replaced, not rewritten in place
    assert b"new" == path.read_bytes()
    assert [] == leftovers(tmp_path)
    assert ["c.msgpack"] == sorted(p.name for p in tmp_path.iterdir())


def test_write_atomic_many_times_leaves_only_the_last_version(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"

    for n in range(20):
        write_atomic(path, dump(make_cassette(order_id=n)))

    assert make_cassette(order_id=19) == load(path)
    assert ["c.msgpack"] == sorted(p.name for p in tmp_path.iterdir())


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"
    path.write_bytes(b"old")

    with pytest.raises(TypeError):
        write_atomic(path, "not bytes")  # type: ignore[arg-type]

    assert b"old" == path.read_bytes()
    assert [] == leftovers(tmp_path)


# --------------------------------------------------------------------- signature


def test_signature_ignores_values() -> None:
    assert (
        make_cassette(order_id=1, total="1.00", sku="A").signature()
        == make_cassette(order_id=2, total="250.00", sku="LONG-SKU-NAME").signature()
    )


def test_signature_changes_when_a_shape_changes() -> None:
    original = make_cassette()
    changed = make_cassette()
    call = changed.calls[0]
    new_shape = shape_of(Order(7, 9.99, [("MUG-1", 2)]))  # type: ignore[arg-type]
    changed.runs[SEAM] = [Run(call.args_shape, "return", new_shape, 5)]

    assert original.signature() != changed.signature()


def test_signature_changes_when_the_outcome_changes() -> None:
    original = make_cassette()
    changed = make_cassette()
    run = changed.runs[SEAM][0]
    changed.runs[SEAM] = [dataclasses.replace(run, outcome="raise")]

    assert original.signature() != changed.signature()


def test_signature_ignores_dict_key_order_in_shapes() -> None:
    first = Cassette("t", runs={SEAM: [Run(("int",), "return", shape_of({"a": 1, "b": "x"}), 1)]})
    second = Cassette("t", runs={SEAM: [Run(("int",), "return", shape_of({"b": "x", "a": 1}), 1)]})

    assert first.signature() == second.signature()


def test_signature_survives_a_dump_and_load() -> None:
    cassette = make_cassette()

    assert cassette.signature() == loads(dump(cassette), path=PATH).signature()
