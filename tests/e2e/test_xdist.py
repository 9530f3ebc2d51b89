"""seamrec under pytest-xdist: workers record and check, the controller sums up."""

from __future__ import annotations

import shutil

import pytest

from helpers import LayeredApp, seamrec_summary

MORE_TESTS = """
    import pytest
    from app.api import get_orders, get_profile
    from app.service import order_summary, profile

    @pytest.mark.parametrize("user_id", [1, 2, 3, 99])
    def test_profile_status(user_id):
        assert get_profile(user_id)["status"] in (200, 404)

    def test_orders():
        assert {"count": 2} == get_orders(1)["body"]

    def test_service_directly():
        assert "Ada" == profile(1)["name"]
        assert {"count": 2} == order_summary(1)
"""


@pytest.fixture
def deterministic_app(layered_app: LayeredApp) -> LayeredApp:
    """The layered app without a clock, and more tests to spread over the workers."""
    layered_app.edit("app/repo.py", "int(time.time() * 1_000_000)", "1_700_000_000_000_000")
    # Every process has its own hash seed: a set must not change the bytes either.
    layered_app.edit(
        "app/repo.py",
        '"name": name,',
        '"name": name,\n        "tags": {"vip", "beta", "early", "ops"},',
    )
    layered_app.write("tests/test_more.py", MORE_TESTS)
    return layered_app


def test_a_parallel_record_writes_the_same_bytes_as_a_serial_record(
    deterministic_app: LayeredApp,
) -> None:
    serial = deterministic_app.record()
    serial.assert_outcomes(passed=9)
    serially_recorded = deterministic_app.recorded()
    shutil.rmtree(deterministic_app.cassettes)

    parallel = deterministic_app.record("-n", "2")

    parallel.assert_outcomes(passed=9)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers"])
    assert 9 == len(serially_recorded)
    assert serially_recorded == deterministic_app.recorded()
    expected = [
        "seamrec (record): 9 seams wrapped, 31 calls recorded",
        "cassettes: 9 written, 0 unchanged, 0 kept because the test failed",
        "contracts: 3 written, 0 unchanged, 0 removed",
    ]
    assert expected == seamrec_summary(serial)
    assert expected == seamrec_summary(parallel)


def test_a_parallel_re_record_of_unchanged_shapes_rewrites_nothing(
    deterministic_app: LayeredApp,
) -> None:
    deterministic_app.record("-n", "2")
    before = deterministic_app.recorded()

    again = deterministic_app.record("-n", "2")

    assert before == deterministic_app.recorded()
    assert [
        "seamrec (record): 9 seams wrapped, 31 calls recorded",
        "cassettes: 0 written, 9 unchanged, 0 kept because the test failed",
        "contracts: 0 written, 3 unchanged, 0 removed",
    ] == seamrec_summary(again)


def test_a_parallel_check_detects_drift_and_the_controller_lists_every_drifted_test(
    deterministic_app: LayeredApp,
) -> None:
    deterministic_app.record("-n", "2")
    deterministic_app.edit("app/repo.py", '"email": email', '"email_address": email')

    result = deterministic_app.check("-n", "2")

    result.assert_outcomes(passed=4, failed=5)
    result.stdout.fnmatch_lines(
        [
            "_* test_profile _*",
            "[[]gw?[]] *",
            "seam drift in tests/test_api.py::test_profile",
            "  app.repo:get_user  return  (call 1 of 1)",
            "    key renamed?  return['email'] → return['email_address']   (str)",
            '  re-record: pytest --record-seams "tests/test_api.py::test_profile"',
        ],
        consecutive=True,
    )
    summary = seamrec_summary(result)
    assert [
        "seamrec (check): 9 seams wrapped, 31 calls checked",
        "5 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == summary[:2]
    assert [
        "  drifted: tests/test_api.py::test_orders_by_route",
        "  drifted: tests/test_api.py::test_profile",
        "  drifted: tests/test_more.py::test_orders",
        "  drifted: tests/test_more.py::test_profile_status[1]",
        "  drifted: tests/test_more.py::test_service_directly",
    ] == sorted(summary[2:])


def test_a_parallel_run_started_from_inside_an_xdist_worker_still_sums_up_its_workers(
    deterministic_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What every inner run inherits when seamrec's own suite runs with `pytest -n 2`.
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")

    result = deterministic_app.record("-n", "2")

    result.assert_outcomes(passed=9)
    assert 9 == len(deterministic_app.recorded())
    assert [
        "seamrec (record): 9 seams wrapped, 31 calls recorded",
        "cassettes: 9 written, 0 unchanged, 0 kept because the test failed",
        "contracts: 3 written, 0 unchanged, 0 removed",
    ] == seamrec_summary(result)


def test_a_dist_option_without_workers_runs_and_records_here(
    deterministic_app: LayeredApp,
) -> None:
    """`--dist=worksteal` in a project's addopts does nothing without `-n` (xdist runs the
    tests in this process), so seamrec records here too instead of acting as a controller."""
    serial = deterministic_app.record()
    serially_recorded = deterministic_app.recorded()
    shutil.rmtree(deterministic_app.cassettes)

    with_dist = deterministic_app.record("--dist", "worksteal")

    with_dist.assert_outcomes(passed=9)
    assert seamrec_summary(serial) == seamrec_summary(with_dist)
    assert serially_recorded == deterministic_app.recorded()
    deterministic_app.check("--dist", "loadscope").assert_outcomes(passed=9)
