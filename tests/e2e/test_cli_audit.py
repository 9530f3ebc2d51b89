"""`seamrec audit` and `seamrec redact`: secrets already on disk, found and scrubbed.

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

from helpers import LayeredApp, clean_env, commit_all, seamrec
from seamrec.cassette.store import TEMP_SUFFIX, load

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config

DB_PASSWORD = "Hunter2Secret"
GHP = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
GLPAT = "glpat-Zq8Rw2Lk5Nb7Vc1Xm4Tp"
PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""
WEAK = PYPROJECT + "redact_values = false\n"

SETTINGS = '''\
"""Settings and logs."""


def load_settings(url):
    return {"DATABASE_URL": url, "DEBUG": False, "ADMIN": "ada@example.com"}


def log(text):
    return text
'''

TESTS = f"""\
from app import settings


def test_settings():
    url = "postgresql://app:{DB_PASSWORD}@db.internal:5432/app"
    assert settings.load_settings(url)["DEBUG"] is False


def test_log():
    assert settings.log("cloned with {GHP}")
"""

NEW_TEST = f"""\
from app import settings


def test_deploy():
    assert settings.log("deploy with {GLPAT}")
"""


@pytest.fixture
def leaky_app(layered_app: LayeredApp) -> LayeredApp:
    """Two recorded tests whose cassettes hold a database password and a GitHub token."""
    (layered_app.root / "tests" / "test_api.py").unlink()
    layered_app.write("app/settings.py", SETTINGS)
    layered_app.write("tests/test_settings.py", TESTS)
    layered_app.write("pyproject.toml", WEAK)
    layered_app.record().assert_outcomes(passed=2)
    layered_app.write("pyproject.toml", PYPROJECT)
    return layered_app


SETTINGS_CASSETTE = "cassettes/tests/test_settings/test_settings.msgpack"
LOG_CASSETTE = "cassettes/tests/test_settings/test_log.msgpack"
LEAKS = [
    f"{LOG_CASSETTE}: app.settings:log: args.text: GitHub token",
    f"{LOG_CASSETTE}: app.settings:log: return: GitHub token",
    f"{SETTINGS_CASSETTE}: app.settings:load_settings: args.url: URL password",
    f"{SETTINGS_CASSETTE}: app.settings:load_settings: return['DATABASE_URL']: URL password",
]


def cassette_bytes(app: LayeredApp) -> dict[str, bytes]:
    return {name: (app.root / name).read_bytes() for name in (SETTINGS_CASSETTE, LOG_CASSETTE)}


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


def test_audit_of_a_clean_recording_exits_0(layered_app: LayeredApp) -> None:
    layered_app.record().assert_outcomes(passed=3)

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
    leaky_app.write("tests/test_deploy.py", NEW_TEST)
    leaky_app.write("pyproject.toml", WEAK)
    leaky_app.record("tests/test_deploy.py").assert_outcomes(passed=1)
    leaky_app.write("pyproject.toml", PYPROJECT)

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


# --------------------------------------------------------------------------- redact


def test_redact_without_yes_lists_what_it_would_change_and_changes_nothing(
    leaky_app: LayeredApp,
) -> None:
    before = cassette_bytes(leaky_app)

    done = seamrec(leaky_app.root, "redact")

    assert 1 == done.returncode
    assert [f"would redact: {leak}" for leak in LEAKS] == done.stdout.splitlines()[:-1]
    assert (
        "2 cassette(s) hold secrets; `seamrec redact --yes` scrubs them"
        == (done.stdout.splitlines()[-1])
    )
    assert before == cassette_bytes(leaky_app)


def test_redact_yes_scrubs_in_place_atomically_keeping_the_shapes(leaky_app: LayeredApp) -> None:
    paths = [leaky_app.root / SETTINGS_CASSETTE, leaky_app.root / LOG_CASSETTE]
    signatures = [load(path).signature() for path in paths]
    inodes = [path.stat().st_ino for path in paths]
    contracts = {p: p.read_bytes() for p in (leaky_app.cassettes / "contracts").iterdir()}

    done = seamrec(leaky_app.root, "redact", "--yes")
    audit = seamrec(leaky_app.root, "audit")
    again = seamrec(leaky_app.root, "redact", "--yes")
    check = leaky_app.check()

    assert 0 == done.returncode
    assert [f"redacted: {leak}" for leak in LEAKS] == done.stdout.splitlines()
    assert (0, "seamrec audit: nothing secret-like\n") == (audit.returncode, audit.stdout)
    assert (0, "seamrec redact: nothing to redact\n") == (again.returncode, again.stdout)
    assert signatures == [load(path).signature() for path in paths]  # shapes unchanged
    assert inodes != [path.stat().st_ino for path in paths]  # replaced by os.replace
    assert [] == list(leaky_app.cassettes.rglob(f"*{TEMP_SUFFIX}"))
    assert contracts == {p: p.read_bytes() for p in (leaky_app.cassettes / "contracts").iterdir()}
    check.assert_outcomes(passed=2)
    assert b"postgresql://app:<redacted>@db.internal:5432/app" in paths[0].read_bytes()


def test_redact_yes_rewrites_the_contracts_when_a_key_was_a_secret(
    leaky_app: LayeredApp,
) -> None:
    leaky_app.write(
        "app/settings.py", SETTINGS + f"\n\ndef owners():\n    return {{{GHP!r}: 'ada'}}\n"
    )
    leaky_app.write(
        "tests/test_owners.py",
        "from app import settings\n\n\ndef test_owners():\n    assert settings.owners()\n",
    )
    leaky_app.write("pyproject.toml", WEAK)
    leaky_app.record().assert_outcomes(passed=3)
    leaky_app.write("pyproject.toml", PYPROJECT)
    contract = leaky_app.cassettes / "contracts" / "app.settings.txt"
    assert GHP in contract.read_text()

    done = seamrec(leaky_app.root, "redact", "--yes")

    assert "contract updated: cassettes/contracts/app.settings.txt" in done.stdout.splitlines()
    assert "  return['<redacted>']: str" in contract.read_text().splitlines()
    assert [] == [
        p for p in leaky_app.cassettes.rglob("*") if p.is_file() and GHP.encode() in p.read_bytes()
    ]
    leaky_app.check().assert_outcomes(passed=3)


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
