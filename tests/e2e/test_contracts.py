"""Contracts and stale cassettes: what a `--record-seams` run does once every test has run.

The unit tests build shapes by hand (or from plain values) and check how `SeamContract`
merges them into lines. The end-to-end tests run the layered app in real pytest
subprocesses, and the git ones commit its cassettes in a real git repository: a contract
must change in git exactly when a shape changed, and never because a value did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import LayeredApp, examples, seamrec_summary
from seamrec.cassette.store import Call, Cassette, Run
from seamrec.model.shape import Shape, args_shape, canonical, make_shape_function
from seamrec.review.contract import (
    CONTRACTS_DIR,
    HEADER,
    SeamContract,
    merged,
    render_files,
    write_contracts,
)

shape_of = make_shape_function()

INT: Shape = ("int",)
STR: Shape = ("str",)
NONE: Shape = ("None",)
USER_OBJ: Shape = (
    "obj",
    "app.models.User",
    ("name", "tags"),
    ((STR,), (("coll", "list", (STR,)),)),
)

# (root, shape) pairs of one seam, each a different call; the order tests shuffle them.
SHAPES: list[tuple[str, Shape]] = [
    ("args", args_shape(("user_id",), [INT])),
    ("args", args_shape(("user_id", "verbose"), [INT, ("bool",)])),
    ("return", shape_of({"id": 1, "email": "a@b", "address": {"zip": "1"}})),
    ("return", shape_of({"id": 1, "email": None, "address": {"zip": "1", "city": "B"}})),
    ("return", shape_of({"id": 1, "email": "a@b", "nick": "x"})),
    ("return", NONE),
    ("return", USER_OBJ),
    ("return", shape_of([[{"x": 1}], [{"x": 1, "y": 2.0}]])),
    ("raise", shape_of(KeyError(99))),
    ("raise", shape_of(LookupError("gone", 3))),
    ("yield", shape_of((1, "a"))),
]


def contract_of(pairs: list[tuple[str, Shape]]) -> SeamContract:
    """A contract of the seam `app.repo:get_user` with `pairs` added in the given order."""
    contract = SeamContract("app.repo:get_user")
    for root, shape in pairs:
        contract.add_shape(root, canonical(shape))
    return contract


def entry_lines(contract: SeamContract) -> list[str]:
    return [entry.line() for entry in contract.entries()]


# -------------------------------------------------------------------- merging shapes


def test_a_key_only_some_dicts_had_is_optional_and_none_is_listed_after_the_other_types() -> None:
    """`?` marks a key that some recorded dicts lacked; None comes last in a union."""
    contract = contract_of(
        [
            ("return", shape_of({"id": 1, "email": "a@b"})),
            ("return", shape_of({"id": 2, "email": None, "nick": "x"})),
            ("return", shape_of({"id": 3, "email": 7})),
        ]
    )

    assert [
        "return: dict",
        "return['email']: int | str | None",
        "return['id']: int",
        "return['nick']?: str",
    ] == entry_lines(contract)


def test_a_value_that_is_sometimes_none_does_not_make_its_keys_optional() -> None:
    """None at a path is a type of that path, not a record that lacks the keys below it."""
    contract = contract_of(
        [("return", shape_of({"body": {"id": 1}})), ("return", shape_of({"body": None}))]
    )

    assert [
        "return: dict",
        "return['body']: dict | None",
        "return['body']['id']: int",
    ] == entry_lines(contract)


def test_paths_name_list_items_object_fields_exception_args_and_arguments() -> None:
    """`[*]` for any element, `.name` for a field, `raise.args[0]`, `args.name`; the
    roots come in the order args, return, raise, yield."""
    contract = contract_of(
        [
            ("yield", shape_of((1, "a"))),
            ("raise", shape_of(KeyError(99))),
            ("return", shape_of([[{"x": 1}]])),
            ("args", args_shape(("user", "limit"), [USER_OBJ, INT])),
        ]
    )

    assert [
        "args.limit: int",
        "args.user: app.models.User",
        "args.user.name: str",
        "args.user.tags: list",
        "args.user.tags[*]: str",
        "return: list",
        "return[*]: list",
        "return[*][*]: dict",
        "return[*][*]['x']: int",
        "raise: KeyError",
        "raise.args[0]: int",
        "yield: tuple",
        "yield[0]: int",
        "yield[1]: str",
    ] == entry_lines(contract)


def test_the_items_of_a_list_are_not_optional_when_a_dict_was_seen_at_the_same_path() -> None:
    """`?` is for keys some records lacked; list items are no key of the dict seen beside
    the list (its own keys are not marked `?` for the list lacking them either)."""
    contract = contract_of([("return", shape_of({"a": 1})), ("return", shape_of([1]))])

    assert ["return: dict | list", "return[*]: int", "return['a']: int"] == entry_lines(contract)


def test_a_lines_block_names_the_seam_and_its_tests_sorted_but_not_its_callers() -> None:
    """`lines()` is the block a contract file holds for one seam. Callers are known from
    the calls whose payloads were kept only, which can vary: they are not in the file."""
    contract = contract_of([("args", args_shape(("user_id",), [INT])), ("return", NONE)])
    contract.callers |= {"app.service", "app.api"}
    contract.tests |= {"tests/test_b.py::test_b", "tests/test_a.py::test_a"}

    assert [
        "## app.repo:get_user",
        "  args.user_id: int",
        "  return: None",
        "tests:",
        "  tests/test_a.py::test_a",
        "  tests/test_b.py::test_b",
    ] == contract.lines()


@settings(max_examples=examples(60), deadline=None)
@given(order=st.permutations(SHAPES), cut=st.integers(0, len(SHAPES)))
def test_the_lines_do_not_depend_on_the_order_the_shapes_came_in(
    order: list[tuple[str, Shape]], cut: int
) -> None:
    """Shapes added in any order, or split over two tests' contracts and merged, give the
    same lines as adding them in their listed order."""
    expected = contract_of(SHAPES).lines()
    first, second = contract_of(order[:cut]), contract_of(order[cut:])
    first.merge(second)

    assert expected == contract_of(order).lines()
    assert expected == first.lines()
    assert "  return['nick']?: str" in expected  # the merge kept optionality
    assert "  return['address']['city']?: str" in expected
    assert "  return[*][*]['y']?: float" in expected


# ---------------------------------------------------------- contracts of cassettes


def cassette(test: str, seams: dict[str, tuple[str, list[tuple[Shape, Shape]]]]) -> Cassette:
    """A cassette of `test`: each seam with its caller and (args, return) shape pairs."""
    made = Cassette(test)
    for seam, (caller, calls) in seams.items():
        made.runs[seam] = [Run(a, "return", r, 1) for a, r in calls]
        made.calls += [
            Call(seam, caller, i, a, "return", r, None, None) for i, (a, r) in enumerate(calls)
        ]
    return made


ID_ARGS = args_shape(("user_id",), [INT])
CASSETTES = [
    cassette(
        "tests/test_a.py::test_one",
        {
            "app.repo:get_user": ("app.service", [(ID_ARGS, shape_of({"id": 1}))]),
            "app.api:get_profile": ("test_a", [(ID_ARGS, NONE)]),
        },
    ),
    cassette(
        "tests/test_b.py::test_two",
        {
            "app.repo:get_user": ("app.api", [(ID_ARGS, shape_of({"id": 1, "name": "A"}))]),
            "app.repo:order_rows": ("app.service", [(ID_ARGS, shape_of([(1, 2)]))]),
        },
    ),
]


def test_merged_contracts_gather_every_test_and_caller_and_files_are_grouped_by_module() -> None:
    """One file per callee module, starting with the header, seams in sorted order, each
    merged over every cassette that recorded it."""
    files = render_files(merged(CASSETTES))

    assert ["app.api", "app.repo"] == sorted(files)
    repo = files["app.repo"]
    assert repo.startswith(f"{HEADER} of module app.repo\n")
    assert repo.endswith("\n")
    assert "app.api:" not in repo
    blocks = repo.split("\n\n")
    assert [
        "## app.repo:get_user",
        "  args.user_id: int",
        "  return: dict",
        "  return['id']: int",
        "  return['name']?: str",
        "tests: tests/test_a.py (1), tests/test_b.py (1)",
    ] == blocks[1].splitlines()
    assert blocks[2].startswith("## app.repo:order_rows\n  args.")
    assert 3 == len(blocks)
    assert files["app.api"].startswith(f"{HEADER} of module app.api\n")
    assert "\n## app.api:get_profile\n" in files["app.api"]
    assert render_files(merged(reversed(CASSETTES))) == files


def test_write_contracts_rewrites_only_changed_files_and_removes_only_its_own(
    tmp_path: Path,
) -> None:
    """Unchanged text is not rewritten; a module with no seams left loses its file; a
    .txt without the seamrec header is someone else's and stays."""
    first = write_contracts(tmp_path, CASSETTES)
    folder = tmp_path / CONTRACTS_DIR
    notes = folder / "NOTES.txt"
    notes.write_text("why app.repo is a seam\n")
    repo_file = folder / "app.repo.txt"
    os.utime(repo_file, ns=(1_000_000_000, 1_000_000_000))

    second = write_contracts(tmp_path, CASSETTES[1:])

    assert ["app.api.txt", "app.repo.txt"] == [p.name for p in first.written]
    assert [repo_file] == second.written  # test_one's get_user call is gone from it
    assert [folder / "app.api.txt"] == second.removed
    assert ["NOTES.txt", "app.repo.txt"] == sorted(p.name for p in folder.iterdir())
    assert "why app.repo is a seam\n" == notes.read_text()
    os.utime(repo_file, ns=(1_000_000_000, 1_000_000_000))
    third = write_contracts(tmp_path, CASSETTES[1:])
    assert (1, [], []) == (third.unchanged, third.written, third.removed)
    assert 1_000_000_000 == repo_file.stat().st_mtime_ns


# ------------------------------------------------------------------ git end to end

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@e",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@e",
}
# What pytester's runs leave in the project that a developer would not commit.
GITIGNORE = "/stdout\n/stderr\n/runpytest-*\n__pycache__/\n"


def git(root: Path, *args: str) -> str:
    """Run git in `root`; its stdout (a failing git command fails the test)."""
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == done.returncode, done.stderr
    return done.stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def changed_lines(diff: str) -> list[str]:
    """The removed and added lines of a unified diff, without the file headers."""
    return [
        line
        for line in diff.splitlines()
        if line[:1] in ("-", "+") and not line.startswith(("---", "+++"))
    ]


def test_in_git_contracts_change_only_when_a_key_changes_not_when_values_do(
    layered_app: LayeredApp,
) -> None:
    """Re-recording an unchanged suite, or one whose values changed, leaves the work tree
    clean; renaming a returned key changes exactly that line of the contract."""
    root = layered_app.root
    layered_app.write(".gitignore", GITIGNORE)
    git(root, "init", "-q")
    layered_app.record().assert_outcomes(passed=3)
    assert {"app.api.txt", "app.repo.txt", "app.service.txt"} == {
        p.name for p in (layered_app.cassettes / CONTRACTS_DIR).iterdir()
    }
    commit_all(root, "record")
    assert "" == git(root, "status", "--porcelain", "--untracked-files=all")

    unchanged = layered_app.record()

    unchanged.assert_outcomes(passed=3)
    assert "" == git(root, "status", "--porcelain", "--untracked-files=all")
    assert "contracts: 0 written, 3 unchanged, 0 removed" in seamrec_summary(unchanged)

    # New values of the same types: every one of them crosses the app.repo:get_user seam.
    layered_app.edit("app/repo.py", "'Berlin'", "'Paris'")
    layered_app.edit("app/repo.py", "'10115'", "'75001'")
    layered_app.edit("app/repo.py", "(11, 1, 990)", "(11, 1, 12345)")
    commit_all(root, "new values")
    values = layered_app.record()

    values.assert_outcomes(passed=3)
    assert "" == git(root, "status", "--porcelain", "--untracked-files=all")
    assert {
        "cassettes: 0 written, 3 unchanged, 0 kept because the test failed",
        "contracts: 0 written, 3 unchanged, 0 removed",
    } <= set(seamrec_summary(values))

    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')
    commit_all(root, "rename a key")
    renamed = layered_app.record()

    renamed.assert_outcomes(passed=3)
    assert [
        " M cassettes/contracts/app.repo.txt",
        " M cassettes/tests/test_api/test_orders_by_route.msgpack",
        " M cassettes/tests/test_api/test_profile.msgpack",
    ] == git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
    diff = git(root, "diff", "-U0", "--", f"cassettes/{CONTRACTS_DIR}")
    assert [
        "-  return['email']: str<email>",
        "+  return['email_address']: str<email>",
    ] == changed_lines(diff)
    assert 1 == sum(line.startswith("@@ ") for line in diff.splitlines())  # adjacent lines


# ------------------------------------------------------ contract files that go away

EXTRA_MODULE = """\
def shout(text: str) -> str:
    return text.upper()
"""

EXTRA_TEST = """\
from app import extra, repo


def test_extra():
    assert "HI" == extra.shout("hi")
    assert "Ada" == repo.get_user(1)["name"]
"""


def test_a_module_whose_seams_all_disappear_loses_its_contract_file_and_foreign_files_stay(
    layered_app: LayeredApp,
) -> None:
    """The file of a callee module no cassette mentions any more is removed by the next
    record run; .txt files without the seamrec header are left as they are."""
    layered_app.write("app/extra.py", EXTRA_MODULE)
    layered_app.write("tests/test_extra.py", EXTRA_TEST)
    folder = layered_app.cassettes / CONTRACTS_DIR
    foreign = {
        "NOTES.txt": "Review these in every pull request.\n",
        "app.legacy.txt": "# contract of module app.legacy, kept by hand\n",
    }
    for name, text in foreign.items():
        layered_app.write(f"cassettes/{CONTRACTS_DIR}/{name}", text)
    first = layered_app.record()
    first.assert_outcomes(passed=4)
    assert "contracts: 4 written, 0 unchanged, 0 removed" in seamrec_summary(first)
    assert "## app.extra:shout" in (folder / "app.extra.txt").read_text()

    layered_app.edit("tests/test_extra.py", '    assert "HI" == extra.shout("hi")\n', "")
    second = layered_app.record()

    second.assert_outcomes(passed=4)
    summary = seamrec_summary(second)
    start = summary.index("contracts: 0 written, 3 unchanged, 1 removed")
    assert ["  removed: cassettes/contracts/app.extra.txt"] == summary[start + 1 : start + 2]
    assert [
        "NOTES.txt",
        "app.api.txt",
        "app.legacy.txt",
        "app.repo.txt",
        "app.service.txt",
    ] == sorted(p.name for p in folder.iterdir())
    assert foreign == {name: (folder / name).read_text() for name in foreign}


# ------------------------------------------------------------------ stale cassettes

NOT_LOOKED_FOR = "stale cassettes: not looked for (only part of the suite ran)"
UNKNOWN_USER_TEST = """\
def test_unknown_user():
    assert get_profile(99) == {"status": 404, "body": None}


"""
EXTRA_TESTS = """\
from app.service import order_summary, profile


def test_extra_profile():
    assert "Ada" == profile(1)["name"]


def test_extra_orders():
    assert {"count": 2} == order_summary(1)
"""
SKIPPABLE_TESTS = """\
import pytest
from app.service import profile


def test_skippable():
    assert profile(99) is None
"""
FILTER_CONFTEST = """\
import os


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DESELECT"):
        gone = [item for item in items if item.name == os.environ["DESELECT"]]
        items[:] = [item for item in items if item not in gone]
        config.hook.pytest_deselected(items=gone)


def pytest_runtest_call(item):
    assert item.name != os.environ.get("FAIL")
"""


def stale_block(result: pytest.RunResult) -> list[str]:
    """The summary's lines about stale cassettes, from the first that mentions them."""
    summary = seamrec_summary(result)
    start = next((i for i, line in enumerate(summary) if "stale cassette" in line), len(summary))
    return summary[start:]


def stale_entry(test_file: str, name: str) -> str:
    stem = test_file.removesuffix(".py")
    return f"  cassettes/{stem}/{name}.msgpack  ({test_file}::{name})"


@pytest.fixture
def shrunk_suite(layered_app: LayeredApp) -> LayeredApp:
    """Recorded with three more test files; then one test function and one test file are
    deleted, one test is marked skip, and one file skips itself as a whole at import."""
    layered_app.write("tests/test_extra.py", EXTRA_TESTS)
    layered_app.write("tests/test_skippable.py", SKIPPABLE_TESTS)
    layered_app.write("tests/conftest.py", FILTER_CONFTEST)
    full = layered_app.record()
    full.assert_outcomes(passed=6)
    assert [] == stale_block(full)
    assert 6 == len(layered_app.recorded())

    layered_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, "")
    (layered_app.root / "tests/test_extra.py").unlink()
    layered_app.edit(
        "tests/test_api.py",
        "def test_orders_by_route():",
        'import pytest\n\n\n@pytest.mark.skip(reason="flaky")\ndef test_orders_by_route():',
    )
    layered_app.edit(
        "tests/test_skippable.py",
        "import pytest\n",
        'import pytest\n\npytest.skip("not on this platform", allow_module_level=True)\n',
    )
    return layered_app


def test_a_full_record_run_lists_the_cassettes_whose_tests_are_gone_as_stale(
    shrunk_suite: LayeredApp,
) -> None:
    """A deleted test function and every test of a deleted file are stale, whether the run
    names no path, the test directory, or (for its own tests) one file; a skipped test and
    a file skipped at module level are not; nothing is deleted."""
    expected = [
        "3 stale cassettes (their tests no longer exist; `seamrec prune --yes` deletes them):",
        stale_entry("tests/test_api.py", "test_unknown_user"),
        stale_entry("tests/test_extra.py", "test_extra_orders"),
        stale_entry("tests/test_extra.py", "test_extra_profile"),
    ]

    full = shrunk_suite.record()
    directory = shrunk_suite.record("tests")
    one_file = shrunk_suite.record("tests/test_api.py")

    full.assert_outcomes(passed=1, skipped=2)
    assert expected == stale_block(full)
    assert expected == stale_block(directory)
    assert [
        "1 stale cassette (their tests no longer exist; `seamrec prune --yes` deletes them):",
        stale_entry("tests/test_api.py", "test_unknown_user"),
    ] == stale_block(one_file)
    assert 6 == len(shrunk_suite.recorded())


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("-k", "profile"), ""),
        (("tests/test_api.py::test_profile",), ""),
        (("--deselect", "tests/test_api.py::test_profile"), ""),
        (("--ignore", "tests/test_skippable.py"), ""),
        (("-m", "not slow"), ""),
        ((), "DESELECT=test_profile"),
        (("-x",), "FAIL=test_profile"),
    ],
    ids=["-k", "node id", "--deselect", "--ignore", "-m", "plugin deselects", "-x stops"],
)
def test_a_run_of_part_of_the_suite_does_not_look_for_stale_cassettes(
    shrunk_suite: LayeredApp, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: str
) -> None:
    """Any filter makes a missing test no evidence: the summary says so and lists none."""
    if env:
        monkeypatch.setenv(*env.split("="))

    result = shrunk_suite.record(*args)

    assert [NOT_LOOKED_FOR] == stale_block(result)
    assert 6 == len(shrunk_suite.recorded())


# ------------------------------------------------------------------------ xdist

MORE_TESTS = """\
import pytest
from app.api import get_orders, get_profile


@pytest.mark.parametrize("user_id", [1, 2, 99])
def test_profile_status(user_id):
    assert get_profile(user_id)["status"] in (200, 404)


def test_orders():
    assert {"count": 2} == get_orders(1)["body"]
"""


def contract_texts(app: LayeredApp) -> dict[str, str]:
    folder = app.cassettes / CONTRACTS_DIR
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_a_parallel_record_writes_the_contracts_of_a_serial_one_and_finds_stale_cassettes(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under xdist the controller writes the same contract files as a serial run, sees the
    deselection a worker made, and lists stale cassettes after a full run."""
    layered_app.write("tests/test_more.py", MORE_TESTS)
    layered_app.write("tests/conftest.py", FILTER_CONFTEST)
    layered_app.record().assert_outcomes(passed=7)
    serial = contract_texts(layered_app)
    shutil.rmtree(layered_app.cassettes)

    parallel = layered_app.record("-n", "2")

    parallel.assert_outcomes(passed=7)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers"])
    assert ["app.api.txt", "app.repo.txt", "app.service.txt"] == sorted(serial)
    assert serial == contract_texts(layered_app)
    assert "contracts: 3 written, 0 unchanged, 0 removed" in seamrec_summary(parallel)
    assert [] == stale_block(parallel)

    layered_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, "")
    monkeypatch.setenv("DESELECT", "test_orders")
    deselected = layered_app.record("-n", "2")
    monkeypatch.delenv("DESELECT")
    full = layered_app.record("-n", "2")

    deselected.assert_outcomes(passed=5)
    assert [NOT_LOOKED_FOR] == stale_block(deselected)
    full.assert_outcomes(passed=6)
    assert [
        "1 stale cassette (their tests no longer exist; `seamrec prune --yes` deletes them):",
        stale_entry("tests/test_api.py", "test_unknown_user"),
    ] == stale_block(full)
    assert serial == contract_texts(layered_app)  # the stale cassette still counts
