"""What the shortcuts at a recorded test's end must not change: a re-recorded cassette is
left as it is exactly when its shapes are (compared by bytes before it is loaded), the
detector's one search gives what `find` and `scrub` gave, a shape judged clean by its repr
is one the walk finds clean, and a call that names no credential still has its secrets
scrubbed when another call of its cassette gives them away."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from seamrec.cassette.redact import Redactor
from seamrec.cassette.secrets import PLACEHOLDER, Detector, detector
from seamrec.cassette.store import (
    Call,
    Cassette,
    Run,
    dump,
    loads,
    same_but_payloads,
)
from seamrec.model.codec import Ext, pack
from seamrec.model.shape import Shape

SEAM = "app.repo:find"
ARGS: Shape = ("args", ("user_id",), ((("int",),),))
ROW: Shape = ("dict", "dict", ("id", "name"), ((("int",),), (("str",),)))
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
GHP = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


def cassette(name: str = "Ada", result_shape: Shape = ROW, result: object = None) -> Cassette:
    made = Cassette("tests/test_a.py::test_a")
    value = {"id": 7, "name": name} if result is None else result
    made.calls = [Call(SEAM, "app.api", 0, ARGS, "return", result_shape, {"user_id": 7}, value)]
    made.runs = {SEAM: [Run(ARGS, "return", result_shape, 3)]}
    made.nesting = {}
    return made


def test_other_payload_values_with_the_same_shapes_are_the_same_but_for_payloads() -> None:
    old, new = cassette("Ada"), cassette("Grace")

    assert dump(old) != dump(new)
    assert same_but_payloads(dump(old), dump(new))
    assert loads(dump(old), path=Path("old")).signature() == new.signature()


@pytest.mark.parametrize(
    "changed",
    [
        cassette(result_shape=("dict", "dict", ("id",), ((("int",),),))),  # a shape
        cassette(result=msgpack.ExtType(int(Ext.CUT), pack(["budget", None]))),  # a cut
    ],
    ids=["shape", "cut"],
)
def test_a_changed_shape_or_a_new_cut_is_not_the_same(changed: Cassette) -> None:
    assert not same_but_payloads(dump(cassette()), dump(changed))


def many_calls(count: int) -> Cassette:
    made = cassette("Grace")
    made.calls = [
        Call(SEAM, "app.api", i, ARGS, "return", ROW, {"user_id": i}, {"id": i, "name": "x"})
        for i in range(count)
    ]
    return made


def cut_cassette(reason: str) -> Cassette:
    return cassette(result=msgpack.ExtType(int(Ext.CUT), pack([reason, None])))


def test_the_same_but_for_payloads_always_reads_back_with_the_same_signature() -> None:
    """Over pairs of cassettes (array headers of 1 and 3 bytes: 2, 3 and 11 calls): True
    only where the old file loads with the new cassette's signature."""
    broken = cassette(result=msgpack.ExtType(int(Ext.TUPLE), b"\xc1"))
    made = [cassette(), cassette("Grace"), broken, cut_cassette("budget"), cut_cassette("depth")]
    made += [many_calls(2), many_calls(3), many_calls(11), many_calls(11)]
    found = 0
    for old in made:
        for new in made:
            if same_but_payloads(dump(old), dump(new)):
                found += 1
                assert loads(dump(old), path=Path("old")).signature() == new.signature()
    assert found > len(made)  # more than each with itself: other values, same shapes


def test_more_calls_of_a_seam_are_not_the_same() -> None:
    more = cassette("Grace")
    more.runs[SEAM][0].count = 4

    assert not same_but_payloads(dump(cassette()), dump(more))


def test_an_old_file_with_a_broken_payload_or_trailing_bytes_is_never_the_same() -> None:
    """`loads` refuses both, so the writer must replace the file."""
    broken = cassette(result=msgpack.ExtType(int(Ext.TUPLE), b"\xc1"))
    new = dump(cassette("Grace"))

    assert not same_but_payloads(dump(broken), new)
    assert not same_but_payloads(dump(cassette()) + b"\x00", new)
    assert not same_but_payloads(b"", new)
    with pytest.raises(Exception, match=r"payload|structure|corrupt|invalid"):
        loads(dump(broken), path=Path("broken"))


def test_an_old_file_of_another_body_layout_is_not_the_same() -> None:
    old = cassette()
    old.nesting = None  # written before nesting was kept

    assert not same_but_payloads(dump(old), dump(cassette("Grace")))


@pytest.mark.parametrize(
    "text",
    [
        "nothing to see here",
        f"token={STRIPE} and {GHP}",
        f"GET /pay?key%3D{STRIPE}",  # percent-encoded: found in the decoded text
        f"{GHP} then %3Fkey%3D{STRIPE}",  # a plain hit, and one that needs decoding
        "100% plain",
        "",
    ],
)
def test_one_search_finds_and_scrubs_what_find_and_scrub_did(text: str) -> None:
    for found in (detector(()), Detector([r"acct-\d{6}"])):
        hits, scrubbed = found.find_and_scrub(text)

        assert found.find(text) == hits
        assert found.scrub(text) == scrubbed


def test_a_shapes_repr_is_cleared_only_when_no_string_in_it_could_hold_a_secret() -> None:
    clean: Shape = ("dict", "dict", ("id", "it's", 'say "hi"'), ((("int",),), (("str",),), ()))
    keyed: Shape = ("map", "dict", ((f"Bearer {GHP}",),), (("int",),))

    assert detector(()).clears_text(repr(clean))
    assert not detector(()).clears_text(repr(keyed))
    assert not detector(()).clears_text("('100%',)")
    assert not Detector([r"acct-\d{6}"]).clears_text(repr(clean))  # custom rules: unsure


def test_a_shape_cleared_by_its_repr_is_kept_and_one_holding_a_token_is_still_scrubbed() -> None:
    redactor = Redactor(())
    clean: Shape = ("dict", "dict", ("id", "name"), ((("int",),), (("str", "email"),)))
    keyed: Shape = ("dict", "dict", (GHP, "id"), ((("int",),), (("int",),)))

    assert redactor.scrub_shape(clean) is clean
    assert (PLACEHOLDER, "id") == redactor.scrub_shape(keyed)[2]
    assert ["a secret used as a key (in the shapes)"] == [r.kind for r in redactor.redactions]


def test_a_call_that_names_no_credential_loses_a_secret_another_call_names() -> None:
    """The first call's bytes hold a trigger (`=`) but no credential name: it is walked,
    not collected; the password the second call names is still scrubbed from it."""
    secret = "Tr0ub4dor-x9Zq7"
    made = Cassette("tests/test_a.py::test_a")
    made.calls = [
        Call(SEAM, "app.api", 0, ARGS, "return", ROW, {"query": f"a=1&b={secret}"}, None),
        Call("app.auth:login", "app.api", 0, ARGS, "return", ROW, {"password": secret}, None),
    ]
    made.runs = {SEAM: [Run(ARGS, "return", ROW, 1)]}

    scrubbed = Redactor(()).redact(made)

    assert {"query": f"a=1&b={PLACEHOLDER}"} == scrubbed.calls[0].args
    assert {"password": "<redacted str>"} == _readable(scrubbed.calls[1].args)


def test_a_call_with_a_trigger_and_no_name_keeps_its_values_and_loses_its_secret() -> None:
    made = cassette(result={"id": 7, "name": f"key={STRIPE}", "note": "a=b"})

    scrubbed = Redactor(()).redact(made, {}, None)

    assert {"id": 7, "name": f"key={PLACEHOLDER}", "note": "a=b"} == scrubbed.calls[0].result


def _readable(args: dict[str, object]) -> dict[str, object]:
    """A redacted value as the text `seamrec show` gives it."""
    shown: dict[str, object] = {}
    for key, value in args.items():
        if isinstance(value, msgpack.ExtType) and value.code == Ext.REDACTED:
            shown[key] = f"<redacted {msgpack.unpackb(value.data)}>"
        else:
            shown[key] = value
    return shown


def test_shapes_redacted_gives_the_shapes_redact_gives_and_leaves_the_payloads() -> None:
    """The secret one call names is a key in another call's shape: both ways hide it."""
    secret = "Tr0ub4dor-x9Zq7"
    keyed: Shape = ("dict", "dict", (secret,), ((("int",),),))

    def made() -> Cassette:
        new = Cassette("tests/test_a.py::test_a")
        new.calls = [
            Call(SEAM, "app.api", 0, ARGS, "return", keyed, {"user_id": 7}, {secret: 1}),
            Call("app.auth:login", "app.api", 0, ARGS, "return", ROW, {"password": secret}, None),
        ]
        new.runs = {SEAM: [Run(ARGS, "return", keyed, 1)]}
        return new

    original = made()
    shaped = Redactor(()).shapes_redacted(original)
    redacted = Redactor(()).redact(made())

    assert made() == original  # not changed
    assert [c.result_shape for c in redacted.calls] == [c.result_shape for c in shaped.calls]
    assert redacted.runs == shaped.runs
    assert (PLACEHOLDER,) == shaped.runs[SEAM][0].result_shape[2]
    assert [c.args for c in original.calls] == [c.args for c in shaped.calls]
