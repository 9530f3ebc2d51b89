"""`pytest --record-seams`: one cassette per test, rewritten only when a shape changed."""

from __future__ import annotations

import re
import shutil

import pytest

from helpers import LayeredApp, crossings, payload, seamrec_summary
from seamrec.cassette.store import load

PROFILE = "tests/test_api/test_profile.msgpack"
UNKNOWN_USER = "tests/test_api/test_unknown_user.msgpack"
ORDERS = "tests/test_api/test_orders_by_route.msgpack"


def test_record_writes_one_cassette_per_test_at_the_path_mirroring_the_test_file(
    layered_app: LayeredApp,
) -> None:
    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert result.ret == 0
    assert [ORDERS, PROFILE, UNKNOWN_USER] == sorted(layered_app.recorded())
    assert [
        "seamrec (record): 9 seams wrapped, 10 calls recorded",
        "cassettes: 3 written, 0 unchanged, 0 kept because the test failed",
        "contracts: 3 written, 0 unchanged, 0 removed",
    ] == seamrec_summary(result)


@pytest.mark.usefixtures("layered_cassettes")
def test_record_stores_every_crossing_call_with_its_caller_arguments_and_outcome(
    layered_app: LayeredApp,
) -> None:
    profile = load(layered_app.cassettes / PROFILE)
    assert "tests/test_api.py::test_profile" == profile.test
    assert [
        ("app.api:get_profile", "test_api", "return"),
        ("app.service:profile", "app.api", "return"),
        ("app.repo:get_user", "app.service", "return"),
    ] == crossings(layered_app.cassettes / PROFILE)
    get_user = profile.calls[2]
    assert {"user_id": 1} == payload(get_user.args)
    assert {"id", "name", "email", "created_at", "address"} == set(payload(get_user.result))
    assert [
        ("app.api:get_profile", "test_api", "return"),
        ("app.service:profile", "app.api", "return"),
        ("app.repo:get_user", "app.service", "raise"),
    ] == crossings(layered_app.cassettes / UNKNOWN_USER)


def test_record_gives_parametrized_tests_their_own_filesystem_safe_cassettes(
    layered_app: LayeredApp,
) -> None:
    layered_app.write(
        "tests/test_params.py",
        """
        import pytest
        from app.service import profile

        @pytest.mark.parametrize("user_id", [1, 99], ids=["small", 'odd/id: "*?<|>\\\\'])
        def test_lookup(user_id):
            profile(user_id)
    """,
    )

    result = layered_app.record("tests/test_params.py")

    result.assert_outcomes(passed=2)
    folder = layered_app.cassettes / "tests" / "test_params"
    files = sorted(path.name for path in folder.iterdir())
    assert 2 == len(files)
    assert "test_lookup[small].msgpack" in files
    assert [] == [name for name in files if not re.fullmatch(r"[A-Za-z0-9._\-\[\]]+", name)]
    assert {
        "tests/test_params.py::test_lookup[small]",
        'tests/test_params.py::test_lookup[odd/id: "*?<|>\\\\]',
    } == {load(folder / name).test for name in files}


@pytest.mark.usefixtures("layered_cassettes")
def test_re_recording_unchanged_shapes_leaves_the_files_byte_identical_though_a_timestamp_changed(
    layered_app: LayeredApp,
) -> None:
    first = layered_app.recorded()

    again = layered_app.record()

    assert first == layered_app.recorded()
    assert [
        "seamrec (record): 9 seams wrapped, 10 calls recorded",
        "cassettes: 0 written, 3 unchanged, 0 kept because the test failed",
        "contracts: 0 written, 3 unchanged, 0 removed",
    ] == seamrec_summary(again)
    # A fresh recording does carry the new created_at value, so the files could differ.
    shutil.rmtree(layered_app.cassettes)
    layered_app.record()
    fresh = layered_app.recorded()
    assert first[UNKNOWN_USER] == fresh[UNKNOWN_USER]
    assert first[PROFILE] != fresh[PROFILE]


@pytest.mark.usefixtures("layered_cassettes")
def test_a_failing_test_keeps_its_old_cassette_and_the_summary_says_so(
    layered_app: LayeredApp,
) -> None:
    before = layered_app.recorded()
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')
    layered_app.edit("tests/test_api.py", '"name": "Ada"', '"name": "Grace"')

    result = layered_app.record()

    result.assert_outcomes(passed=2, failed=1)
    after = layered_app.recorded()
    assert before[PROFILE] == after[PROFILE]
    assert before[ORDERS] != after[ORDERS]
    assert [
        "seamrec (record): 9 seams wrapped, 7 calls recorded",
        "cassettes: 1 written, 1 unchanged, 1 kept because the test failed",
        "  kept (test failed): tests/test_api.py::test_profile",
        "contracts: 1 written, 2 unchanged, 0 removed",
    ] == seamrec_summary(result)


def test_record_stores_the_awaited_value_of_an_async_seam_and_only_the_consumed_generator_items(
    layered_app: LayeredApp,
) -> None:
    layered_app.write(
        "tests/test_streams.py",
        """
        import asyncio
        from app import repo

        def test_fetch_user():
            assert "Ada" == asyncio.run(repo.fetch_user(1))["name"]

        def test_first_two_orders():
            orders = repo.iter_orders(1)
            assert [(10, 250), (11, 990)] == [next(orders), next(orders)]
            assert [10, 11] == repo.FETCHED

        def test_the_generator_was_not_drained_afterwards():
            assert [10, 11] == repo.FETCHED
    """,
    )

    result = layered_app.record("tests/test_streams.py")

    result.assert_outcomes(passed=3)
    folder = layered_app.cassettes / "tests" / "test_streams"
    [fetch] = load(folder / "test_fetch_user.msgpack").calls
    assert ("app.repo:fetch_user", "test_streams", "return") == (
        fetch.seam,
        fetch.caller,
        fetch.outcome,
    )
    assert "Ada" == payload(fetch.result)["name"]
    [orders] = load(folder / "test_first_two_orders.msgpack").calls
    assert ("app.repo:iter_orders", "test_streams", "yield") == (
        orders.seam,
        orders.caller,
        orders.outcome,
    )
    assert [(10, 250), (11, 990)] == payload(orders.result)


def test_without_either_option_seamrec_writes_nothing_and_reports_nothing(
    layered_app: LayeredApp,
) -> None:
    result = layered_app.run()

    result.assert_outcomes(passed=3)
    assert not layered_app.cassettes.exists()
    assert [] == seamrec_summary(result)
    result.stdout.no_fnmatch_line("*seams wrapped*")


def test_an_unknown_config_key_is_a_usage_error_that_names_the_key(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "pyproject.toml", 'boundaries = ["app"]', 'boundaries = ["app"]\ncasette_dir = "tapes"'
    )

    result = layered_app.record()

    assert 4 == result.ret
    result.stderr.fnmatch_lines(
        ["ERROR: *pyproject.toml: [[]tool.seamrec[]] casette_dir: unknown key*"]
    )
    assert not layered_app.cassettes.exists()


def test_a_boundary_that_cannot_be_imported_is_a_usage_error_that_names_it(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit("pyproject.toml", 'boundaries = ["app"]', 'boundaries = ["app", "billing"]')

    result = layered_app.record()

    assert 4 == result.ret
    result.stderr.fnmatch_lines(
        ["ERROR: *[[]tool.seamrec[]] boundaries: names module 'billing', which cannot be imported*"]
    )
    assert not layered_app.cassettes.exists()
