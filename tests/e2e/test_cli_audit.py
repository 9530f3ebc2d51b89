"""`seamrec audit`: secrets already on disk, found (the pre-commit hook and the CI example too).

Leaky cassettes are made the way a real repository gets them: recorded with weaker rules
(`redact_values = false`, as by an older seamrec), after which the project's rules are
the current defaults again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import (
    DB_PASSWORD,
    GHP,
    LEAKS,
    LEAKY_NEW_TEST,
    LEAKY_PYPROJECT,
    LEAKY_WEAK,
    LOG_CASSETTE,
    SETTINGS_CASSETTE,
    LayeredApp,
    clean_env,
    commit_all,
    seamrec,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config

# ---------------------------------------------------------------------------- audit


def test_audit_names_file_seam_path_and_kind_of_each_secret_and_exits_1(
    leaky_app: LayeredApp,
) -> None:
    done = seamrec(leaky_app.root, "audit")

    assert (1, LEAKS) == (done.returncode, done.stdout.splitlines())
    assert DB_PASSWORD not in done.stdout + done.stderr
    assert GHP not in done.stdout + done.stderr
    assert done.stderr.startswith("seamrec audit: 4 secret-like value(s) in 2 file(s);")
    assert "seamrec redact --yes" in done.stderr


@pytest.mark.usefixtures("layered_cassettes")
def test_audit_of_a_clean_recording_exits_0(layered_app: LayeredApp) -> None:
    done = seamrec(layered_app.root, "audit")

    assert (0, "seamrec audit: nothing secret-like\n", "") == (
        done.returncode,
        done.stdout,
        done.stderr,
    )


def test_audit_of_given_files_and_folders(leaky_app: LayeredApp) -> None:
    one = seamrec(leaky_app.root, "audit", LOG_CASSETTE)
    folder = seamrec(leaky_app.root, "audit", "cassettes/tests")

    assert (1, LEAKS[:2]) == (one.returncode, one.stdout.splitlines())
    assert (1, LEAKS) == (folder.returncode, folder.stdout.splitlines())


def test_audit_reads_contract_files_as_text_naming_the_seam_and_the_path(
    leaky_app: LayeredApp,
) -> None:
    contract = leaky_app.cassettes / "contracts" / "app.settings.txt"
    text = contract.read_text().replace("  return['DEBUG']: bool", f"  return['{GHP}']: bool")
    contract.write_text(text)

    done = seamrec(leaky_app.root, "audit", "cassettes/contracts")

    assert (
        1,
        [
            "cassettes/contracts/app.settings.txt: app.settings:load_settings: "
            "return['<redacted>']: GitHub token"
        ],
    ) == (done.returncode, done.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.msgpack"], "seamrec: error: nope.msgpack: no such file or directory\n"),
        (["pyproject.toml", "--base", "no-such-rev"], "seamrec: error: "),
    ],
    ids=["missing file", "not a git repository"],
)
def test_bad_input_is_an_error_line_and_exit_2(
    leaky_app: LayeredApp, args: list[str], message: str
) -> None:
    done = seamrec(leaky_app.root, "audit", *args)

    assert (2, "") == (done.returncode, done.stdout)
    assert done.stderr.startswith(message)


def test_a_file_that_is_not_a_cassette_is_an_error(leaky_app: LayeredApp) -> None:
    (leaky_app.root / "junk.msgpack").write_bytes(b"\x00not msgpack")

    done = seamrec(leaky_app.root, "audit", "junk.msgpack")

    assert 2 == done.returncode
    assert done.stderr.startswith("seamrec: error: junk.msgpack: is not a seamrec cassette")


def test_audit_base_of_a_file_outside_the_repository_is_an_error(leaky_app: LayeredApp) -> None:
    commit_all(leaky_app.root, "recorded")
    outside = leaky_app.root.parent / "outside.txt"
    outside.write_text("nothing\n")

    done = seamrec(leaky_app.root, "audit", str(outside), "--base", "HEAD")

    assert (2, "") == (done.returncode, done.stdout)
    assert done.stderr.startswith(f"seamrec: error: {outside} is outside the git repository")


def test_audit_base_reports_only_what_the_working_tree_adds(leaky_app: LayeredApp) -> None:
    commit_all(leaky_app.root, "leaks committed long ago")
    before = seamrec(leaky_app.root, "audit", "--base", "HEAD")
    leaky_app.write("tests/test_deploy.py", LEAKY_NEW_TEST)
    leaky_app.write("pyproject.toml", LEAKY_WEAK)
    leaky_app.record("tests/test_deploy.py").assert_outcomes(passed=1)
    leaky_app.write("pyproject.toml", LEAKY_PYPROJECT)

    after = seamrec(leaky_app.root, "audit", "--base", "HEAD")

    assert (0, "seamrec audit: nothing secret-like added since HEAD\n") == (
        before.returncode,
        before.stdout,
    )
    assert (
        1,
        [
            "cassettes/tests/test_deploy/test_deploy.msgpack: app.settings:log: args.text: "
            "GitLab token",
            "cassettes/tests/test_deploy/test_deploy.msgpack: app.settings:log: return: "
            "GitLab token",
        ],
    ) == (after.returncode, after.stdout.splitlines())


# ------------------------------------------------- the pre-commit hook and the CI example

ROOT = Path(__file__).resolve().parents[2]


def yaml_value(text: str, key: str) -> str:
    """The value of the first `key: value` line of a small YAML file (no YAML parser)."""
    line = next(line for line in text.splitlines() if line.strip().startswith(f"{key}:"))
    return line.split(":", 1)[1].split(" #")[0].strip()


def run_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", command], cwd=cwd, capture_output=True, text=True, env=env
    )


def test_the_pre_commit_hook_audits_the_cassettes_and_contracts_it_is_given(
    leaky_app: LayeredApp,
) -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    files = re.compile(yaml_value(hooks, "files"))
    every = sorted(p.relative_to(leaky_app.root).as_posix() for p in leaky_app.root.rglob("*"))
    staged = [name for name in every if files.search(name)]

    done = run_shell(f"{yaml_value(hooks, 'entry')} {' '.join(staged)}", leaky_app.root)

    assert "seamrec-audit" == yaml_value(hooks, "- id")
    assert [LOG_CASSETTE, SETTINGS_CASSETTE, "cassettes/contracts/app.settings.txt"] == sorted(
        staged, key=lambda name: (name.endswith(".txt"), name)
    )
    assert (1, LEAKS) == (done.returncode, done.stdout.splitlines())


def test_the_ci_example_fails_on_a_leak_and_passes_once_it_is_scrubbed(
    leaky_app: LayeredApp,
) -> None:

    workflow = (ROOT / "docs" / "ci" / "github-actions-seams.yml").read_text()
    step = workflow[workflow.index("- name: No secrets in the cassettes") :]
    command = yaml_value(step, "run")

    failing = run_shell(command, leaky_app.root)
    seamrec(leaky_app.root, "redact", "--yes")
    passing = run_shell(command, leaky_app.root)

    assert "seamrec audit" == command
    assert (1, LEAKS) == (failing.returncode, failing.stdout.splitlines())
    assert (0, "seamrec audit: nothing secret-like\n") == (passing.returncode, passing.stdout)
