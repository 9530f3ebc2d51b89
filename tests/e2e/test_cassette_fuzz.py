"""Damaged cassettes: whatever bytes a cassette file holds, seamrec fails cleanly.

`cassette.loads` either returns a Cassette or raises CassetteFormatError naming the file,
quickly and in bounded memory. A damaged file that still loads must not break the code
that consumes cassettes (signatures, payload views, drift explanations) with anything but
seamrec's own errors. End to end, a bad cassette fails only its own test, with a message
naming the file and the command that re-records it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import importlib
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import LayeredApp, examples, seamrec_summary
from seamrec.cassette.store import FORMAT, Call, Cassette, Run, dump, loads
from seamrec.config import Limits, settings_from_table
from seamrec.exceptions import CassetteFormatError, SeamrecError
from seamrec.model.codec import Ext, make_encoder, pack, unpack
from seamrec.model.shape import args_shape, make_shape_function
from seamrec.review.explain import explain
from seamrec.runtime.session import Mode, SeamSession

PATH = Path("cassettes/tests/test_fuzz/test_fuzzed[case].msgpack")
MAX_INPUT = 64 * 1024
MAX_PEAK = 16 * 1024 * 1024  # bytes traced while loading an input under 64 KiB
FUZZ = settings(
    max_examples=examples(200),
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------ the corpus of real cassettes

PACKAGE = "fuzzpkg"
MODELS = """\
import dataclasses
import datetime as dt
import decimal
import enum
import sqlite3
import uuid
from typing import NamedTuple


class Status(enum.Enum):
    OPEN = "open"
    SHIPPED = "shipped"


class Line(NamedTuple):
    sku: str
    qty: int


@dataclasses.dataclass
class Order:
    id: int
    total: decimal.Decimal
    lines: list[Line]
    status: Status
    placed: dt.datetime
    ref: uuid.UUID
    tags: set[str]


class NotFound(LookupError):
    pass


def order(order_id):
    if order_id < 0:
        raise NotFound(f"order {order_id}")
    return Order(
        order_id,
        decimal.Decimal("9.99"),
        [Line("MUG", 2), Line("TEA", 1)],
        Status.OPEN,
        dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc),
        uuid.UUID(int=order_id),
        {"gift", "fragile"},
    )


def rows():
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    return db.execute("SELECT 1 AS id, 'Ada' AS name, x'00ff' AS blob").fetchall()


def mixed(value):
    return {"value": value, "when": dt.date(2024, 1, 2), "span": dt.timedelta(seconds=5),
            "big": 2**70, "pair": (value, None), "raw": b"\\x00\\x01", "by_id": {1: "a"}}


class Repo:
    def get(self, key):
        return {"key": key}

    @classmethod
    def build(cls):
        return cls()


def stream(n):
    for i in range(n):
        yield {"i": i} if i % 2 else [i]
"""


def record_in_process(root: Path) -> list[bytes]:
    """Cassettes recorded by a real SeamSession over a throwaway package."""
    package = root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    config = settings_from_table(
        {"boundaries": [PACKAGE], "payload_calls": 3, "redact": ["blob"]}, rootdir=root
    )
    session = SeamSession(config, Mode.RECORD)
    try:
        session.start()
        models: Any = importlib.import_module(f"{PACKAGE}.models")
        tests: dict[str, Callable[[], object]] = {
            "test_orders": lambda: [models.order(i) for i in range(5)],
            "test_not_found": lambda: _raises(lambda: models.order(-1)),
            "test_rows_and_mixed": lambda: (
                models.rows(),
                [models.mixed(v) for v in (1, "a", 2.5, None, [1], {"k": True})],
            ),
            "test_stream": lambda: (list(models.stream(7)), next(models.stream(3))),
            "test_methods": lambda: models.Repo.build().get("k"),
        }
        for name, action in tests.items():
            session.begin_test(f"tests/test_fuzz.py::{name}")
            action()
            session.end_test_calls()
            session.finish_test("passed")
    finally:
        session.stop()
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
    recorded = sorted(config.cassette_dir.rglob("*.msgpack"))
    assert len(tests) == len(recorded)
    return [path.read_bytes() for path in recorded]


def _raises(action: Callable[[], object]) -> None:
    try:
        action()
    except LookupError:
        return
    raise AssertionError("expected a LookupError")


class Colour(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Parcel:
    weight: float
    colour: Colour


class Pair(NamedTuple):
    left: object
    right: object


def built_by_hand() -> bytes:
    """A cassette assembled from Cassette/Call/Run, with many kinds of payload."""
    shape_of = make_shape_function()
    encode = make_encoder(Limits(max_items=3, max_str=16))
    seam = "shop.api:handle"
    calls: list[Call] = []
    runs: list[Run] = []
    values: list[object] = [
        {"parcel": Parcel(1.5, Colour.RED), "pair": Pair(b"x", frozenset({1, 2}))},
        [dt.time(1, 2, tzinfo=dt.UTC), complex(1, 2), bytearray(b"ab"), "y" * 40],
        ValueError("boom", 3),
        {"deep": [[[[{"k": decimal.Decimal("1e-3")}]]]], "many": list(range(10))},
    ]
    for index, value in enumerate(values):
        outcome = "raise" if isinstance(value, BaseException) else "return"
        args = {"request": {"id": index, "tags": ("a", index)}}
        call = Call(
            seam,
            "tests/test_shop.py",
            index,
            args_shape(("request",), [shape_of(args["request"])]),
            outcome,
            shape_of(value),
            encode(args),
            encode(value),
        )
        calls.append(call)
        runs.append(Run(call.args_shape, outcome, call.result_shape, index + 1))
    cassette = Cassette(test="tests/test_shop.py::test_handle[x-1]", calls=calls)
    cassette.runs = {seam: runs, "shop.db:ping": [Run(("args", (), ()), "return", ("None",), 9)]}
    return dump(cassette)


class Corpus(list[bytes]):
    """The seed cassettes; a short repr keeps hypothesis' reports readable."""

    def __repr__(self) -> str:
        return f"<{len(self)} seed cassettes>"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Real cassettes to mutate: recorded in-process, and built by hand."""
    found = Corpus([*record_in_process(tmp_path_factory.mktemp("corpus")), built_by_hand()])
    for data in found:
        loads(data, path=PATH)  # every seed is a valid cassette
    return found


def test_the_corpus_holds_every_kind_of_payload(corpus: Corpus) -> None:
    codes: set[int] = set()
    for data in corpus:
        for call in loads(data, path=PATH).calls:
            _ext_codes(call.args, codes)
            _ext_codes(call.result, codes)
    wanted = {Ext.TUPLE, Ext.SET, Ext.BIGINT, Ext.DECIMAL, Ext.DATETIME, Ext.UUID, Ext.ENUM}
    wanted |= {Ext.NAMEDTUPLE, Ext.OBJECT, Ext.ROW, Ext.EXCEPTION, Ext.SELF, Ext.CUT}
    wanted |= {Ext.REDACTED, Ext.COMPLEX, Ext.BYTEARRAY, Ext.TIME, Ext.DATE, Ext.TIMEDELTA}
    assert set() == {Ext(c) for c in wanted} - codes


def _ext_codes(tree: Any, into: set[int]) -> None:
    if isinstance(tree, list):
        for item in tree:
            _ext_codes(item, into)
    elif isinstance(tree, dict):
        for key, value in tree.items():
            _ext_codes(key, into)
            _ext_codes(value, into)
    elif isinstance(tree, msgpack.ExtType):
        into.add(tree.code)
        _ext_codes(msgpack.unpackb(tree.data, raw=False, strict_map_key=False), into)


# ------------------------------------------------------------------- the properties


def load_measured(data: bytes) -> tuple[Cassette | CassetteFormatError, int]:
    """The outcome of `loads` and the peak memory it traced."""
    tracemalloc.start()
    try:
        try:
            outcome: Cassette | CassetteFormatError = loads(data, path=PATH)
        except CassetteFormatError as exc:
            outcome = exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return outcome, peak


def consumer_errors(cassette: Cassette) -> list[str]:
    """What the consumers of a loaded cassette raise that is not seamrec's own error."""
    errors: list[str] = []

    def attempt(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except SeamrecError:
            pass
        except Exception as exc:  # the finding: anything else escaped
            errors.append(f"{what}: {type(exc).__name__}: {exc}"[:300])

    attempt("Cassette.signature()", cassette.signature)
    for call in cassette.calls:
        for tree in (call.args, call.result):
            attempt("unpack(pack(payload))", functools.partial(views_of, tree))
    for runs in cassette.runs.values():
        for run in runs:
            for shape in (run.args_shape, run.result_shape):
                attempt("explain(shape, shape)", functools.partial(explain, shape, shape))
    return errors


def views_of(tree: Any) -> Any:
    return unpack(pack(tree))


def assert_fails_cleanly(data: bytes) -> None:
    """`loads` gives a Cassette or a CassetteFormatError naming the file, in bounded memory,
    and a loaded cassette does not break its consumers."""
    outcome, peak = load_measured(data)
    if len(data) < MAX_INPUT:
        assert peak < MAX_PEAK, f"loading {len(data)} bytes traced {peak} bytes"
    if isinstance(outcome, CassetteFormatError):
        assert PATH == outcome.path
        assert str(outcome).startswith(f"{PATH}: ")
        return
    assert isinstance(outcome, Cassette)
    assert [] == consumer_errors(outcome)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_fail_cleanly(data: bytes) -> None:
    assert_fails_cleanly(data)


@FUZZ
@given(
    st.binary(max_size=2048).map(
        lambda body: msgpack.packb({"format": FORMAT, "version": 1}) + body
    )
)
def test_random_bytes_after_a_valid_header_fail_cleanly(data: bytes) -> None:
    assert_fails_cleanly(data)


POSITION = st.integers(min_value=0, max_value=2**20)
MSGPACK_HEADS = st.sampled_from(
    [
        b"\xc1",  # never used
        b"\xdc\xff\xff",  # array16 of 65535 items
        b"\xdd\xff\xff\xff\xff",  # array32 of 2**32-1 items
        b"\xdf\x7f\xff\xff\xff",  # huge map32
        b"\xdb\x7f\xff\xff\xff",  # huge str32
        b"\xc6\xff\xff\xff\xff",  # huge bin32
        b"\xc9\xff\xff\xff\xff\x0f",  # huge ext32 of a known kind
        b"\xd4\x7f\x00",  # fixext of an unknown kind
        b"\xd6\xff\x00\x00\x00\x00",  # timestamp ext
        b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",  # uint64 max
        b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",  # int64 min
        b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00",  # NaN
        b"\xc0",
        b"\xc2",
        b"\x90",
        b"\x80",
    ]
)
MUTATION = st.one_of(
    st.tuples(st.just("flip"), POSITION, st.integers(min_value=1, max_value=255)),
    st.tuples(st.just("set"), POSITION, st.integers(min_value=0, max_value=255)),
    st.tuples(st.just("truncate"), POSITION),
    st.tuples(st.just("insert"), POSITION, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("insert"), POSITION, MSGPACK_HEADS),
    st.tuples(st.just("delete"), POSITION, st.integers(min_value=1, max_value=32)),
    st.tuples(st.just("splice"), POSITION, POSITION, POSITION, st.integers(1, 256)),
    st.tuples(st.just("duplicate"), POSITION, st.integers(min_value=1, max_value=64)),
)


def mutate(data: bytes, mutation: tuple[Any, ...], corpus: Corpus) -> bytes:
    """One byte-level mutation; positions wrap around the data."""
    kind, at = mutation[0], mutation[1] % (len(data) + 1)
    data = bytes(data)
    if kind == "flip" and at < len(data):
        return data[:at] + bytes([data[at] ^ mutation[2]]) + data[at + 1 :]
    if kind == "set" and at < len(data):
        return data[:at] + bytes([mutation[2]]) + data[at + 1 :]
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + bytes(mutation[2]) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + mutation[2] :]
    if kind == "splice":
        other: bytes = corpus[mutation[2] % len(corpus)]
        start, length = mutation[3] % (len(other) + 1), int(mutation[4])
        return data[:at] + other[start : start + length] + data[at + length :]
    if kind == "duplicate":
        return data[:at] + data[at : at + mutation[2]] * 2 + data[at + mutation[2] :]
    return data


@FUZZ
@given(
    seed=st.integers(min_value=0, max_value=100),
    mutations=st.lists(MUTATION, min_size=1, max_size=4),
)
def test_mutated_real_cassettes_fail_cleanly(
    corpus: Corpus, seed: int, mutations: list[tuple[Any, ...]]
) -> None:
    data = corpus[seed % len(corpus)]
    for mutation in mutations:
        data = mutate(data, mutation, corpus)

    assert_fails_cleanly(data)


def test_every_truncation_and_single_byte_flip_of_a_real_cassette_fails_cleanly(
    corpus: Corpus,
) -> None:
    data = min(corpus, key=len)
    problems: list[str] = []
    for length in range(len(data)):
        outcome, _ = load_measured(data[:length])
        if not isinstance(outcome, CassetteFormatError):
            problems.append(f"cut at {length} loaded")
    for at in range(len(data)):
        for mask in (0x01, 0x80, 0xFF):
            mutant = data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]
            try:
                assert_fails_cleanly(mutant)
            except AssertionError as exc:
                problems.append(f"byte {at} ^ {mask:#x}: {exc}"[:300])
    assert [] == problems


# ---------------------------------------------------- structure-aware mutations (edits)

LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["dict", "obj", "coll", "tuple", "map", "args", "exc", "cut", "str"]),
    st.binary(max_size=8),
)
INNER = st.recursive(
    LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), inner, max_size=3)
    ),
    max_leaves=8,
)
EXT = st.builds(
    lambda code, inner: msgpack.ExtType(int(code), pack(inner)),
    st.sampled_from(list(Ext)),
    INNER,
)
NEW_VALUE = st.recursive(
    LEAF | EXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def body_of(data: bytes) -> dict[str, Any]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    unpacker.unpack()
    body: dict[str, Any] = unpacker.unpack()
    return body


def slots(tree: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value inside a decoded body, depth first."""
    if isinstance(tree, list):
        for index, item in enumerate(tree):
            yield tree, index
            yield from slots(item)
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield tree, key
            yield from slots(value)


def edit(data: bytes, choices: list[tuple[int, Any]]) -> bytes:
    """Replace the values at some positions of the body, then re-pack it."""
    body = body_of(data)
    for position, value in choices:
        found = list(slots(body))
        container, key = found[position % len(found)]
        container[key] = value
    return msgpack.packb({"format": FORMAT, "version": 1}) + pack(body)


@FUZZ
@given(
    seed=st.integers(min_value=0, max_value=100),
    choices=st.lists(st.tuples(POSITION, NEW_VALUE), min_size=1, max_size=3),
)
def test_hand_edited_real_cassettes_fail_cleanly(
    corpus: Corpus, seed: int, choices: list[tuple[int, Any]]
) -> None:
    assert_fails_cleanly(edit(corpus[seed % len(corpus)], choices))


def body_bytes(
    shapes: list[Any], result_shape: int = 1, result: Any = None, outcome: str = "return"
) -> bytes:
    """A hand-edited cassette of one call: its args shape is shapes[0]."""
    body = {
        "test": "tests/test_fuzz.py::test_edited",
        "shapes": shapes,
        "calls": [["app.repo:get", "tests.test_fuzz", 0, 0, outcome, result_shape, {}, result]],
        "runs": {"app.repo:get": [[0, outcome, result_shape, 1]]},
    }
    return msgpack.packb({"format": FORMAT, "version": 1}) + pack(body)


ARGS = ["args", [], []]
# Valid msgpack and a plausible body, each breaking a consumer with an error that is not
# seamrec's: either the loader rejects it (CassetteFormatError), or the consumers cope.
LOADED_BUT_MALFORMED = {
    "args-shape-with-fewer-unions-than-names": body_bytes([["args", ["x"], []], ["None"]]),
    "dict-shape-without-unions": body_bytes([ARGS, ["dict", "dict", ["a"]]]),
    "dict-shape-keys-as-a-string": body_bytes([ARGS, ["dict", "dict", "ab", [[["int"]]]]]),
    "exception-shape-without-args": body_bytes([ARGS, ["exc", "KeyError"]], outcome="raise"),
    "collection-shape-without-items": body_bytes([ARGS, ["coll", "list"]]),
    "union-mixing-shapes-and-names": body_bytes([ARGS, ["coll", "list", [["int"], "str"]]]),
    "empty-kind-inside-a-union": body_bytes([ARGS, ["coll", "list", [""]]]),
    "tuple-payload-of-nil": body_bytes(
        [ARGS, ["None"]], result=msgpack.ExtType(int(Ext.TUPLE), pack(None))
    ),
    "uuid-payload-of-a-list": body_bytes(
        [ARGS, ["None"]], result=msgpack.ExtType(int(Ext.UUID), pack([]))
    ),
    "map-payload-of-bad-pairs": body_bytes(
        [ARGS, ["None"]], result=msgpack.ExtType(int(Ext.MAP), pack([[None]]))
    ),
    "object-payload-without-fields": body_bytes(
        [ARGS, ["None"]], result=msgpack.ExtType(int(Ext.OBJECT), pack(["app.X"]))
    ),
    "datetime-payload-of-bad-text": body_bytes(
        [ARGS, ["None"]], result=msgpack.ExtType(int(Ext.DATETIME), pack(["yesterday", None]))
    ),
}


@pytest.mark.parametrize("data", LOADED_BUT_MALFORMED.values(), ids=LOADED_BUT_MALFORMED.keys())
def test_a_hand_edited_cassette_is_rejected_or_usable(data: bytes) -> None:
    assert_fails_cleanly(data)


# --------------------------------------------------------------- bad input end to end

PROFILE = "tests/test_api.py::test_profile"
UNKNOWN_USER = "tests/test_api.py::test_unknown_user"
ORDERS = "tests/test_api.py::test_orders_by_route"


def with_body(data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The cassette `data` with its header kept and its body edited."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    header = unpacker.unpack()
    body: dict[str, Any] = unpacker.unpack()
    edit(body)
    return msgpack.packb(header) + pack(body)


def drop_exception_args(body: dict[str, Any]) -> None:
    """The raised KeyError's shape loses its list of argument unions."""
    body["shapes"] = [s[:2] if s[0] == "exc" else s for s in body["shapes"]]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) * 2 // 3],
    "foreign-version": lambda data: (
        msgpack.packb({"format": FORMAT, "version": 2})
        + data[len(msgpack.packb({"format": FORMAT, "version": 1})) :]
    ),
    "hand-edited-body": lambda data: with_body(data, lambda body: body.update(calls={})),
}
DAMAGED_TESTS = """
    import pytest
    from app.api import get_profile

    @pytest.mark.parametrize("case", {cases!r})
    def test_damaged(case):
        assert 404 == get_profile(99)["status"]
"""


def damaged_app(layered_app: LayeredApp, damage: dict[str, Callable[[bytes], bytes]]) -> None:
    """Record the app plus one test per kind of damage, then damage each one's cassette."""
    layered_app.write("tests/test_damaged.py", DAMAGED_TESTS.format(cases=list(damage)))
    layered_app.record().assert_outcomes(passed=3 + len(damage))
    for case, harm in damage.items():
        cassette = damaged_cassette(layered_app, case)
        cassette.write_bytes(harm(cassette.read_bytes()))


def damaged_cassette(app: LayeredApp, case: str) -> Path:
    return app.cassettes / "tests" / "test_damaged" / f"test_damaged[{case}].msgpack"


def literal(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself."""
    return "".join(f"[{c}]" if c in "[]*?" else c for c in text)


def assert_only_the_damaged_tests_fail(
    app: LayeredApp, result: pytest.RunResult, cases: list[str]
) -> None:
    output = "\n".join([*result.outlines, *result.errlines])
    assert "INTERNALERROR" not in output
    result.assert_outcomes(passed=3, failed=len(cases))
    assert 1 == result.ret
    for case in cases:
        nodeid = f"tests/test_damaged.py::test_damaged[{case}]"
        result.stdout.fnmatch_lines(
            [
                f"_* {literal(f'test_damaged[{case}]')} _*",
                literal(f"seamrec cannot use the cassette of {nodeid}"),
                f"  {literal(str(damaged_cassette(app, case).resolve()))}: *",
                literal(f'  re-record: pytest --record-seams "{nodeid}"'),
            ],
            consecutive=True,
        )
    assert [
        f"0 tests drifted, 0 unrecorded, {len(cases)} with unusable cassettes",
        *[f"  unusable cassette: tests/test_damaged.py::test_damaged[{case}]" for case in cases],
    ] == seamrec_summary(result)[1:]


def test_bad_cassettes_fail_only_their_own_tests_naming_the_file_and_the_fix(
    layered_app: LayeredApp,
) -> None:
    damaged_app(layered_app, DAMAGE)

    result = layered_app.check()

    assert_only_the_damaged_tests_fail(layered_app, result, list(DAMAGE))


def test_a_hand_edited_shape_that_still_loads_fails_only_its_own_test(
    layered_app: LayeredApp,
) -> None:
    # The raised KeyError's shape loses its list of argument unions: valid msgpack, a
    # plausible body, and the live KeyError no longer fits it.
    damaged_app(layered_app, {"shape": lambda data: with_body(data, drop_exception_args)})

    result = layered_app.check()

    assert_only_the_damaged_tests_fail(layered_app, result, ["shape"])


def test_a_missing_cassette_dir_under_check_reports_every_test_as_unrecorded(
    layered_app: LayeredApp,
) -> None:
    layered_app.write(
        "pyproject.toml",
        PYPROJECT_WITH_DIR.format(cassette_dir="build/never/made"),
    )

    result = layered_app.check()

    result.assert_outcomes(passed=3)
    assert 0 == result.ret
    assert [
        "seamrec (check): 9 seams wrapped, 10 calls checked",
        "0 tests drifted, 3 unrecorded, 0 with unusable cassettes",
        f"  unrecorded: {PROFILE}",
        f"  unrecorded: {UNKNOWN_USER}",
        f"  unrecorded: {ORDERS}",
        "  record them with: pytest --record-seams",
    ] == seamrec_summary(result)
    assert not (layered_app.root / "build").exists()


PYPROJECT_WITH_DIR = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
cassette_dir = "{cassette_dir}"
databases = []
"""


def test_a_cassette_dir_that_cannot_be_written_fails_the_record_run_but_not_the_tests(
    layered_app: LayeredApp,
) -> None:
    # The tests run as root, where permissions do not stop a write: a regular file where
    # the cassette dir should be does.
    layered_app.write("pyproject.toml", PYPROJECT_WITH_DIR.format(cassette_dir="seams"))
    blocker = layered_app.root / "seams"
    blocker.write_text("a file, not a folder\n")

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert 0 != result.ret
    output = "\n".join([*result.outlines, *result.errlines])
    assert "INTERNALERROR" not in output
    folder = blocker.resolve()
    errors = [line for line in seamrec_summary(result) if line.startswith("error:")]
    assert [
        f"error: {folder}/tests/test_api/{name}.msgpack: could not be written (*); make "
        f"{folder} writable and record again"
        for name in ("test_profile", "test_unknown_user", "test_orders_by_route")
    ] == [_wildcard_reason(line) for line in errors]
    assert "a file, not a folder\n" == blocker.read_text()


def _wildcard_reason(line: str) -> str:
    """The error line with its OS reason, in parentheses, replaced by `*`."""
    head, _, rest = line.partition("could not be written (")
    return f"{head}could not be written (*){rest.partition(')')[2]}" if rest else line
