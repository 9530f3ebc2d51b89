"""A SQL statement's tokens: `(kind, text)` pairs, comments dropped.

`TOKEN` is the reference: a regex whose named alternative says a token's kind. The
compiled twin (``_sqltokens.c``, when it was built; `SEAMREC_PURE=1` forces the regex)
reads the text the same way at a small part of the cost: the regex tries up to ten
alternatives at every token and makes a match object for each.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from seamrec.compiled import compiled_module

TOKEN = re.compile(
    r"""
     (?P<ws>\s+)
    |(?P<comment>--[^\n]*|/\*.*?\*/)
    |(?P<str>[Ee]?'(?:[^']|'')*')
    |(?P<qident>"(?:[^"]|"")*"|`[^`]*`)
    |(?P<cast>::)
    |(?P<param>\?\d*|%\([^)]+\)s|%s|\$\d+|:[A-Za-z_]\w*)
    |(?P<pct>%%)
    |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    |(?P<word>[A-Za-z_][\w$]*)
    |(?P<other>.)
    """,
    re.S | re.X,
)


def reference_tokens(sql: str) -> list[tuple[str, str]]:
    """The tokens of `sql` as `TOKEN` reads them (every character is in one token)."""
    return [
        (m.lastgroup or "other", m.group()) for m in TOKEN.finditer(sql) if m.lastgroup != "comment"
    ]


def _load() -> Any:
    """The compiled module, None when pure Python is asked for or it was not built."""
    return compiled_module("seamrec.runtime.adapters._sqltokens")[0]


_compiled = _load()

compiled_tokens: Callable[[str], list[tuple[str, str]]] | None = (
    None if _compiled is None else _compiled.tokens
)
tokens: Callable[[str], list[tuple[str, str]]] = compiled_tokens or reference_tokens
"""`tokens(sql)`: the compiled twin when built, else `reference_tokens`."""
