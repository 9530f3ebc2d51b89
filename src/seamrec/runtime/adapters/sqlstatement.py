"""SQL statements as seam ids: normalized text, and parameters shaped by placeholder.

A statement's seam id is ``sql:`` plus its text with whitespace collapsed, comments
dropped, literal values (numbers, strings) replaced by ``?``, ``IN (...)`` lists and
repeated ``VALUES (...), (...)`` rows collapsed to one, and every placeholder written
``?`` — or ``:name`` for a name a person wrote (SQLAlchemy's generated names such as
``id_1`` or ``a0_reason_117`` never appear). Per-process parts of identifiers — a run of
six or more hex digits holding a digit (``dogs_new_47931a51d504``, ``tmp_<uuid4 hex>``), a
dashed uuid — become ``*``, and savepoint names ``?``, so a table a library names at
random is one statement. Long statements are cut, with a hash of the whole text, so ids
stay readable and bounded.

Parameters are regrouped the same way: the values of an ``IN (...)`` list become one
list, the rows of a multi-row ``VALUES`` one list of tuples, so list lengths are data,
not shape. Named parameters are kept by name only when every name was written by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from seamrec.frozen import FrozenRecord
from seamrec.runtime.adapters.sqltokens import tokens as _tokens

SEAM_PREFIX = "sql:"
MAX_TEXT = 200
DATA_KEYWORDS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE", "VALUES", "MERGE", "TABLE"}
)

_GENERATED_NAME = re.compile(r".*_\d+$|^p\d+$")
# A dashed uuid, six or more hex digits mixing digits and letters, or ten or more digits
# (an epoch time, a process id with a counter), after an underscore or dash inside an
# identifier: `dogs_new_47931a51d504`, `tmp_<uuid4 hex>`; or sixteen or more hex
# digits mixing digits and letters anywhere (`t<uuid4 hex>`). A whole word (`abc123`) and a
# date (`sales_202401`, `log_20240115`) stay as written.
_RANDOM_PART = re.compile(
    r"(?<=[A-Za-z0-9][_-])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|(?=[0-9]*[a-fA-F])(?=[a-fA-F]*[0-9])[0-9a-fA-F]{6,}|[0-9]{10,})(?![A-Za-z0-9])"
    r"|(?<![0-9a-fA-F])(?=[0-9]*[a-fA-F])(?=[a-fA-F]*[0-9])[0-9a-fA-F]{16,}(?![A-Za-z0-9])"
)
# What every match of `_RANDOM_PART` holds: a digit, or the dash of a uuid; and its
# shortest context is eight characters (two before six hex digits). A word without either
# is not searched: most words of a statement are short keywords and column names.
_MAY_BE_RANDOM = re.compile(r"[0-9-]").search
_SHORTEST_RANDOM = 8
_SAVEPOINT_STATEMENTS = frozenset({"SAVEPOINT", "RELEASE", "ROLLBACK"})
_SAVEPOINT_WORDS = frozenset({"SAVEPOINT", "RELEASE", "TO"})
# Three or more identical rows of `?` placeholders (a batch insert): tokenized as two
LONG_TEXT = 1000
_ROW = r"\(\s*\?(?:\s*,\s*\?)*\s*\)"
_REPEATED_ROWS = re.compile(rf"({_ROW})(?:\s*,\s*\1){{2,}}")

Slot = int | tuple[str, int, int]  # 1: one placeholder; ("list", n, 0); ("rows", rows, width)


@dataclass(init=False, repr=False, eq=False)  # frozen: see seamrec.frozen
class Statement(FrozenRecord):
    """One normalized statement and how its placeholders group the parameters."""

    seam_id: str
    keyword: str  # the first word, upper case ("SELECT", "CREATE", ...)
    slots: tuple[Slot, ...]
    names: tuple[str | int | None, ...]  # per placeholder: a name, a 0-based number, or None
    by_name: bool  # named parameters recorded as a dict (every name written by hand)
    plain: bool = False  # positional `?` placeholders only, no groups: tuples as they are

    def __init__(
        self,
        seam_id: str,
        keyword: str,
        slots: tuple[Slot, ...],
        names: tuple[str | int | None, ...],
        by_name: bool,
        plain: bool = False,
    ) -> None:
        object.__setattr__(self, "seam_id", seam_id)
        object.__setattr__(self, "keyword", keyword)
        object.__setattr__(self, "slots", slots)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(self, "plain", plain)

    @property
    def carries_data(self) -> bool:
        """Queries and data changes are seams; DDL, PRAGMA and transaction control are not."""
        return self.keyword in DATA_KEYWORDS

    @cached_property
    def numbered(self) -> bool:
        """Whether a placeholder is numbered (`?1`, `$2`): then the parameters are picked
        by number (found once per statement, not per query)."""
        names = self.names
        if names.count(None) == len(names):  # a batch's 10⁵ names: one pass, by identity
            return False
        return int in set(map(type, names))

    def parameters(self, params: Any) -> object:
        """The parameters regrouped by the statement's placeholders (see the module doc)."""
        if params is None:
            return ()
        cls = type(params)  # classes only: a parameter object is never evaluated
        if cls is dict or issubclass(cls, Mapping):
            return self._named(params)
        if self.plain and (cls is tuple or cls is list) and len(params) == len(self.slots):
            return params if cls is tuple else tuple(params)  # as `_grouped` would group it
        if issubclass(cls, Sequence) and not issubclass(cls, str | bytes):
            flat = list(params)
            if self.numbered:
                flat = [flat[n] if type(n) is int and n < len(flat) else None for n in self.names]
            return self._grouped(flat) if len(flat) == len(self.names) else tuple(flat)
        return params

    def _named(self, params: Mapping[Any, Any]) -> object:
        if self.by_name:
            return {n: params[n] for n in dict.fromkeys(self.names) if n in params}
        try:
            flat = [params[n] for n in self.names]
        except (KeyError, TypeError):
            return tuple(params.values())
        return self._grouped(flat)

    def _grouped(self, flat: list[Any]) -> tuple[Any, ...]:
        grouped: list[Any] = []
        at = 0
        for slot in self.slots:
            if slot == 1:
                grouped.append(flat[at])
                at += 1
            elif isinstance(slot, tuple) and slot[0] == "list":
                grouped.append(flat[at : at + slot[1]])
                at += slot[1]
            elif isinstance(slot, tuple):
                rows, width = slot[1], slot[2]
                part = flat[at : at + rows * width]
                if len(part) == rows * width:  # `rows` tuples of `width`, made in C
                    grouped.append(list(zip(*[iter(part)] * width, strict=False)))
                else:
                    grouped.append([tuple(part[r * width : (r + 1) * width]) for r in range(rows)])
                at += rows * width
        return tuple(grouped)


_LEADING_WORD = re.compile(r"\s*(?![Ee]')([A-Za-z_][\w$]*)")


def keyword_of(sql: str) -> str | None:
    """The keyword `parse(sql)` finds (its first word, upper case) when the text starts,
    after whitespace, with a plain word; None when only a full parse can tell (a comment
    or a literal first). Read without tokenizing the statement."""
    found = _LEADING_WORD.match(sql)
    return found.group(1).upper() if found is not None else None


def parse(sql: str) -> Statement:
    """Normalize `sql` (see the module doc). A long batch insert's identical rows of `?`
    are read as two rows and counted, not tokenized one by one."""
    if len(sql) > LONG_TEXT:
        runs = list(_REPEATED_ROWS.finditer(sql))
        if len(runs) == 1:
            found = _batch(sql, runs[0])
            if found is not None:
                return found
    return _parse(sql)


def _batch(sql: str, run: re.Match[str]) -> Statement | None:
    """`sql` parsed with the rows of `run` cut to two, then given their real count; None
    when the cut text does not read as one multi-row VALUES of plain `?`."""
    row = run.group(1)
    width = row.count("?")
    total = run.group(0).count("?") // width
    inner = _parse(f"{sql[: run.start()]}{row}, {row}{sql[run.end() :]}")
    groups = [slot for slot in inner.slots if isinstance(slot, tuple) and slot[0] == "rows"]
    if groups != [("rows", 2, width)] or any(name is not None for name in inner.names):
        return None
    slots = tuple(("rows", total, width) if slot == groups[0] else slot for slot in inner.slots)
    names = (None,) * (len(inner.names) + (total - 2) * width)
    return replace(inner, slots=slots, names=names)


def _parse(sql: str) -> Statement:
    tokens = _tokens(sql)
    names = tuple(
        None if text == "?" else _placeholder_name(text) for kind, text in tokens if kind == "param"
    )
    by_name = bool(names) and all(type(n) is str and not _GENERATED_NAME.match(n) for n in names)
    out: list[str] = []  # the normalized text's pieces, a space a piece of its own
    slots: list[Slot] = []
    index = 0
    param = 0  # the next placeholder's position in `names`
    keyword = ""
    space = False
    count = len(tokens)
    while index < count:
        kind, text = tokens[index]
        index += 1
        if kind == "ws":
            space = bool(out)
            continue
        if space:
            out.append(" ")
            space = False
        if kind == "other" or kind == "cast":  # punctuation: as written
            out.append(text)
            continue
        if kind == "word":
            upper = text.upper()
            if not keyword:
                keyword = upper
            if upper == "IN":
                group = _value_group(tokens, _skip_ws(tokens, index))
                if group is not None:
                    index, found = group
                    out.append(f"{text} (...)")
                    if found:
                        slots.append(("list", found, 0))
                    continue
            elif upper == "VALUES":
                rows = _value_rows(tokens, _skip_ws(tokens, index))
                if rows is not None:
                    index, first_text, found, width = rows
                    out.append(f"{text} {first_text}")
                    if width:
                        slots.append(("rows", found, width) if found > 1 else ("rows", 1, width))
                    continue
        piece = text
        if kind == "param":
            slots.append(1)
            name = names[param]
            param += 1
            piece = f":{name}" if by_name and type(name) is str else "?"
        elif kind in ("str", "num"):
            piece = "?"
        elif kind == "pct":
            piece = "%"
        elif keyword in _SAVEPOINT_STATEMENTS and _names_a_savepoint(tokens, index - 1, keyword):
            piece = "?"  # a word or a quoted name
        elif len(text) >= _SHORTEST_RANDOM and _MAY_BE_RANDOM(text) is not None:
            piece = _RANDOM_PART.sub("*", text)
        out.append(piece)
    text = "".join(out).rstrip(";").strip()
    if len(text) > MAX_TEXT:
        digest = hashlib.sha1(text.encode()).hexdigest()[:8]
        text = f"{text[: MAX_TEXT - 12].rstrip()} … #{digest}"
    slots = _simplify_rows(slots)
    plain = all(slot == 1 for slot in slots) and all(n is None for n in names)
    return Statement(SEAM_PREFIX + text, keyword, tuple(slots), names, by_name, plain)


def _names_a_savepoint(tokens: list[tuple[str, str]], index: int, keyword: str) -> bool:
    """The token at `index` is the name in `SAVEPOINT x`, `RELEASE [SAVEPOINT] x` or
    `ROLLBACK [TRANSACTION] TO [SAVEPOINT] x` (Django and SQLAlchemy number them per
    process or thread)."""
    if keyword not in _SAVEPOINT_STATEMENTS:
        return False
    before = index - 1
    while before >= 0 and tokens[before][0] == "ws":
        before -= 1
    if before < 0 or tokens[before][0] != "word":
        return False
    return tokens[before][1].upper() in _SAVEPOINT_WORDS and tokens[index][1].upper() != "SAVEPOINT"


def _simplify_rows(slots: list[Slot]) -> list[Slot]:
    """A single VALUES row of placeholders is plain placeholders, as written."""
    simple: list[Slot] = []
    for slot in slots:
        if isinstance(slot, tuple) and slot[0] == "rows" and slot[1] == 1:
            simple.extend([1] * slot[2])
        else:
            simple.append(slot)
    return simple


def _placeholder_name(text: str) -> str | int | None:
    if text.startswith("%("):
        return text[2:-2]
    if text.startswith(":"):
        return text[1:]
    if text[0] in "?$" and text[1:]:
        return int(text[1:]) - 1
    return None


def _skip_ws(tokens: list[tuple[str, str]], index: int) -> int:
    while index < len(tokens) and tokens[index][0] == "ws":
        index += 1
    return index


def _value_group(tokens: list[tuple[str, str]], index: int) -> tuple[int, int] | None:
    """`( v, v, ... )` of literals and placeholders at `index`: its end and placeholder count."""
    if index >= len(tokens) or tokens[index][1] != "(":
        return None
    count = 0
    expect_value = True
    index += 1
    while index < len(tokens):
        kind, text = tokens[index]
        if kind == "ws":
            pass
        elif expect_value and kind in ("param", "str", "num"):
            count += kind == "param"
            expect_value = False
        elif not expect_value and kind == "cast":  # `?::INTEGER`
            index = _skip_ws(tokens, index + 1)
            if index >= len(tokens) or tokens[index][0] != "word":
                return None
        elif not expect_value and text == ",":
            expect_value = True
        elif not expect_value and text == ")":
            return index + 1, count
        else:
            return None
        index += 1
    return None


def _value_rows(tokens: list[tuple[str, str]], index: int) -> tuple[int, str, int, int] | None:
    """`(…), (…), …` rows after VALUES that all read the same: end, first row's text,
    row count and placeholders per row."""
    rows: list[tuple[str, int]] = []
    end = index
    while True:
        row = _paren_group(tokens, index)
        if row is None:
            break
        stop, text, count = row
        rows.append((text, count))
        end = stop
        after = _skip_ws(tokens, stop)
        if after < len(tokens) and tokens[after][1] == ",":
            following = _skip_ws(tokens, after + 1)
            if following < len(tokens) and tokens[following][1] == "(":
                index = following
                continue
        break
    if not rows or len({text for text, _ in rows}) != 1:
        return None
    return end, rows[0][0], len(rows), rows[0][1]


def _paren_group(tokens: list[tuple[str, str]], index: int) -> tuple[int, str, int] | None:
    """A balanced `( ... )` at `index`: its end, its normalized text, its placeholders."""
    if index >= len(tokens) or tokens[index][1] != "(":
        return None
    depth = 0
    out: list[str] = []  # a space a piece of its own
    count = 0
    space = False
    end = len(tokens)
    while index < end:
        kind, text = tokens[index]
        index += 1
        if kind == "ws":
            space = True
            continue
        if kind == "param":
            count += 1
            text = "?"
        elif kind in ("str", "num"):
            text = "?"
        if space and out:
            out.append(" ")
        out.append(text)
        space = False
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if depth == 0:
                return index, "".join(out), count
    return None


def sql_change_lines(changes: Sequence[Any], part: str) -> list[str]:
    """The drift lines of a statement's seam in database words: `column renamed?`,
    `column removed`, `column added` under `return.rows`; a change of a column that the
    rows' lines already name is said once."""
    in_rows = {
        key
        for c in changes
        if c.segments[:1] == (".rows",)
        for key in (c.segments[-1:] + c.renamed_to[-1:])
    }
    lines = []
    for change in changes:
        if change.segments[:1] == (".columns",) and change.segments[-1] in in_rows:
            continue
        lines.append(_database_words(change.render(part)))
    return lines


def _database_words(line: str) -> str:
    if "return.rows" in line or "return.columns" in line:
        for word, column in (
            ("key renamed?", "column renamed?"),
            ("key removed ", "column removed"),
            ("key added   ", "column added  "),
        ):
            if line.startswith(word):
                line = column + line[len(word) :]
                break
    return re.sub(r"→ return\.(?:rows\[\*\]|columns)(\[[^\]]*\])", r"→ \1", line)
