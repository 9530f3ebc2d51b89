"""What the record run's speed-ups at a test's end must not change (issue 10): a cut
payload is still found however deep it is, and a shape found free of secrets in one
cassette is still scrubbed in a later one that holds the secret."""

from __future__ import annotations

import msgpack

from seamrec.cassette.redact import Redactor
from seamrec.cassette.secrets import PLACEHOLDER
from seamrec.cassette.store import Call, Cassette, budget_cut_seams
from seamrec.model.codec import Ext, pack
from seamrec.model.shape import Shape

SEAM = "app.repo:rows"
SHAPE: Shape = ("None",)


def ext(code: Ext, inner: object) -> msgpack.ExtType:
    return msgpack.ExtType(int(code), pack(inner))


def cassette_with(args: object) -> Cassette:
    made = Cassette("tests/test_a.py::test_a")
    made.calls = [Call(SEAM, "app.api", 0, SHAPE, "return", SHAPE, args, None)]
    return made


def test_a_budget_cut_deep_inside_tuples_and_objects_is_found() -> None:
    cut = ext(Ext.CUT, ["budget", None])
    nested = ext(Ext.TUPLE, [20, ext(Ext.OBJECT, ["app.M", {"rows": [cut]}])])

    assert [SEAM] == budget_cut_seams(cassette_with({"params": [nested]}))


def test_payloads_without_a_cut_are_not_cut_even_when_they_hold_the_code_byte() -> None:
    """20 is the CUT ext code: the byte is in the data, the value is no cut."""
    plain = ext(Ext.TUPLE, [20, "x" * 20, ext(Ext.SET, [20])])
    other_cut = ext(Ext.TUPLE, [ext(Ext.CUT, ["depth", None])])

    assert [] == budget_cut_seams(cassette_with([plain, other_cut]))
    assert cassette_with([plain]).signature() != cassette_with([other_cut]).signature()


def test_a_shape_clean_in_one_cassette_is_scrubbed_where_its_key_is_a_secret() -> None:
    secret = "Tr0ub4dor-x9Zq7"
    shape: Shape = ("dict", "dict", ("id", secret), ((("int",),), (("str",),)))

    first = Redactor(())
    assert shape == first.scrub_shape(shape)
    assert [] == first.redactions

    second = Redactor(())
    second.collect(SEAM, {"password": secret}, None, "return")
    scrubbed = second.scrub_shape(shape)

    assert ("id", PLACEHOLDER) == scrubbed[2]
    assert ["a secret used as a key (in the shapes)"] == [r.kind for r in second.redactions]
    assert shape == Redactor(()).scrub_shape(shape)


# --------------------------------------------- calls with nothing to redact are not walked


def redacted(*calls: tuple[object, object], **options: object) -> tuple[Cassette, list[str]]:
    """One cassette of `calls` (args, result) through `Redactor(**options).redact`."""
    made = Cassette("tests/test_a.py::test_a")
    made.calls = [
        Call(SEAM, "app.api", i, SHAPE, "return", SHAPE, args, result)
        for i, (args, result) in enumerate(calls)
    ]
    redactor = Redactor(**options)  # type: ignore[arg-type]
    return redactor.redact(made), [f"{r.path} {r.kind}" for r in redactor.redactions]


def test_a_credential_name_deep_inside_an_object_is_still_redacted() -> None:
    token = "Zq8v-Lm3p-Xr7t-Wk2n"
    inner = ext(Ext.OBJECT, ["app.Client", {"api_key": token, "n": 1}])
    cassette, kinds = redacted(([ext(Ext.TUPLE, [1, inner])], None))

    assert token.encode() not in pack(cassette.calls[0].args)
    assert ["args[0][1].api_key credential name"] == kinds


def test_a_secret_found_in_one_call_is_scrubbed_from_a_call_that_names_none() -> None:
    token = "Zq8v-Lm3p-Xr7t-Wk2n"
    cassette, _ = redacted(({"password": token}, None), (["log line", f"sent {token}"], None))

    assert token.encode() not in pack(cassette.calls[1].args)


def test_names_spelt_with_separators_case_or_unicode_are_still_found() -> None:
    """`key_words` drops every non-ASCII character and splits camel case: the byte check
    must not miss a key whose letters spell a credential name only after that."""
    for key in ("Pass-Word", "passWord", "pass\u00e9word", "API_KEY", "db_dsn"):
        _, kinds = redacted(({key: "postgres://u:Zq8vLm3pX@h/db"}, None))
        assert kinds, key


def test_configured_names_and_custom_patterns_are_honoured() -> None:
    _, by_name = redacted(({"internal-ref": "ABC-12345"}, None), names=("internal_ref",))
    _, by_pattern = redacted((["order ORD-99881 placed"], None), patterns=(r"ORD-\d{5}",))

    assert ["args.internal-ref credential name"] == by_name
    assert ["args[0] custom pattern"] == by_pattern


def test_a_percent_encoded_or_vendor_token_in_plain_data_is_still_found() -> None:
    stripe = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    _, kinds = redacted(([f"url?k%3D{stripe}", {"note": stripe}], None))

    assert 2 == len(kinds)
