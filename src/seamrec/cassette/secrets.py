"""Credentials found by value inside text: one compiled regex behind a cheap prefilter.

The shapes are those of detect-secrets' plugin set (the Python standard: AWS, Azure,
basic-auth URLs, GitHub, GitLab, JWT, keyword assignments, npm, PyPI, private keys,
SendGrid, Slack, Stripe, Twilio, Telegram, Discord, Mailchimp, Square, OpenAI...) plus
the ones a payload carries and source code does not (Bearer/Basic credentials,
connection-string pairs such as ``AccountKey=...;`` and ``password=...``, URL userinfo of
any scheme, Google, Heroku, Azure SAS signatures). The patterns are written here, not
imported: detect-secrets' ``scan_line`` runs every plugin separately (~440 µs per
string), needs `requests`, and reports a line, not the span of the secret, while
redaction must replace only the secret part (``postgresql://app:<redacted>@db:5432/app``).

`find` returns the spans; `scrub` replaces them; `secret_like` says whether a value found
under a credential name is distinctive enough to be scrubbed from other strings too.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import unquote

from seamrec.model.paths import REDACTED

PLACEHOLDER = REDACTED  # the one marker of every redaction (seamrec.model.paths)


class Hit(NamedTuple):
    """One secret inside a text: what kind it is, and where (``text[start:end]``)."""

    kind: str
    start: int
    end: int


_B = r"(?<![A-Za-z0-9])"  # a token starts here (also after `_`: `key_ghp_...`)
_E = r"(?![A-Za-z0-9_])"  # and ends here
# The key of a `key=value` pair is a credential when it ends with one of these words
# (`aws_secret_access_key`, `AccountKey`, `Pwd`, `sig`); weak words only as a whole key
# or after a separator (`db_pwd`, but not `cwd` or `config`); `key` alone is data. The
# key is matched possessively and its ending tested by look-behinds: no backtracking.
_STRONG_WORDS = (
    *("password", "passwd", "passphrase", "secret", "token", "signature"),
    *("apikey", "api_key", "api-key", "accesskey", "access_key", "access-key"),
    *("accountkey", "account_key", "privatekey", "private_key", "secretkey", "secret_key"),
    *("credential", "credentials"),
)
_WEAK_WORDS = ("pwd", "pass", "sig", "auth")
_KEY = (
    r"(?P<k>[A-Za-z0-9_.-]++)(?i:"
    + "|".join(f"(?<={word})" for word in _STRONG_WORDS)
    + "|"
    + "|".join(f"(?<=[^A-Za-z0-9]{word})|(?<=^{word})" for word in _WEAK_WORDS)
    + ")"
)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# (kind, pattern): the secret is the named group `s` when there is one, else the match.
RULES: tuple[tuple[str, str], ...] = (
    (
        "private key",
        r"-{4,5} ?BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)? ?-{4,5}"
        r"(?P<s>[\s\S]+?)(?=-{4,5} ?END[ A-Z0-9]*PRIVATE KEY|\Z)",
    ),
    # Password hashes (werkzeug, Django, passlib, crypt(3)): salted, but crackable offline.
    (
        "password hash",
        rf"{_B}(?:pbkdf2[:_][a-z0-9]+[:$]\d+|scrypt:\d+:\d+:\d+|argon2|bcrypt(?:_sha256)?)"
        r"\$[A-Za-z0-9+/=.,$_-]*[A-Za-z0-9+/=._-]{16,}",
    ),
    (
        "password hash",
        r"(?<![A-Za-z0-9$])\$(?:2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}"
        r"|argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]{16,}"
        r"|[156]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,})",
    ),
    ("private key", rf"{_B}Private-Lines: *\d+\s+(?P<s>[A-Za-z0-9+/=\s]+?)(?=\s*Private-|\Z)"),
    ("JWT", rf"{_B}eyJ[A-Za-z0-9_-]{{5,}}\.[A-Za-z0-9_-]{{5,}}\.[A-Za-z0-9_-]*"),
    (
        "URL password",
        rf"{_B}(?<![+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:'\"<>]*:(?P<s>[^\s/?#@'\"<>]+)@",
    ),
    ("GitHub token", rf"{_B}gh[pousr]_[A-Za-z0-9]{{36,255}}{_E}"),
    ("GitHub token", rf"{_B}github_pat_[A-Za-z0-9_]{{22,255}}{_E}"),
    (
        "GitLab token",
        rf"{_B}(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas)-"
        r"[A-Za-z0-9_-]{20,}",
    ),
    ("GitLab token", rf"{_B}GR1348941[A-Za-z0-9_-]{{20,}}"),
    ("npm token", rf"{_B}npm_[A-Za-z0-9]{{36}}{_E}"),
    ("PyPI token", rf"{_B}pypi-AgE[A-Za-z0-9_-]{{50,}}"),
    ("AWS access key id", rf"{_B}(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{{16}}{_E}"),
    ("Slack token", rf"{_B}xox[abposre]-[A-Za-z0-9-]{{10,}}"),
    ("Slack webhook", rf"{_B}hooks\.slack\.com/services/(?P<s>T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/\w+)"),
    ("Stripe key", rf"{_B}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{{16,}}{_E}"),
    ("Stripe key", rf"{_B}whsec_[A-Za-z0-9]{{24,}}{_E}"),
    ("Google API key", rf"{_B}AIza[A-Za-z0-9_-]{{35}}{_E}"),
    ("Google OAuth secret", rf"{_B}(?:GOCSPX-[A-Za-z0-9_-]{{28}}|ya29\.[A-Za-z0-9_-]{{20,}})"),
    ("SendGrid key", rf"{_B}SG\.[A-Za-z0-9_-]{{16,32}}\.[A-Za-z0-9_-]{{16,64}}{_E}"),
    ("Twilio key", rf"{_B}(?:AC|SK)[0-9a-f]{{32}}{_E}"),
    ("Heroku key", rf"{_B}HRKU-[A-Za-z0-9_-]{{20,}}"),
    ("Heroku key", rf"{_B}(?i:heroku)[A-Za-z0-9_.-]{{0,20}}[\"']?\s*[=:]\s*[\"']?(?P<s>{_UUID})"),
    ("OpenAI key", rf"{_B}sk-(?:proj|ant|svcacct|admin)-[A-Za-z0-9_-]{{20,}}"),
    ("OpenAI key", rf"{_B}sk-[A-Za-z0-9]{{20}}T3BlbkFJ[A-Za-z0-9]{{20}}{_E}"),
    ("Telegram token", rf"{_B}\d{{8,10}}:AA[A-Za-z0-9_-]{{33}}{_E}"),
    (
        "Discord token",
        rf"{_B}[MNO][A-Za-z0-9_-]{{23,25}}\.[A-Za-z0-9_-]{{6}}\.[A-Za-z0-9_-]{{27,}}{_E}",
    ),
    ("Mailchimp key", rf"{_B}[0-9a-f]{{32}}-us\d{{1,2}}{_E}"),
    ("Square secret", rf"{_B}sq0(?:csp|atp)-[A-Za-z0-9_-]{{22,43}}"),
    ("Shopify token", rf"{_B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{{32}}{_E}"),
    ("DigitalOcean token", rf"{_B}do[opr]_v1_[a-f0-9]{{64}}{_E}"),
    ("Vault token", rf"{_B}hv[sb]\.[A-Za-z0-9_-]{{24,}}"),
    ("Artifactory key", rf"{_B}AKC[A-Za-z0-9]{{60,}}{_E}"),
    (
        "Authorization header",
        rf"{_B}(?i:authorization)[\"']?\s*[:=]\s*[\"']?"
        r"(?:(?i:bearer|basic|token|digest|apikey|key|sso-key|hmac)\s+)?"
        r"(?P<s>[^\s\"',;<>]{6,})",
    ),
    ("Bearer credential", rf"{_B}(?<!=)(?i:bearer)\s+(?P<s>[A-Za-z0-9._~+/=-]{{8,}})"),
    ("Basic credential", rf"{_B}(?i:basic)\s+(?P<s>[A-Za-z0-9+/]{{6,}}={{0,2}})(?![A-Za-z0-9+/=])"),
    (
        "credential pair",
        rf"{_B}(?<![.-]){_KEY}[\"']?\s*(?::=|=>|=)\s*[\"']?(?P<s>[^\s;&,'\"<>]+)",
    ),
    (
        "credential pair",
        rf"[\"']{_KEY}[\"']\s*:\s*[\"'](?P<s>[^\"'<>]+)[\"']",
    ),
)
_WORDS = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z_]+)*")
# A key=value "secret" that is a placeholder, a bind parameter or a template is not one.
_NOT_A_VALUE = re.compile(
    r"[?:@$%{(\[*]|(?i:none|null|nil|true|false|undefined|redacted|x+|\*+|\.+)$"
)


class Detector:
    """Finds secrets by value in text, with the built-in rules and any `extra` ones."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        extra = tuple(extra)
        rules = [*RULES, *(("custom pattern", _custom(pattern)) for pattern in extra)]
        at_token: list[tuple[str, str]] = []
        anywhere: list[tuple[str, str]] = []
        for kind, pattern in rules:
            (at_token if pattern.startswith(_B) else anywhere).append((kind, pattern))
        # Most rules start where a token starts: one look-behind tests that for all of them,
        # so the engine tries them at a few positions of a string, not at every character.
        # The locator holds no group of the built-in rules (a group first in an alternative
        # keeps the engine from skipping it by its first character: 16x slower on a page of
        # HTML); the rule found there is then the first, in the locator's order, that
        # matches at that position, as the alternation would have taken it.
        ordered = [*at_token, *anywhere]
        tokens = [_ungrouped(pattern).removeprefix(_B) for _, pattern in at_token]
        others = [f"(?:{_ungrouped(pattern)})" for _, pattern in anywhere]
        self._regex = re.compile("|".join([f"{_B}(?:{'|'.join(tokens)})", *others]))
        self._rules = [
            (kind, re.compile(f"(?:{pattern})").match, "(?P<s>" in pattern)
            for kind, pattern in ordered
        ]
        self._prefilter = not extra

    def find(self, text: str) -> list[Hit]:
        """The secrets in `text`, left to right, not overlapping; for percent-encoded text
        (`%3Fkey%3Dsk_live_...`) with none in sight, those of the decoded text (their
        positions are in the decoded text)."""
        hits = self._find(text)
        if not hits and "%" in text:
            decoded = unquote(text)
            if decoded != text:
                return self._find(decoded)
        return hits

    def _find(self, text: str) -> list[Hit]:
        if self._prefilter and (len(text) < 8 or not _might_hold_a_secret(text)):
            return []
        hits = []
        search, position = self._regex.search, 0
        while (located := search(text, position)) is not None:
            at = located.start()
            found = self._rule_at(text, at)
            if found is None:  # not reached: the locator matched here, so some rule does
                position = at + 1
                continue
            kind, match, grouped = found
            start, end = match.span("s") if grouped else match.span()
            secret = text[start:end]
            if secret.startswith(PLACEHOLDER[:-1]) or not _plausible(kind, secret):
                position = at + 1  # not a secret: another rule may match here
                continue
            hits.append(Hit(kind, start, end))
            position = max(match.end(), at + 1)
        return hits

    def _rule_at(self, text: str, at: int) -> tuple[str, re.Match[str], bool] | None:
        """The rule the alternation takes at `at`: the first one that matches there."""
        for kind, match_at, grouped in self._rules:
            if (match := match_at(text, at)) is not None:
                return kind, match, grouped
        return None

    def clears(self, packed: bytes) -> bool:
        """True when no string inside these msgpack bytes can hold a secret, judged on the
        bytes at once: every string and key is in them as UTF-8, and every built-in rule
        needs an ASCII trigger or a run of ASCII token characters. Never True with custom
        patterns or percent-encoded text (`find` decodes that)."""
        if not self._prefilter or not _ASCII_TRIGGERS or b"%" in packed:
            return False
        return not _might_hold_a_secret(packed.decode("latin-1"))

    def clears_text(self, text: str) -> bool:
        """True when no substring of `text` can hold a secret: what `clears` judges of
        msgpack bytes, for text that holds the strings to judge verbatim (a shape's repr:
        escaping only adds characters, and splits none of the triggers)."""
        if not self._prefilter or not _ASCII_TRIGGERS or "%" in text:
            return False
        return not _might_hold_a_secret(text)

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by the placeholder; percent-encoded text that
        hides a secret is decoded first (the secret would otherwise pass unseen)."""
        scrubbed = self._scrub(text)
        if "%" in scrubbed:
            decoded = unquote(scrubbed)
            if decoded != scrubbed and self._find(decoded):
                return self._scrub(decoded)
        return scrubbed

    def find_and_scrub(self, text: str) -> tuple[list[Hit], str]:
        """`find(text)` and `scrub(text)` at once: the text is searched once when its
        secrets are in sight (the two calls searched it twice)."""
        hits = self._find(text)
        if not hits:
            if "%" in text:  # percent-encoded secrets are searched in the decoded text
                decoded = unquote(text)
                if decoded != text:
                    hits = self._find(decoded)
                    if hits:
                        return hits, self.scrub(text)
            return hits, text
        scrubbed = _spliced(text, hits)
        if "%" in scrubbed:
            decoded = unquote(scrubbed)
            if decoded != scrubbed and self._find(decoded):
                return hits, self._scrub(decoded)
        return hits, scrubbed

    def _scrub(self, text: str) -> str:
        hits = self._find(text)
        if not hits:
            return text
        return _spliced(text, hits)


def _spliced(text: str, hits: list[Hit]) -> str:
    """`text` with the placeholder in place of each hit."""
    parts, last = [], 0
    for hit in hits:
        parts += [text[last : hit.start], PLACEHOLDER]
        last = hit.end
    parts.append(text[last:])
    return "".join(parts)


@functools.lru_cache(maxsize=8)
def detector(extra: tuple[str, ...] = ()) -> Detector:
    """The detector for these extra patterns, compiled once per process."""
    return Detector(extra)


def _ungrouped(pattern: str) -> str:
    """A rule without its named parts (groups that match what they hold: the same)."""
    return pattern.replace("(?P<s>", "(?:").replace("(?P<k>", "(?:")


def _custom(pattern: str) -> str:
    """A `redact_patterns` entry: its group `(?P<secret>...)`, if any, is the secret part
    (the rest of the match stays readable); without one, the whole match is."""
    return f"(?:{pattern.replace('(?P<secret>', '(?P<s>')})"


_TRIGGERS = (
    "=",
    "://",
    "-----",
    "earer",
    "asic",
    "uthorization",
    "Private-Lines",
    "eyJ",
    '":',
    "':",
    "eroku",
    "EROKU",
    "pbkdf2",
    "scrypt:",
    "argon2",
    "bcrypt",
    "$2",
    "$1$",
    "$5$",
    "$6$",
)
_RUN = re.compile(r"[A-Za-z0-9_]{20}")
_ASCII_TRIGGERS = all(trigger.isascii() for trigger in _TRIGGERS)  # what `clears` relies on


def _might_hold_a_secret(text: str) -> bool:
    """A cheap test that rules out most ordinary strings: every rule needs one of the
    trigger substrings, or a run of 20 token characters (vendor tokens are long)."""
    for trigger in _TRIGGERS:
        if trigger in text:
            return True
    return _RUN.search(text) is not None


def _plausible(kind: str, secret: str) -> bool:
    if kind == "credential pair":
        return _NOT_A_VALUE.match(secret) is None
    if kind == "Authorization header" or kind == "Bearer credential":
        # "Bearer authentication", "authorization: shop.models.Credentials" are prose
        # and type paths: real credentials have digits or symbols.
        return _NOT_A_VALUE.match(secret) is None and _WORDS.fullmatch(secret) is None
    if kind == "Basic credential":  # base64 of "user:password"
        try:
            decoded = base64.b64decode(secret + "=" * (-len(secret) % 4), validate=True)
        except (binascii.Error, ValueError):
            return False
        return b":" in decoded and decoded.isascii() and decoded.decode().isprintable()
    return True


# ---------------------------------------------------------------- secret-like by itself

_COMMON = re.compile(r"[A-Z]+|[A-Z]?[a-z]+(?:[ _-][A-Za-z]?[a-z]+)*")
_ORDINARY = re.compile(
    rf"{_UUID}"  # ids
    r"|[0-9a-fA-F]{32,128}"  # hashes
    r"|[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"  # e-mail addresses
    r"|\d{4}-\d\d-\d\d(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?"  # ISO dates and timestamps
    r"|[\d\s.,:/+-]+"  # numbers, phone numbers, dates
    r"|~?[\w.-]*/[\w./-]*"  # paths
    r"|[a-z_][a-z0-9_-]*(?:\.[a-z0-9_-]+)+"  # module names, host names
)


def secret_like(value: str) -> bool:
    """Whether a value found under a credential name is distinctive enough to be scrubbed
    from every other string of the cassette: long enough, not a word or a few words, not
    an id, hash, e-mail address, timestamp, number or path."""
    if len(value) < 6 or len(value) > 4096:
        return False
    return _COMMON.fullmatch(value) is None and _ORDINARY.fullmatch(value) is None
