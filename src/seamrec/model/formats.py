"""Formats inside values: the format class of a ``str``, ``bytes``, ``int`` or ``float``.

A type says ``str``; a format class says *which kind of text*: ``hex(32)``, ``uuid``,
``iso-datetime T +hh:mm``. A recording asserts a class at a path only when every value
recorded there had the same one, and checking then fails when a live value no longer
has it (``hex(32) → text``). The classes are chosen to catch real bugs (a token scheme,
a timestamp rendering, an epoch unit that changed) without false alarms on generated data:

    iso-date                      2026-01-01
    iso-datetime <sep> <offset>[ .frac]   sep: T | space; offset: Z | +hh:mm | +hhmm | naive
    iso-time[ <offset>][ .frac]   10:00:00, 10:00:00.123+02:00
    rfc2822 / http-date           Mon, 07 Dec 2026 04:40:34 +0000 / ... GMT
    uuid                          hyphenated, either case (32 hex digits are hex(32))
    jwt                           eyJ... three base64url parts
    hex(n)                        n >= 16 hex digits, with at least one digit and one letter
                                  (over 128 characters: hex(long), the length is data)
    base64(n)                     n >= 16 of [A-Za-z0-9+/_-] (= padding), with a digit, an
                                  upper- and a lower-case letter; a live length may differ
                                  by max(2, n/16) (base58 of random bytes varies)
    email, url(<scheme>)          http and https are one scheme: url(http)
    ipv4, ipv6
    int-text, decimal-text, grouped-number, decimal-comma   numbers in text (weak)
    epoch-s, epoch-ms, epoch-us, epoch-ns   int/float in 2000-01-01..2100-01-01 (weak)

*Weak* classes (numbers in text, epoch units) describe values that vary with data: they
fail only when a live value has another class of the same family (``int-text`` →
``decimal-text``, ``epoch-s`` → ``epoch-ms``), never when it has none. Labels starting
with ``~`` are observations, never asserted: a token-like text without the evidence of a
token (``~token(n)``, ``~digits(n)``) or a redaction placeholder (``~redacted``); they
let a recorded token class accept a random token that happens to lack, say, a digit, and
they stay in cassettes (contracts show them as the plain type) so that ``seamrec diff``
can tell such a token from a changed format.

Classifying is cached per text (a bounded dict), and ordinary words and sentences are
rejected by their first character and one C-level ``str`` method, without any regex.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

EPOCH_START = 946_684_800  # 2000-01-01T00:00:00Z
EPOCH_END = 4_102_444_800  # 2100-01-01T00:00:00Z
EPOCH_UNITS = (("epoch-s", 1), ("epoch-ms", 10**3), ("epoch-us", 10**6), ("epoch-ns", 10**9))
MIN_SHORT_HEX = 12  # shorter hex text is never taken for a token that lost leading zeros
MIN_TOKEN = 16  # shortest hex/base64 token: "cafe", "deadbeef" and SKUs stay plain text
MAX_TOKEN = 128  # longer hex/base64 text is encoded data, its length is data: hex(long)
LONG = "long"
MAX_TEXT = 4096  # longer text has no format (a JWT is far shorter)
FORMAT_KINDS = frozenset({"str", "bytes", "int", "float"})
NUMBER_FAMILY = frozenset({"int-text", "decimal-text", "grouped-number", "decimal-comma"})
EPOCH_FAMILY = frozenset(unit for unit, _ in EPOCH_UNITS)
REDACTED = "~redacted"

_DIGITS = "0123456789"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ISO = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"(?:([T ])([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)?)?"
)
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)?")
_RFC2822 = re.compile(
    r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d(?::\d\d)? "
    r"(GMT|UTC?|[+-]\d{4}|[A-Z]{3})"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,30})://[^\s/?#]+\S*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_INT = re.compile(r"[+-]?\d{1,15}")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_COMMA = re.compile(r"[+-]?\d+,\d+")
_HAS_DIGIT = re.compile(r"\d")
_SCHEMES = {"https": "http", "wss": "ws"}

_cache: dict[str, str | None] = {}
_CACHE_MAX = 8192


def classify(text: str) -> str | None:
    """The format class of a text, or None (plain text); cached per text."""
    try:
        return _cache[text]
    except KeyError:
        pass
    label = _classify(text) if len(text) <= MAX_TEXT else None
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[text] = label
    return label


def classify_bytes(data: bytes) -> str | None:
    """The format class of ASCII bytes (a token or a date sent as bytes), or None."""
    if len(data) > MAX_TEXT or not data.isascii():
        return None
    return classify(data.decode("ascii"))


def classify_number(number: float) -> str | None:
    """The Unix epoch unit a number lies in (2000-01-01..2100-01-01), or None."""
    if not number >= EPOCH_START:  # also False for NaN
        return None
    for unit, scale in EPOCH_UNITS:
        if number < EPOCH_END * scale:
            return unit if number >= EPOCH_START * scale else None
    return None


def classify_value(value: object) -> str | None:
    """The format class of a str, bytes, int or float (exact types), else None."""
    cls = type(value)
    if cls is str:
        return classify(value)  # type: ignore[arg-type]
    if cls is int or cls is float:
        return classify_number(value)  # type: ignore[arg-type]
    if cls is bytes:
        return classify_bytes(value)  # type: ignore[arg-type]
    return None


def asserted(label: str | None) -> bool:
    """Whether a recording of this class asserts anything (observations do not)."""
    return label is not None and not label.startswith("~")


def label_fits(recorded: str, live: str | None) -> bool:
    """Whether a live value of class `live` keeps the recorded class `recorded`."""
    if recorded == live or not asserted(recorded) or live == REDACTED:
        return True
    if recorded in NUMBER_FAMILY:
        if live not in NUMBER_FAMILY:
            return True
        return recorded == "decimal-text" and live == "int-text"
    if recorded in EPOCH_FAMILY:
        return live not in EPOCH_FAMILY
    if live is None:
        return False
    if recorded.startswith("hex("):
        name, _, size = live.partition("(")
        hexes = ("hex", "~hex", "~digits")
        return name in hexes and bool(size) and _close(recorded[4:-1], size[:-1])
    if recorded.startswith("base64("):
        name, _, size = live.partition("(")
        if name not in _TOKENS or not size:
            return False
        return _close(recorded[7:-1], size[:-1])
    return False


_TOKENS = frozenset({"base64", "hex", "~digits", "~token"})


def _close(recorded: str, live: str) -> bool:
    """Token lengths that fit: equal, or off by a little (an encoding of random bytes
    such as base58 varies by a character or two), or both long."""
    if recorded == LONG or live == LONG:
        return recorded == live
    was, now = int(recorded), int(live)
    return abs(was - now) <= max(2, was // 16)


def describe(label: str | None) -> str:
    """How a message names a class; no class is "text"."""
    return "text" if label is None else label


def value_check(label: str) -> Callable[[object], bool]:
    """A check that a live value (of the leaf's type) keeps the recorded class."""
    if not asserted(label):
        return _always

    def check(value: object) -> bool:
        live = classify_value(value)
        return live == label or label_fits(label, live)

    return check


def _always(value: object) -> bool:
    return True


def _classify(text: str) -> str | None:
    if not text:
        return None
    first = text[0]
    if first in _DIGITS:
        return _digit_first(text) if text.isascii() else None
    if first in _LETTERS:
        if text.isalpha():  # words and names; pure letters are no token evidence
            return f"~token({len(text)})" if len(text) >= MIN_TOKEN and text.isascii() else None
        return _letter_first(text) if text.isascii() else None
    if first in "+-_/":  # a signed number, or a base64 token starting with a symbol
        number = _number(text) if first in "+-" else None
        if number is None and len(text) >= MIN_TOKEN and text.isascii():
            return _token(text)
        return number
    if first == ":":
        return _ip6(text)
    if first == "<" and text.startswith("<redacted"):
        return REDACTED
    return None


def _digit_first(text: str) -> str | None:
    size = len(text)
    if text.isdigit():
        return "int-text" if size <= 15 else f"~digits({size if size <= MAX_TOKEN else LONG})"
    label = None
    if size >= 10 and text[4] == "-":
        label = _iso(text)
    elif size >= 8 and text[2] == ":":
        label = _time(text)
    elif " " in text:
        return _rfc2822(text)
    elif size == 36 and text[8] == "-":
        label = "uuid" if _UUID.fullmatch(text) else None
    elif "@" in text:
        return "email" if _EMAIL.fullmatch(text) else None
    elif ":" in text:
        return _ip6(text)
    elif "." in text or "," in text or "e" in text or "E" in text:
        if size >= MIN_TOKEN and _HEX.fullmatch(text):
            return _token(text)  # 59e6833873364257 is a hex token, not 59 * 10**6833...
        label = _number(text)
        if label is None and text.count(".") == 3:
            return _ip4(text)
    if label is None and size >= MIN_TOKEN:
        return _token(text)  # a random token may look like the start of anything
    return label if label is not None else _short_hex(text)


def _letter_first(text: str) -> str | None:
    size = len(text)
    if " " in text:
        return _rfc2822(text) if 19 <= size <= 40 else None
    if "://" in text:
        match = _URL.fullmatch(text)
        if match is None:
            return None
        scheme = match.group(1).lower()
        return f"url({_SCHEMES.get(scheme, scheme)})"
    if "@" in text:
        return "email" if _EMAIL.fullmatch(text) else None
    if ":" in text:
        return _ip6(text)
    label = None
    if text.startswith("eyJ") and text.count(".") == 2:
        label = "jwt" if _JWT.fullmatch(text) else None
    elif size == 36 and text[8] == "-":
        label = "uuid" if _UUID.fullmatch(text) else None
    if label is None and size >= MIN_TOKEN:
        return _token(text)
    return label if label is not None else _short_hex(text)


def _iso(text: str) -> str | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    separator, seconds, fraction, offset = match.group(4, 7, 8, 9)
    if separator is None:
        return "iso-date"
    parts = ["iso-datetime", "T" if separator == "T" else "space", _offset(offset)]
    if seconds is None:
        parts.append("hh:mm")
    if fraction is not None:
        parts.append(".frac")
    return " ".join(parts)


def _time(text: str) -> str | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    fraction, offset = match.group(4, 5)
    parts = ["iso-time"]
    if offset is not None:
        parts.append(_offset(offset))
    if fraction is not None:
        parts.append(".frac")
    return " ".join(parts)


def _offset(offset: str | None) -> str:
    if offset is None:
        return "naive"
    if offset == "Z":
        return "Z"
    return "+hh:mm" if ":" in offset else "+hhmm"


def _rfc2822(text: str) -> str | None:
    match = _RFC2822.fullmatch(text)
    if match is None:
        return None
    return "http-date" if match.group(1) == "GMT" else "rfc2822"


def _number(text: str) -> str | None:
    if _INT.fullmatch(text):
        return "int-text"
    if _DECIMAL.fullmatch(text):
        return "decimal-text"
    if _GROUPED.fullmatch(text):
        return "grouped-number"
    if _COMMA.fullmatch(text):
        return "decimal-comma"
    return None


def _ip4(text: str) -> str | None:
    match = _IPV4.fullmatch(text)
    if match is None or any(int(part) > 255 for part in match.groups()):
        return None
    return "ipv4"


def _ip6(text: str) -> str | None:
    if text.count(":") < 2 or len(text) > 45:
        return None
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return None
    return "ipv6"


def _short_hex(text: str) -> str | None:
    """`~hex(n)` for hex text a little shorter than a token (`"%x" % random` drops
    leading zeros): never asserted, but it keeps a recorded `hex(n)` of about its length."""
    size = len(text)
    if MIN_SHORT_HEX <= size < MIN_TOKEN and _HEX.fullmatch(text) and _HAS_DIGIT.search(text):
        return None if text.isdigit() else f"~hex({size})"
    return None


def _token(text: str) -> str | None:
    size: int | str = len(text) if len(text) <= MAX_TOKEN else LONG
    if _HEX.fullmatch(text):
        if text.isdigit():
            return f"~digits({size})"
        return f"hex({size})" if _HAS_DIGIT.search(text) else f"~token({size})"
    if not _BASE64.fullmatch(text):
        return None
    # a digit, an upper-case and a lower-case letter: a random token of 16 or more
    # characters almost always has all three, identifiers and SKUs do not
    evidence = _HAS_DIGIT.search(text) and text.lower() != text and text.upper() != text
    return f"base64({size})" if evidence else f"~token({size})"
