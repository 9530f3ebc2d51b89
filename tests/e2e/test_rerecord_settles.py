"""A re-record settles: a test that crosses fewer seams, or none any more, gets its
cassette rewritten or removed, so the next check is clean and the re-record command a
failure prints does what it says."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, seamrec_summary

PROFILE = "tests/test_api.py::test_profile"
UNKNOWN_USER = "tests/test_api.py::test_unknown_user"
ORDERS = "tests/test_api.py::test_orders_by_route"
PROFILE_PATH = ("app.api:get_profile", "app.service:profile", "app.repo:get_user")
CLEAN = "0 tests drifted, 0 unrecorded, 0 with unusable cassettes"


def exclude(app: LayeredApp, *patterns: str) -> None:
    """Add an `exclude` list to [tool.seamrec]."""
    listed = ", ".join(f'"{p}"' for p in patterns)
    app.edit(
        "pyproject.toml", 'boundaries = ["app"]', f'boundaries = ["app"]\nexclude = [{listed}]'
    )


def rerecord_command(result_text: str, nodeid: str) -> list[str]:
    """The arguments of the re-record command printed for `nodeid`, checked to be there."""
    line = f'  re-record: pytest --record-seams "{nodeid}"'
    assert line in result_text.splitlines()
    return ["--record-seams", nodeid]


@pytest.mark.usefixtures("layered_cassettes")
def test_the_printed_rerecord_command_removes_the_cassette_of_a_test_that_crosses_no_seam(
    layered_app: LayeredApp,
) -> None:
    exclude(layered_app, *PROFILE_PATH)
    failed = layered_app.check()
    failed.assert_outcomes(failed=3)
    assert "  app.api:get_profile  call missing  (call 1 of 1 recorded no longer happens)" in (
        failed.outlines
    )

    rerecord = layered_app.run(*rerecord_command(failed.stdout.str(), UNKNOWN_USER))

    assert [
        "seamrec (record): 6 seams wrapped, 0 calls recorded",
        "cassettes: 0 written, 0 unchanged, 0 kept because the test failed, 1 removed "
        "(the test crosses no seam any more)",
        f"  removed: {UNKNOWN_USER}",
        "contracts: 3 written, 0 unchanged, 0 removed",
        "stale cassettes: not looked for (only part of the suite ran)",
    ] == seamrec_summary(rerecord)
    assert not (layered_app.cassettes / "tests/test_api/test_unknown_user.msgpack").exists()
    assert CLEAN == seamrec_summary(layered_app.check(UNKNOWN_USER))[1]


@pytest.mark.usefixtures("layered_cassettes")
def test_a_test_that_crosses_fewer_seams_gets_its_cassette_rewritten(
    layered_app: LayeredApp,
) -> None:
    exclude(layered_app, "app.repo:*")
    failed = layered_app.check(PROFILE)
    failed.assert_outcomes(failed=1)

    rerecord = layered_app.run(*rerecord_command(failed.stdout.str(), PROFILE))

    assert (
        "cassettes: 1 written, 0 unchanged, 0 kept because the test failed"
        == seamrec_summary(rerecord)[1]
    )
    assert CLEAN == seamrec_summary(layered_app.check(PROFILE))[1]


@pytest.mark.usefixtures("layered_cassettes")
def test_a_full_rerecord_after_a_new_exclude_leaves_a_clean_check(layered_app: LayeredApp) -> None:
    exclude(layered_app, "app.api:*", "app.repo:*")

    rerecord = layered_app.record()

    assert [
        "seamrec (record): 2 seams wrapped, 3 calls recorded",
        "cassettes: 3 written, 0 unchanged, 0 kept because the test failed",
        "contracts: 0 written, 1 unchanged, 2 removed",
    ] == seamrec_summary(rerecord)[:3]
    check = layered_app.check()
    check.assert_outcomes(passed=3)
    assert CLEAN == seamrec_summary(check)[1]


@pytest.mark.usefixtures("layered_cassettes")
def test_a_failed_test_and_a_deselected_test_keep_their_cassettes(
    layered_app: LayeredApp,
) -> None:
    before = layered_app.recorded()
    exclude(layered_app, *PROFILE_PATH)
    layered_app.edit(
        "tests/test_api.py",
        'assert get_profile(99) == {"status": 404, "body": None}',
        "assert get_profile(99) is None",
    )

    result = layered_app.record("-k", "not orders")

    result.assert_outcomes(passed=1, failed=1)
    assert before.keys() - {"tests/test_api/test_profile.msgpack"} == layered_app.recorded().keys()
    assert f"  removed: {PROFILE}" in seamrec_summary(result)


@pytest.mark.usefixtures("layered_cassettes")
def test_nothing_is_removed_when_no_seam_was_wrapped_at_all(layered_app: LayeredApp) -> None:
    before = layered_app.recorded()
    layered_app.edit("pyproject.toml", 'boundaries = ["app"]', 'boundaries = ["elsewhere"]')
    layered_app.write("elsewhere/__init__.py", "")

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert before == layered_app.recorded()
    assert (
        "3 tests crossed no seam this time; their old cassettes were left in place, as no "
        "seam was wrapped at all:"
    ) in seamrec_summary(result)
