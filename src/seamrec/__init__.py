"""seamrec: record the payloads that cross the seams between your modules, and fail the
test whose seam drifted in format."""

from seamrec.exceptions import (
    CassetteError,
    CassetteFormatError,
    ConfigError,
    ReplayError,
    SeamrecError,
)
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
