"""The switch to the compiled payload packer: SEAMREC_PURE gives the Python reference."""

from __future__ import annotations

import os
import subprocess
import sys

from seamrec.model import accel


def packer_in_a_fresh_process(**environment: str) -> str:
    code = (
        "from seamrec.config import Limits; from seamrec.model import accel, codec; "
        "p = codec.make_packer(Limits()); "
        "print(accel.packer_module is None, codec.pure_packer(p) is p)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**{k: v for k, v in os.environ.items() if k != "SEAMREC_PURE"}, **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_seamrec_pure_packs_with_the_python_reference() -> None:
    assert packer_in_a_fresh_process(SEAMREC_PURE="1") == "True True"


def test_a_built_packer_is_used_and_keeps_its_reference() -> None:
    built = accel.packer_module is not None or accel.missing.startswith("SEAMREC_PURE")
    expected = "False False" if built else "True True"
    assert packer_in_a_fresh_process(SEAMREC_PURE="0") == expected
