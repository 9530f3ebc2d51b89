"""The optional C extensions: each is imported by name, unless pure Python is asked for
(`SEAMREC_PURE=1`) or it was not built; the pure Python modules stay the reference."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

PURE_VARIABLE = "SEAMREC_PURE"


def compiled_module(name: str) -> tuple[ModuleType | None, str]:
    """The compiled module `name` (dotted) and why it is missing ("" when loaded)."""
    if os.environ.get(PURE_VARIABLE, "") not in ("", "0"):
        return None, f"{PURE_VARIABLE}=1"
    try:
        return importlib.import_module(name), ""
    except ImportError as exc:
        return None, f"not built ({exc})"
