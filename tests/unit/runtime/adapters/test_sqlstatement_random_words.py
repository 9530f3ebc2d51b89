"""`parse` searches a word for a per-process part (`_RANDOM_PART`) only when it could
hold one (`_MAY_BE_RANDOM`, eight characters or more): a word it skips has no match."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seamrec.runtime.adapters.sqlstatement import (
    _MAY_BE_RANDOM,
    _RANDOM_PART,
    _SHORTEST_RANDOM,
    parse,
)

_PARTS = st.sampled_from(
    ["a", "F", "0", "9", "_", "-", "$", '"', "`", "abcdef", "123456", "x_", "new_", "t", "é"]
)
_HEX = st.text(alphabet="0123456789abcdefABCDEF-_xyz", min_size=0, max_size=40)


@settings(max_examples=3000)
@given(st.one_of(st.lists(_PARTS, max_size=14).map("".join), _HEX))
def test_a_word_the_search_skips_has_no_random_part(word: str) -> None:
    if len(word) < _SHORTEST_RANDOM or _MAY_BE_RANDOM(word) is None:
        assert _RANDOM_PART.search(word) is None


def test_random_parts_are_still_starred() -> None:
    assert (
        parse('SELECT * FROM "dogs_new_47931a51d504"').seam_id == 'sql:SELECT * FROM "dogs_new_*"'
    )
    assert (
        parse("SELECT * FROM t31d8ece99e7a95cdc391854c9c408b3c").seam_id == "sql:SELECT * FROM t*"
    )
    assert (
        parse('SELECT * FROM "tmp-deadbeef-cafe-babe-face-feedfacecafe"').seam_id
        == 'sql:SELECT * FROM "tmp-*"'
    )
    assert parse("SELECT * FROM sales_202401").seam_id == "sql:SELECT * FROM sales_202401"


def test_a_batch_statement_is_not_numbered_without_a_pass_over_its_types() -> None:
    rows = ", ".join(["(?, ?)"] * 600)
    statement = parse(f"INSERT INTO t (a, b) VALUES {rows}")

    assert not statement.numbered
    assert statement.parameters(list(range(1200))) == ([(n, n + 1) for n in range(0, 1200, 2)],)
    assert parse("SELECT ?2, ?1").numbered
