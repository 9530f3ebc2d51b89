"""Dogfooding: the example app's committed cassettes still match its seams."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import INNER_ADDOPTS

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_suite_passes_check_seams_against_the_committed_cassettes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--check-seams",
            "example/tests",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTEST_ADDOPTS": INNER_ADDOPTS},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" in result.stdout


def test_every_example_test_that_crosses_a_seam_has_a_committed_cassette() -> None:
    cassettes = sorted((ROOT / "cassettes" / "example" / "tests").rglob("*.msgpack"))
    assert len(cassettes) >= 10
