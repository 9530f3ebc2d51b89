"""The compiled SQL tokenizer (`sqltokens.compiled_tokens`, `_sqltokens.c`) reads every
text as the regex does (`reference_tokens`): the same kinds, the same texts, comments
dropped; and `parse` words its seam ids the same through either."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamrec.runtime.adapters import sqlstatement, sqltokens

pytestmark = pytest.mark.skipif(
    sqltokens.compiled_tokens is None, reason="the C tokenizer is not built"
)

CORPUS = [
    "",
    "SELECT 1",
    "select name from sqlite_master where type = 'table'",
    "SELECT * FROM t -- trailing note\nWHERE a = 'it''s' /* inline */ AND b = E'x\\'",
    "/* unclosed comment SELECT 1",
    "SELECT 'unclosed",
    "SELECT 'a''b",  # unclosed after a doubled quote: the regex backtracks to `'a'`
    'SELECT "a""b',
    "SELECT `tick` FROM `unclosed",
    "SELECT a FROM t WHERE id IN (1, 2, 3) AND b IN (?, ?, ?)",
    "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)",
    "SELECT $1, $2::INTEGER, ?3, ?, %s, %(name)s, %(x)y, :named, %%, $x, :1",
    "SELECT 1.5e3, .5, 3., 1e, 2E+7, 4e-, 0x1F, \u0661\u0662",
    'INSERT INTO "dogs_new_47931a51d504" ("rowid", "id") SELECT "rowid", "id" FROM "dogs"',
    "insert into t31d8ece99e7a95cdc391854c9c408b3c (id, name) values (?, ?)",
    "SAVEPOINT sa_savepoint_1; RELEASE SAVEPOINT sa_savepoint_1",
    "SELECT é, naïve_col, t$1, _x FROM \u00a0tab\u2028le\tWHERE x=-1",
    "e'",
    "E",
    "?",
    "%(",
    "%(a",
    "%()s",
    "::",
    ":",
    "$",
    "--",
    "/*",
    "*/",
    "/*/",
    "/**/",
]

_PIECES = st.sampled_from(
    [
        "SELECT",
        "e",
        "E",
        "'",
        '"',
        "`",
        "''",
        '""',
        "--",
        "/*",
        "*/",
        "\n",
        " ",
        "\t",
        "\u00a0",
        "?",
        "?12",
        "$",
        "$3",
        ":",
        "::",
        ":n",
        "%",
        "%%",
        "%(",
        "%(k)s",
        ")",
        "s",
        "(",
        ",",
        ".",
        "1",
        "1.5",
        "e5",
        "E-2",
        "+",
        "é",
        "\u0661",  # an Arabic-Indic digit: `\\d` in a str pattern
        "_",
        "x$",
        "a1b2c3d4e5",
        "-",
        "uuid-",
        ";",
    ]
)


@pytest.mark.parametrize("sql", CORPUS)
def test_the_compiled_tokens_are_the_regex_tokens(sql: str) -> None:
    assert sqltokens.compiled_tokens is not None
    assert sqltokens.compiled_tokens(sql) == sqltokens.reference_tokens(sql)


@settings(max_examples=2000)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_generated_texts_read_the_same(sql: str) -> None:
    assert sqltokens.compiled_tokens is not None
    assert sqltokens.compiled_tokens(sql) == sqltokens.reference_tokens(sql)


@settings(max_examples=500)
@given(st.text(max_size=40))
def test_any_text_reads_the_same(sql: str) -> None:
    assert sqltokens.compiled_tokens is not None
    assert sqltokens.compiled_tokens(sql) == sqltokens.reference_tokens(sql)


def test_every_character_is_in_a_token_but_the_comments() -> None:
    sql = "SELECT a -- note\nFROM /* c */ t"
    tokens = sqltokens.tokens(sql)

    assert "".join(text for _, text in tokens) == "SELECT a \nFROM  t"
    assert ("word", "FROM") in tokens


def test_a_non_str_is_refused() -> None:
    assert sqltokens.compiled_tokens is not None
    with pytest.raises(TypeError):
        sqltokens.compiled_tokens(b"SELECT 1")  # type: ignore[arg-type]


@pytest.mark.parametrize("sql", CORPUS)
def test_parse_words_a_statement_the_same_through_either_tokenizer(
    sql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = sqlstatement.parse(sql)
    monkeypatch.setattr(sqlstatement, "_tokens", sqltokens.reference_tokens)
    reference = sqlstatement.parse(sql)

    assert (compiled.seam_id, compiled.slots, compiled.names) == (
        reference.seam_id,
        reference.slots,
        reference.names,
    )
    assert compiled == reference
