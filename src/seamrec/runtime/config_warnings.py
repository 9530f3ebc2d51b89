"""Configuration that wrapped nothing, and modules seamrec never got to see."""

from __future__ import annotations

from seamrec.config import Settings, in_packages
from seamrec.runtime.instrument import Instrumenter


def config_warnings(settings: Settings, instrumenter: Instrumenter, boundaries: bool) -> list[str]:
    """The warnings of a run's configuration (`boundaries`: the run wraps its boundaries,
    so a boundary that wrapped nothing is worth a warning)."""
    seams = list(instrumenter.report.seams.values())
    considered = instrumenter.report.considered
    found = [
        f"[tool.seamrec] seams pattern {p.text!r} matched nothing"
        for p in settings.seams
        if not any(p.matches(s.module, s.qualname) for s in seams)
    ]
    found += [
        f"[tool.seamrec] exclude pattern {p.text!r} matched nothing"
        for p in settings.exclude
        if not any(p.matches(module, qualname) for module, qualname in considered)
    ]
    found += [
        f"[tool.seamrec] boundary {b!r} wrapped no public callable"
        for b in settings.boundaries
        if boundaries and not any(in_packages(s.module, (b,)) for s in seams)
    ]
    found += [
        f"module {name} was imported without seamrec seeing it (after the tests started, "
        "behind another import hook); its seams were not recorded"
        for name in instrumenter.unseen_modules()
    ]
    return found
