"""Which contract file holds a seam: the callee module's, `http.txt`, or for a database
statement the file of the first table it names, `sql/<table>.txt`."""

from __future__ import annotations

import pytest

from seamrec.review.contract_layout import (
    NO_TABLE,
    file_name,
    file_of,
    statement_table,
    title_of,
)


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("SELECT id, name FROM users WHERE id = ?", "users"),
        ('INSERT INTO "order_lines" ("sku", "qty") VALUES (?, ?)', "order_lines"),
        ("UPDATE orders SET status = ? WHERE id = ?", "orders"),
        ("DELETE FROM `sessions` WHERE expires < ?", "sessions"),
        ("SELECT * FROM [Order Lines]", "Order Lines"),
        ("SELECT o.id FROM shop_test_*.orders o JOIN users u ON u.id = o.user_id", "orders"),
        ('INSERT INTO "dogs_new_*" ("rowid") SELECT "rowid" FROM "dogs"', "dogs_new_*"),
        ("SELECT n FROM (SELECT count(*) AS n FROM items) AS c", "items"),
        ("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", "orders"),
        ('SELECT "a from b" FROM c', "c"),
        ("select name from pragma_table_info(?)", "pragma_table_info"),
    ],
)
def test_the_table_of_a_statement_is_the_first_one_it_names(statement: str, table: str) -> None:
    assert table == statement_table(statement)


@pytest.mark.parametrize("statement", ["SELECT 1", "SELECT ? AS answer", "VALUES (?)"])
def test_a_statement_naming_no_table_has_none(statement: str) -> None:
    assert statement_table(statement) is None


def test_database_seams_go_in_one_file_per_table_under_sql() -> None:
    assert "sql/users" == file_of("sql:SELECT id FROM users WHERE id = ?")
    assert "sql/users" == file_of('sql:INSERT INTO "Users" ("id") VALUES (?)')
    assert "sql/order_lines" == file_of('sql:DELETE FROM "Order Lines"')
    assert "sql/dogs_new" == file_of('sql:INSERT INTO "dogs_new_*" ("id") VALUES (?)')
    assert f"sql/{NO_TABLE}" == file_of("sql:SELECT 1")


def test_other_seams_go_in_the_file_of_their_module_or_of_http() -> None:
    assert "shop.repository" == file_of("shop.repository:UserRepo.get")
    assert "http" == file_of("http:GET /api/orders")
    assert "http-out" == file_of("http-out:GET 127.0.0.1/v1/users/<id>")


def test_a_file_name_is_only_lower_case_letters_digits_underscores_and_dashes() -> None:
    assert "order_lines" == file_name("Order Lines")
    assert "a_b" == file_name("a/../b")
    assert "städte" == file_name("Städte")
    assert NO_TABLE == file_name("***")


def test_each_file_says_what_it_holds() -> None:
    assert "# seamrec contract of the database table users: one section per statement on it" == (
        title_of("sql/users")
    )
    assert "no table" in title_of(f"sql/{NO_TABLE}")
    assert "# seamrec contract of module shop.repository" == title_of("shop.repository")
    assert title_of("http").startswith("# seamrec contract of the HTTP API")


def test_a_long_table_name_is_cut_with_a_hash_and_a_reserved_one_gets_an_underscore() -> None:
    long_a, long_b = file_name("a" * 300), file_name("a" * 299 + "b")

    assert (80, 80) == (len(long_a), len(long_b))
    assert long_a != long_b
    assert long_a.startswith("a" * 71 + "_")
    assert "con_" == file_name("CON")
    assert "lpt1_" == file_name("lpt1")
    assert "console" == file_name("console")
