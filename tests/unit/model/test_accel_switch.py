"""The switch to the compiled hot path: SEAMREC_PURE, and the one line a run prints when
the accelerator is missing."""

from __future__ import annotations

import os
import subprocess
import sys

from seamrec.model import accel


def loaded_in_a_fresh_process(**environment: str) -> str:
    code = "from seamrec.model import accel; print(accel.compiled is not None, accel.missing)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**{k: v for k, v in os.environ.items() if k != "SEAMREC_PURE"}, **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_seamrec_pure_forces_the_fallback() -> None:
    assert loaded_in_a_fresh_process(SEAMREC_PURE="1") == "False SEAMREC_PURE=1"


def test_seamrec_pure_0_keeps_the_accelerator_when_it_is_built() -> None:
    built = accel.compiled is not None or accel.missing.startswith("SEAMREC_PURE")
    assert loaded_in_a_fresh_process(SEAMREC_PURE="0").startswith(str(built))


def test_a_missing_accelerator_is_one_line() -> None:
    line = accel.notice(None, "not built (No module named 'seamrec.model._speedups')")
    assert line is not None
    assert "\n" not in line
    assert line.startswith("seamrec: the C accelerator is not built")


def test_no_line_when_it_is_loaded_or_pure_python_was_asked_for() -> None:
    assert accel.notice(accel, "") is None
    assert accel.notice(None, "SEAMREC_PURE=1") is None
