"""wrapt, imported without importing asyncio along with it.

wrapt's package imports every one of its modules, and `wrapt.synchronization` imports
asyncio (with ssl and concurrent.futures) for its async bridges: ~25 ms, ~70 M
instructions per run in a suite that never touches asyncio. While wrapt is imported
here, `sys.modules["asyncio"]` is a stand-in module whose missing attributes are read
from the real asyncio, imported on the first such read; the stand-in leaves
`sys.modules` as soon as wrapt is imported, so whatever imports asyncio afterwards gets
the real module, imported then. Where asyncio (or wrapt) is imported already, wrapt is
imported as usual.

seamrec's modules import wrapt from here (`from seamrec.runtime.wraptimport import wrapt`).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

_ASYNCIO = "asyncio"


def _asyncio_stand_in() -> types.ModuleType:
    """A module named asyncio whose every missing attribute is the real asyncio's."""
    stand_in = types.ModuleType(_ASYNCIO, "The real asyncio, imported when first read.")

    def real_attribute(name: str) -> object:
        if sys.modules.get(_ASYNCIO) is stand_in:  # read while wrapt is being imported
            del sys.modules[_ASYNCIO]
        return getattr(importlib.import_module(_ASYNCIO), name)

    stand_in.__getattr__ = real_attribute  # type: ignore[method-assign]  # PEP 562
    return stand_in


def _import_wrapt() -> types.ModuleType:
    """wrapt, its `import asyncio` given the stand-in where asyncio is not imported yet."""
    if "wrapt" in sys.modules or _ASYNCIO in sys.modules:
        return importlib.import_module("wrapt")
    stand_in = sys.modules[_ASYNCIO] = _asyncio_stand_in()
    try:
        return importlib.import_module("wrapt")
    finally:
        if sys.modules.get(_ASYNCIO) is stand_in:
            del sys.modules[_ASYNCIO]


if TYPE_CHECKING:
    import wrapt as wrapt
else:
    wrapt = _import_wrapt()
