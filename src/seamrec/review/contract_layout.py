"""Which contract file holds a seam's section, and the title of each file.

A function's seam goes in the file of its callee module (``shop.repository.txt``), the
HTTP seams in ``http.txt`` (inbound) and ``http-out.txt`` (outbound). Database seams go
in one file per table, ``sql/<table>.txt``: the first table the statement names (after
``INTO``, ``UPDATE``, ``FROM`` or ``JOIN``), so a pull request that changes the queries
of one table shows one small file, and a suite whose tests create hundreds of tables
never writes one file of thousands of lines. A statement that names no table goes in
``sql/_no_table.txt``. File names are the table name in lower case with anything but
letters, digits, ``_`` and ``-`` made ``_`` (``"Order Lines"`` → ``order_lines``; a
table a library names at random, ``dogs_new_*``, is ``dogs_new``; see `file_name`).
"""

from __future__ import annotations

import hashlib
import re

HEADER = "# seamrec contract"
SQL_PREFIX = "sql:"
SQL_DIR = "sql"  # database seams: one file per table in this folder of contracts/
NO_TABLE = "_no_table"
HTTP_FILES = {
    "http": f"{HEADER} of the HTTP API: one section per endpoint the tests called",
    "http-out": f"{HEADER} of external services: one section per endpoint boundary code called",
}

HTTP_NOTE = "# A status, header or cookie is its name alone: header and cookie values are not kept."
_TOKEN = re.compile(r'"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[^\W\d][\w$*]*|\S', re.UNICODE)
_KEYWORDS = frozenset({"INTO", "UPDATE", "FROM", "JOIN"})
_NOT_NAME = re.compile(r"[^\w-]+")
MAX_NAME = 80  # characters of a table's file name
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}
)


def file_of(seam: str) -> str:
    """The contract file of a seam: its path under ``contracts/``, without the suffix."""
    if seam.startswith(SQL_PREFIX):
        table = statement_table(seam[len(SQL_PREFIX) :])
        return f"{SQL_DIR}/{file_name(table) if table else NO_TABLE}"
    return seam.partition(":")[0]


def statement_table(statement: str) -> str | None:
    """The first table a normalized statement names, unquoted, without its schema
    (``FROM (SELECT ...)`` names none and the search goes on; a ``WITH`` query's own
    names are not tables)."""
    tokens = _TOKEN.findall(statement)
    ctes = {
        tokens[j].lower()
        for j in range(len(tokens) - 2)
        if tokens[j + 1].upper() == "AS" and tokens[j + 2] == "("
    }
    for i, token in enumerate(tokens[:-1]):
        if token.upper() not in _KEYWORDS:
            continue
        name = None
        at = i + 1
        while at < len(tokens) and _is_identifier(tokens[at]):
            name = tokens[at]
            if tokens[at + 1 : at + 2] != ["."]:
                break
            at += 2
        if name is not None and name.lower() not in ctes:
            return _unquote(name)
    return None


def file_name(table: str) -> str:
    """A table name as a file name: lower case, only letters, digits, ``_`` and ``-``; a
    long one cut with a hash of the whole, a name Windows reserves (``con``) given a ``_``."""
    name = _NOT_NAME.sub("_", table.lower())
    name = re.sub("_+", "_", name).strip("_-")
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9]}_{digest}"
    if name in _RESERVED:
        name += "_"
    return name or NO_TABLE


def title_of(name: str) -> str:
    """The first line of a contract file (`name` as `file_of` returns it)."""
    if name.startswith(f"{SQL_DIR}/"):
        table = name[len(SQL_DIR) + 1 :]
        if table == NO_TABLE:
            return f"{HEADER} of the database: the statements that name no table"
        return f"{HEADER} of the database table {table}: one section per statement on it"
    return HTTP_FILES.get(name, f"{HEADER} of module {name}")


def is_http(name: str) -> bool:
    """Whether a contract file holds HTTP seams (its paths are written in HTTP words)."""
    return name in HTTP_FILES


def _is_identifier(token: str) -> bool:
    return token[:1] in ('"', "`", "[") or token[:1].isalpha() or token[:1] == "_"


def _unquote(identifier: str) -> str:
    if identifier[:1] in ('"', "`", "[") and len(identifier) >= 2:
        return identifier[1:-1].replace('""', '"')
    return identifier
