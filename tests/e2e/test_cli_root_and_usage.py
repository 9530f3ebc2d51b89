"""The `seamrec` command as a whole: `--root` and the usage message.

The layered app is recorded once per session (`baseline` in conftest.py) by a real
`pytest --record-seams` run, with one extra test file, `tests/test_orders.py`; each test
gets its own copy of the project and those cassettes (`recorded_app`) and re-records after
changing the app, the way a developer would. Every command runs as `python -m seamrec` in
a subprocess.
"""

from __future__ import annotations

import pytest

from helpers import (
    LayeredApp,
    assert_usage_error,
    commit_all,
    rename_email_and_record,
)
from helpers import seamrec_process as seamrec  # the `python -m seamrec` entry point itself

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


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
