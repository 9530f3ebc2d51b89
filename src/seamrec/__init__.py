"""seamrec: record the payloads that cross the seams between your modules, and fail the
test whose seam drifted in format."""

from seamrec.exceptions import CassetteError, CassetteFormatError, ConfigError, SeamrecError

__all__ = ["CassetteError", "CassetteFormatError", "ConfigError", "SeamrecError"]
__version__ = "0.1.0"
