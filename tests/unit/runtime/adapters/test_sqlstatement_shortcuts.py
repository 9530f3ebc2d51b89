"""The database seam's shortcuts give what the full paths give: the leading keyword read
without tokenizing (`keyword_of`), plain positional parameters passed as a list, and the
rows of a multi-row VALUES grouped in C."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamrec.runtime.adapters.sqlstatement import (
    DATA_KEYWORDS,
    Slot,
    Statement,
    keyword_of,
    parse,
)

_PIECES = st.sampled_from(
    [
        "SELECT",
        "select",
        "PRAGMA",
        "CREATE",
        "e",
        "E",
        "E'x'",
        "e'it''s'",
        "'lit'",
        "-- note\n",
        "/* c */",
        '"quoted"',
        "`ticked`",
        "?",
        "?2",
        ":name",
        "$1",
        "%s",
        "%(a)s",
        "12",
        ".5",
        "_under",
        "t$1",
        "(",
        ")",
        ",",
        ";",
        "::",
        "%%",
        " ",
        "\n\t",
        "é",
    ]
)


@given(st.lists(_PIECES, max_size=8).map("".join))
def test_the_leading_keyword_is_the_keyword_a_full_parse_finds(sql: str) -> None:
    keyword = keyword_of(sql)
    if keyword is not None:
        assert keyword == parse(sql).keyword


@pytest.mark.parametrize(
    ("sql", "keyword"),
    [
        ("PRAGMA table_info([t])", "PRAGMA"),
        ("  \n create table t (a)", "CREATE"),
        ("SAVEPOINT sp_1", "SAVEPOINT"),
        ("select 1", "SELECT"),
        ("-- lead\nSELECT 1", None),
        ("/* c */ DROP TABLE t", None),
        ("E'x' || 'y'", None),
        ("(SELECT 1)", None),
        ("", None),
    ],
)
def test_a_keyword_is_read_only_from_a_leading_plain_word(sql: str, keyword: str | None) -> None:
    assert keyword_of(sql) == keyword


def test_a_statement_that_carries_no_data_is_told_by_its_leading_word() -> None:
    for sql in ("CREATE TABLE t (a)", "PRAGMA foreign_keys", "DROP TABLE t", "ALTER TABLE t"):
        keyword = keyword_of(sql)
        assert keyword is not None
        assert keyword not in DATA_KEYWORDS
        assert not parse(sql).carries_data


_VALUES = st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=6)


@given(_VALUES)
def test_plain_parameters_given_as_a_list_are_the_tuple_of_their_values(
    values: list[Any],
) -> None:
    sql = "SELECT a FROM t WHERE " + " AND ".join(["b = ?"] * len(values) or ["1 = 1"])
    statement = parse(sql)
    assert statement.plain
    assert statement.parameters(values) == tuple(values)
    assert type(statement.parameters(values)) is tuple
    assert statement.parameters(tuple(values)) == tuple(values)


def _sliced(flat: list[Any], slots: tuple[Slot, ...]) -> tuple[Any, ...]:
    """The grouping `Statement._grouped` made before rows were grouped in C."""
    grouped: list[Any] = []
    at = 0
    for slot in slots:
        if slot == 1:
            grouped.append(flat[at])
            at += 1
        elif isinstance(slot, tuple) and slot[0] == "list":
            grouped.append(flat[at : at + slot[1]])
            at += slot[1]
        elif isinstance(slot, tuple):
            rows, width = slot[1], slot[2]
            grouped.append(
                [tuple(flat[at + r * width : at + (r + 1) * width]) for r in range(rows)]
            )
            at += rows * width
    return tuple(grouped)


def _outcome(grouping: Callable[..., tuple[Any, ...]], *args: Any) -> object:
    """What a grouping gives, or the type of what it raised."""
    try:
        return grouping(*args)
    except IndexError as exc:
        return type(exc)


@given(
    st.integers(min_value=2, max_value=6),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=-3, max_value=0),
)
def test_rows_of_a_batch_insert_are_grouped_as_slicing_grouped_them(
    rows: int, width: int, listed: int, short: int
) -> None:
    row = "(" + ", ".join(["?"] * width) + ")"
    listed_values = ", ".join(["?"] * listed) or "1"
    sql = f"INSERT INTO t VALUES {', '.join([row] * rows)} RETURNING a IN ({listed_values}), ?"
    statement = parse(sql)
    flat = list(range(len(statement.names) + short))
    assert _outcome(statement._grouped, flat) == _outcome(_sliced, flat, statement.slots)
    assert statement.parameters(flat) == (
        _sliced(flat, statement.slots) if short == 0 else tuple(flat)
    )


def test_a_numbered_placeholder_is_found_among_many() -> None:
    names: tuple[str | int | None, ...] = (None,) * 10_000
    assert not Statement("sql:x", "SELECT", (), names, False).numbered
    assert Statement("sql:x", "SELECT", (), (*names, 3), False).numbered
    assert not Statement("sql:x", "SELECT", (), (*names, "a"), False).numbered
