"""wrapt imported by seamrec without asyncio: a suite that never uses asyncio does not pay
for its import, and wrapt's async bridges still reach the real asyncio."""

from __future__ import annotations

import subprocess
import sys

import wrapt

from seamrec.runtime import wraptimport


def in_a_fresh_process(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_seamrec_runtime_imports_wrapt_but_not_asyncio() -> None:
    code = (
        "import sys; import seamrec.runtime.session, seamrec.runtime.adapters.dbapi; "
        "print(sorted(m for m in ('asyncio', 'ssl', 'wrapt') if m in sys.modules))"
    )
    assert in_a_fresh_process(code) == "['wrapt']"


def test_wrapt_async_bridges_import_the_real_asyncio_when_used() -> None:
    code = (
        "import sys; from seamrec.runtime.wraptimport import wrapt\n"
        "@wrapt.async_to_sync\n"
        "async def answer():\n"
        "    return 42\n"
        "print(answer(), type(sys.modules['asyncio']).__name__)\n"
        "import asyncio; print(asyncio.run is wrapt.synchronization.asyncio.run)"
    )
    assert in_a_fresh_process(code).split() == ["42", "module", "True"]


def test_an_asyncio_imported_before_is_the_one_wrapt_holds() -> None:
    code = (
        "import asyncio; from seamrec.runtime.wraptimport import wrapt; "
        "print(wrapt.synchronization.asyncio is asyncio)"
    )
    assert in_a_fresh_process(code) == "True"


def test_the_stand_in_leaves_sys_modules_while_wrapt_is_imported() -> None:
    code = (
        "import sys; from seamrec.runtime.wraptimport import wrapt; "
        "import asyncio; print(asyncio is sys.modules['asyncio'], hasattr(asyncio, 'Lock'), "
        "asyncio is not wrapt.synchronization.asyncio)"
    )
    assert in_a_fresh_process(code) == "True True True"


def test_it_is_the_wrapt_everyone_imports() -> None:
    assert wraptimport.wrapt is wrapt
