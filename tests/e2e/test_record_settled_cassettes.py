"""The end of a record run reads back only the cassettes it did not settle itself: an
unchanged re-record touches no file, and the contract files it writes are exactly those
the cassettes on disk give, whether a test ran in this run or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import LayeredApp, seamrec_summary
from seamrec.cassette.store import read_cassettes
from seamrec.review.contract import write_contracts

PROFILE = "tests/test_api.py::test_profile"


def files_state(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file below `folder`: (inode, modification time in ns, bytes)."""
    return {
        path.relative_to(folder).as_posix(): (
            path.stat().st_ino,
            path.stat().st_mtime_ns,
            path.read_bytes(),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def contracts_from_disk(cassettes: Path) -> tuple[list[Path], list[Path], int]:
    """What writing the contracts from the cassette files would change: (written,
    removed, unchanged)."""
    found, errors = read_cassettes(cassettes, payloads=False)
    assert [] == errors
    update = write_contracts(cassettes, [c for _, c in found], dry_run=True)
    return update.written, update.removed, update.unchanged


@pytest.mark.usefixtures("layered_cassettes")
def test_an_unchanged_rerecord_touches_no_cassette_and_no_contract(
    layered_app: LayeredApp,
) -> None:
    before = files_state(layered_app.cassettes)

    rerecord = layered_app.record()

    rerecord.assert_outcomes(passed=3)
    summary = seamrec_summary(rerecord)
    assert "cassettes: 0 written, 3 unchanged, 0 kept because the test failed" in summary
    assert "contracts: 0 written, 3 unchanged, 0 removed" in summary
    assert before == files_state(layered_app.cassettes)


@pytest.mark.usefixtures("layered_cassettes")
def test_the_contracts_of_a_partial_rerecord_are_those_of_the_cassettes_on_disk(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')

    layered_app.record(PROFILE).assert_outcomes(passed=1)

    contract = (layered_app.cassettes / "contracts" / "app.repo.txt").read_text()
    assert "  return['email_address']?: str<email>" in contract  # the test that ran
    assert "  return['email']?: str<email>" in contract  # the tests that did not run
    assert ([], [], 3) == contracts_from_disk(layered_app.cassettes)


@pytest.mark.usefixtures("layered_cassettes")
def test_a_full_rerecord_after_a_change_writes_the_contracts_the_cassettes_give(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')

    rerecord = layered_app.record()

    rerecord.assert_outcomes(passed=3)
    assert "contracts: 1 written, 2 unchanged, 0 removed" in seamrec_summary(rerecord)
    contract = (layered_app.cassettes / "contracts" / "app.repo.txt").read_text()
    assert "return['email']" not in contract
    assert ([], [], 3) == contracts_from_disk(layered_app.cassettes)
