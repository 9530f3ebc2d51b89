"""The compiled checks and walker classify text as seamrec.model.formats does: the C
decision "surely plain text" (no regex, no cache) is only ever taken where formats.py
says None, on arbitrary strings (lone surrogates included) and on strings built near
every boundary of formats' branches; a column of rows sharing text objects gets the
same shape and verdicts both ways."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model import accel, conform, formats
from seamrec.model.shape import make_shape_function

pytestmark = pytest.mark.skipif(accel.compiled is None, reason=f"no accelerator: {accel.missing}")

PROPERTIES = settings(
    max_examples=examples(400), deadline=None, suppress_health_check=list(HealthCheck)
)

# characters formats' branches look at, and a few it does not
MARKS = "0123456789abcdefxyzABCDEFXYZ :@._-/+<=,eyJT\u00e9\u0663\udc80"
# lengths at formats' boundaries: short hex 12, token 16, an HTTP date 19..40, a UUID 36
LENGTHS = [0, 1, 2, 3, 8, 11, 12, 13, 15, 16, 17, 18, 19, 20, 35, 36, 37, 40, 41, 128, 129]


def any_text() -> st.SearchStrategy[str]:
    """Any text, surrogates included (hypothesis leaves category Cs out by default)."""
    return st.text(st.characters(codec=None, categories=None), max_size=50)


def near_boundaries() -> st.SearchStrategy[str]:
    """Text of formats' characters at formats' lengths."""
    return st.builds(
        lambda length, chars: (chars * (length // max(len(chars), 1) + 1))[:length],
        st.sampled_from(LENGTHS),
        st.text(st.sampled_from(MARKS), min_size=1, max_size=40),
    )


def reference(text: str) -> str | None:
    """formats' class of `text`, computed afresh (not read from the cache)."""
    return formats._classify(text) if len(text) <= formats.MAX_TEXT else None


@PROPERTIES
@given(st.one_of(any_text(), near_boundaries()))
@example("eyJa.b.c")  # a JWT shorter than the short-hex length
@example("Mon, 07 Dec 2026 04:40:34 GMT")
@example("Ada Lovelace")
@example("A-1")
@example("abcdefabcdef1")
@example("\udc80abc")
@example("a" * 4096 + "@")
@example("a@b.cd" + "x" * 4091)
def test_text_c_calls_plain_has_no_format_class(text: str) -> None:
    assert accel.compiled is not None
    if accel.compiled.surely_plain(text):
        assert reference(text) is None
    assert reference(text) == accel.compiled.classify_text(text)


@pytest.mark.parametrize(
    "text",
    ["paid", "Ada Lovelace", "A-1", "/p/2", "created_at", "é-x", "", "\udc80", "x" * 5000],
)
def test_ordinary_text_is_decided_in_c(text: str) -> None:
    assert accel.compiled is not None
    assert accel.compiled.surely_plain(text)


@pytest.mark.parametrize(
    "text",
    ["2026-01-01", "ada@example.com", "42", "eyJa.b.c", "deadbeefdeadbeef", "<redacted>", "::1"],
)
def test_text_that_may_have_a_class_is_left_to_formats(text: str) -> None:
    assert accel.compiled is not None
    assert not accel.compiled.surely_plain(text)


def rows(texts: list[str], shared: list[bool]) -> list[dict[str, Any]]:
    """Rows whose "status" is one text object shared with the row before, or its own."""
    made: list[dict[str, Any]] = []
    for text, same in zip(texts, shared, strict=False):
        own = "".join(list(text))  # another object with the same text
        status = made[-1]["status"] if same and made else own
        made.append({"id": len(made), "status": status})
    return made


@PROPERTIES
@given(
    st.lists(
        st.one_of(near_boundaries(), st.sampled_from(["paid", "2026-01-01", "42"])),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.lists(st.sampled_from(["paid", "2026-01-01", "42", "ada@example.com"]), max_size=6),
    st.booleans(),
)
def test_rows_sharing_text_objects_get_the_same_shapes_and_verdicts(
    texts: list[str], shared: list[bool], live: list[str], strict: bool
) -> None:
    compiled = make_shape_function()
    pure = accel.pure_walker(compiled)
    recorded = rows(texts, shared)
    assert compiled(recorded) == pure(recorded)
    shape = pure(recorded)
    fast = accel.compile_value(shape, compiled, strict=strict)
    slow = conform.pure_compile_value(shape, pure, strict=strict)
    assert (fast is None) == (slow is None)
    if fast is None or slow is None:
        return
    for column in ([recorded], [rows(live, shared)], [rows(texts[::-1], shared[::-1])]):
        assert fast(column) == slow(column)
