"""`pytest --check-seams`: fail the tests whose seam payloads changed shape since recording.

Every drift test also shows that the app's own test still passed: its failure section
starts with seamrec's "seam drift in" text, which replaces the report of a passing test
only (a failing test keeps its traceback and gets seamrec's text as an extra section).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpers import LayeredApp, crossings, seamrec_summary

PROFILE = "tests/test_api.py::test_profile"
UNKNOWN_USER = "tests/test_api.py::test_unknown_user"
ORDERS = "tests/test_api.py::test_orders_by_route"


def drift_report(nodeid: str, *lines: str) -> list[str]:
    """The failure section of `nodeid` when its own test passed but its seams drifted."""
    name = nodeid.rpartition("::")[2]
    return [
        f"_* {name} _*",
        f"seam drift in {nodeid}",
        *lines,
        f'  re-record: pytest --record-seams "{nodeid}"',
    ]


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_a_renamed_key_while_the_apps_tests_pass(layered_app: LayeredApp) -> None:
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')

    result = layered_app.check()

    result.assert_outcomes(passed=1, failed=2)
    assert 1 == result.ret
    result.stdout.fnmatch_lines(
        drift_report(
            PROFILE,
            "  app.repo:get_user  return  (call 1 of 1)",
            "    key renamed?  return['email'] → return['email_address']   (str)",
        ),
        consecutive=True,
    )
    assert [
        "seamrec (check): 9 seams wrapped, 10 calls checked",
        "2 tests drifted, 0 unrecorded, 0 with unusable cassettes",
        f"  drifted: {PROFILE}",
        f"  drifted: {ORDERS}",
    ] == seamrec_summary(result)


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_a_unix_int_timestamp_that_became_an_iso_string(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "app/repo.py",
        "int(time.time() * 1_000_000)",
        'time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())',
    )

    result = layered_app.check()

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        drift_report(
            PROFILE,
            "  app.repo:get_user  return  (call 1 of 1)",
            "    type changed  return[[]'created_at'[]]  int → str   1* → '20*-*-*T*:*:*Z'",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_a_list_of_tuples_that_became_a_list_of_dicts(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "app/repo.py",
        "    return rows\n",
        '    return [{"id": id_, "total": total} for id_, total in rows]\n',
    )

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        drift_report(
            ORDERS,
            "  app.repo:order_rows  return  (call 1 of 1)",
            "    type changed  return[[]*[]]  tuple → dict   (10, 250) → {'id': 10, 'total': 250}",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_a_removed_nested_key(layered_app: LayeredApp) -> None:
    layered_app.edit(
        "app/repo.py", '"address": {"zip": zip_code, "city": city}', '"address": {"city": city}'
    )

    result = layered_app.check()

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        drift_report(
            PROFILE,
            "  app.repo:get_user  return  (call 1 of 1)",
            "    key removed   return['address']['zip']   (was str)",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_a_changed_exception_type(layered_app: LayeredApp) -> None:
    layered_app.edit("app/repo.py", "raise KeyError(user_id)", "raise IndexError(user_id)")

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        drift_report(
            UNKNOWN_USER,
            "  app.repo:get_user  raise  (call 1 of 1)",
            "    type changed  raise  KeyError → IndexError*",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_an_argument_whose_type_changed(layered_app: LayeredApp) -> None:
    layered_app.edit("app/service.py", "order_rows(user_id, 2)", "order_rows(str(user_id), 2)")

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        drift_report(
            ORDERS,
            "  app.repo:order_rows  args  (call 1 of 1)",
            "    type changed  args.user_id  int → str   1 → '1'",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_an_exception_that_became_a_return(layered_app: LayeredApp) -> None:
    layered_app.edit("app/repo.py", "raise KeyError(user_id)", "return None  # type: ignore")
    layered_app.edit(
        "app/service.py",
        '    return {"id"',
        '    if user is None:\n        return None\n    return {"id"',
    )

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        drift_report(
            UNKNOWN_USER,
            "  app.repo:get_user  outcome  (call 1 of 1)",
            "    outcome changed  raise → return*",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_check_passes_when_only_values_changed(layered_app: LayeredApp) -> None:
    layered_app.edit(
        "app/repo.py", "'ada@example.org', '10115', 'Berlin'", "'ada@example.com', '75001', 'Paris'"
    )

    result = layered_app.check()

    result.assert_outcomes(passed=3)
    assert 0 == result.ret
    assert [
        "seamrec (check): 9 seams wrapped, 10 calls checked",
        "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == seamrec_summary(result)


@pytest.mark.usefixtures("layered_cassettes")
def test_check_passes_when_positional_arguments_are_now_passed_by_keyword(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "app/service.py", "order_rows(user_id, 2)", "order_rows(user_id=user_id, limit=2)"
    )

    result = layered_app.check()

    result.assert_outcomes(passed=3)
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(result)[1]


@pytest.mark.usefixtures("layered_cassettes")
def test_check_passes_when_dict_keys_come_in_another_order(layered_app: LayeredApp) -> None:
    layered_app.edit(
        "app/repo.py", '"id": id_,\n        "name": name,', '"name": name,\n        "id": id_,'
    )
    layered_app.edit(
        "app/repo.py", '{"zip": zip_code, "city": city}', '{"city": city, "zip": zip_code}'
    )

    result = layered_app.check()

    result.assert_outcomes(passed=3)
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(result)[1]


@pytest.mark.usefixtures("layered_cassettes")
def test_check_reports_a_call_that_no_longer_happens_and_a_call_never_recorded(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "app/service.py",
        "get_user(user_id)  # unknown users raise",
        "order_rows(user_id, 1)  # a cheaper existence check",
    )

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        drift_report(
            ORDERS,
            "  app.repo:order_rows  unrecorded call  (call 2; 1 call beyond the 1 recorded)",
            "  app.repo:get_user  call missing  (call 1 of 1 recorded no longer happens)",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_a_test_without_a_cassette_is_listed_as_unrecorded_and_not_failed(
    layered_app: LayeredApp,
) -> None:
    layered_app.write(
        "tests/test_new.py",
        """
        from app.service import order_summary

        def test_summary():
            assert {"count": 2} == order_summary(1)
    """,
    )

    result = layered_app.check()

    result.assert_outcomes(passed=4)
    assert 0 == result.ret
    assert [
        "seamrec (check): 9 seams wrapped, 13 calls checked",
        "0 tests drifted, 1 unrecorded, 0 with unusable cassettes",
        "  unrecorded: tests/test_new.py::test_summary",
        "  record them with: pytest --record-seams",
    ] == seamrec_summary(result)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda data: data[: len(data) // 2], "is truncated or corrupt (*)"),
        (lambda data: b"", "is empty"),
        (lambda data: b'{"cassette": "from another tool"}', "is not a seamrec cassette*"),
    ],
    ids=["cut-in-half", "emptied", "foreign"],
)
@pytest.mark.usefixtures("layered_cassettes")
def test_an_unusable_cassette_fails_only_its_own_test_and_says_how_to_re_record(
    layered_app: LayeredApp, damage: Callable[[bytes], bytes], problem: str
) -> None:
    cassette = layered_app.cassettes / "tests" / "test_api" / "test_profile.msgpack"
    cassette.write_bytes(damage(cassette.read_bytes()))

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_profile _*",
            f"seamrec cannot use the cassette of {PROFILE}",
            f"  {cassette.resolve()}: {problem}",
            f'  re-record: pytest --record-seams "{PROFILE}"',
        ],
        consecutive=True,
    )
    assert [
        "0 tests drifted, 0 unrecorded, 1 with unusable cassettes",
        f"  unusable cassette: {PROFILE}",
    ] == seamrec_summary(result)[1:]


def test_both_options_together_are_a_usage_error_naming_both(layered_app: LayeredApp) -> None:
    result = layered_app.run("--record-seams", "--check-seams")

    assert 4 == result.ret
    result.stderr.fnmatch_lines(
        ["ERROR: --record-seams and --check-seams cannot be used together*"]
    )
    assert not layered_app.cassettes.exists()


def test_check_passes_for_unchanged_async_and_partly_consumed_generator_seams(
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
    layered_app.record("tests/test_streams.py")

    result = layered_app.check("tests/test_streams.py")

    result.assert_outcomes(passed=3)
    assert [
        "seamrec (check): 4 seams wrapped, 2 calls checked",
        "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == seamrec_summary(result)


def test_check_reports_drift_behind_an_async_seam_and_a_generator_seam(
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
            assert 2 == len([next(orders), next(orders)])
    """,
    )
    layered_app.record("tests/test_streams.py")
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')
    layered_app.edit("app/repo.py", "        yield row\n", "        yield list(row)\n")

    result = layered_app.check("tests/test_streams.py")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        drift_report(
            "tests/test_streams.py::test_fetch_user",
            "  app.repo:fetch_user  return  (call 1 of 1)",
            "    key renamed?  return['email'] → return['email_address']   (str)",
        ),
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        drift_report(
            "tests/test_streams.py::test_first_two_orders",
            "  app.repo:iter_orders  yield  (call 1 of 1)",
            "    type changed  yield[[]*[]]  tuple → list*",
        ),
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_a_handler_registered_in_a_dict_at_import_time_is_recorded_and_checked(
    layered_app: LayeredApp,
) -> None:
    assert [
        ("app.api:get_orders", "test_api", "return"),
        ("app.service:order_summary", "app.api", "return"),
        ("app.repo:get_user", "app.service", "return"),
        ("app.repo:order_rows", "app.service", "return"),
    ] == crossings(layered_app.cassettes / "tests" / "test_api" / "test_orders_by_route.msgpack")
    layered_app.edit(
        "app/service.py",
        'return {"count": len(rows)}',
        'return {"count": len(rows), "total": sum(total for _, total in rows)}',
    )

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        drift_report(
            ORDERS,
            "  app.service:order_summary  return  (call 1 of 1)",
            "    key added     return['total']   (int)",
            "  app.api:get_orders  return  (call 1 of 1)",
            "    key added     return['body']['total']   (int)",
        ),
        consecutive=True,
    )


def test_a_function_imported_by_name_before_seamrec_started_is_recorded_and_checked(
    layered_app: LayeredApp,
) -> None:
    # `-p preload` imports the whole app while pytest parses its options, before seamrec
    # wraps anything: app.service's `from app.repo import get_user` holds the original.
    layered_app.write("preload.py", "import app.api  # noqa: F401\n")
    record = layered_app.record("-p", "preload")
    assert [
        ("app.api:get_profile", "test_api", "return"),
        ("app.service:profile", "app.api", "return"),
        ("app.repo:get_user", "app.service", "return"),
    ] == crossings(layered_app.cassettes / "tests" / "test_api" / "test_profile.msgpack")
    assert "seamrec (record): 9 seams wrapped, 10 calls recorded" == seamrec_summary(record)[0]
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')

    result = layered_app.check("-p", "preload")

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        drift_report(
            PROFILE,
            "  app.repo:get_user  return  (call 1 of 1)",
            "    key renamed?  return['email'] → return['email_address']   (str)",
        ),
        consecutive=True,
    )
