"""`seamrec.__all__` is the public API: the errors, and `assert_matches` with its
`SeamMismatch`. Everything else is internal and may move."""

from __future__ import annotations

import subprocess
import sys

import pytest

import seamrec
from seamrec import exceptions
from seamrec.pytest_plugin import matching

PUBLIC = [
    "CassetteError",
    "CassetteFormatError",
    "ConfigError",
    "ReplayError",
    "SeamMismatch",
    "SeamrecError",
    "assert_matches",
]


def test_all_is_exactly_the_public_names() -> None:
    assert PUBLIC == seamrec.__all__


def test_dir_shows_the_public_names_and_the_version() -> None:
    assert sorted([*PUBLIC, "__version__"]) == dir(seamrec)


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from seamrec import *", namespace)

    assert set(PUBLIC) == set(namespace) - {"__builtins__"}


def test_the_public_names_are_the_objects_their_modules_define() -> None:
    assert matching.assert_matches is seamrec.assert_matches
    assert matching.SeamMismatch is seamrec.SeamMismatch
    for name in ("CassetteError", "CassetteFormatError", "ConfigError", "ReplayError"):
        assert getattr(exceptions, name) is getattr(seamrec, name)
    assert exceptions.SeamrecError is seamrec.SeamrecError


def test_every_error_is_a_seamrec_error_but_the_assertion_of_a_fake() -> None:
    errors = [getattr(seamrec, name) for name in PUBLIC if name.endswith("Error")]

    assert all(issubclass(error, seamrec.SeamrecError) for error in errors)
    assert issubclass(seamrec.SeamMismatch, AssertionError)


def test_a_name_outside_the_api_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'seamrec' has no attribute 'Settings'"):
        seamrec.Settings  # noqa: B018


def test_importing_seamrec_imports_only_its_exceptions() -> None:
    code = "import sys, seamrec; print(*sorted(m for m in sys.modules if 'seamrec' in m))"

    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert ["seamrec", "seamrec.exceptions"] == printed.split()


def test_the_first_use_of_assert_matches_imports_it() -> None:
    code = (
        "import sys\nfrom seamrec import assert_matches\n"
        "print(assert_matches.__module__, 'seamrec.review.explain' in sys.modules)"
    )

    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert "seamrec.pytest_plugin.matching True" == printed.strip()
