"""Format classes of values: every class, its false positives, and the consistency rule."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import random
import secrets
import string
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.model.conform import compile_value
from seamrec.model.formats import classify, classify_bytes, classify_number, label_fits, value_check
from seamrec.model.shape import compatible, make_shape_function
from seamrec.review.changes import Change, format_kind
from seamrec.review.contract import SeamContract, contracts_of, merge_all
from seamrec.review.explain import explain

UTC = dt.UTC
MOMENT = dt.datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
shape_of = make_shape_function()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2026-01-01", "iso-date"),
        ("2026-01-01T10:00:00+00:00", "iso-datetime T +hh:mm"),
        ("2026-01-01 10:00:00+00:00", "iso-datetime space +hh:mm"),
        ("2026-01-01T10:00:00Z", "iso-datetime T Z"),
        ("2026-01-01T10:00:00.123Z", "iso-datetime T Z .frac"),
        ("2026-01-01T10:00:00", "iso-datetime T naive"),
        ("2026-01-01T10:00:00.000001", "iso-datetime T naive .frac"),
        ("2026-01-01T10:00+0200", "iso-datetime T +hhmm hh:mm"),
        ("10:00:00", "iso-time"),
        ("10:00:00.5+01:00", "iso-time +hh:mm .frac"),
        ("Mon, 07 Dec 2026 04:40:34 +0000", "rfc2822"),
        ("Mon, 07 Dec 2026 04:40:34 GMT", "http-date"),
        ("7 Dec 2026 04:40:34 -0500", "rfc2822"),
        ("0f8fad5b-d9cb-469f-a165-70867728950e", "uuid"),
        ("0F8FAD5B-D9CB-469F-A165-70867728950E", "uuid"),
        ("0f8fad5bd9cb469fa16570867728950e", "hex(32)"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dGVzdA", "jwt"),
        ("9Zej8oMTgZ6cSKyngPCDBg", "base64(22)"),
        ("aGVsbG8gd29ybGQhIFRoaXM=", "base64(24)"),
        ("2024", "int-text"),
        ("-17", "int-text"),
        ("10.50", "decimal-text"),
        ("1e-05", "decimal-text"),
        ("1,000,000", "grouped-number"),
        ("10,5", "decimal-comma"),
        ("ada@example.com", "email"),
        ("o'brien+shop@mail.example.co.uk", "email"),
        ("https://example.com/a?b=1", "url(http)"),
        ("http://localhost:5000", "url(http)"),
        ("postgresql://u@db/shop", "url(postgresql)"),
        ("10.0.0.1", "ipv4"),
        ("::1", "ipv6"),
        ("2001:db8::8a2e:370:7334", "ipv6"),
        ("fe80::1", "ipv6"),
    ],
)
def test_every_class(text: str, label: str) -> None:
    assert label == classify(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cafe",
        "deadbeef",
        "facade",
        "bad",
        "Ada Lovelace",
        "ORD-2024-0001",
        "SKU-1234",
        "A-1",
        "/p/2",
        "paid",
        "hello world",
        "v2.0f8fad5bd9cb469fa16570867728950e",
        "12345-6789",  # a ZIP+4 is text, not a number
        "300.1.1.1",  # not an address
        "2026-13-01",  # no month 13
        "12:00",  # hh:mm alone is too short to call a time
        "Müller-Lüdenscheidt",
        "١٢٣",  # digits of another script
        "<b>bold</b>",
        "not an email@",
        "mailto:ada@example.com",
    ],
)
def test_ordinary_text_has_no_format(text: str) -> None:
    assert classify(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "deadbeefdeadbeef",  # hex letters only: no digit, so no evidence of a token
        "HttpResponseNotAllowed",  # an identifier: no digit
        "order_created_successfully",
        "SKU-ABC-12345678",  # no lower-case letter
        "1234567890123456789",  # a long digit string (a card number, a snowflake id)
    ],
)
def test_token_like_words_are_observations_that_assert_nothing(text: str) -> None:
    label = classify(text)
    assert label is not None
    assert label.startswith("~")
    assert label_fits(label, None)  # recorded, it asserts nothing


def test_bytes_and_numbers() -> None:
    assert "hex(32)" == classify_bytes(secrets.token_hex(16).encode())
    assert classify_bytes(b"\xff\xfe binary") is None
    assert "epoch-s" == classify_number(time.time())
    assert "epoch-s" == classify_number(int(time.time()))
    assert "epoch-ms" == classify_number(int(time.time() * 1000))
    assert "epoch-us" == classify_number(int(time.time() * 1_000_000))
    assert "epoch-ns" == classify_number(time.time_ns())
    for number in (0, 42, -1, 2024, 5551234567, 10**30, float("nan"), float("inf")):
        assert classify_number(number) is None


def base58(data: bytes) -> str:
    """Bitcoin's base58: its length varies with the value (like base58 of random bytes)."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, digits = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        digits = alphabet[digit] + digits
    return digits


def test_generated_values_always_keep_their_recorded_class() -> None:
    """Recorded from one generated value, a class accepts every other one: no false
    alarm from data that varies between the recording and the check. Random bytes come
    from a seeded generator: base58 of 16 random bytes is 19 characters about once in
    100,000 values, beyond the documented tolerance of a token's length (a character or
    two), and a test that fails once in a few hundred runs makes CI flaky."""
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    generators: list[Any] = [
        lambda: secrets.token_hex(16),
        lambda: secrets.token_hex(8),
        lambda: secrets.token_urlsafe(16),
        lambda: secrets.token_urlsafe(32),
        lambda: base64.b64encode(rng.randbytes(18)).decode(),
        lambda: base58(rng.randbytes(16)),
        lambda: base58(rng.randbytes(1024)),
        lambda: rng.randbytes(rng.randint(100, 200)).hex(),
        lambda: str(uuid.uuid4()),
        lambda: uuid.uuid4().hex,
        lambda: "".join(rng.choices(alphabet, k=20)),
        lambda: dt.datetime.now(UTC).isoformat(),
        lambda: str(dt.datetime.now(UTC).replace(microsecond=0)),
        lambda: email.utils.formatdate(usegmt=True),
        lambda: rng.choice(("http", "https")) + "://example.com/" + str(rng.randint(1, 99)),
        lambda: str(rng.randint(0, 10**6)),
        lambda: f"{rng.random() * 100:.2f}",
        lambda: rng.randint(0, 2**32),
        lambda: time.time() * rng.random() * 2,
    ]
    for generate in generators:
        for _ in range(300):
            first, later = generate(), generate()
            recorded = shape_of(first)
            assert compatible(recorded, shape_of(later)), (first, later)
            check = compile_value(recorded, shape_of)
            assert check is not None
            assert check([later]), (first, later)


def test_a_changed_format_does_not_fit() -> None:
    token = secrets.token_hex(16)
    assert not compatible(shape_of(token), shape_of(secrets.token_hex(32)))  # md5 → sha256
    # token_urlsafe(16) then (32), fixed: a random one without digits reads as a word-like
    # `~token` observation, which asserts nothing
    short, long = "Xq3_9fK2-vB7nL0pZ8aY1w", "u1IioTC6CXx6I3EQKtYe8Dj9gpA52OVnucdQeX7oadc"
    assert not compatible(shape_of(short), shape_of(long))
    assert not compatible(shape_of(token), shape_of("v2." + token))
    assert not compatible(shape_of(str(MOMENT)), shape_of(MOMENT.isoformat()))
    assert not compatible(shape_of(1_700_000_000), shape_of(1_700_000_000_000))
    assert not compatible(shape_of("42"), shape_of("42.0"))
    check = compile_value(shape_of({"token": token}), shape_of)
    assert check is not None
    assert check([{"token": secrets.token_hex(16)}])
    assert not check([{"token": "v2." + token}])


def test_a_format_where_none_was_recorded_is_not_drift() -> None:
    assert compatible(shape_of("plain"), shape_of(secrets.token_hex(16)))
    assert compatible(shape_of(5), shape_of(1_700_000_000))
    check = compile_value(shape_of({"a": ["x", 5]}), shape_of)
    assert check is not None
    assert check([{"a": [str(uuid.uuid4()), 1_700_000_000]}])


def test_weak_classes_fail_only_within_their_family() -> None:
    assert compatible(shape_of("12345"), shape_of("12345-6789"))  # data, not a format
    assert compatible(shape_of("10.50"), shape_of("10"))
    assert not compatible(shape_of("1000"), shape_of("1,000"))
    assert compatible(shape_of(1_700_000_000), shape_of(12))
    assert not compatible(shape_of(1_700_000_000.5), shape_of(1_700_000_000_500.0))


def test_a_redacted_value_checks_clean() -> None:
    assert compatible(shape_of(secrets.token_hex(16)), shape_of("<redacted>"))


def test_values_of_a_list_that_disagree_are_plain() -> None:
    assert ("coll", "list", (("str", "uuid"),)) == shape_of([str(uuid.uuid4())] * 3)
    mixed = shape_of([str(uuid.uuid4()), "plain", str(uuid.uuid4())])
    assert ("coll", "list", (("str",),)) == mixed
    rows = [{"at": MOMENT.isoformat()}, {"at": str(MOMENT)}]
    assert ("coll", "list", (("dict", "dict", ("at",), ((("str",),),)),)) == shape_of(rows)
    epochs = shape_of([1_700_000_000, 1_700_000_001])
    assert ("coll", "list", (("int", "epoch-s"),)) == epochs
    assert ("coll", "list", (("int",),)) == shape_of([1_700_000_000, 3])


def test_strict_checks_follow_the_walker() -> None:
    """Record mode reuses the previous shape only while the values keep its classes."""
    token = secrets.token_hex(16)
    shape = shape_of({"t": token, "n": 1})
    strict = compile_value(shape, shape_of, strict=True)
    assert strict is not None
    assert strict([{"t": secrets.token_hex(16), "n": 2}])
    assert not strict([{"t": "plain", "n": 2}])
    plain = compile_value(shape_of({"t": "plain"}), shape_of, strict=True)
    assert plain is not None
    assert not plain([{"t": token}])
    items = compile_value(shape_of([token, token]), shape_of, strict=True)
    assert items is not None
    assert not items([[token, "plain"]])


def _run(args: Any, result: Any, count: int = 1) -> Run:
    return Run(shape_of(args), "return", shape_of(result), count)


def test_calls_of_a_test_that_disagree_record_no_format() -> None:
    cassette = Cassette("t.py::test")
    cassette.runs["app.m:f"] = [
        _run({"a": 1}, {"id": str(uuid.uuid4()), "at": MOMENT.isoformat()}),
        _run({"a": 1}, {"id": "legacy-7", "at": MOMENT.isoformat()}),
        _run({"a": 1}, {"id": str(uuid.uuid4()), "at": MOMENT.isoformat()}),
    ]
    cassette.calls.append(
        Call("app.m:f", "c", 0, shape_of({"a": 1}), "return", shape_of({"id": "x"}), None, None)
    )
    cassette.keep_consistent_formats()
    (run,) = cassette.runs["app.m:f"]  # the runs are equal now: one run of 3 calls
    assert 3 == run.count
    assert (
        "dict",
        "dict",
        ("id", "at"),
        ((("str",),), (("str", "iso-datetime T +hh:mm"),)),
    ) == run.result_shape
    assert ("dict", "dict", ("id",), ((("str",),),)) == cassette.calls[0].result_shape


def test_observations_are_recorded_but_assert_nothing() -> None:
    cassette = Cassette("t.py::test")
    cassette.runs["app.m:f"] = [_run({}, "HttpResponseNotAllowed")]
    cassette.keep_consistent_formats()
    recorded = cassette.runs["app.m:f"][0].result_shape
    assert ("str", "~token(22)") == recorded
    assert compatible(recorded, shape_of("x"))  # it asserts nothing
    assert "  return: str" in contracts_of(cassette)["app.m:f"].path_lines()


def test_the_merged_contract_keeps_a_class_only_where_every_test_had_it() -> None:
    def contract(test: str, value: Any) -> dict[str, SeamContract]:
        cassette = Cassette(test)
        cassette.runs["app.m:f"] = [_run({"x": 1}, {"token": value, "at": MOMENT.isoformat()})]
        return contracts_of(cassette)

    one = contract("t.py::a", secrets.token_hex(16))
    assert "  return['token']: str<hex(32)>" in one["app.m:f"].path_lines()
    both = merge_all([one, contract("t.py::b", "legacy")])
    lines = both["app.m:f"].path_lines()
    assert "  return['token']: str" in lines
    assert "  return['at']: str<iso-datetime T +hh:mm>" in lines


def test_old_cassettes_without_formats_load_and_check() -> None:
    cassette = Cassette("t.py::test")
    plain = ("dict", "dict", ("token",), ((("str",),),))
    formatted = ("dict", "dict", ("token",), ((("str", "hex(32)"),),))
    cassette.runs["app.m:f"] = [Run(("args", (), ()), "return", plain, 1)]
    cassette.runs["app.m:g"] = [Run(("args", (), ()), "return", formatted, 1)]
    loaded = loads(dump(cassette), path=Path("t.msgpack"))
    assert plain == loaded.runs["app.m:f"][0].result_shape
    assert formatted == loaded.runs["app.m:g"][0].result_shape
    assert compatible(plain, shape_of({"token": secrets.token_hex(16)}))
    bad = Cassette("t.py::test")
    bad.runs["app.m:f"] = [Run(("args", (), ()), "return", ("str", 32), 1)]
    data = dump(bad)
    with pytest.raises(Exception, match="bad"):
        loads(data, path=Path("t.msgpack"))


def test_explain_names_the_old_and_new_class_with_examples() -> None:
    token = "a3f" + secrets.token_hex(15)[:29]
    (change,) = explain(
        shape_of({"token": token}),
        shape_of({"token": "v2." + token}),
        {"token": token},
        {"token": "v2." + token},
    )
    line = change.render("return")
    assert line.startswith("format changed  return['token']  hex(32) → text   'a3f")
    assert "→ 'v2.a3f" in line
    (retyped,) = explain(shape_of({"n": 1}), shape_of({"n": "1"}))
    assert "type changed  return['n']  int → str" == retyped.render("return")


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("hex(32)", "text", "format changed"),
        ("iso-datetime space +hh:mm", "iso-datetime T +hh:mm", "format changed"),
        ("epoch-s", "epoch-ms", "format changed"),
        ("int-text", "decimal-text", "format changed"),
        ("text", "uuid", "format added"),
        ("int", "epoch-s", "format added"),
        ("~token(22)", "base64(22)", "format added"),
        ("epoch-s", "int", "format loosened"),
        ("int-text", "text", "format loosened"),
        ("base64(22)", "~token(22)", "format loosened"),
    ],
)
def test_diff_calls_a_format_change_breaking_only_when_a_check_would_fail(
    old: str, new: str, kind: str
) -> None:
    assert kind == format_kind(old, new)
    assert (kind == "format changed") == Change("app.m:f", kind).breaking


def test_openapi_schemas_carry_the_recorded_format_class_and_the_standard_format() -> None:
    from seamrec.review.openapi import schema

    created = schema([("str", "iso-datetime T +hh:mm")])
    token = schema([("str", "hex(32)")])
    mixed = schema([("str", "email"), ("str", "uuid")])

    assert {"type": "string", "format": "date-time"} == {
        k: v for k, v in created.items() if k != "x-seamrec-format"
    }
    assert "iso-datetime T +hh:mm" == created["x-seamrec-format"]
    assert {"type": "string", "x-seamrec-format": "hex(32)"} == token
    assert {"type": "string"} == mixed  # values of two classes: no format asserted


def test_a_random_hex_id_that_lost_a_leading_zero_keeps_its_class() -> None:
    check = value_check("hex(16)")
    recorded = shape_of({"span": "0123456789abcdef"})
    record_check = compile_value(recorded, shape_of)
    assert record_check is not None

    assert "~hex(15)" == classify("a1b2c3d4e5f6071")  # never asserted when recorded
    assert check("a1b2c3d4e5f6071")  # 15 characters: one leading zero dropped
    assert check("a1b2c3d4e5f607")  # 14 characters
    assert check("0123456789abcdef0")  # 17 characters
    assert record_check([{"span": "a1b2c3d4e5f6071"}])  # inside a record, too
    assert compatible(recorded, shape_of({"span": "a1b2c3d4e5f6071"}))
    assert not check("0123456789abcdef0123456789abcdef")  # hex(32): a real change
    assert not check("v2.0123456789abcdef")  # no longer a token
    assert classify("abc12") is None  # short text stays plain
