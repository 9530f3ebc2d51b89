"""The database seam end to end: queries of boundary code through sqlite3, psycopg and
SQLAlchemy are recorded per normalized statement and their drift is caught.

Every run is a real pytest subprocess over a small shop whose repository talks to a real
SQLite database (and, with the `postgres_dsn` fixture, to a real PostgreSQL server).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import (
    LayeredApp,
    fresh_project,
    payload,
    record_project,
    seamrec_summary,
    sql_contract_text,
)
from seamrec.cassette.store import load

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

REPO = '''\
"""Users in SQLite, read the Flask-tutorial way: `execute(...).fetchone()` on `Row`s."""

import datetime
import sqlite3

from vendor import audit

_db = None


def db() -> sqlite3.Connection:
    global _db
    if _db is None:
        _db = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
        _db.row_factory = sqlite3.Row
        _db.executescript("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT,
                                created TIMESTAMP);
        """)
        _db.executemany(
            "INSERT INTO users (id, name, email, created) VALUES (?, ?, ?, ?)",
            [
                (1, "Ada", "ada@example.org", datetime.datetime(2024, 1, 2, 3, 4, 5)),
                (2, "Bob", "bob@example.org", datetime.datetime(2024, 2, 3, 4, 5, 6)),
                (3, "Cy", "cy@example.org", datetime.datetime(2024, 3, 4, 5, 6, 7)),
            ],
        )
    return _db


def get_user(user_id):
    row = db().execute(
        "SELECT id, name, created FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    audit.note(user_id)
    return row


def names(ids):
    cursor = db().cursor()
    cursor.execute(
        f"SELECT name FROM users WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id", ids
    )
    return [row["name"] for row in cursor]


def first_names(limit):
    found = []
    for row in db().execute("SELECT id, name FROM users ORDER BY id"):
        if len(found) == limit:
            break
        found.append(row["name"])
    return found
'''

AUDIT = '''\
"""A library outside the boundaries with its own SQLite database."""

import sqlite3

_log = sqlite3.connect(":memory:")
_log.execute("CREATE TABLE log (user_id INTEGER)")


def note(user_id):
    _log.execute("INSERT INTO log (user_id) VALUES (?)", (user_id,))
    return _log.execute("SELECT count(*) FROM log").fetchone()[0]
'''

TESTS = """\
import sqlite3

from shop import repo


def test_get_user():
    assert repo.get_user(1)["name"] == "Ada"


def test_names():
    assert repo.names([1, 2]) == ["Ada", "Bob"]
    assert repo.names([3]) == ["Cy"]


def test_first_names():
    assert repo.first_names(1) == ["Ada"]


def test_own_query():
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT 1 AS one").fetchone() == (1,)
"""

GET_USER = "sql:SELECT id, name, created FROM users WHERE id = ?"


FILES = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": "",
    "shop/repo.py": REPO,
    "vendor/__init__.py": "",
    "vendor/audit.py": AUDIT,
    "tests/test_shop.py": TESTS,
}


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """The SQLite shop with four passing tests, nothing recorded yet."""
    return fresh_project(pytester, monkeypatch, FILES)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop and its cassettes, recorded once for the module."""
    project = tmp_path_factory.mktemp("shop")
    record_project(project, FILES).assert_outcomes(passed=4)
    return project


@pytest.fixture
def recorded_shop(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> LayeredApp:
    """A copy of the recorded shop, for this test to change."""
    app = fresh_project(pytester, monkeypatch, {})
    app.copy_from(recording)
    return app


def sql_contract(app: LayeredApp) -> str:
    return sql_contract_text(app.cassettes)


def contract_section(app: LayeredApp, seam: str) -> list[str]:
    """The lines of one statement's section of the SQL contract."""
    lines = sql_contract(app).splitlines()
    start = lines.index(f"## {seam}")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
    return lines[start + 1 : end]


def test_record_then_check_is_clean_and_queries_are_counted_on_their_own_line(
    shop: LayeredApp,
) -> None:
    record = shop.record()
    check = shop.check()

    record.assert_outcomes(passed=4)
    assert "database: 4 statements, 5 queries recorded" in seamrec_summary(record)
    check.assert_outcomes(passed=4)
    assert [
        "seamrec (check): 4 seams wrapped, 4 calls checked",
        "database: 4 statements, 5 queries checked",
        "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == seamrec_summary(check)


def test_a_query_records_parameters_columns_and_detect_types_row_shapes(
    recorded_shop: LayeredApp,
) -> None:

    assert [
        "  args.params: tuple",
        "  args.params[0]: int",
        "  return: sql.Result",
        "  return.columns: columns",
        "  return.columns['created']: column",
        "  return.columns['id']: column",
        "  return.columns['name']: column",
        "  return.rows: list",
        "  return.rows[*]: sqlite3.Row",
        "  return.rows[*]['created']: datetime",
        "  return.rows[*]['id']: int",
        "  return.rows[*]['name']: str",
        "tests: tests/test_shop.py (1)",
    ] == contract_section(recorded_shop, GET_USER)
    calls = load(recorded_shop.cassettes / "tests" / "test_shop" / "test_get_user.msgpack").calls
    query = next(call for call in calls if call.seam == GET_USER)
    assert ("shop.repo", "return") == (query.caller, query.outcome)
    assert {"params": (1,)} == payload(query.args)
    assert ["id", "name", "created"] == query.result["columns"]
    assert "Ada" == query.result["rows"][0]["name"]


def test_in_lists_of_any_length_are_one_statement_and_executemany_is_recorded(
    recorded_shop: LayeredApp,
) -> None:

    assert [
        "  args.params: tuple",
        "  args.params[0]: list",
        "  args.params[0][*]: int",
    ] == contract_section(
        recorded_shop, "sql:SELECT name FROM users WHERE id IN (...) ORDER BY id"
    )[:3]
    insert = "sql:INSERT INTO users (id, name, email, created) VALUES (?, ?, ?, ?)"
    assert (
        [
            "  args.seq_of_params: list",
            "  args.seq_of_params[*]: tuple",
            "  args.seq_of_params[*][0]: int",
            "  args.seq_of_params[*][1]: str",
            "  args.seq_of_params[*][2]: str<email>",  # the format class of the e-mail text
            "  args.seq_of_params[*][3]: datetime",
            "  return: None",
        ]
        == contract_section(recorded_shop, insert)[:7]
    )


def test_rows_are_recorded_as_the_caller_iterates_and_no_further(recorded_shop: LayeredApp) -> None:

    cassette = load(recorded_shop.cassettes / "tests" / "test_shop" / "test_first_names.msgpack")
    query = next(call for call in cassette.calls if call.seam.startswith("sql:SELECT id, name"))
    assert [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bob"}] == query.result["rows"]


def test_queries_of_tests_schema_scripts_and_libraries_outside_the_boundaries_are_no_seams(
    recorded_shop: LayeredApp,
) -> None:

    statements = [
        line for line in sql_contract(recorded_shop).splitlines() if line.startswith("## ")
    ]
    assert [
        "## sql:INSERT INTO users (id, name, email, created) VALUES (?, ?, ?, ?)",
        "## sql:SELECT id, name FROM users ORDER BY id",
        f"## {GET_USER}",
        "## sql:SELECT name FROM users WHERE id IN (...) ORDER BY id",
    ] == statements


def test_a_column_renamed_by_an_alias_is_reported_with_the_statement(
    recorded_shop: LayeredApp,
) -> None:
    recorded_shop.edit(
        "shop/repo.py",
        '"SELECT id, name, created FROM',
        '"SELECT id, name, created AS created_at FROM',
    )
    recorded_shop.edit("tests/test_shop.py", 'repo.get_user(1)["name"]', "repo.get_user(1)[1]")

    result = recorded_shop.check("tests/test_shop.py::test_get_user")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  sql:SELECT id, name, created AS created_at FROM users WHERE id = ?  return  "
            "(call 1 of 1)",
            f"    statement changed, was: {GET_USER}",
            "    column renamed?  return.rows[*]['created'] → ['created_at']   (datetime)",
        ]
    )


def test_a_datetime_column_selected_through_strftime_is_a_type_change(
    recorded_shop: LayeredApp,
) -> None:
    recorded_shop.edit(
        "shop/repo.py",
        '"SELECT id, name, created FROM',
        "\"SELECT id, name, strftime('%Y', created) AS created FROM",
    )

    result = recorded_shop.check()

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "    statement changed, was: " + GET_USER,
            "    type changed  return.rows[*]['created']  datetime → str",
        ]
    )


def test_a_column_added_or_removed_is_reported(recorded_shop: LayeredApp) -> None:
    recorded_shop.edit(
        "shop/repo.py", '"SELECT id, name, created FROM', '"SELECT id, name, email FROM'
    )

    result = recorded_shop.check()

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "    column removed  return.rows[*]['created']   (was datetime)",
            "    column added    return.rows[*]['email']   (str)",
        ]
    )


def test_a_parameter_whose_type_changed_is_reported(recorded_shop: LayeredApp) -> None:
    recorded_shop.edit("shop/repo.py", "(user_id,)", "(str(user_id),)")

    result = recorded_shop.check()

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"  {GET_USER}  args  (call 1 of 1)",
            "    type changed  args.params[[]0]  int → str   1 → '1'",
        ]
    )


def test_a_query_no_longer_run_is_reported_missing(recorded_shop: LayeredApp) -> None:
    recorded_shop.edit(
        "shop/repo.py",
        "    row = db().execute(",
        "    row = (db() and {'name': 'Ada'}) or db().execute(",
    )

    result = recorded_shop.check()

    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [f"  {GET_USER}  call missing  (call 1 of 1 recorded no longer happens)"]
    )


def test_only_the_literal_values_and_in_list_lengths_changing_is_no_drift(
    recorded_shop: LayeredApp,
) -> None:
    recorded_shop.edit(
        "tests/test_shop.py", "repo.names([1, 2]) == [", "repo.names([1, 2, 3])[:2] == ["
    )
    recorded_shop.edit(
        "shop/repo.py",
        '"SELECT id, name FROM users ORDER BY id"',
        '"SELECT id, name FROM users  WHERE id > 0 ORDER BY id"',
    )
    recorded_shop.edit("shop/repo.py", "WHERE id > 0", "WHERE id > -1")

    result = recorded_shop.check()

    result.assert_outcomes(passed=4)


def test_databases_empty_turns_the_seam_off_and_connect_is_the_drivers_own(
    shop: LayeredApp,
) -> None:
    shop.edit("pyproject.toml", 'boundaries = ["shop"]', 'boundaries = ["shop"]\ndatabases = []')
    shop.write(
        "tests/test_driver.py",
        """
        import sqlite3

        def test_connect_is_untouched():
            assert type(sqlite3.connect(":memory:")) is sqlite3.Connection
        """,
    )

    result = shop.record()

    result.assert_outcomes(passed=5)
    assert not (shop.cassettes / "contracts" / "sql").exists()
    assert not [line for line in seamrec_summary(result) if line.startswith("database:")]


def test_the_proxies_are_transparent_to_code_that_uses_the_connection(shop: LayeredApp) -> None:
    shop.write(
        "shop/tools.py",
        """
        import sqlite3


        def exercise():
            conn = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
            assert isinstance(conn, sqlite3.Connection)
            conn.create_function("twice", 1, lambda x: 2 * x)
            with conn:
                conn.execute("CREATE TABLE t (x INTEGER)")
                conn.execute("INSERT INTO t VALUES (?)", (21,))
            assert conn.execute("SELECT twice(x) FROM t").fetchone() == (42,)
            conn.row_factory = lambda cursor, row: {"x": row[0]}
            assert conn.execute("SELECT x FROM t").fetchall() == [{"x": 21}]
            cursor = conn.cursor()
            assert isinstance(cursor, sqlite3.Cursor)
            assert cursor.execute("SELECT x FROM t") is cursor
            assert cursor.connection is not None and cursor.description[0][0] == "x"
            target = sqlite3.connect(":memory:")
            conn.backup(target)
            assert target.execute("SELECT x FROM t").fetchone() == (21,)
            assert conn.in_transaction is False and conn.total_changes == 1
            conn.close()
            return True
        """,
    )
    shop.write(
        "tests/test_tools.py",
        """
        from shop import tools

        def test_exercise():
            assert tools.exercise()
        """,
    )

    record = shop.record()
    check = shop.check()

    record.assert_outcomes(passed=5)
    check.assert_outcomes(passed=5)
    assert "sql:SELECT x FROM t" in {
        line[3:] for line in sql_contract(shop).splitlines() if line.startswith("## ")
    }
    assert ["  return.rows[*]: dict | tuple", "  return.rows[*]['x']: int"] == [
        line for line in contract_section(shop, "sql:SELECT x FROM t") if "rows[*]" in line
    ]


def test_a_bad_databases_setting_is_a_usage_error(shop: LayeredApp) -> None:
    shop.edit(
        "pyproject.toml", 'boundaries = ["shop"]', 'boundaries = ["shop"]\ndatabases = ["mysql"]'
    )

    result = shop.record()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*databases*['sqlite3', 'psycopg']*"])


def test_a_secret_column_is_redacted_in_the_recorded_rows(shop: LayeredApp) -> None:
    shop.write(
        "shop/auth.py",
        """
        from shop.repo import db


        def password_of(user_id):
            row = db().execute(
                "SELECT name, 'hunter2-' || name AS password FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            return len(row["password"])
        """,
    )
    shop.write(
        "tests/test_auth.py",
        """
        from shop import auth

        def test_password():
            assert auth.password_of(1) == 11
        """,
    )

    shop.record("tests/test_auth.py").assert_outcomes(passed=1)

    cassette = shop.cassettes / "tests" / "test_auth" / "test_password.msgpack"
    assert b"hunter2" not in cassette.read_bytes()
    seam = "sql:SELECT name, ? || name AS password FROM users WHERE id = ?"
    assert seam in {call.seam for call in load(cassette).calls}
    assert "  return.rows[*]['password']: str" in contract_section(shop, seam)


def test_queries_inside_a_replayed_seam_are_not_reported_missing(recorded_shop: LayeredApp) -> None:
    recorded_shop.edit(
        "tests/test_shop.py",
        "def test_names():",
        '@pytest.mark.seams(replay=["shop.repo:names"])\ndef test_names():',
    )
    recorded_shop.edit(
        "tests/test_shop.py", "import sqlite3\n", "import sqlite3\n\nimport pytest\n"
    )

    result = recorded_shop.check()

    result.assert_outcomes(passed=4)
    assert "seamrec (check): 4 seams wrapped, 2 calls checked, 2 calls replayed" in (
        seamrec_summary(result)
    )


SCRATCH = '''\
"""Copies users through a scratch table named at random, as sqlite-utils' transform does."""

import sqlite3
import uuid


def copy_names():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (id, name) VALUES (1, 'Ada')")
    scratch = f"tmp_{uuid.uuid4().hex}"
    conn.execute(f'CREATE TABLE "{scratch}" (id INTEGER PRIMARY KEY, name TEXT)')
    conn.execute(f'INSERT INTO "{scratch}" (id, name) SELECT id, name FROM users')
    return [tuple(row) for row in conn.execute(f'SELECT id, name FROM "{scratch}"')]
'''


def test_a_table_named_at_random_is_one_statement_and_re_record_settles(
    shop: LayeredApp,
) -> None:
    shop.write("shop/scratch.py", SCRATCH)
    shop.write(
        "tests/test_scratch.py",
        "from shop import scratch\n\n\ndef test_copy():\n"
        "    assert scratch.copy_names() == [(1, 'Ada')]\n",
    )
    shop.record().assert_outcomes(passed=5)
    first = shop.recorded()

    shop.record().assert_outcomes(passed=5)
    rewritten = [name for name, data in shop.recorded().items() if first.get(name) != data]
    checks = [shop.check() for _ in range(3)]

    assert '## sql:SELECT id, name FROM "tmp_*"' in sql_contract(shop)
    assert [] == rewritten
    for check in checks:
        check.assert_outcomes(passed=5)
