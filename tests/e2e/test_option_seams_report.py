"""`pytest --check-seams --seams-report=PATH`: the run's seam changes as JSON or Markdown.

The report groups the changes by seam, breaking first, and counts a change once per test
that showed it ("in N tests"), however many calls of that test drifted the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import LayeredApp, seamrec_summary

GET_USER = "app.repo:get_user"
RENAME = ("app/repo.py", '"email": email', '"email_address": email')

# Three more tests through `profile` -> `get_user`; [3] crosses the seam three times.
REPEATED_PROFILE = """
    import pytest
    from app.service import profile

    @pytest.mark.parametrize("times", [1, 2, 3])
    def test_profile_repeatedly(times):
        for _ in range(times):
            assert "Ada" == profile(1)["name"]
"""


def read_json(path: Path) -> Any:
    """The parsed report at `path`."""
    return json.loads(path.read_text(encoding="utf-8"))


def changes_by_seam(document: Any) -> dict[str, list[dict[str, Any]]]:
    """The report's changes by seam, in the report's order."""
    return {group["seam"]: group["changes"] for group in document["seams"]}


def assert_no_traceback(result: pytest.RunResult) -> None:
    """The run ended with messages, not with a Python traceback or an internal error."""
    output = "\n".join([*result.outlines, *result.errlines])
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output


def test_json_report_counts_a_renamed_key_once_per_test_it_drifted_in(
    layered_app: LayeredApp,
) -> None:
    """A key renamed at one seam is one breaking change "in 5 tests", its path the one the
    failure message shows, however often each test called the seam."""
    layered_app.write("tests/test_repeated.py", REPEATED_PROFILE)
    layered_app.record()
    layered_app.edit(*RENAME)

    result = layered_app.check("--seams-report=seams.json")

    result.assert_outcomes(passed=1, failed=5)
    assert 1 == result.ret
    document = read_json(layered_app.root / "seams.json")
    assert "seamrec: seam changes found by pytest (check run)" == document["title"]
    assert (1, 0) == (document["breaking"], document["additive"])
    assert [GET_USER] == [group["seam"] for group in document["seams"]]
    assert document["seams"][0]["breaking"] is True
    [change] = changes_by_seam(document)[GET_USER]
    assert {
        "seam": GET_USER,
        "kind": "key renamed?",
        "path": "return['email']",
        "old": "str",
        "new": "str",
        "to_path": "return['email_address']",
        "tests": 5,
        "detail": "",
        "breaking": True,
        "category": "breaking",
    } == change
    # the report names the path the way the failure message of each drifted test does
    result.stdout.fnmatch_lines(
        [
            "seam drift in tests/test_repeated.py::test_profile_repeatedly[[]3[]]",
            f"  {GET_USER}  return  (call 1 of 3; 2 more calls drifted the same way)",
            f"    key renamed?  {change['path']} → {change['to_path']}   ({change['old']})",
        ],
        consecutive=True,
    )


@pytest.mark.usefixtures("layered_cassettes")
def test_markdown_report_has_a_title_a_heading_per_seam_and_a_breaking_row(
    layered_app: LayeredApp,
) -> None:
    """A `.md` path gives Markdown: a `###` title, a `####` heading naming the seam in
    backticks, and a table row marked **breaking** that counts the tests."""
    layered_app.edit(*RENAME)

    result = layered_app.check("--seams-report=seams.md")

    result.assert_outcomes(passed=1, failed=2)
    text = (layered_app.root / "seams.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "### seamrec: seam changes found by pytest (check run)" == lines[0]
    assert "**1 breaking, 0 additive changes in 1 seam**" in lines
    headings = [line for line in lines if line.startswith("#### ")]
    assert 1 == len(headings)
    assert headings[0].endswith(f" `{GET_USER}`")
    rows = [line for line in lines if line.startswith("| **breaking** |")]
    assert [
        "| **breaking** | key renamed? | `return['email']` | → `return['email_address']` (str); "
        "in 2 tests |"
    ] == rows
    assert not text.lstrip().startswith("{")


@pytest.mark.usefixtures("layered_cassettes")
def test_json_report_gives_old_and_new_type_of_a_changed_type(layered_app: LayeredApp) -> None:
    """An int that became a str is a breaking "type changed" with both types."""
    layered_app.edit(
        "app/repo.py",
        "int(time.time() * 1_000_000)",
        'time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())',
    )

    result = layered_app.check("--seams-report=seams.json")

    result.assert_outcomes(passed=1, failed=2)
    document = read_json(layered_app.root / "seams.json")
    assert (1, 0) == (document["breaking"], document["additive"])
    assert {
        GET_USER: [
            {
                "seam": GET_USER,
                "kind": "type changed",
                "path": "return['created_at']",
                "old": "int",
                "new": "str",
                "tests": 2,
                "detail": "",
                "to_path": "",
                "breaking": True,
                "category": "breaking",
            }
        ]
    } == changes_by_seam(document)


@pytest.mark.usefixtures("layered_cassettes")
def test_json_report_lists_a_call_no_longer_made_as_breaking_calls_removed(
    layered_app: LayeredApp,
) -> None:
    """A seam call that no longer happens is breaking "calls removed"; the call made
    instead is additive "calls added" at its own seam, listed after the breaking one."""
    layered_app.edit(
        "app/service.py",
        "get_user(user_id)  # unknown users raise",
        "order_rows(user_id, 1)  # a cheaper existence check",
    )

    result = layered_app.check("--seams-report=seams.json")

    result.assert_outcomes(passed=2, failed=1)
    document = read_json(layered_app.root / "seams.json")
    assert (1, 1) == (document["breaking"], document["additive"])
    assert [(GET_USER, True), ("app.repo:order_rows", False)] == [
        (group["seam"], group["breaking"]) for group in document["seams"]
    ]
    changes = changes_by_seam(document)
    assert [("calls removed", "", 1, True)] == [
        (c["kind"], c["detail"], c["tests"], c["breaking"]) for c in changes[GET_USER]
    ]
    assert [("calls added", 1, False)] == [
        (c["kind"], c["tests"], c["breaking"]) for c in changes["app.repo:order_rows"]
    ]


@pytest.mark.usefixtures("layered_cassettes")
def test_a_new_key_fails_the_check_but_the_report_calls_it_additive(
    layered_app: LayeredApp,
) -> None:
    """Check mode fails a test whose payload gained a key, yet the report lists it as an
    additive "key added" with its type, and counts no breaking change."""
    layered_app.edit(
        "app/service.py",
        'return {"count": len(rows)}',
        'return {"count": len(rows), "total": sum(total for _, total in rows)}',
    )

    result = layered_app.check("--seams-report=seams.json")

    result.assert_outcomes(passed=2, failed=1)
    assert 1 == result.ret
    document = read_json(layered_app.root / "seams.json")
    assert (0, 2) == (document["breaking"], document["additive"])
    assert [False, False] == [group["breaking"] for group in document["seams"]]
    assert {
        "app.api:get_orders": [("key added", "return['body']['total']", "int", 1, False)],
        "app.service:order_summary": [("key added", "return['total']", "int", 1, False)],
    } == {
        seam: [(c["kind"], c["path"], c["new"], c["tests"], c["breaking"]) for c in changes]
        for seam, changes in changes_by_seam(document).items()
    }


@pytest.mark.usefixtures("layered_cassettes")
def test_a_run_without_drift_still_writes_a_report_saying_nothing_changed(
    layered_app: LayeredApp,
) -> None:
    """With every test passing, both formats are still written: no seams, zero changes."""
    as_json = layered_app.check("--seams-report=seams.json")
    as_markdown = layered_app.check("--seams-report=seams.md")

    as_json.assert_outcomes(passed=3)
    as_markdown.assert_outcomes(passed=3)
    assert (0, 0) == (as_json.ret, as_markdown.ret)
    document = read_json(layered_app.root / "seams.json")
    assert (0, 0, []) == (document["breaking"], document["additive"], document["seams"])
    lines = (layered_app.root / "seams.md").read_text(encoding="utf-8").splitlines()
    assert "**no seam changed shape**" in lines
    assert not [line for line in lines if line.startswith(("#### ", "|"))]


def test_a_parallel_run_reports_the_same_groups_and_counts_as_a_serial_run(
    layered_app: LayeredApp,
) -> None:
    """Changes found on xdist workers reach the controller's report, each counted once per
    test as in a serial run."""
    layered_app.write("tests/test_repeated.py", REPEATED_PROFILE)
    layered_app.record()
    layered_app.edit(*RENAME)
    layered_app.edit(
        "app/service.py",
        'return {"count": len(rows)}',
        'return {"count": len(rows), "total": sum(total for _, total in rows)}',
    )

    serial = layered_app.check("--seams-report=serial.json")
    parallel = layered_app.check("-n", "2", "--seams-report=parallel.json")

    serial.assert_outcomes(passed=1, failed=5)
    parallel.assert_outcomes(passed=1, failed=5)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers"])
    serial_document = read_json(layered_app.root / "serial.json")
    assert (1, 2) == (serial_document["breaking"], serial_document["additive"])
    assert 5 == changes_by_seam(serial_document)[GET_USER][0]["tests"]
    assert serial_document == read_json(layered_app.root / "parallel.json")


def test_a_report_path_without_json_or_md_suffix_is_a_usage_error(
    layered_app: LayeredApp,
) -> None:
    """`--seams-report=out.txt` stops the run before any test with exit code 4 and a message
    naming the option and the suffixes it takes."""
    result = layered_app.check("--seams-report=out.txt")

    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(
        ["ERROR: --seams-report=out.txt: the file name must end in .json or .md"]
    )
    assert not (layered_app.root / "out.txt").exists()
    assert "passed" not in result.stdout.str()


@pytest.mark.usefixtures("layered_cassettes")
def test_the_directories_of_a_report_path_are_created(layered_app: LayeredApp) -> None:
    """A report below directories that do not exist yet is written there."""
    result = layered_app.check("--seams-report=reports/seamrec/seams.json")

    result.assert_outcomes(passed=3)
    report = layered_app.root / "reports" / "seamrec" / "seams.json"
    assert 0 == read_json(report)["breaking"]


def check_with_report_below_a_file(app: LayeredApp) -> pytest.RunResult:
    """A check run whose `--seams-report` path has a regular file for its directory."""
    app.write("blocker", "a regular file, not a directory\n")
    return app.check("--seams-report=blocker/seams.json")


@pytest.mark.parametrize("drift", [False, True], ids=["no-drift", "drift"])
@pytest.mark.usefixtures("layered_cassettes")
def test_a_report_that_cannot_be_written_is_an_error_line_not_a_traceback(
    layered_app: LayeredApp, drift: bool
) -> None:
    """A report path below a regular file gives one `error:` line naming the option in the
    seamrec summary; the tests still ran and no traceback is shown."""
    if drift:
        layered_app.edit(*RENAME)

    result = check_with_report_below_a_file(layered_app)

    if drift:
        result.assert_outcomes(passed=1, failed=2)
    else:
        result.assert_outcomes(passed=3)
    errors = [line for line in seamrec_summary(result) if line.startswith("error: ")]
    assert 1 == len(errors)
    assert errors[0].startswith("error: --seams-report=blocker/seams.json: ")
    assert_no_traceback(result)
    assert (layered_app.root / "blocker").is_file()
    if drift:
        assert pytest.ExitCode.TESTS_FAILED == result.ret


@pytest.mark.usefixtures("layered_cassettes")
def test_a_report_that_cannot_be_written_fails_a_run_whose_tests_all_passed(
    layered_app: LayeredApp,
) -> None:
    """A report that did not land makes the run fail even when every test passed (as a
    cassette that did not land does)."""
    result = check_with_report_below_a_file(layered_app)

    result.assert_outcomes(passed=3)
    assert pytest.ExitCode.TESTS_FAILED == result.ret


@pytest.mark.usefixtures("layered_cassettes")
def test_a_relative_report_path_is_relative_to_the_invocation_directory(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a subdirectory of the rootdir, the report lands below that subdirectory."""
    layered_app.edit(*RENAME)
    invoked_in = layered_app.root / "sub"
    invoked_in.mkdir()
    monkeypatch.chdir(invoked_in)

    result = layered_app.check("../tests", "--seams-report=out/seams.json")

    result.assert_outcomes(passed=1, failed=2)
    assert not (layered_app.root / "out").exists()
    assert [GET_USER] == list(changes_by_seam(read_json(invoked_in / "out" / "seams.json")))


def test_a_seam_no_longer_called_in_several_tests_is_one_change_counting_them(
    layered_app: LayeredApp,
) -> None:
    """Tests that each lost every call of a seam, one call or several, share one "calls
    removed" change "in 4 tests", as they share one "key renamed?" change."""
    layered_app.write("tests/test_repeated.py", REPEATED_PROFILE)
    layered_app.record()
    layered_app.edit(
        "app/service.py", "user = get_user(user_id)", 'user = {"id": user_id, "name": "Ada"}'
    )

    result = layered_app.check(
        "tests/test_repeated.py", "tests/test_api.py::test_profile", "--seams-report=seams.json"
    )

    result.assert_outcomes(failed=4)
    document = read_json(layered_app.root / "seams.json")
    assert [GET_USER] == list(changes_by_seam(document))
    assert [("calls removed", 4)] == [
        (c["kind"], c["tests"]) for c in changes_by_seam(document)[GET_USER]
    ]
    assert 1 == document["breaking"]
