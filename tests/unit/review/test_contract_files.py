"""The contract files on disk: the database's in `contracts/sql/<table>.txt`, written,
kept byte-identical and removed like the others; HTTP sections in HTTP words."""

from __future__ import annotations

from pathlib import Path

from seamrec.cassette.store import Call, Cassette, Run
from seamrec.model.shape import Shape, args_shape, make_shape_function
from seamrec.review.contract import (
    HEADER,
    is_contract_path,
    merged,
    render_files,
    write_contracts,
)

shape_of = make_shape_function()
USERS = "sql:SELECT id, name FROM users WHERE id = ?"
ORDERS = "sql:INSERT INTO orders (user_id, total) VALUES (?, ?)"
REPO = "shop.repo:get_user"
PAGE = "http:GET /api/orders"


def cassette(test: str, seams: dict[str, tuple[Shape, Shape]]) -> Cassette:
    """A cassette of `test` with one call of each seam: (argument shape, return shape)."""
    made = Cassette(test)
    for index, (seam, (arguments, result)) in enumerate(seams.items()):
        made.runs[seam] = [Run(arguments, "return", result, 1)]
        made.calls.append(Call(seam, "shop.repo", index, arguments, "return", result, None, None))
    return made


def query(*params: object, rows: object = None) -> tuple[Shape, Shape]:
    return (args_shape(("params",), [shape_of(params)]), shape_of(rows))


SHOP = [
    cassette(
        "tests/test_shop.py::test_user",
        {USERS: query(1, rows=[{"id": 1, "name": "a"}]), REPO: query(1)},
    ),
    cassette("tests/test_shop.py::test_order", {ORDERS: query(1, "9.50")}),
]


def contract_files(cassette_dir: Path) -> list[str]:
    folder = cassette_dir / "contracts"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_each_table_gets_its_own_file_under_sql(tmp_path: Path) -> None:
    update = write_contracts(tmp_path, SHOP)

    assert ["shop.repo.txt", "sql/orders.txt", "sql/users.txt"] == contract_files(tmp_path)
    assert 3 == len(update.written)
    users = (tmp_path / "contracts" / "sql" / "users.txt").read_text()
    assert users.startswith(f"{HEADER} of the database table users")
    assert f"\n## {USERS}\n" in users
    assert ORDERS not in users
    assert users.endswith("\ntests: tests/test_shop.py (1)\n")


def test_a_rewrite_of_the_same_cassettes_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    write_contracts(tmp_path, SHOP)

    again = write_contracts(tmp_path, SHOP)

    assert ([], 3, []) == (again.written, again.unchanged, again.removed)


def test_the_single_sql_file_of_earlier_versions_is_removed(tmp_path: Path) -> None:
    old = tmp_path / "contracts" / "sql.txt"
    old.parent.mkdir()
    old.write_text(f"{HEADER} of the database: one section per statement its boundary code ran\n")

    update = write_contracts(tmp_path, SHOP)

    assert [old] == update.removed
    assert not old.exists()


def test_a_table_no_longer_queried_loses_its_file_and_an_empty_sql_folder_goes(
    tmp_path: Path,
) -> None:
    repo_only = cassette("tests/test_shop.py::test_user", {REPO: query(1)})
    write_contracts(tmp_path, SHOP)

    only_orders = write_contracts(tmp_path, [repo_only, SHOP[1]])
    none = write_contracts(tmp_path, [repo_only])

    assert [tmp_path / "contracts" / "sql" / "users.txt"] == only_orders.removed
    assert [tmp_path / "contracts" / "sql" / "orders.txt"] == none.removed
    assert not (tmp_path / "contracts" / "sql").exists()
    assert ["shop.repo.txt"] == contract_files(tmp_path)


def test_a_file_of_someone_else_in_the_sql_folder_is_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "contracts" / "sql" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("our notes on the schema\n")

    write_contracts(tmp_path, SHOP)
    update = write_contracts(tmp_path, [])

    assert notes not in update.removed
    assert "our notes on the schema\n" == notes.read_text()


def test_a_dry_run_says_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    update = write_contracts(tmp_path, SHOP, dry_run=True)

    assert 3 == len(update.written)
    assert not (tmp_path / "contracts").exists()


def test_contract_paths_are_the_files_in_contracts_and_contracts_sql() -> None:
    assert is_contract_path(Path("cassettes/contracts/shop.repo.txt"))
    assert is_contract_path(Path("cassettes/contracts/sql/users.txt"))
    assert not is_contract_path(Path("cassettes/sql/users.txt"))
    assert not is_contract_path(Path("cassettes/contracts/sql/users.msgpack"))


# ------------------------------------------------------------------- HTTP sections


def http_cassette() -> Cassette:
    request = {"query": {"page": 1}, "headers": {"x_trace": None}, "cookies": {"session": None}}
    found = {"json": {"orders": []}, "headers": {"vary": None}, "cookies": {}}
    missing = {"json": {"error": "no"}, "headers": {}, "cookies": {}}
    made = Cassette("tests/test_api.py::test_page")
    arguments = args_shape(("request",), [shape_of(request)])
    made.runs[PAGE] = [
        Run(arguments, "return", shape_of({"status_200": found}), 1),
        Run(arguments, "return", shape_of({"status_404": missing}), 1),
    ]
    return made


def test_an_http_section_names_headers_and_cookies_and_leaves_out_what_every_request_has() -> None:
    text = render_files(merged([http_cassette()]))["http"]

    assert [
        f"## {PAGE}",
        "  request.cookies['session']",
        "  request.headers['x_trace']",
        "  request.query['page']: int",
        "  response[200]?",
        "  response[200]['headers']['vary']",
        "  response[200].json: dict",
        "  response[200].json['orders']: list",
        "  response[404]?",
        "  response[404].json: dict",
        "  response[404].json['error']: str",
        "tests: tests/test_api.py (1)",
    ] == text.split("\n\n")[1].splitlines()
    assert ": None" not in text
    assert "A status, header or cookie is its name alone" in text.split("\n\n")[0]
