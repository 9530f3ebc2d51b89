"""A pytest plugin for `seamrec prune`'s collection subprocess: writes every collected
test id to the JSON file named by the SEAMREC_COLLECT_OUTPUT environment variable,
whatever the project's verbosity. Items are taken as they are collected, before any
deselection or filtering by other plugins: those tests still exist."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OUTPUT_ENV = "SEAMREC_COLLECT_OUTPUT"
_IDS = pytest.StashKey[set[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_IDS] = set()


def pytest_itemcollected(item: pytest.Item) -> None:
    item.config.stash[_IDS].add(item.nodeid)


def pytest_collection_finish(session: pytest.Session) -> None:
    ids = session.config.stash[_IDS]
    target = os.environ.get(OUTPUT_ENV)
    if target:
        Path(target).write_text(json.dumps(sorted(ids)), encoding="utf-8")
