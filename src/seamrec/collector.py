"""A pytest plugin for `seamrec prune`'s collection subprocess: writes every collected
test id (deselected ones too: they still exist) to the JSON file named by the
SEAMREC_COLLECT_OUTPUT environment variable, whatever the project's verbosity."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OUTPUT_ENV = "SEAMREC_COLLECT_OUTPUT"
_IDS = pytest.StashKey[set[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_IDS] = set()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash[_IDS].update(item.nodeid for item in items)


def pytest_collection_finish(session: pytest.Session) -> None:
    ids = session.config.stash[_IDS]
    ids.update(item.nodeid for item in session.items)
    target = os.environ.get(OUTPUT_ENV)
    if target:
        Path(target).write_text(json.dumps(sorted(ids)), encoding="utf-8")
