"""seamrec.cassette.secrets: the group-free locator and the rule found at its position give
what one alternation of every rule, each in a named group, gives (the former regex).

The reference below is that alternation: at the leftmost position where a rule matches,
the first alternative that matches there, its named secret group or its whole match.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from seamrec.cassette.secrets import (
    _B,
    PLACEHOLDER,
    RULES,
    Detector,
    Hit,
    _custom,
    _might_hold_a_secret,
    _plausible,
)

CUSTOM = (r"tok-(?P<secret>[0-9]{6})", r"ZZ[a-z]+")
FRAGMENTS = [
    *("password=", "pwd=", "db_pwd=hunter2x", "key=", '"token": "abcdefgh12"', "'secret':'xy1'"),
    *("Bearer ", "Basic dXNlcjpwYXNz", "postgresql://app:pw@db:5432/x", "ghp_" + "a" * 36),
    *("AKIA" + "A" * 16, "xoxb-1234567890-abc", "sk_live_" + "a" * 16, "eyJhbGciOi.eyJzdWIiOi.s"),
    *("-----BEGIN PRIVATE KEY-----ab", "-----END PRIVATE KEY", "Authorization: Bearer ab.d1"),
    *('heroku_key = "12345678-1234-1234-1234-123456789012"', "$2b$12$" + "a" * 53),
    *("pbkdf2_sha256$260000$" + "a" * 22, " ", "\n", '"', "'", "=", ":", "%3D", "abc", "X" * 20),
    *("\u2013", "tok-123456", "ZZabc", ".", "-", "_", '<a href="x">', "123456789:AA" + "b" * 33),
    *("M" + "a" * 23 + ".abcdef." + "c" * 27, PLACEHOLDER, "sig=abc", "AccountKey=abc123;"),
    *("password=%s", "password=None", "auth=", "Pwd: 'x2'", "user:pass@", "://"),
]


def _reference(extra: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, tuple[str, str | None]]]:
    """The former detector's regex: every rule in a named group, one alternation."""
    rules = [*RULES, *(("custom pattern", _custom(pattern)) for pattern in extra)]
    at_token: list[str] = []
    anywhere: list[str] = []
    kinds: dict[str, tuple[str, str | None]] = {}
    for index, (kind, pattern) in enumerate(rules):
        group = f"s{index}" if "(?P<s>" in pattern else None
        named = pattern.replace("(?P<s>", f"(?P<s{index}>").replace("(?P<k>", f"(?P<k{index}>")
        (at_token if named.startswith(_B) else anywhere).append(
            f"(?P<r{index}>{named.removeprefix(_B)})"
        )
        kinds[f"r{index}"] = (kind, group)
    return re.compile("|".join([f"{_B}(?:{'|'.join(at_token)})", *anywhere])), kinds


def _reference_find(extra: tuple[str, ...], text: str) -> list[Hit]:
    if not extra and (len(text) < 8 or not _might_hold_a_secret(text)):
        return []  # the prefilter, unchanged
    regex, kinds = _reference(extra)
    hits, position = [], 0
    while (match := regex.search(text, position)) is not None:
        kind, group = kinds[match.lastgroup or ""]
        start, end = match.span(group) if group else match.span()
        secret = text[start:end]
        if secret.startswith(PLACEHOLDER[:-1]) or not _plausible(kind, secret):
            position = match.start() + 1
            continue
        hits.append(Hit(kind, start, end))
        position = max(match.end(), match.start() + 1)
    return hits


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8), st.booleans())
def test_hits_are_the_alternations(parts: list[str], custom: bool) -> None:
    extra = CUSTOM if custom else ()
    text = "".join(parts)
    assert Detector(extra)._find(text) == _reference_find(extra, text)


def test_a_page_of_html_is_searched_like_the_alternation() -> None:
    """A long text of many tags, quotes and spaces (where the former regex was slow)."""
    row = '<tr class="x">\n  <td title="name">value \u2013 {}</td>\n</tr>\n'
    page = "".join(row.format(n) for n in range(300))
    page += '<input name="csrfmiddlewaretoken" value="Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv">'
    page += " password=hunter2x AKIA" + "A" * 16
    found = Detector()._find(page)
    assert found == _reference_find((), page)
    assert [hit.kind for hit in found] == ["credential pair", "AWS access key id"]


def test_the_first_rule_in_order_wins_at_one_position() -> None:
    """Two rules matching at one position: the alternation's order decides, as before (the
    rules that start at a token first, then the others, custom ones last)."""
    text = "id AKIA" + "B" * 16
    extra = (r"AKIA[A-Z0-9]{4}",)
    found = Detector(extra)._find(text)
    assert found == _reference_find(extra, text)
    assert found == [Hit("AWS access key id", 3, 23)]
