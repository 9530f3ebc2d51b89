"""Payload parts and paths: where a value sits in a call (`return['user']['email']`).

A path is a root part (one of `PARTS`) and steps: a dict key or field name, a tuple
position, or one of the markers below. Rendered for people by `render_path`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seamrec.config import PARTS as PARTS  # defined in the foundation: settings parse it

__all__ = [
    "ARGS_KEY",
    "ITEMS_KEY",
    "KEYS_KEY",
    "OUTCOMES",
    "PARTS",
    "REDACTED",
    "VALUES_KEY",
    "render_path",
]

OUTCOMES: tuple[str, ...] = PARTS[1:]  # ("return", "raise", "yield"): how a call ended
ITEMS_KEY = "<items>"  # every element of a collection, rendered `[*]`
KEYS_KEY = "<keys>"  # the keys of a mapping whose keys are data
VALUES_KEY = "<values>"  # ...and its values
ARGS_KEY = "<args>"  # the args of an exception
REDACTED = "<redacted>"  # stands for a redacted value, and for a key that was a secret

_STEP_TEXT = {ITEMS_KEY: "[*]", KEYS_KEY: ".keys()", VALUES_KEY: ".values()", ARGS_KEY: ".args"}


def render_path(root: str, steps: Sequence[Any]) -> str:
    """`return['order']['created_at']`, `args.user.email`, `[*]` for any element; a step
    that starts with a dot (an object's field, `.message`) is written as it is."""
    parts = [root]
    rest = list(steps)
    if root == "args" and rest and isinstance(rest[0], str):
        parts.append(f".{rest.pop(0)}")
    for step in rest:
        if isinstance(step, str) and step in _STEP_TEXT:
            parts.append(_STEP_TEXT[step])
        elif isinstance(step, str) and step.startswith("."):
            parts.append(step)
        else:
            parts.append(f"[{step!r}]")
    return "".join(parts)
