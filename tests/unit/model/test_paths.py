"""Paths and parts: one vocabulary for where a value sits in a call."""

from __future__ import annotations

import pytest

from seamrec.cassette.secrets import PLACEHOLDER
from seamrec.config import PARTS as SETTINGS_PARTS
from seamrec.model.paths import (
    ARGS_KEY,
    ITEMS_KEY,
    KEYS_KEY,
    OUTCOMES,
    PARTS,
    REDACTED,
    VALUES_KEY,
    render_path,
)


@pytest.mark.parametrize(
    ("root", "steps", "expected"),
    [
        ("return", ["user", "email"], "return['user']['email']"),
        ("args", ["user", ".email"], "args.user.email"),
        ("args", [], "args"),
        ("return", [ITEMS_KEY, "id"], "return[*]['id']"),
        ("return", [KEYS_KEY], "return.keys()"),
        ("return", [VALUES_KEY, ITEMS_KEY], "return.values()[*]"),
        ("raise", [ARGS_KEY, 0], "raise.args[0]"),
        ("raise", [".message"], "raise.message"),
        ("yield", [0, 1], "yield[0][1]"),
    ],
)
def test_a_path_reads_as_python(root: str, steps: list[object], expected: str) -> None:
    assert expected == render_path(root, steps)


def test_the_parts_of_a_call_are_defined_once() -> None:
    assert ("args", "return", "raise", "yield") == PARTS
    assert PARTS is SETTINGS_PARTS
    assert ("return", "raise", "yield") == OUTCOMES


def test_one_marker_stands_for_every_redaction() -> None:
    assert "<redacted>" == REDACTED
    assert PLACEHOLDER is REDACTED
