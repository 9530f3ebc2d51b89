"""`seamrec diff`: how the seam contracts changed since a git revision, as text, Markdown or JSON.

The layered app is recorded once per session (`baseline` in conftest.py) by a real
`pytest --record-seams` run, with one extra test file, `tests/test_orders.py`; each test
gets its own copy of the project and those cassettes (`recorded_app`) and re-records after
changing the app, the way a developer would. Every command runs as `python -m seamrec` in
a subprocess.
"""

from __future__ import annotations

import json

import pytest

from helpers import (
    LayeredApp,
    assert_usage_error,
    commit_all,
    git,
    rename_email_and_record,
    seamrec,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


def test_diff_without_changes_exits_0_and_says_so(recorded_app: LayeredApp) -> None:
    """Cassettes equal to the committed ones: no change, exit 0."""
    commit_all(recorded_app.root, "recorded")

    done = seamrec(recorded_app.root, "diff")

    assert (0, "") == (done.returncode, done.stderr)
    assert "seamrec diff HEAD → working tree: no seam changed shape\n" == done.stdout


def test_diff_of_a_renamed_key_pairs_old_and_new_path_under_its_seam_and_exits_1(
    recorded_app: LayeredApp,
) -> None:
    """A renamed key is one breaking "key renamed?" change of the seam that returns it,
    counted in the 3 tests where get_user returned (not the one where it raised)."""
    commit_all(recorded_app.root, "recorded")
    rename_email_and_record(recorded_app)

    done = seamrec(recorded_app.root, "diff")

    assert (1, "") == (done.returncode, done.stderr)
    assert [
        "seamrec diff HEAD → working tree: 1 breaking, 0 additive changes in 1 seam",
        "",
        "app.repo:get_user",
        "  BREAKING  key renamed?    return['email'] → return['email_address']   (str)"
        "   [in 3 tests]",
    ] == done.stdout.splitlines()


def test_diff_renders_the_change_as_markdown_and_as_json(recorded_app: LayeredApp) -> None:
    """Markdown has a heading and a table per seam; JSON counts the breaking changes."""
    commit_all(recorded_app.root, "recorded")
    rename_email_and_record(recorded_app)

    markdown = seamrec(recorded_app.root, "diff", "--format", "markdown")
    as_json = seamrec(recorded_app.root, "diff", "--format", "json")

    assert (1, 1) == (markdown.returncode, as_json.returncode)
    lines = markdown.stdout.splitlines()
    assert "### seamrec diff HEAD → working tree" == lines[0]
    assert ["#### 🔴 `app.repo:get_user`"] == [line for line in lines if line.startswith("####")]
    assert [
        "| | change | where | details |",
        "|---|---|---|---|",
        "| **breaking** | key renamed? | `return['email']` | "
        "→ `return['email_address']` (str); in 3 tests |",
    ] == lines[lines.index("#### 🔴 `app.repo:get_user`") + 2 :]
    document = json.loads(as_json.stdout)
    assert (1, 0) == (document["breaking"], document["additive"])
    [seam] = document["seams"]
    assert ("app.repo:get_user", True) == (seam["seam"], seam["breaking"])
    [change] = seam["changes"]
    assert {
        "kind": "key renamed?",
        "path": "return['email']",
        "old": "str",
        "new": "str",
        "to_path": "return['email_address']",
        "tests": 3,
        "breaking": True,
    } == {k: change[k] for k in ("kind", "path", "old", "new", "to_path", "tests", "breaking")}


def test_diff_of_an_added_key_only_is_additive_and_exits_0(recorded_app: LayeredApp) -> None:
    """A new key breaks no consumer: the change is listed as additive and the exit is 0."""
    commit_all(recorded_app.root, "recorded")
    recorded_app.edit("app/repo.py", '"email": email,', '"email": email, "active": True,')
    recorded_app.record().assert_outcomes(passed=4)

    done = seamrec(recorded_app.root, "diff")

    assert 0 == done.returncode
    assert [
        "seamrec diff HEAD → working tree: 0 breaking, 1 additive change in 1 seam",
        "",
        "app.repo:get_user",
        "  additive  key added       return['active']   (bool)   [in 3 tests]",
    ] == done.stdout.splitlines()


def test_diff_reports_calls_a_test_no_longer_makes_as_breaking_with_the_tests(
    recorded_app: LayeredApp,
) -> None:
    """order_summary stops calling get_user: "calls removed" names both tests that lost it."""
    commit_all(recorded_app.root, "recorded")
    recorded_app.edit("app/service.py", "    get_user(user_id)  # unknown users raise\n", "")
    recorded_app.record().assert_outcomes(passed=4)

    done = seamrec(recorded_app.root, "diff")

    assert 1 == done.returncode
    assert [
        "seamrec diff HEAD → working tree: 1 breaking, 0 additive changes in 1 seam",
        "",
        "app.repo:get_user",
        "  BREAKING  calls removed   tests/test_api.py::test_orders_by_route: 1 → 0, "
        "tests/test_orders.py::test_order_summary: 1 → 0; in 2 tests",
    ] == done.stdout.splitlines()


def test_diff_base_compares_with_an_older_commit(recorded_app: LayeredApp) -> None:
    """After committing the rename, HEAD has no change and HEAD~1 has the rename."""
    commit_all(recorded_app.root, "recorded")
    rename_email_and_record(recorded_app)
    commit_all(recorded_app.root, "renamed email")

    head = seamrec(recorded_app.root, "diff")
    before = seamrec(recorded_app.root, "diff", "--base", "HEAD~1")

    assert (0, "seamrec diff HEAD → working tree: no seam changed shape\n") == (
        head.returncode,
        head.stdout,
    )
    assert 1 == before.returncode
    assert before.stdout.startswith("seamrec diff HEAD~1 → working tree: 1 breaking")
    assert "key renamed?    return['email'] → return['email_address']" in before.stdout


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("no-such-branch", "unknown revision 'no-such-branch': give a branch, tag or commit"),
        ("--base=-p", "unknown revision '-p': a revision cannot start with '-'"),
    ],
)
def test_diff_with_an_unknown_base_is_a_one_line_error(
    layered_app: LayeredApp, base: str, message: str
) -> None:
    """A revision git does not know (or one that looks like an option) names itself."""
    commit_all(layered_app.root, "app")
    args = [base] if base.startswith("--") else ["--base", base]

    done = seamrec(layered_app.root, "diff", *args)

    assert_usage_error(done, message)


def test_diff_outside_a_git_repository_is_a_one_line_error(layered_app: LayeredApp) -> None:
    """Without a repository there is no base to compare with; the error says so."""
    done = seamrec(layered_app.root, "diff")

    assert_usage_error(done, f"{layered_app.root} is not inside a git repository")


def test_diff_in_a_repository_without_commits_says_to_commit_first(
    recorded_app: LayeredApp,
) -> None:
    """`HEAD` of a fresh repository is no unknown revision the user mistyped."""
    git(recorded_app.root, "init", "-q")

    done = seamrec(recorded_app.root, "diff")

    assert_usage_error(done, "the repository has no commits yet; commit the cassettes first")


def test_diff_warns_when_the_contract_files_do_not_match_the_cassettes(
    recorded_app: LayeredApp,
) -> None:
    """A hand-edited or stale contract file would mislead the reviewer: diff says so."""
    commit_all(recorded_app.root, "recorded")
    contract = recorded_app.cassettes / "contracts" / "app.repo.txt"
    contract.write_text(contract.read_text().replace("return['email']: str", "return: str"))

    done = seamrec(recorded_app.root, "diff")

    assert (0, "seamrec diff HEAD → working tree: no seam changed shape\n") == (
        done.returncode,
        done.stdout,
    )
    assert [
        "seamrec: warning: cassettes/contracts/app.repo.txt does not match the cassettes; "
        "record again (pytest --record-seams) to rewrite it"
    ] == done.stderr.splitlines()
