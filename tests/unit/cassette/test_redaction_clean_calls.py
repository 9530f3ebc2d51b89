"""Redaction with a run's set of clean calls (the record writer's): a call whose bytes a
walk found clean is quiet where it recurs; the cassettes and what is reported stay the
same as without it, and a secret named elsewhere in a cassette is still scrubbed from it."""

from __future__ import annotations

import dataclasses
from typing import Any

from seamrec.cassette.redact import CleanCalls, Redactor
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


def cassette(test: str, *calls: dict[str, Any]) -> Cassette:
    """One call of SEAM per dict of keyword arguments, each returning None."""
    recorded, runs = [], []
    for arguments in calls:
        shape = args_shape(tuple(arguments), [shape_of(v) for v in arguments.values()])
        recorded.append(
            Call(SEAM, "shop.api", 0, shape, "return", shape_of(None), encode(arguments), None)
        )
        runs.append(Run(shape, "return", shape_of(None), 1))
    return Cassette(test=test, calls=recorded, runs={SEAM: runs})


# `session` (a connection name holding nothing) makes redaction walk the call: not quiet
# by its bytes, but found clean by the walk.
WALKED = {"note": Note("hello", HIDDEN), "session": None}


def suite() -> list[Cassette]:
    return [
        cassette("t.py::test_first", WALKED),
        cassette("t.py::test_again", WALKED, {"n": 2}),
        cassette("t.py::test_token", WALKED, {"note": Note("hi", f"token {TOKEN}")}),
        cassette("t.py::test_named", WALKED, {"password": HIDDEN}),
        cassette("t.py::test_last", WALKED),
    ]


def redact_all(clean: CleanCalls | None) -> tuple[list[bytes], list[Any]]:
    redactors = [Redactor() for _ in suite()]
    cassettes = [r.redact(c, {}, clean) for r, c in zip(redactors, suite(), strict=True)]
    return [dump(c) for c in cassettes], [r.redactions for r in redactors]


def test_the_same_bytes_and_redactions_as_without_the_clean_calls() -> None:
    clean = CleanCalls()

    assert redact_all(None) == redact_all(clean)
    assert len(clean) == 1  # the walked call, remembered once and quiet afterwards


def test_a_clean_call_loses_a_secret_named_next_to_it() -> None:
    clean = CleanCalls()
    Redactor().redact(suite()[0], {}, clean)
    assert clean

    named = Redactor().redact(suite()[3], {}, clean)

    packed = pack([named.calls[0].args])
    assert HIDDEN.encode() not in packed
    assert REDACTED.encode() in packed


def test_a_call_with_a_secret_is_never_remembered_as_clean() -> None:
    clean = CleanCalls()

    Redactor().redact(cassette("t.py::test_token", {"note": Note("hi", f"t {TOKEN}")}), {}, clean)
    Redactor().redact(cassette("t.py::test_named", {"password": HIDDEN, "n": 1}), {}, clean)

    assert not clean


def shared_trees(*tests: str) -> list[Cassette]:
    """One cassette per test, each holding the very same payload trees (as a record run's
    writer gives recurring payloads: `writer.SharedTrees`)."""
    args = encode({"n": 2, "title": "hello"})
    shape = args_shape(("n", "title"), [shape_of(2), shape_of("hello")])
    return [
        Cassette(
            test=test,
            calls=[Call(SEAM, "shop.api", 0, shape, "return", shape_of(None), args, None)],
            runs={SEAM: [Run(shape, "return", shape_of(None), 1)]},
        )
        for test in tests
    ]


def test_the_very_trees_found_quiet_are_not_packed_again(monkeypatch: Any) -> None:
    from seamrec.cassette import redact

    packed: list[object] = []

    def counted(tree: object) -> bytes:
        packed.append(tree)
        return pack(tree)

    monkeypatch.setattr(redact, "pack", counted)
    clean = CleanCalls()
    first, second = shared_trees("t.py::test_one", "t.py::test_two")

    assert dump(Redactor().redact(first, {}, clean)) == dump(shared_trees("t.py::test_one")[0])
    judged = len(packed)
    assert dump(Redactor().redact(second, {}, clean)) == dump(shared_trees("t.py::test_two")[0])
    assert judged
    assert len(packed) == judged  # the second call was known by its trees


def test_equal_trees_of_other_objects_are_judged_again() -> None:
    clean = CleanCalls()
    (first,) = shared_trees("t.py::test_one")
    Redactor().redact(first, {}, clean)
    (other,) = shared_trees("t.py::test_two")  # equal trees, other objects

    assert not clean.quiet_trees(other.calls[0].args, other.calls[0].result)
    assert clean.quiet_trees(first.calls[0].args, first.calls[0].result)
