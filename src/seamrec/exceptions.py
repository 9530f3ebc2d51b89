"""The errors seamrec raises, each carrying the object at fault.

SeamrecError
├── ConfigError          bad [tool.seamrec] key or value (carries key, value, path)
└── CassetteError        a cassette that cannot be used (carries path)
    └── CassetteFormatError   unreadable, truncated or of an unknown format version
"""

from __future__ import annotations

from pathlib import Path


class SeamrecError(Exception):
    """Base class of every error seamrec raises on purpose."""


class ConfigError(SeamrecError):
    """A `[tool.seamrec]` setting is wrong; the message names the key and the fix."""

    def __init__(
        self, message: str, *, key: str, value: object = None, path: Path | None = None
    ) -> None:
        where = f"{path}: " if path is not None else ""
        got = f" (got {value!r})" if value is not None and repr(value) not in message else ""
        super().__init__(f"{where}[tool.seamrec] {key}: {message}{got}")
        self.key = key
        self.value = value
        self.path = path


class CassetteError(SeamrecError):
    """A cassette file cannot be used; the message names the file."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class CassetteFormatError(CassetteError):
    """A cassette is unreadable, truncated, hand-broken or of an unknown format version."""


class ReplayError(SeamrecError):
    """A replayed seam cannot give back its recorded outcome; raised in the code under
    test only where the real callee would have been called, and also fails the test."""

    def __init__(self, message: str, *, type_path: str = "", seam: str = "") -> None:
        super().__init__(message)
        self.type_path = type_path
        self.seam = seam


class UsageError(SeamrecError):
    """The `seamrec` command was given something it cannot use (not a git repository,
    an unknown revision or seam id); the message says which and how to fix it."""
