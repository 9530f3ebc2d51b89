"""seamrec under concurrency: xdist workers (and a crashing one), threads and asyncio tasks.

Every run is a real pytest subprocess over the layered app of conftest.py (whose fixture
already strips the PYTEST_XDIST_* variables an outer `pytest -n` run would hand down).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from helpers import LayeredApp, seamrec_summary
from seamrec.cassette.store import load

# ------------------------------------------------------------------ xdist

MORE_TESTS = """
    import asyncio

    import pytest
    from app.api import ROUTES, get_orders, get_profile
    from app.repo import fetch_user, iter_orders, order_rows
    from app.service import order_summary, profile

    @pytest.mark.parametrize("user_id", [1, 2, 3, 99])
    def test_profile_status(user_id):
        assert get_profile(user_id)["status"] in (200, 404)

    def test_orders():
        assert {"count": 2} == get_orders(1)["body"]

    def test_service_directly():
        assert "Ada" == profile(1)["name"]
        assert {"count": 2} == order_summary(1)

    @pytest.mark.parametrize("limit", [0, 1, 3])
    def test_order_rows(limit):
        assert len(order_rows(1, limit)) == limit

    def test_async_user():
        assert 1 == asyncio.run(fetch_user(1))["id"]

    def test_generator_partly_consumed():
        orders = iter_orders(1)
        assert (10, 250) == next(orders)

    def test_route_table():
        assert 200 == ROUTES["profile"](1)["status"]
"""

EVEN_MORE_TESTS = """
    import pytest
    from app.api import get_profile
    from app.repo import get_user

    @pytest.mark.parametrize("round_", range(6))
    def test_repeated_profiles(round_):
        for _ in range(round_ + 1):
            assert "Ada" == get_profile(1)["body"]["name"]

    def test_unknown_user_raises():
        with pytest.raises(KeyError):
            get_user(42)
"""

# 3 (test_api) + 12 (test_more) + 7 (test_even_more)
ALL_TESTS = 22


@pytest.fixture
def deterministic_app(layered_app: LayeredApp) -> LayeredApp:
    """The layered app without a clock, a set in a payload (each process has its own hash
    seed) and enough tests in three files to keep four workers busy."""
    layered_app.edit("app/repo.py", "int(time.time() * 1_000_000)", "1_700_000_000_000_000")
    layered_app.edit(
        "app/repo.py",
        '"name": name,',
        '"name": name,\n        "tags": {"vip", "beta", "early", "ops"},',
    )
    layered_app.write("tests/test_more.py", MORE_TESTS)
    layered_app.write("tests/test_even_more.py", EVEN_MORE_TESTS)
    return layered_app


def recorded_calls(app: LayeredApp) -> dict[str, int]:
    """Calls per cassette, by cassette path."""
    return {
        path.relative_to(app.cassettes).as_posix(): load(path).call_count()
        for path in sorted(app.cassettes.rglob("*.msgpack"))
    }


def test_every_xdist_distribution_records_the_bytes_of_a_serial_record_and_sums_every_worker(
    deterministic_app: LayeredApp,
) -> None:
    serial = deterministic_app.record()
    serial.assert_outcomes(passed=ALL_TESTS)
    serially_recorded = deterministic_app.recorded()
    total = sum(recorded_calls(deterministic_app).values())
    assert ALL_TESTS == len(serially_recorded)
    summary = seamrec_summary(serial)
    assert f"seamrec (record): 9 seams wrapped, {total} calls recorded" == summary[0]
    written = f"cassettes: {ALL_TESTS} written, 0 unchanged, 0 kept because the test failed"
    assert written == summary[1]

    for options in (
        ("-n", "2"),
        ("-n", "4"),
        ("-n", "2", "--dist", "loadfile"),
        ("-n", "3", "--dist", "load", "--maxschedchunk", "1"),
    ):
        shutil.rmtree(deterministic_app.cassettes)

        parallel = deterministic_app.record(*options)

        parallel.assert_outcomes(passed=ALL_TESTS)
        workers = options[1]
        parallel.stdout.fnmatch_lines([f"created: {workers}/{workers} workers"])
        assert serially_recorded == deterministic_app.recorded(), options
        assert summary == seamrec_summary(parallel), options


CRASHING_TEST = """
    import os

    from app.api import get_profile
    from app.repo import order_rows

    def test_crashes_mid_test():
        assert 200 == get_profile(1)["status"]
        assert order_rows(1, 3)
        os._exit(1)
"""


def test_a_crashed_worker_loses_only_the_test_it_was_running(
    deterministic_app: LayeredApp,
) -> None:
    # Collected last, so the worker that runs it has already finished other tests.
    deterministic_app.write("tests/test_zz_crash.py", CRASHING_TEST)

    result = deterministic_app.record("-n", "2", "-v")

    assert result.ret != 0
    result.assert_outcomes(passed=ALL_TESTS, failed=1)
    crashed = re.search(r"'(gw\d)' crashed while running '(.*)'", result.stdout.str())
    assert crashed is not None
    assert "tests/test_zz_crash.py::test_crashes_mid_test" == crashed[2]
    passed_before = [
        line for line in result.outlines if re.match(rf"\[{crashed[1]}\] .*PASSED tests/", line)
    ]
    assert passed_before, "the crashed worker ran no test before: nothing to lose"
    calls = recorded_calls(deterministic_app)
    assert ALL_TESTS == len(calls)
    assert not any(name.startswith("tests/test_zz_crash/") for name in calls)
    assert all(count > 0 for count in calls.values())
    summary = seamrec_summary(result)
    recorded = f"seamrec (record): 9 seams wrapped, {sum(calls.values())} calls recorded"
    assert recorded == summary[0]
    written = f"cassettes: {ALL_TESTS} written, 0 unchanged, 0 kept because the test failed"
    assert written == summary[1]


# ---------------------------------------------------------------- threads

WORK = '''\
"""A seam that several threads call at once."""

import time


def handle(worker: int, n: int) -> dict[str, object]:
    time.sleep(0)  # releases the GIL: another thread cuts in mid-call
    if n % 2:
        return {"worker": worker, "n": n, "odd": True}
    return {"worker": worker, "n": n}
'''

THREAD_TEST = """
    import os
    import sys
    import threading

    from app.work import handle

    def test_eight_threads():
        sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
        results = {}
        one_by_one = os.environ.get("ONE_THREAD_AT_A_TIME") == "1"
        start = threading.Barrier(1 if one_by_one else 8)

        def run(worker):
            start.wait()
            results[worker] = [handle(worker, n) for n in range(100)]

        threads = [threading.Thread(target=run, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
            if one_by_one:
                thread.join()
        for thread in threads:
            thread.join()
        assert list(range(8)) == sorted(results)
        for worker, answers in results.items():
            assert [n for n in range(100)] == [answer["n"] for answer in answers]
            assert {worker} == {answer["worker"] for answer in answers}
            assert [n % 2 == 1 for n in range(100)] == ["odd" in answer for answer in answers]
"""


def test_eight_threads_calling_one_seam_record_every_call_every_time_and_check_clean(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("app/work.py", WORK)
    layered_app.write("tests/test_threads.py", THREAD_TEST)
    cassette = layered_app.cassettes / "tests/test_threads/test_eight_threads.msgpack"

    for attempt in range(3):
        recorded = layered_app.record("tests/test_threads.py")

        recorded.assert_outcomes(passed=1)
        tape = load(cassette)
        assert 800 == tape.call_count(), f"record {attempt + 1}"
        assert seamrec_summary(recorded)[0].endswith(", 800 calls recorded")
        # Half the calls returned the shape with "odd", whichever thread made them.
        runs = tape.runs["app.work:handle"]
        odd = sum(run.count for run in runs if "odd" in run.result_shape[2])
        assert 400 == odd, f"record {attempt + 1}: {odd} calls recorded with the odd shape"

    checked = layered_app.check("tests/test_threads.py")

    checked.assert_outcomes(passed=1)
    assert [
        "seamrec (check): 1 seams wrapped, 800 calls checked",
        "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == seamrec_summary(checked)


def test_eight_threads_check_clean_against_a_recording_made_one_thread_at_a_time(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    layered_app.write("app/work.py", WORK)
    layered_app.write("tests/test_threads.py", THREAD_TEST)
    cassette = layered_app.cassettes / "tests/test_threads/test_eight_threads.msgpack"
    monkeypatch.setenv("ONE_THREAD_AT_A_TIME", "1")
    layered_app.record("tests/test_threads.py").assert_outcomes(passed=1)
    runs = load(cassette).runs["app.work:handle"]
    assert 800 == len(runs)  # even, odd, even, ...: no two neighbours alike
    assert 400 == sum(run.count for run in runs if "odd" in run.result_shape[2])
    monkeypatch.delenv("ONE_THREAD_AT_A_TIME")

    checked = layered_app.check("tests/test_threads.py")

    checked.assert_outcomes(passed=1)
    assert [
        "seamrec (check): 1 seams wrapped, 800 calls checked",
        "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == seamrec_summary(checked)


# ---------------------------------------------------------------- asyncio

AIO = '''\
"""An async seam whose result has one shape for even tasks and another for odd ones."""

import asyncio
import random

STARTED: list[int] = []  # tasks in the order their calls began


async def fetch(task: int) -> dict[str, object]:
    STARTED.append(task)
    await asyncio.sleep(random.random() / 1000)
    if task % 2:
        return {"id": task, "extra": f"task-{task}"}
    return {"id": task}
'''

ASYNC_TEST = """
    import asyncio
    import json
    import random

    from app import aio

    async def one(task):
        await asyncio.sleep(random.random() / 1000)
        return await aio.fetch(task)

    async def everything():
        return await asyncio.gather(*(one(task) for task in range(50)))

    def test_fifty_tasks(request):
        results = asyncio.run(everything())
        assert list(range(50)) == [int(result["id"]) for result in results]
        assert [task % 2 == 1 for task in range(50)] == ["extra" in r for r in results]
        order = request.config.rootpath / "order.json"
        order.write_text(json.dumps(aio.STARTED))
"""


def test_concurrent_async_calls_in_a_varying_order_are_matched_as_a_multiset(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("app/aio.py", AIO)
    layered_app.write("tests/test_aio.py", ASYNC_TEST)
    order = layered_app.root / "order.json"

    layered_app.record("tests/test_aio.py").assert_outcomes(passed=1)
    orders = [json.loads(order.read_text())]
    for _ in range(3):
        checked = layered_app.check("tests/test_aio.py")

        checked.assert_outcomes(passed=1)
        assert [
            "seamrec (check): 1 seams wrapped, 50 calls checked",
            "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
        ] == seamrec_summary(checked)
        orders.append(json.loads(order.read_text()))
    assert all(sorted(started) == list(range(50)) for started in orders)
    # The scheduling really differed: the checks did not just replay the recorded order.
    assert len({tuple(started) for started in orders}) > 1

    # One task's result now has a str id (the test still passes on its own): that is
    # drift however the tasks interleave.
    layered_app.edit(
        "app/aio.py",
        "    if task % 2:\n",
        '    if task == 7:\n        return {"id": str(task), "extra": "task-7"}\n'
        "    if task % 2:\n",
    )

    drifted = layered_app.check("tests/test_aio.py")

    drifted.assert_outcomes(failed=1)
    drifted.stdout.fnmatch_lines(
        [
            "seam drift in tests/test_aio.py::test_fifty_tasks",
            "  app.aio:fetch  return  (call * of 50)",
            "    type changed  return[[]'id'[]]  int → str*",
        ]
    )
    assert "drifted: tests/test_aio.py::test_fifty_tasks" in "\n".join(seamrec_summary(drifted))
