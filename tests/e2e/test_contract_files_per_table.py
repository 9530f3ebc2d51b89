"""The database's contract is one file per table, `cassettes/contracts/sql/<table>.txt`:
a change to one table's queries rewrites that file only, a table no longer queried loses
its file, the single `sql.txt` of earlier versions goes, and the `seamrec` commands read
the files where they are."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, commit_all, fresh_project, seamrec, seamrec_summary

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

REPO = '''\
"""Users and their orders in SQLite."""

import sqlite3

_db = None


def db():
    global _db
    if _db is None:
        _db = sqlite3.connect(":memory:")
        _db.row_factory = sqlite3.Row
        _db.executescript("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total TEXT);
            INSERT INTO users VALUES (1, 'Ada');
            INSERT INTO orders VALUES (1, 1, '9.50');
        """)
    return _db


def user_name(user_id):
    return db().execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()["name"]


def totals(user_id):
    rows = db().execute("SELECT id, total FROM orders WHERE user_id = ?", (user_id,))
    return [row["total"] for row in rows]
'''

TESTS = """\
from shop import repo


def test_user_name():
    assert repo.user_name(1) == "Ada"


def test_totals():
    assert repo.totals(1) == ["9.50"]
"""

USERS = "sql:SELECT name FROM users WHERE id = ?"


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    return fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/repo.py": REPO,
            "tests/test_shop.py": TESTS,
        },
    )


def sql_files(app: LayeredApp) -> dict[str, str]:
    folder = app.cassettes / "contracts" / "sql"
    return {p.name: p.read_text() for p in sorted(folder.glob("*.txt"))}


def test_each_table_queried_gets_its_own_contract_file(shop: LayeredApp) -> None:
    shop.record().assert_outcomes(passed=2)

    files = sql_files(shop)

    assert ["orders.txt", "users.txt"] == list(files)
    assert files["users.txt"].startswith("# seamrec contract of the database table users")
    assert (
        f"## {USERS}\n  args.params: tuple\n  args.params[0]: int\n  return: sql.Result\n"
    ) in files["users.txt"]
    assert files["users.txt"].endswith("tests: tests/test_shop.py (1)\n")
    assert "FROM orders" in files["orders.txt"]
    assert "FROM orders" not in files["users.txt"]
    assert not (shop.cassettes / "contracts" / "sql.txt").exists()


def test_a_changed_query_of_one_table_rewrites_that_file_only(shop: LayeredApp) -> None:
    shop.record().assert_outcomes(passed=2)
    before = sql_files(shop)
    shop.edit(
        "shop/repo.py", '"SELECT id, total FROM', '"SELECT id, CAST(total AS REAL) AS total FROM'
    )
    shop.edit("tests/test_shop.py", '== ["9.50"]', "== [9.5]")

    result = shop.record()

    result.assert_outcomes(passed=2)
    after = sql_files(shop)
    assert before["users.txt"] == after["users.txt"]
    assert "  return.rows[*]['total']: float\n" in after["orders.txt"]
    # orders.txt and shop.repo.txt (`totals` returns floats now); users.txt unchanged
    assert "contracts: 2 written, 1 unchanged, 0 removed" in seamrec_summary(result)


def test_a_table_no_longer_queried_loses_its_file_and_the_old_sql_file_goes(
    shop: LayeredApp,
) -> None:
    old = shop.write(
        "cassettes/contracts/sql.txt",
        "# seamrec contract of the database: one section per statement its boundary code ran\n",
    )
    shop.record().assert_outcomes(passed=2)
    shop.edit("tests/test_shop.py", '    assert repo.totals(1) == ["9.50"]', "    pass")

    result = shop.record()

    result.assert_outcomes(passed=2)
    assert not old.exists()
    assert ["users.txt"] == list(sql_files(shop))
    assert "  removed: cassettes/contracts/sql/orders.txt" in seamrec_summary(result)


@pytest.mark.usefixtures("isolated_git")
def test_show_diff_and_audit_read_the_table_files(shop: LayeredApp) -> None:
    shop.record().assert_outcomes(passed=2)
    commit_all(shop.root, "recorded")
    (shop.cassettes / "contracts" / "sql" / "users.txt").write_text(
        "# seamrec contract of the database table users (edited by hand)\n"
        "  token: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n"
    )

    shown = seamrec(shop.root, "show", USERS)
    diffed = seamrec(shop.root, "diff")
    audited = seamrec(shop.root, "audit")

    assert 0 == shown.returncode
    assert "  return.rows[*]['name']: str" in shown.stdout.splitlines()
    assert "cassettes/contracts/sql/users.txt does not match the cassettes" in diffed.stderr
    assert "cassettes/contracts/sql/users.txt" in audited.stdout
