"""Redaction with a run's memo (the record writer's): the same bytes as without it, and a
secret found by name in one cassette is still scrubbed from values seen before in
cassettes that had none."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgpack

from seamrec.cassette.redact import Redactor
from seamrec.cassette.store import Call, Cassette, Run, dump
from seamrec.config import Limits
from seamrec.model.codec import make_encoder, pack
from seamrec.model.paths import REDACTED
from seamrec.model.shape import args_shape, make_shape_function

shape_of = make_shape_function()
encode = make_encoder(Limits())
SEAM = "shop.notes:save"
HIDDEN = "Zq8xN3vL1pR7tY2wKd"  # secret-like, but nothing the detector finds by itself
TOKEN = "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8"  # a GitHub token: found by value


@dataclasses.dataclass
class Note:
    title: str
    body: str


def cassette(test: str, **arguments: Any) -> Cassette:
    """One call of SEAM with these keyword arguments, returning None."""
    names = tuple(arguments)
    shape = args_shape(names, [shape_of(v) for v in arguments.values()])
    call = Call(SEAM, "shop.api", 0, shape, "return", shape_of(None), encode(arguments), None)
    return Cassette(test=test, calls=[call], runs={SEAM: [Run(shape, "return", shape_of(None), 1)]})


def suite() -> list[Cassette]:
    """Five tests; a `session` argument (a credential name, holding no secret) makes
    redaction walk the first one's values, so its note is in the memo."""
    return [
        cassette("t.py::test_plain", note=Note("hello", HIDDEN), session=None),
        cassette("t.py::test_token", note=Note("hello", f"token {TOKEN}"), n=2),
        cassette("t.py::test_again", note=Note("hello", HIDDEN), n=3),
        cassette("t.py::test_named", note=Note("hello", HIDDEN), password=HIDDEN),
        cassette("t.py::test_token_again", note=Note("hello", f"token {TOKEN}"), n=4),
    ]


def redacted_bytes(memo: dict[msgpack.ExtType, msgpack.ExtType] | None) -> list[bytes]:
    return [dump(Redactor().redact(c, memo)) for c in suite()]


def test_a_memo_kept_across_cassettes_gives_the_same_bytes() -> None:
    memo: dict[msgpack.ExtType, msgpack.ExtType] = {}

    assert redacted_bytes(None) == redacted_bytes(memo)
    assert memo  # it was used


def test_a_value_seen_before_loses_a_secret_named_in_a_later_cassette() -> None:
    memo: dict[msgpack.ExtType, msgpack.ExtType] = {}
    Redactor().redact(suite()[0], memo)  # the note, holding HIDDEN, found clean
    assert memo

    named = Redactor().redact(suite()[3], memo)

    packed = pack([named.calls[0].args])
    assert HIDDEN.encode() not in packed
    assert REDACTED.encode() in packed


def test_redactions_from_texts_are_reported_with_the_memo_as_without() -> None:
    plain = Redactor()
    plain.redact(suite()[1])
    first = Redactor()
    first.redact(suite()[1], {})

    assert ["GitHub token"] == [r.kind for r in plain.redactions]
    assert plain.redactions == first.redactions
