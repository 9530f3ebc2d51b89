"""The example CI job in docs/ci/github-actions-seams.yml works as the README says.

The shell script of its "Seam changes of this pull request" step is taken from the YAML
file as it is, the GitHub expression for the base branch is filled in, and the script runs
with bash in a git repository whose `origin/main` holds the recorded cassettes, after a
pull request's change renamed a key and re-recorded: the job summary gets the diff as
Markdown with the rename, and the Mermaid map with the changed seam in red.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import LayeredApp, clean_env, commit_all, git

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config

WORKFLOW = Path(__file__).parents[2] / "docs" / "ci" / "github-actions-seams.yml"
STEP = "- name: Seam changes of this pull request"


def step_script(name: str) -> str:
    """The `run: |` block of the workflow step `name`, dedented."""
    lines = WORKFLOW.read_text().splitlines()
    start = lines.index(f"      {name}")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    body: list[str] = []
    for line in lines[run + 1 :]:
        if line.strip() and not line.startswith(" " * 10):
            break
        body.append(line[10:])
    return "\n".join(body).replace("${{ github.base_ref }}", "main") + "\n"


@pytest.mark.usefixtures("layered_cassettes")
def test_the_ci_step_puts_the_diff_and_the_map_in_the_job_summary(
    layered_app: LayeredApp,
) -> None:
    """Breaking change: the step warns in the log, exits 0, and writes the summary."""
    commit_all(layered_app.root, "recorded")
    git(layered_app.root, "update-ref", "refs/remotes/origin/main", "HEAD")
    layered_app.edit("app/repo.py", '"email": email', '"email_address": email')
    layered_app.record().assert_outcomes(passed=3)
    check = layered_app.check("--seams-report=seams-drift.md")
    check.assert_outcomes(passed=3)
    summary = layered_app.root / "summary.md"
    env = clean_env()
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"

    done = subprocess.run(
        ["bash", "-e", "-c", step_script(STEP)],
        cwd=layered_app.root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert (0, "") == (done.returncode, done.stderr)
    assert "::warning title=seamrec::" in done.stdout
    text = summary.read_text()
    assert text.startswith("### seamrec diff origin/main → working tree\n")
    assert "| **breaking** | key renamed? | `return['email']` |" in text
    assert "#### Seams (changed ones in red)\n```mermaid\nflowchart LR\n" in text
    assert "  linkStyle " in text
    assert "seam changes found by pytest (check run)" in text


def test_the_workflow_runs_the_commands_the_readme_documents() -> None:
    """The job checks the seams with a report and diffs against the pull request's base."""
    text = WORKFLOW.read_text()

    assert "run: pytest --check-seams --seams-report=seams-drift.md" in text
    assert 'seamrec diff --base "$base" --format markdown > seam-changes.md' in text
    assert "fetch-depth: 0" in text  # the base branch's cassettes must be in the clone
