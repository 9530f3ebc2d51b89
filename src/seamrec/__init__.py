"""seamrec: record the payloads that cross the seams between your modules, and fail the
test whose seam drifted in format.

The public API is `__all__`: the errors, and `assert_matches` with its `SeamMismatch`.
`assert_matches` is imported on first use, so that `import seamrec` (which pytest does
in every run, through the plugin) costs only the exceptions module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seamrec.exceptions import (
    CassetteError,
    CassetteFormatError,
    ConfigError,
    ReplayError,
    SeamrecError,
)

if TYPE_CHECKING:
    from seamrec.pytest_plugin.matching import SeamMismatch, assert_matches

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "ConfigError",
    "ReplayError",
    "SeamMismatch",
    "SeamrecError",
    "assert_matches",
]
__version__ = "0.1.0"

_LAZY = frozenset({"SeamMismatch", "assert_matches"})  # from seamrec.pytest_plugin.matching


def __getattr__(name: str) -> Any:
    """Import `assert_matches` and `SeamMismatch` when first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from seamrec.pytest_plugin import matching

    value = getattr(matching, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API, for `dir()` and completion."""
    return [*__all__, "__version__"]
