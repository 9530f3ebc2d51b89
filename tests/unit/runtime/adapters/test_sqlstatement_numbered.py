"""A statement knows once whether its placeholders are numbered; queries use that."""

from seamrec.runtime.adapters.sqlstatement import parse


def test_a_statement_with_numbered_placeholders_is_numbered() -> None:
    assert parse("SELECT $2, $1").numbered
    assert parse("SELECT a FROM t WHERE b = ?1 AND c = ?2").numbered


def test_a_statement_with_plain_placeholders_is_not_numbered() -> None:
    assert not parse("SELECT a FROM t WHERE b = ? AND c = ?").numbered
    assert not parse("SELECT a FROM t").numbered


def test_numbered_parameters_are_picked_by_number_on_every_query() -> None:
    statement = parse("SELECT $2, $1")

    assert (2, 1) == statement.parameters([1, 2])
    assert ("b", "a") == statement.parameters(["a", "b"])


def test_a_statement_that_knows_it_is_numbered_still_equals_a_fresh_parse() -> None:
    known = parse("SELECT $2, $1")
    assert known.numbered

    assert parse("SELECT $2, $1") == known
    assert hash(parse("SELECT $2, $1")) == hash(known)
