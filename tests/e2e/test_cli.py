"""The `seamrec` command end to end: real subprocesses, real git, cassettes of real pytest runs.

The layered app is recorded once per module (`baseline`) by a real `pytest --record-seams`
run, with one extra test file, `tests/test_orders.py`; each test gets its own copy of the
project and those cassettes (`recorded_app`) and re-records after changing the app, the
way a developer would. Every command runs as `python -m seamrec` in a subprocess.
"""

from __future__ import annotations

import json
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import (
    EXTRA_TESTS,
    UNKNOWN_USER_TEST,
    LayeredApp,
    assert_usage_error,
    clean_env,
    commit_all,
    git,
    seamrec,
)

PROFILE = "cassettes/tests/test_api/test_profile.msgpack"
UNKNOWN_USER = "cassettes/tests/test_api/test_unknown_user.msgpack"
ORDERS_BY_ROUTE = "cassettes/tests/test_api/test_orders_by_route.msgpack"
ORDER_SUMMARY = "cassettes/tests/test_orders/test_order_summary.msgpack"
OUTSIDE = "tests and other callers"

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


def rename_email_and_record(app: LayeredApp) -> None:
    """Rename get_user's returned key `email` to `email_address` and re-record."""
    app.edit("app/repo.py", '"email": email', '"email_address": email')
    app.record().assert_outcomes(passed=4)


def edges(graph: str) -> list[tuple[str, str, int, str]]:
    """(caller node, seam name, calls, callee node) of each edge of a Mermaid map, in order."""
    labels = dict(re.findall(r'^  (m\d+)\["(.*)"\]$', graph, re.MULTILINE))
    return [
        (labels[caller], seam, int(calls), labels[callee])
        for caller, seam, calls, callee in re.findall(
            r'^  (m\d+) -->\|"(\S+) \((\d+) calls?(?:, all callers)?\)"\| (m\d+)$',
            graph,
            re.MULTILINE,
        )
    ]


def highlighted(graph: str) -> list[str]:
    """The seam names of the edges a `linkStyle` line of the map highlights."""
    styles = re.findall(r"^  linkStyle ([\d,]+) stroke:", graph, re.MULTILINE)
    assert len(styles) <= 1
    drawn = edges(graph)
    return [drawn[int(i)][1] for style in styles for i in style.split(",")]


# ------------------------------------------------------------------------------------- show


def test_show_prints_a_cassette_as_stable_text_with_test_seams_contract_lines_and_payloads(
    recorded_app: LayeredApp,
) -> None:
    """The text names the test, each seam once in order, its contract and the payloads,
    and is the same bytes every time (git's textconv needs that)."""
    first = seamrec(recorded_app.root, "show", PROFILE)
    second = seamrec(recorded_app.root, "show", PROFILE)

    assert (0, "") == (first.returncode, first.stderr)
    assert first.stdout == second.stdout
    lines = first.stdout.splitlines()
    assert [
        "seamrec cassette (format 1)",
        "test: tests/test_api.py::test_profile",
        "calls: 3 across 3 seams",
    ] == lines[:3]
    assert [
        "## app.api:get_profile  (1 call)",
        "## app.repo:get_user  (1 call)",
        "## app.service:profile  (1 call)",
    ] == [line for line in lines if line.startswith("## ")]
    assert {
        "called by: app.service",
        "  return['body']['id']: int",
        "  return['email']: str<email>",
        "  return['address']['zip']: str<int-text>",
        "call 1 from app.service: return",
        "  args: {'user_id': 1}",
        "  return: {'status': 200, 'body': {'id': 1, 'name': 'Ada'}}",
    } <= set(lines)
    assert "'email': 'ada@example.org'," in first.stdout


def test_show_format_json_has_the_seams_their_calls_and_contracts_but_no_values(
    recorded_app: LayeredApp,
) -> None:
    """`--format json` is one JSON document of shapes and counts, without payload values."""
    done = seamrec(recorded_app.root, "show", "--format", "json", UNKNOWN_USER)

    assert 0 == done.returncode
    document = json.loads(done.stdout)
    assert "tests/test_api.py::test_unknown_user" == document["test"]
    assert 3 == document["calls"]
    assert ["app.api:get_profile", "app.repo:get_user", "app.service:profile"] == list(
        document["seams"]
    )
    get_user = document["seams"]["app.repo:get_user"]
    assert {"calls": 1, "callers": ["app.service"]} == {
        k: get_user[k] for k in ("calls", "callers")
    }
    assert ["args.user_id: int", "raise: KeyError", "raise.args[0]: int"] == get_user["contract"]
    assert "99" not in done.stdout


def test_show_a_seam_id_prints_its_contract_merged_over_every_cassette(
    recorded_app: LayeredApp,
) -> None:
    """A seam id gives the contract block of that seam over all tests: the keys of the
    tests where it returned and the exception of the test where it raised."""
    text = seamrec(recorded_app.root, "show", "app.repo:get_user")
    as_json = seamrec(recorded_app.root, "show", "app.repo:get_user", "--format", "json")

    assert (0, "") == (text.returncode, text.stderr)
    assert [
        "## app.repo:get_user",
        "called by: app.service",
        "  args.user_id: int",
        "  return: dict",
        "  return['address']: dict",
        "  return['address']['city']: str",
        "  return['address']['zip']: str<int-text>",
        "  return['created_at']: int<epoch-us>",
        "  return['email']: str<email>",
        "  return['id']: int",
        "  return['name']: str",
        "  raise: KeyError",
        "  raise.args[0]: int",
        "tests:",
        "  tests/test_api.py::test_orders_by_route",
        "  tests/test_api.py::test_profile",
        "  tests/test_api.py::test_unknown_user",
        "  tests/test_orders.py::test_order_summary",
    ] == text.stdout.splitlines()
    assert {"seam": "app.repo:get_user", "contract": text.stdout.splitlines()} == json.loads(
        as_json.stdout
    )


def test_show_warns_about_an_unreadable_cassette_and_reads_the_others(
    recorded_app: LayeredApp,
) -> None:
    """A broken cassette next to good ones is a warning naming it, not an error."""
    (recorded_app.root / UNKNOWN_USER).write_bytes(b"")

    done = seamrec(recorded_app.root, "show", "app.repo:get_user")

    assert 0 == done.returncode
    [warning] = done.stderr.splitlines()
    assert warning.startswith("seamrec: warning: skipped ")
    assert warning.endswith("test_unknown_user.msgpack: is empty")
    assert "  raise: KeyError" not in done.stdout.splitlines()
    assert "  return['email']: str<email>" in done.stdout.splitlines()


@pytest.mark.parametrize(
    ("seam", "hint"),
    [
        ("app.repo:get_usr", "; did you mean app.repo:get_user?"),
        ("billing.invoices:total", "; `seamrec map` lists every seam"),
    ],
)
def test_show_an_unknown_seam_id_is_a_one_line_error_with_a_hint(
    recorded_app: LayeredApp, seam: str, hint: str
) -> None:
    """An id no cassette recorded is exit 2, one line, with the closest id when there is one."""
    done = seamrec(recorded_app.root, "show", seam)

    line = assert_usage_error(done, f"unknown seam id {seam!r}: no cassette recorded it")
    assert line.endswith(hint)


def test_show_of_neither_file_nor_seam_id_is_a_one_line_error(
    pytester: pytest.Pytester,
) -> None:
    """A word without a colon that names no file is neither target `show` takes."""
    done = seamrec(pytester.path, "show", "get_user")

    assert_usage_error(done, "get_user: no such cassette file, and not a seam id")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (random.Random(7).randbytes(64), "is not a seamrec cassette"),
        (b"just some text\n", "is not a seamrec cassette (no seamrec header)"),
        (None, "cannot be read (No such file or directory)"),
    ],
    ids=["empty", "random-bytes", "text", "missing"],
)
def test_show_of_a_file_that_is_no_cassette_is_a_one_line_error_naming_the_file(
    pytester: pytest.Pytester, content: bytes | None, problem: str
) -> None:
    """Whatever is wrong with the file, the error names it and says what is wrong."""
    if content is not None:
        (pytester.path / "odd.msgpack").write_bytes(content)

    done = seamrec(pytester.path, "show", "odd.msgpack")

    assert_usage_error(done, f"seamrec: error: odd.msgpack: {problem}")


def test_show_of_a_truncated_cassette_is_a_one_line_error(
    pytester: pytest.Pytester, baseline: Path
) -> None:
    """A real cassette cut short is reported as truncated, not as a crash."""
    data = (baseline / "tests/test_api/test_profile.msgpack").read_bytes()
    (pytester.path / "cut.msgpack").write_bytes(data[: len(data) // 2])

    done = seamrec(pytester.path, "show", "cut.msgpack")

    assert_usage_error(done, "cut.msgpack: is truncated or corrupt")


# ------------------------------------------------------------------------------------- diff


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


# ------------------------------------------------------------------------------------ prune


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
    assert "tests/test_api.py::test_unknown_user" in (contracts / "app.repo.txt").read_text()

    deleted = seamrec(recorded_app.root, "prune", "--yes")

    assert 0 == deleted.returncode
    assert (
        f"deleted: {UNKNOWN_USER}  (tests/test_api.py::test_unknown_user)"
        == (deleted.stdout.splitlines()[0])
    )
    assert "contract updated: cassettes/contracts/app.repo.txt" in deleted.stdout.splitlines()
    every_contract = "".join(p.read_text() for p in contracts.glob("*.txt"))
    assert "test_unknown_user" not in every_contract
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


# -------------------------------------------------------------------------------------- map


def test_map_draws_an_edge_per_seam_and_caller_with_the_seams_call_count(
    recorded_app: LayeredApp,
) -> None:
    """Modules are nodes, callers outside the boundaries are one node, and each edge
    carries its seam's calls over all tests; nothing is highlighted without --base/--report.
    order_summary is called from app.api and from a test, so it has two edges."""
    done = seamrec(recorded_app.root, "map")

    assert (0, "") == (done.returncode, done.stderr)
    assert done.stdout.startswith("flowchart LR\n")
    assert [
        (OUTSIDE, "get_orders", 1, "app.api"),
        (OUTSIDE, "get_profile", 2, "app.api"),
        ("app.service", "get_user", 4, "app.repo"),
        ("app.service", "order_rows", 2, "app.repo"),
        ("app.api", "order_summary", 2, "app.service"),
        (OUTSIDE, "order_summary", 2, "app.service"),
        ("app.api", "profile", 2, "app.service"),
    ] == edges(done.stdout)
    assert 7 == done.stdout.count("-->")
    assert [] == highlighted(done.stdout)


def test_map_format_markdown_wraps_the_same_graph_in_a_mermaid_block(
    recorded_app: LayeredApp,
) -> None:
    """The Markdown form is the text form inside a ```mermaid fence."""
    text = seamrec(recorded_app.root, "map")
    markdown = seamrec(recorded_app.root, "map", "--format", "markdown")

    assert 0 == markdown.returncode
    assert f"```mermaid\n{text.stdout}```\n" == markdown.stdout


def test_map_base_highlights_the_seam_whose_key_was_renamed(recorded_app: LayeredApp) -> None:
    """`--base HEAD` adds one linkStyle line for the edge of the changed seam only."""
    commit_all(recorded_app.root, "recorded")
    rename_email_and_record(recorded_app)

    done = seamrec(recorded_app.root, "map", "--base", "HEAD")

    assert 0 == done.returncode
    assert ["get_user"] == highlighted(done.stdout)
    assert "  linkStyle 2 stroke:#d73a49,stroke-width:3px,color:#d73a49\n" in done.stdout


def test_map_report_highlights_the_seam_a_checking_run_found_drifted(
    recorded_app: LayeredApp,
) -> None:
    """The JSON of `pytest --check-seams --seams-report` after a drift marks that seam."""
    recorded_app.edit("app/repo.py", '"email": email', '"email_address": email')
    recorded_app.check("--seams-report=r.json").assert_outcomes(passed=1, failed=3)

    done = seamrec(recorded_app.root, "map", "--report", "r.json")

    assert 0 == done.returncode
    assert ["get_user"] == highlighted(done.stdout)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "FileNotFoundError"),
        ("not json", "JSONDecodeError"),
        ('{"title": "x"}', "KeyError: 'seams'"),
        ('{"seams": [1]}', "TypeError"),
    ],
    ids=["missing", "not-json", "no-seams", "bad-seams"],
)
def test_map_report_that_is_no_seamrec_report_is_a_one_line_error(
    layered_app: LayeredApp, content: str | None, problem: str
) -> None:
    """The error names the file, what is wrong with it and how to write a good one."""
    if content is not None:
        layered_app.write("bad.json", content)

    done = seamrec(layered_app.root, "map", "--report", "bad.json")

    line = assert_usage_error(done, "--report bad.json: not a seamrec JSON report", problem)
    assert line.endswith("write one with pytest --check-seams --seams-report=seams.json")


# -------------------------------------------------------------------------------- git-setup


def test_git_setup_makes_git_diff_show_a_cassette_as_text_and_is_idempotent(
    recorded_app: LayeredApp,
) -> None:
    """Before: "Binary files differ". After git-setup (run twice: one attributes line,
    appended to the existing file): the contract lines of the renamed key."""
    root = recorded_app.root
    (root / ".gitattributes").write_text("*.png binary")  # no final newline
    commit_all(root, "recorded")
    rename_email_and_record(recorded_app)
    assert "Binary files" in git(root, "--no-pager", "diff", "--", PROFILE)

    first = seamrec(root, "git-setup")
    second = seamrec(root, "git-setup")

    assert (0, 0) == (first.returncode, second.returncode)
    assert (
        "*.png binary\ncassettes/**/*.msgpack diff=seamrec\n"
        == (root / ".gitattributes").read_text()
    )
    assert second.stdout.startswith(f"{root / '.gitattributes'} already has: ")
    textconv = git(root, "config", "--local", "diff.seamrec.textconv").strip()
    assert f"{shlex.quote(sys.executable)} -m seamrec show" == textconv
    diff = git(root, "--no-pager", "diff", "--", PROFILE)
    assert "Binary files" not in diff
    assert "-  return['email']: str<email>" in diff.splitlines()
    assert "+  return['email_address']: str<email>" in diff.splitlines()
    assert "+           'email_address': 'ada@example.org'," in diff.splitlines()


def test_git_setup_outside_a_git_repository_is_a_one_line_error(layered_app: LayeredApp) -> None:
    """There is no clone to configure, and nothing is written."""
    done = seamrec(layered_app.root, "git-setup")

    assert_usage_error(done, "is not inside a git repository")
    assert not (layered_app.root / ".gitattributes").exists()


# ------------------------------------------------------------------------- --root and usage


def test_root_points_the_commands_at_a_project_from_another_directory(
    recorded_app: LayeredApp, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """From a directory outside the project, `--root` finds its settings, cassettes and
    repository; without it the same command finds no project."""
    commit_all(recorded_app.root, "recorded")
    rename_email_and_record(recorded_app)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    root = str(recorded_app.root)

    shown = seamrec(elsewhere, "--root", root, "show", "app.repo:get_user")
    diffed = seamrec(elsewhere, "--root", root, "diff")
    pruned = seamrec(elsewhere, "--root", root, "prune")
    lost = seamrec(elsewhere, "show", "app.repo:get_user")

    assert (0, "## app.repo:get_user") == (shown.returncode, shown.stdout.splitlines()[0])
    assert 1 == diffed.returncode
    assert "key renamed?    return['email'] → return['email_address']" in diffed.stdout
    assert (0, "no stale cassettes\n") == (pruned.returncode, pruned.stdout)
    assert_usage_error(lost, "no pyproject.toml", "or point --root at it")


def test_root_that_is_no_directory_is_a_one_line_error(pytester: pytest.Pytester) -> None:
    """A mistyped --root names itself."""
    done = seamrec(pytester.path, "--root", "no/such/dir", "map")

    assert_usage_error(done, "--root no/such/dir: no such directory")


def test_seamrec_without_a_command_prints_the_usage_and_exits_2(
    pytester: pytest.Pytester,
) -> None:
    """The command is required; argparse's usage and error go to stderr."""
    done = seamrec(pytester.path)

    assert (2, "") == (done.returncode, done.stdout)
    assert done.stderr.startswith("usage: seamrec ")
    assert "seamrec: error: the following arguments are required: COMMAND" in done.stderr
    assert "Traceback" not in done.stderr


def test_root_after_the_command_works_like_before_it(
    recorded_app: LayeredApp, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`seamrec show SEAM --root DIR` is read the same as `seamrec --root DIR show SEAM`."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    root = str(recorded_app.root)

    before = seamrec(elsewhere, "--root", root, "show", "app.repo:get_user")
    after = seamrec(elsewhere, "show", "app.repo:get_user", "--root", root)

    assert (0, before.stdout) == (after.returncode, after.stdout)
    assert after.stdout.startswith("## app.repo:get_user")


def test_diff_in_a_repository_without_commits_says_to_commit_first(
    recorded_app: LayeredApp,
) -> None:
    """`HEAD` of a fresh repository is no unknown revision the user mistyped."""
    git(recorded_app.root, "init", "-q")

    done = seamrec(recorded_app.root, "diff")

    assert_usage_error(done, "the repository has no commits yet; commit the cassettes first")


def test_show_into_a_reader_that_stops_early_is_no_error(recorded_app: LayeredApp) -> None:
    """`seamrec show CASSETTE | head` ends quietly when the reader stops: here the reader
    (`true`) is gone before seamrec writes a byte."""
    command = f"{shlex.quote(sys.executable)} -m seamrec show {PROFILE} | true"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=recorded_app.root,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )

    assert (0, "") == (done.returncode, done.stderr)


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


def test_show_of_a_directory_is_a_one_line_error(recorded_app: LayeredApp) -> None:
    """`seamrec show cassettes` names the directory and what to give instead."""
    done = seamrec(recorded_app.root, "show", "cassettes")

    assert_usage_error(done, "cassettes is a directory: give one cassette file, or a seam id")


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
