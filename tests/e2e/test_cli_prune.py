"""`seamrec prune`: the cassettes of tests that no longer exist, listed and (`--yes`) deleted.

The layered app is recorded once per session (`baseline` in conftest.py) by a real
`pytest --record-seams` run, with one extra test file, `tests/test_orders.py`; each test
gets its own copy of the project and those cassettes (`recorded_app`) and re-records after
changing the app, the way a developer would. Every command runs as `python -m seamrec` in
a subprocess.
"""

from __future__ import annotations

import pytest

from helpers import (
    EXTRA_TESTS,
    ORDER_SUMMARY,
    UNKNOWN_USER,
    UNKNOWN_USER_TEST,
    LayeredApp,
    seamrec,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


def test_prune_lists_the_cassette_of_a_deleted_test_and_yes_deletes_only_that(
    recorded_app: LayeredApp,
) -> None:
    """Listing leaves the file in place; `--yes` removes it and keeps the other three."""
    recorded_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, "")

    listed = seamrec(recorded_app.root, "prune")

    assert (0, "") == (listed.returncode, listed.stderr)
    assert [
        f"stale: {UNKNOWN_USER}  (tests/test_api.py::test_unknown_user)",
        "1 stale cassette(s); `seamrec prune --yes` deletes them",
    ] == listed.stdout.splitlines()
    assert (recorded_app.root / UNKNOWN_USER).is_file()

    contracts = recorded_app.cassettes / "contracts"
    assert "tests: tests/test_api.py (3)" in (contracts / "app.repo.txt").read_text()

    deleted = seamrec(recorded_app.root, "prune", "--yes")

    assert 0 == deleted.returncode
    assert (
        f"deleted: {UNKNOWN_USER}  (tests/test_api.py::test_unknown_user)"
        == (deleted.stdout.splitlines()[0])
    )
    assert "contract updated: cassettes/contracts/app.repo.txt" in deleted.stdout.splitlines()
    every_contract = "".join(p.read_text() for p in contracts.glob("*.txt"))
    assert "test_unknown_user" not in every_contract
    assert "tests: tests/test_api.py (2)" in (contracts / "app.repo.txt").read_text()
    assert [
        "tests/test_api/test_orders_by_route.msgpack",
        "tests/test_api/test_profile.msgpack",
        "tests/test_orders/test_order_summary.msgpack",
    ] == sorted(recorded_app.recorded())
    assert "no stale cassettes\n" == seamrec(recorded_app.root, "prune").stdout


def test_prune_lists_every_cassette_of_a_deleted_test_file_and_only_those(
    recorded_app: LayeredApp,
) -> None:
    """A test file that is gone makes its cassettes stale; other files' stay."""
    (recorded_app.root / "tests/test_orders.py").unlink()

    done = seamrec(recorded_app.root, "prune")

    assert 0 == done.returncode
    assert [
        f"stale: {ORDER_SUMMARY}  (tests/test_orders.py::test_order_summary)",
        "1 stale cassette(s); `seamrec prune --yes` deletes them",
    ] == done.stdout.splitlines()


def test_prune_keeps_the_cassettes_of_a_test_file_that_does_not_collect(
    recorded_app: LayeredApp,
) -> None:
    """A syntax error proves nothing about which tests exist: even the cassette of a
    test that was deleted from that file is kept, and a warning names the file."""
    recorded_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, "def broken(:\n\n\n")
    before = recorded_app.recorded()

    done = seamrec(recorded_app.root, "prune", "--yes")

    assert 0 == done.returncode
    assert [
        "seamrec: warning: tests/test_api.py does not collect; its cassettes are kept"
    ] == done.stderr.splitlines()
    assert "no stale cassettes\n" == done.stdout
    assert before == recorded_app.recorded()


@pytest.mark.parametrize("verbosity", ["-q", "-v"])
def test_prune_finds_no_stale_cassette_when_the_project_sets_a_verbosity_in_addopts(
    recorded_app: LayeredApp, verbosity: str
) -> None:
    """A common `addopts` must not make the existing tests look deleted."""
    recorded_app.edit(
        "pyproject.toml",
        'testpaths = ["tests"]',
        f'testpaths = ["tests"]\naddopts = ["{verbosity}"]',
    )
    recorded_app.run().assert_outcomes(passed=4)

    done = seamrec(recorded_app.root, "prune")

    assert (0, "no stale cassettes\n") == (done.returncode, done.stdout)


def test_prune_keeps_the_cassettes_of_a_test_file_skipped_as_a_whole(
    recorded_app: LayeredApp,
) -> None:
    """A module-level importorskip of a missing optional dependency proves nothing
    about which tests exist, like a file that does not collect."""
    recorded_app.write(
        "tests/test_orders.py",
        f'import pytest\n\npytest.importorskip("no_such_optional_dependency")\n{EXTRA_TESTS}',
    )

    done = seamrec(recorded_app.root, "prune")

    assert (0, "no stale cassettes\n") == (done.returncode, done.stdout)


def test_prune_counts_tests_the_project_deselects_by_default_as_existing(
    recorded_app: LayeredApp,
) -> None:
    """A test deselected by the project's own `addopts` (-m, -k) still exists."""
    recorded_app.edit(
        "pyproject.toml",
        'testpaths = ["tests"]',
        'testpaths = ["tests"]\naddopts = ["-k", "not order_summary"]',
    )

    done = seamrec(recorded_app.root, "prune")

    assert (0, "no stale cassettes\n") == (done.returncode, done.stdout)


def test_prune_yes_with_an_unreadable_cassette_keeps_the_contracts_and_says_so(
    recorded_app: LayeredApp,
) -> None:
    """Contracts rebuilt without a cassette would lose its lines: they stay, with a warning."""
    recorded_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, "")
    (recorded_app.root / ORDER_SUMMARY).write_bytes(b"damaged")
    contracts = recorded_app.cassettes / "contracts"
    before = {p.name: p.read_bytes() for p in contracts.iterdir()}

    done = seamrec(recorded_app.root, "prune", "--yes")

    assert 0 == done.returncode
    assert f"deleted: {UNKNOWN_USER}  (tests/test_api.py::test_unknown_user)" in done.stdout
    assert "the contract files were not rewritten" in done.stderr
    assert before == {p.name: p.read_bytes() for p in contracts.iterdir()}
