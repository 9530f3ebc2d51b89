"""Safety properties of the review features, end to end.

Each test runs real `pytest` subprocesses on the layered app (`layered_app`) and the real
`seamrec` command, and proves that a review feature cannot do harm: a plain run never reads
`[tool.seamrec]`, a broken cassette never silently rewrites the contracts, an interrupted
or machine-dependent run never calls a cassette stale, `show` output does not follow the
hash seed, and contract files do not depend on how (or how many workers) recorded them.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpers import (
    EXTRA_TESTS,
    UNKNOWN_USER_TEST,
    LayeredApp,
    assert_usage_error,
    clean_env,
    commit_all,
    crossings,
    seamrec,
    seamrec_process,
    seamrec_summary,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config

UNKNOWN_USER = "cassettes/tests/test_api/test_unknown_user.msgpack"
ORDER_SUMMARY = "cassettes/tests/test_orders/test_order_summary.msgpack"
NOT_LOOKED_FOR = "stale cassettes: not looked for (only part of the suite ran)"
OTHER_PARAMETERS = (
    "kept, their test functions exist with other parameters here "
    "(delete by hand if these parameters are gone for good):"
)


def contract_files(app: LayeredApp) -> dict[str, bytes]:
    """Every file in the contracts directory, by name."""
    folder = app.cassettes / "contracts"
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def summary(result: pytest.RunResult) -> list[str]:
    """The seamrec summary, without what pytest prints after it in the same section (the
    `!!! KeyboardInterrupt !!!` banner and the location of the interrupt)."""
    lines = seamrec_summary(result)
    end = next((i for i, line in enumerate(lines) if line.startswith("!")), len(lines))
    return lines[:end]


def lines_with(result: pytest.RunResult, word: str) -> list[str]:
    """The lines of the seamrec summary that contain `word`."""
    return [line for line in summary(result) if word in line]


def configure(app: LayeredApp, line: str) -> None:
    """Add a line to the project's `[tool.seamrec]` table."""
    app.edit("pyproject.toml", 'boundaries = ["app"]\n', f'boundaries = ["app"]\n{line}\n')


# ------------------------------------------- 1. a plain run never reads [tool.seamrec]


def test_a_plain_run_passes_whatever_unknown_key_the_seamrec_table_has(
    layered_app: LayeredApp,
) -> None:
    """Without a seamrec option the table is not read: an unknown key (which a record run
    rejects as a usage error) neither fails nor disturbs a plain `pytest` run."""
    configure(layered_app, "bogus = 1")

    plain = layered_app.run()
    recording = layered_app.record()

    plain.assert_outcomes(passed=3)
    assert pytest.ExitCode.OK == plain.ret
    assert "Traceback" not in plain.stdout.str() + plain.stderr.str()
    assert [] == seamrec_summary(plain)
    assert pytest.ExitCode.USAGE_ERROR == recording.ret
    assert "bogus" in recording.stderr.str()
    assert not layered_app.cassettes.exists()


# ---------------------------- 2. an unreadable cassette leaves the contract files alone


@pytest.mark.usefixtures("layered_cassettes")
def test_an_unreadable_cassette_leaves_every_contract_file_byte_identical_and_fails_the_run(
    layered_app: LayeredApp,
) -> None:
    """A record run that cannot read one cassette does not rewrite the contracts from the
    others (that would silently drop the broken test's lines), even when a shape it
    recorded changed; it says so and exits 1."""
    before = contract_files(layered_app)
    broken = layered_app.root / UNKNOWN_USER
    broken.write_bytes(b"\x00\xffnot a cassette\x00" * 8)
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')

    result = layered_app.record("-k", "test_profile")

    result.assert_outcomes(passed=1, deselected=2)
    assert pytest.ExitCode.TESTS_FAILED == result.ret
    assert {"app.api.txt", "app.repo.txt", "app.service.txt"} == set(before)
    assert before == contract_files(layered_app)
    lines = summary(result)
    assert "cassettes: 1 written, 0 unchanged, 0 kept because the test failed" in lines
    assert "contracts: not updated, a cassette cannot be read (see the error below)" in lines
    [error] = [line for line in lines if line.startswith("error:")]
    assert "tests/test_api/test_unknown_user.msgpack: " in error
    assert error.endswith("the contract files were left as they were (fix or re-record it)")


# ------------------------------------ 3. an interrupted record run calls nothing stale

INTERRUPT = """\
def test_interrupt():
    raise KeyboardInterrupt


"""
EXIT_WITH_0 = """\
def test_exit():
    pytest.exit("enough for today", returncode=0)


"""


def test_a_record_run_interrupted_by_ctrl_c_calls_no_cassette_stale(
    layered_app: LayeredApp,
) -> None:
    """Ctrl-C stops a run after test_profile, before test_orders_by_route (same file) and
    test_orders.py ran: none of their cassettes, nor the deleted test_unknown_user's, is
    listed as stale. The same suite run in full lists exactly the deleted test's."""
    layered_app.write("tests/test_orders.py", EXTRA_TESTS)
    layered_app.record().assert_outcomes(passed=4)
    layered_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, INTERRUPT)

    interrupted = layered_app.record()
    layered_app.edit("tests/test_api.py", INTERRUPT, "")
    full = layered_app.record()

    assert pytest.ExitCode.INTERRUPTED == interrupted.ret
    interrupted.stdout.fnmatch_lines(["tests/test_api.py .", "*KeyboardInterrupt*"])
    assert [NOT_LOOKED_FOR] == lines_with(interrupted, "stale")
    for test in ("test_orders_by_route", "test_order_summary", "test_unknown_user"):
        assert [] == lines_with(interrupted, test)
    assert (layered_app.root / ORDER_SUMMARY).is_file()
    full.assert_outcomes(passed=3)
    assert [
        "1 stale cassette (their tests no longer exist; `seamrec prune --yes` deletes them):",
        f"  {UNKNOWN_USER}  (tests/test_api.py::test_unknown_user)",
    ] == lines_with(full, "stale") + lines_with(full, "test_unknown_user")


@pytest.mark.usefixtures("layered_cassettes")
def test_a_record_run_stopped_by_pytest_exit_with_status_0_calls_no_cassette_stale(
    layered_app: LayeredApp,
) -> None:
    """`pytest.exit(..., returncode=0)` in test_api.py stops the run after test_profile:
    test_orders_by_route did not run, so its cassette must not be called stale."""
    layered_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, EXIT_WITH_0)
    layered_app.edit("tests/test_api.py", "from app.api", "import pytest\nfrom app.api")

    stopped = layered_app.record()

    assert pytest.ExitCode.OK == stopped.ret
    stopped.stdout.fnmatch_lines(["tests/test_api.py .", "*Exit: enough for today*"])
    assert [] == lines_with(stopped, "test_orders_by_route")
    assert [NOT_LOOKED_FOR] == lines_with(stopped, "stale")


# ------------------------- 4. parameters that depend on the machine are never stale

PARAMETRIZED = """
import os

import pytest

from app.api import get_profile

PARAMS = ["a"] + (["b"] if os.environ.get("EXTRA") else [])


@pytest.mark.parametrize("name", PARAMS)
def test_param(name):
    assert 200 == get_profile(1)["status"]
"""
WITHOUT_THE_FUNCTION = """
from app.api import get_profile


def test_other():
    assert 200 == get_profile(1)["status"]
"""
PARAM_A = "cassettes/tests/test_param/test_param[a].msgpack"
PARAM_B = "cassettes/tests/test_param/test_param[b].msgpack"


def test_a_parameter_missing_on_this_machine_is_kept_until_its_function_is_deleted(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parameters can depend on the environment: a full record run and `prune --yes`
    without that environment keep the other parameter's cassette and say so; once the
    test function itself is gone, both parameters' cassettes are stale."""
    layered_app.write("tests/test_param.py", PARAMETRIZED)
    monkeypatch.setenv("EXTRA", "1")
    layered_app.record().assert_outcomes(passed=5)
    monkeypatch.delenv("EXTRA")

    without_extra = layered_app.record()
    pruned = seamrec(layered_app.root, "prune", "--yes")

    without_extra.assert_outcomes(passed=4)
    assert [OTHER_PARAMETERS, "  tests/test_param.py::test_param[b]"] == lines_with(
        without_extra, "other parameters"
    ) + lines_with(without_extra, "test_param[b]")
    assert [] == lines_with(without_extra, "stale")
    assert (0, "no stale cassettes\n") == (pruned.returncode, pruned.stdout)
    [warning] = pruned.stderr.splitlines()
    assert warning.startswith("seamrec: warning: kept tests/test_param.py::test_param[b]: ")
    assert (layered_app.root / PARAM_A).is_file()
    assert (layered_app.root / PARAM_B).is_file()

    layered_app.write("tests/test_param.py", WITHOUT_THE_FUNCTION)
    deleted = layered_app.record()
    listed = seamrec(layered_app.root, "prune")

    deleted.assert_outcomes(passed=4)
    assert [
        "2 stale cassettes (their tests no longer exist; `seamrec prune --yes` deletes them):",
        f"  {PARAM_A}  (tests/test_param.py::test_param[a])",
        f"  {PARAM_B}  (tests/test_param.py::test_param[b])",
    ] == lines_with(deleted, "stale") + lines_with(deleted, "test_param[")
    assert [] == lines_with(deleted, "other parameters")
    assert (0, "") == (listed.returncode, listed.stderr)
    assert [
        f"stale: {PARAM_A}  (tests/test_param.py::test_param[a])",
        f"stale: {PARAM_B}  (tests/test_param.py::test_param[b])",
        "2 stale cassette(s); `seamrec prune --yes` deletes them",
    ] == listed.stdout.splitlines()


def test_a_parameter_id_with_a_double_colon_missing_here_is_kept_by_prune(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like test_param[b] above, but the parameter id is `mod::b`: `prune --yes` without
    EXTRA must keep its cassette (its function still exists), not delete it."""
    layered_app.write("tests/test_param.py", PARAMETRIZED.replace('["b"]', '["mod::b"]'))
    monkeypatch.setenv("EXTRA", "1")
    layered_app.record("tests/test_param.py").assert_outcomes(passed=2)
    monkeypatch.delenv("EXTRA")
    folder = layered_app.cassettes / "tests/test_param"
    assert ["test_param[a].msgpack", "test_param[mod.b].msgpack"] == sorted(
        path.name for path in folder.iterdir()
    )

    pruned = seamrec(layered_app.root, "prune", "--yes")

    assert 0 == pruned.returncode
    assert (folder / "test_param[mod.b].msgpack").is_file(), pruned.stdout
    assert "no stale cassettes\n" == pruned.stdout


# ------------------------------------------- 5. `seamrec show` ignores the hash seed

SETS = """
def tags():
    return {
        "set": {"kiwi", "apple", "fig", 3, 1.5, None, ("pair", 2), b"raw", frozenset({"x", "y"})},
        "frozen": frozenset({"plum", "date", "lime", 7, -2, ("t", "u"), b"b", "pear"}),
    }
"""
SET_TEST = """
from app.sets import tags


def test_tags():
    assert "kiwi" in tags()["set"]
"""
SEEDS = ("0", "1", "2", "3", "4", "5")
SETS_CASSETTE = "cassettes/tests/test_sets/test_tags.msgpack"


def test_show_prints_the_same_bytes_under_any_hash_seed_for_sets_of_mixed_values(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A set's iteration order follows PYTHONHASHSEED; `seamrec show` (a git textconv
    driver) must not: the text of a cassette whose seam returned a set and a frozenset of
    mixed members is the same bytes under every seed."""
    layered_app.write("app/sets.py", SETS)
    layered_app.write("tests/test_sets.py", SET_TEST)
    layered_app.record("tests/test_sets.py").assert_outcomes(passed=1)

    orders = set()
    for seed in SEEDS:
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        orders.add(python_repr('{"kiwi", "apple", "fig", "plum", "date", "lime"}'))
    shown = shown_under_each_seed(layered_app, SETS_CASSETTE, monkeypatch)

    assert len(orders) > 1, "the seeds must change a set's order for this test to prove anything"
    assert 1 == len(set(shown.values())), shown
    text = shown["0"]
    assert "## app.sets:tags  (1 call)" in text
    for member in ("'kiwi'", "'apple'", "('pair', 2)", "b'raw'", "'plum'", "-2", "('t', 'u')"):
        assert member in text


KEYED_BY_SETS = """
def tags():
    return {
        frozenset({"kiwi", "apple", "fig", "plum", "lime"}): 1,
        ("t", frozenset({"a", "b", "c", "d"})): 2,
    }
"""


def test_show_prints_the_same_bytes_under_any_hash_seed_for_a_dict_keyed_by_frozensets(
    layered_app: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dict whose keys are data (a map) may have frozensets, or tuples holding them, as
    keys: `seamrec show` must print those in a fixed order too."""
    layered_app.write("app/sets.py", KEYED_BY_SETS)
    layered_app.write("tests/test_sets.py", SET_TEST.replace('"kiwi" in tags()["set"]', "tags()"))
    layered_app.record("tests/test_sets.py").assert_outcomes(passed=1)

    shown = shown_under_each_seed(layered_app, SETS_CASSETTE, monkeypatch)

    assert "'kiwi'" in shown["0"]
    assert 1 == len(set(shown.values())), shown


def shown_under_each_seed(
    app: LayeredApp, cassette: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """`seamrec show CASSETTE`'s output under each of SEEDS."""
    shown = {}
    for seed in SEEDS:
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        done = seamrec_process(app.root, "show", cassette)  # the seed needs a fresh process
        assert (0, "") == (done.returncode, done.stderr)
        shown[seed] = done.stdout
    return shown


def python_repr(expression: str) -> str:
    """The repr of `expression` in a fresh interpreter with this process's environment."""
    done = subprocess.run(
        [sys.executable, "-c", f"print(repr({expression}))"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    return done.stdout


# ----------------------------------- 6. --seams-report cannot be given to a record run


def test_seams_report_with_record_seams_is_a_usage_error_naming_the_option(
    layered_app: LayeredApp,
) -> None:
    """A record run accepts every change, so a report of it would always be empty and
    misleading: the combination is refused before any test runs or file is written."""
    result = layered_app.run("--record-seams", "--seams-report=x.json")

    assert pytest.ExitCode.USAGE_ERROR == result.ret
    assert "--seams-report" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    assert not (layered_app.root / "x.json").exists()
    assert not layered_app.cassettes.exists()


# ---------------------------------------------- 7. diff of a project without cassettes


def test_diff_of_a_repository_without_any_cassettes_is_one_line_naming_the_cassette_dir(
    layered_app: LayeredApp,
) -> None:
    """Nothing recorded, neither at HEAD nor on disk: `diff` says where it looked instead
    of reporting "no seam changed shape" (which would read as an all-clear)."""
    commit_all(layered_app.root, "app without cassettes")

    done = seamrec(layered_app.root, "diff")

    line = assert_usage_error(done, f"no cassettes in {layered_app.cassettes.resolve()}")
    assert "record with pytest --record-seams" in line


# ------------------------------- 8. a deleted test is lost coverage, not a format change


@pytest.mark.usefixtures("layered_cassettes")
def test_deleting_the_only_test_that_made_a_seam_raise_is_coverage_not_breaking(
    layered_app: LayeredApp,
) -> None:
    """test_unknown_user is the only test in which get_user raises. Deleting it (and its
    cassette, with `prune --yes`) makes `diff` list the lost raise as no longer
    exercised, not as a breaking "no longer raises", and exit 0."""
    commit_all(layered_app.root, "recorded")
    layered_app.edit("tests/test_api.py", UNKNOWN_USER_TEST, "")

    pruned = seamrec(layered_app.root, "prune", "--yes")
    done = seamrec(layered_app.root, "diff")

    assert 0 == pruned.returncode
    assert f"deleted: {UNKNOWN_USER}  (tests/test_api.py::test_unknown_user)" in pruned.stdout
    assert not (layered_app.root / UNKNOWN_USER).exists()
    assert (0, "") == (done.returncode, done.stderr)
    assert "BREAKING" not in done.stdout
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"seamrec diff HEAD → working tree: 0 breaking, 0 additive changes, "
        r"\d+ no longer exercised in \d+ seams",
        lines[0],
    ), lines[0]
    changes = [line for line in lines if line.startswith("  ")]
    assert changes
    assert all(line.startswith("  coverage  no longer exercised") for line in changes), lines
    get_user = lines[lines.index("app.repo:get_user") + 1 :]
    assert get_user[0].startswith("  coverage  no longer exercised raise   (was KeyError)")
    assert "no longer raises, but only in deleted tests" in get_user[0]


# ------------------------------------------------------ 9. `seamrec map` edge labels

DIRECT_TEST = """
from app.repo import get_user


def test_direct():
    assert "Ada" == get_user(1)["name"]
"""


def labelled_edges(graph: str) -> list[tuple[str, str, str]]:
    """(caller node, full edge label, callee node) of each edge of a Mermaid map."""
    labels = dict(re.findall(r'^  (m\d+)\["(.*)"\]$', graph, re.MULTILINE))
    found = re.findall(r'^  (m\d+) -->\|"(.*)"\| (m\d+)$', graph, re.MULTILINE)
    return [(labels[caller], label, labels[callee]) for caller, label, callee in found]


def test_map_says_all_callers_only_on_a_seam_with_several_callers(
    layered_app: LayeredApp,
) -> None:
    """A seam called from two modules is drawn once per caller with its total count and
    "all callers" (per-caller counts are not kept); a seam with one caller gets its own
    count, "1 call" or "N calls", without it."""
    layered_app.write("tests/test_direct.py", DIRECT_TEST)
    layered_app.record().assert_outcomes(passed=4)

    done = seamrec(layered_app.root, "map")

    assert (0, "") == (done.returncode, done.stderr)
    outside = "tests and other callers"
    assert [
        (outside, "get_orders (1 call)", "app.api"),
        (outside, "get_profile (2 calls)", "app.api"),
        ("app.service", "get_user (4 calls, all callers)", "app.repo"),
        (outside, "get_user (4 calls, all callers)", "app.repo"),
        ("app.service", "order_rows (1 call)", "app.repo"),
        ("app.api", "order_summary (1 call)", "app.service"),
        ("app.api", "profile (2 calls)", "app.service"),
    ] == labelled_edges(done.stdout)


# ------------------- 10. contract files do not depend on callers, workers or payload_calls

FMT = """
def tag(value):
    return f"#{value}"
"""
REPORT = """
from app import fmt


def report(value):
    return fmt.tag(value)
"""
TWO_CALLERS_TEST = """
from app.fmt import tag
from app.report import report


def test_two_callers():
    assert "#1" == tag(1)
    assert "#2" == report(2)
"""


def test_contract_files_name_no_callers_and_survive_xdist_and_a_smaller_payload_calls(
    layered_app: LayeredApp,
) -> None:
    """`tag` is called first by the test, then by app.report. With `payload_calls = 1`
    only the first caller is kept in the cassette, and under `-n 2` other processes
    record: the contract files have no "called by" line, so they stay byte-identical."""
    layered_app.write("app/fmt.py", FMT)
    layered_app.write("app/report.py", REPORT)
    layered_app.write("tests/test_two_callers.py", TWO_CALLERS_TEST)
    cassette = layered_app.cassettes / "tests/test_two_callers/test_two_callers.msgpack"
    layered_app.record().assert_outcomes(passed=4)
    contracts = contract_files(layered_app)
    callers_of_tag = {caller for seam, caller, _ in crossings(cassette) if seam == "app.fmt:tag"}

    parallel = layered_app.record("-n", "2")
    after_parallel = contract_files(layered_app)
    configure(layered_app, "payload_calls = 1")
    fewer_payloads = layered_app.record()

    assert "app.fmt.txt" in contracts
    assert b"tests: tests/test_two_callers.py (1)\n" in contracts["app.fmt.txt"]
    for name, text in contracts.items():
        assert b"called by" not in text, name
    assert {"app.report", "test_two_callers"} == callers_of_tag
    parallel.assert_outcomes(passed=4)
    parallel.stdout.fnmatch_lines(["created: 2/2 workers"])
    assert contracts == after_parallel
    fewer_payloads.assert_outcomes(passed=4)
    assert ["test_two_callers"] == [
        caller for seam, caller, _ in crossings(cassette) if seam == "app.fmt:tag"
    ]
    assert contracts == contract_files(layered_app)
    assert [
        "cassettes: 1 written, 3 unchanged, 0 kept because the test failed",
        "contracts: 0 written, 5 unchanged, 0 removed",
    ] == summary(fewer_payloads)[1:3]


# ------------------------------------------- 11. what other plugins and conftests may do

ODD_PROPERTIES = """\
from app.api import get_profile


def test_odd_user_property(request):
    request.node.user_properties.append(("key", "value", "a third item"))
    assert get_profile(1)["status"] == 200
"""
DROPS_ORDERS = """\
def pytest_collection_modifyitems(items):
    items[:] = [item for item in items if "orders" not in item.nodeid]
"""


def test_a_plain_run_is_untouched_by_user_properties_seamrec_does_not_understand(
    layered_app: LayeredApp,
) -> None:
    """seamrec looks at nothing in a run without its options, even odd user properties."""
    layered_app.write("tests/test_odd.py", ODD_PROPERTIES)

    plain = layered_app.run("tests/test_odd.py")
    checked = layered_app.run("tests/test_odd.py", "--seams-report=r.json")

    plain.assert_outcomes(passed=1)
    checked.assert_outcomes(passed=1)
    assert "INTERNALERROR" not in plain.stdout.str() + checked.stdout.str()


@pytest.mark.usefixtures("layered_cassettes")
def test_tests_a_conftest_drops_silently_are_neither_stale_nor_pruned(
    layered_app: LayeredApp,
) -> None:
    """A conftest that filters items without pytest_deselected (a "skip slow tests" hook)
    makes a partial run; `seamrec prune` still counts those tests as existing."""
    layered_app.write("tests/conftest.py", DROPS_ORDERS)

    recording = layered_app.record()
    pruned = seamrec(layered_app.root, "prune")

    recording.assert_outcomes(passed=2)
    assert [NOT_LOOKED_FOR] == lines_with(recording, "stale")
    assert (0, "no stale cassettes\n") == (pruned.returncode, pruned.stdout)


@pytest.mark.usefixtures("layered_cassettes")
def test_diff_leaves_an_unreadable_cassette_out_on_both_sides_and_says_so(
    layered_app: LayeredApp,
) -> None:
    """A damaged cassette does not make its test look deleted: it is left out of the
    comparison, and the output (not only stderr) names it."""
    commit_all(layered_app.root, "recorded")
    (layered_app.root / UNKNOWN_USER).write_bytes(b"not a cassette")

    done = seamrec(layered_app.root, "diff", "--format", "markdown")

    assert 0 == done.returncode
    assert "**no seam changed shape**" in done.stdout
    assert f"> ⚠️ left out of the comparison: {layered_app.root / UNKNOWN_USER}" in done.stdout
    assert "no longer exercised" not in done.stdout
