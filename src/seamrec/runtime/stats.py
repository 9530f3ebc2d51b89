"""What a run reports: its mode, the counts for the summary, and each test's outcome."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamrec.runtime.calls import Finding


class Mode(enum.Enum):
    """What the run does with crossing calls."""

    RECORD = "record"
    CHECK = "check"
    REPLAY = "replay"  # only replayed seams are touched; the rest run untouched


# No __eq__ or __repr__ (unused), and an `__init__` of its own: dataclasses compiles each
# method it generates on import (this one's, of thirty fields, costs as much as the rest
# of the module).
@dataclass(init=False, eq=False, repr=False)
class Stats:
    """Counts for the terminal summary; plain data so xdist workers can send them."""

    seams_wrapped: int = 0
    calls_recorded: int = 0
    calls_checked: int = 0
    calls_replayed: int = 0
    calls_outside: int = 0  # imports, collection, shared fixtures: credited to no test
    written: int = 0
    unchanged: int = 0
    kept_failed: list[str] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # passed, crosses no seam any more
    drifted: list[str] = field(default_factory=list)
    replay_failed: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    budget_cut: list[str] = field(default_factory=list)  # seams with a payload over budget
    instrumentation_errors: list[str] = field(default_factory=list)
    write_errors: list[str] = field(default_factory=list)
    unredirected: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    db_queries: int = 0  # database queries recorded or checked (not in the calls above)
    db_statements: list[str] = field(default_factory=list)  # their distinct statements
    http_requests: int = 0  # HTTP requests recorded or checked (not in the calls above)
    http_endpoints: list[str] = field(default_factory=list)  # their distinct seams
    skipped: dict[str, list[str]] = field(default_factory=dict)  # type path -> names
    lost: dict[str, list[str]] = field(default_factory=dict)  # seam id -> why not wrapped
    lost_recorded: list[str] = field(default_factory=list)  # lost seams with cassettes

    def __init__(self, **values: Any) -> None:
        """The fields' defaults (every count at zero, every list and mapping empty) but
        those given by name."""
        for name, default, factory in _defaults():
            if name in values:
                setattr(self, name, values.pop(name))
            else:
                setattr(self, name, default if factory is None else factory())
        if values:
            raise TypeError(f"Stats() got an unexpected keyword argument {next(iter(values))!r}")

    def merge(self, other: dict[str, Any]) -> None:
        """Add the counts a worker sent (see `as_dict`)."""
        for name, value in other.items():
            mine = getattr(self, name, None)
            if isinstance(mine, bool) or mine is None:
                continue
            if isinstance(mine, int):
                setattr(self, name, max(mine, value) if name == "seams_wrapped" else mine + value)
            elif isinstance(mine, list):
                mine.extend(v for v in value if v not in mine)
            elif isinstance(mine, dict):
                for key, holders in value.items():
                    mine.setdefault(key, [])
                    mine[key].extend(h for h in holders if h not in mine[key])

    def delta(self, before: dict[str, Any]) -> dict[str, Any]:
        """What changed since `before` (an `as_dict`), for the xdist controller."""
        changed: dict[str, Any] = {}
        for name, value in self.as_dict().items():
            if name in _INSTRUMENTATION:
                continue
            if isinstance(value, int):
                if value != before[name]:
                    changed[name] = value - before[name]
            elif isinstance(value, list) and len(value) > len(before[name]):
                changed[name] = value[len(before[name]) :]
        return changed

    def instrumentation(self) -> dict[str, Any]:
        """The counts that belong to the whole worker rather than to a test."""
        everything = self.as_dict()
        return {name: everything[name] for name in _INSTRUMENTATION}

    def as_dict(self) -> dict[str, Any]:
        """Plain data for xdist's workeroutput."""
        return {
            name: (
                list(value)
                if isinstance(value, list)
                else dict(value)
                if isinstance(value, dict)
                else value
            )
            for name, value in vars(self).items()
        }


_INSTRUMENTATION = (
    "seams_wrapped",
    "unredirected",
    "warnings",
    "instrumentation_errors",
    "calls_outside",
    "skipped",
    "lost",
)


# No __eq__ or __repr__ (unused): dataclasses compiles each method it generates on import.
@dataclass(eq=False, repr=False)
class TestOutcome:
    """What seamrec says about one finished test."""

    nodeid: str
    findings: list[Finding] = field(default_factory=list)
    cassette_error: str | None = None
    cassette: Path | None = None


_DEFAULTS: list[tuple[str, Any, Any]] = []


def _defaults() -> list[tuple[str, Any, Any]]:
    """(name, default, default factory or None) of each field of `Stats`, read once."""
    if not _DEFAULTS:
        for f in dataclasses.fields(Stats):
            factory = None if f.default_factory is dataclasses.MISSING else f.default_factory
            _DEFAULTS.append((f.name, f.default, factory))
    return _DEFAULTS
