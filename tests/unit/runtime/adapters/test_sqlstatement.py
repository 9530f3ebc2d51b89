"""Statements become seam ids that ignore whitespace, literals and list lengths, and their
parameters are regrouped by placeholder."""

from __future__ import annotations

import pytest

from seamrec.runtime.adapters.sqlstatement import MAX_TEXT, parse


@pytest.mark.parametrize(
    ("sql", "seam"),
    [
        (
            "SELECT id,  name\n  FROM users -- who\n WHERE id = ?;",
            "sql:SELECT id, name FROM users WHERE id = ?",
        ),
        (
            "select * from t where a in (1, 2, 3) and b = 'it''s' and c > 2.5e3",
            "sql:select * from t where a in (...) and b = ? and c > ?",
        ),
        ("SELECT * FROM t WHERE a IN (?, ?, ?)", "sql:SELECT * FROM t WHERE a IN (...)"),
        (
            "SELECT * FROM t WHERE a IN (%(a_1_1)s::INTEGER, %(a_1_2)s::INTEGER)",
            "sql:SELECT * FROM t WHERE a IN (...)",
        ),
        (
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)",
            "sql:INSERT INTO t (a, b) VALUES (?, ?)",
        ),
        ("SELECT * FROM u WHERE email = %(email)s", "sql:SELECT * FROM u WHERE email = :email"),
        ("SELECT * FROM u WHERE id = %(id_1)s", "sql:SELECT * FROM u WHERE id = ?"),
        (
            "SELECT a FROM t WHERE b = $1 /* c */ AND c LIKE 'x%%'",
            "sql:SELECT a FROM t WHERE b = ? AND c LIKE ?",
        ),
    ],
)
def test_a_statement_is_normalized_to_a_readable_seam_id(sql: str, seam: str) -> None:
    assert seam == parse(sql).seam_id


def test_a_long_statement_is_cut_with_a_hash_of_the_whole_text() -> None:
    columns = ", ".join(f"column_{n}" for n in range(100))
    one, other = parse(f"SELECT {columns} FROM t"), parse(f"SELECT {columns}, x FROM t")

    assert len(one.seam_id) <= MAX_TEXT + len("sql:")
    assert one.seam_id != other.seam_id
    assert " … #" in one.seam_id


@pytest.mark.parametrize(
    ("sql", "params", "grouped"),
    [
        ("SELECT * FROM t WHERE a = ? AND b IN (?, ?)", (1, 2, 3), (1, [2, 3])),
        ("INSERT INTO t VALUES (?, ?), (?, ?)", ["a", 1, "b", 2], ([("a", 1), ("b", 2)],)),
        ("SELECT * FROM t WHERE a = :a AND b = :b", {"b": 2, "a": 1, "z": 0}, {"a": 1, "b": 2}),
        (
            "SELECT * FROM t WHERE a = %(a_1)s AND b IN (%(b_1_1)s, %(b_1_2)s)",
            {"a_1": 1, "b_1_1": 2, "b_1_2": 3},
            (1, [2, 3]),
        ),
        ("SELECT $2, $1", (1, 2), (2, 1)),
        ("SELECT 1", None, ()),
    ],
)
def test_parameters_are_grouped_by_placeholder_and_generated_names_are_dropped(
    sql: str, params: object, grouped: object
) -> None:
    assert grouped == parse(sql).parameters(params)


@pytest.mark.parametrize(
    ("sql", "data"),
    [
        ("SELECT 1", True),
        ("  with x as (select 1) select * from x", True),
        ("INSERT INTO t VALUES (1)", True),
        ("CREATE TABLE t (a int)", False),
        ("PRAGMA table_info(t)", False),
        ("BEGIN", False),
        ("SAVEPOINT sa_1", False),
    ],
)
def test_only_queries_and_data_changes_are_seams(sql: str, data: bool) -> None:
    assert data == parse(sql).carries_data


@pytest.mark.parametrize(
    ("sql", "seam"),
    [
        (
            'INSERT INTO "dogs_new_47931a51d504" (id, name) SELECT id, name FROM "dogs"',
            'sql:INSERT INTO "dogs_new_*" (id, name) SELECT id, name FROM "dogs"',
        ),
        (
            "SELECT a FROM tmp_0f8fad5bd9cb469fa16570867728950e WHERE a = 1",
            "sql:SELECT a FROM tmp_* WHERE a = ?",
        ),
        (
            'SELECT * FROM "t_0f8fad5b-d9cb-469f-a165-70867728950e"',
            'sql:SELECT * FROM "t_*"',
        ),
        ("SELECT * FROM upload_1701234567", "sql:SELECT * FROM upload_*"),
        (
            "insert into t168b203bd118f1942bf6f1ef166cbc91 (id) values (?)",
            "sql:insert into t* (id) values (?)",
        ),
    ],
)
def test_random_parts_of_identifiers_are_one_statement(sql: str, seam: str) -> None:
    assert seam == parse(sql).seam_id


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT abc123def, decade, facade FROM t",  # whole words
        "SELECT * FROM sales_202401",  # a month
        "SELECT * FROM log_20240115",  # a day
        "SELECT a_deadbeef FROM t",  # hex letters, no digit
        "SELECT col_2024 FROM t_12345",  # short numbers
    ],
)
def test_identifiers_that_only_look_random_stay_as_written(sql: str) -> None:
    assert "sql:" + sql == parse(sql).seam_id


def test_tables_differing_only_by_a_random_suffix_share_an_id_and_others_do_not() -> None:
    first = parse('INSERT INTO "dogs_new_47931a51d504" SELECT * FROM dogs').seam_id
    second = parse('INSERT INTO "dogs_new_4446ed09e89e" SELECT * FROM dogs').seam_id
    other = parse('INSERT INTO "cats_new_4446ed09e89e" SELECT * FROM dogs').seam_id

    assert first == second
    assert other != first


@pytest.mark.parametrize(
    ("sql", "seam"),
    [
        ("SAVEPOINT sa_savepoint_1", "sql:SAVEPOINT ?"),
        ('RELEASE SAVEPOINT "s140234_x1"', "sql:RELEASE SAVEPOINT ?"),
        ("RELEASE sa_savepoint_7", "sql:RELEASE ?"),
        ("ROLLBACK TO SAVEPOINT sa_savepoint_12", "sql:ROLLBACK TO SAVEPOINT ?"),
        ("ROLLBACK TRANSACTION TO s1_x2", "sql:ROLLBACK TRANSACTION TO ?"),
    ],
)
def test_savepoint_names_do_not_matter(sql: str, seam: str) -> None:
    assert seam == parse(sql).seam_id


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO [t] ([a], [b], [c]) VALUES " + ", ".join(["(?, ?, ?)"] * 500),
        "INSERT INTO t (a) VALUES " + ",".join(["(?)"] * 1200) + " ON CONFLICT DO NOTHING",
        "INSERT INTO t (a, b) VALUES " + ", ".join(["(?, 1)"] * 400),  # literals: no shortcut
        "INSERT INTO t (a) VALUES " + ", ".join(["(?)"] * 300) + " RETURNING 'x (?), (?), (?)'",
        "WITH x AS (SELECT :n) INSERT INTO t (a) VALUES " + ", ".join(["(?)"] * 400),
    ],
)
def test_a_long_batch_insert_reads_as_the_row_by_row_parse_does(sql: str) -> None:
    from seamrec.runtime.adapters.sqlstatement import _parse

    fast, slow = parse(sql), _parse(sql)

    assert slow == fast
    flat = list(range(sql.count("?")))
    assert slow.parameters(flat) == fast.parameters(flat)


def test_a_long_batch_insert_groups_its_rows() -> None:
    statement = parse("INSERT INTO t (a, b) VALUES " + ", ".join(["(?, ?)"] * 600))

    assert "sql:INSERT INTO t (a, b) VALUES (?, ?)" == statement.seam_id
    assert (("rows", 600, 2),) == statement.slots
    rows = statement.parameters(list(range(1200)))[0]  # type: ignore[index]
    assert [(0, 1), (2, 3)] == rows[:2]
    assert 600 == len(rows)
