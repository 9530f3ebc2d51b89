"""`seamrec git-setup`: git shows cassettes as text in diffs.

The layered app is recorded once per session (`baseline` in conftest.py) by a real
`pytest --record-seams` run, with one extra test file, `tests/test_orders.py`; each test
gets its own copy of the project and those cassettes (`recorded_app`) and re-records after
changing the app, the way a developer would. Every command runs as `python -m seamrec` in
a subprocess.
"""

from __future__ import annotations

import shlex
import sys

import pytest

from helpers import (
    PROFILE,
    LayeredApp,
    assert_usage_error,
    commit_all,
    git,
    rename_email_and_record,
    seamrec,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


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
