"""A library patched when it is imported, not before.

The adapters patch database drivers and HTTP clients that may be installed but never
used by the suite (psycopg and httpx each take 0.1-0.2 s to import): each patch waits
for its module through wrapt's post-import hooks, which run it at once when the module is
already imported and otherwise right after the module's first import.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import wrapt


def after_import(
    name: str,
    patch: Callable[[ModuleType], None],
    report: Callable[[Exception, str], None],
    lost: str,
) -> None:
    """Run `patch(module)` once module `name` is imported (now if it is); a failure is
    passed to `report` with `lost` (what goes unrecorded), never raised into the import
    that ran the hook."""

    def hook(module: ModuleType) -> None:
        try:
            patch(module)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            report(exc, lost)

    wrapt.register_post_import_hook(hook, name)
