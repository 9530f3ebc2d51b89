"""A library patched when it is imported, not before.

The adapters patch database drivers and HTTP clients that may be installed but never
used by the suite (psycopg and httpx each take 0.1-0.2 s to import): each patch waits
for its module through wrapt's post-import hooks, which run it at once when the module is
already imported and otherwise right after the module's first import. wrapt finds those
imports through a finder it puts on `sys.meta_path`; where something takes it off again
(pytester's in-process runs restore `sys.meta_path`), `catch_up` at each test's start
runs the patches whose module was imported without them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

from seamrec.runtime.wraptimport import wrapt


class PendingPatch:
    """One patch waiting for its module; it runs once, or never once cancelled."""

    __slots__ = ("lost", "name", "patch", "ran", "report")

    def __init__(
        self,
        name: str,
        patch: Callable[[ModuleType], None],
        report: Callable[[Exception, str], None],
        lost: str,
    ) -> None:
        self.name = name
        self.patch = patch
        self.report = report
        self.lost = lost
        self.ran = False

    def __call__(self, module: ModuleType) -> None:
        if self.ran:
            return
        self.ran = True
        try:
            self.patch(module)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            self.report(exc, self.lost)

    def cancel(self) -> None:
        """Never run (the adapter that asked for it was uninstalled)."""
        self.ran = True
        if self in _waiting:
            _waiting.remove(self)


_waiting: list[PendingPatch] = []


def after_import(
    name: str,
    patch: Callable[[ModuleType], None],
    report: Callable[[Exception, str], None],
    lost: str,
) -> PendingPatch:
    """Run `patch(module)` once module `name` is imported (now if it is), unless cancelled
    first; a failure is passed to `report` with `lost` (what goes unrecorded), never
    raised into the import that ran the hook."""
    waiting = PendingPatch(name, patch, report, lost)
    _waiting.append(waiting)
    wrapt.register_post_import_hook(waiting, name)
    return waiting


def catch_up() -> None:
    """Run the patches whose module has been imported without their hook running."""
    for waiting in [w for w in _waiting if not w.ran and w.name in sys.modules]:
        waiting(sys.modules[waiting.name])
    _waiting[:] = [w for w in _waiting if not w.ran]
