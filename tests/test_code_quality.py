"""The project's own code stays lint-clean, formatted and strictly typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# How coverage's subprocess patch (`--cov`) tells a child process to measure itself.
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["ruff", "check", "."], id="ruff-check"),
        pytest.param(["ruff", "format", "--check", "src"], id="ruff-format"),
        pytest.param(["mypy"], id="mypy-strict"),
    ],
)
def test_tool_reports_no_problems(command: list[str]) -> None:
    # the tools read seamrec's code and never run it: their processes measure no coverage
    env = {k: v for k, v in os.environ.items() if k not in COVERAGE_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert 0 == result.returncode, result.stdout + result.stderr
