"""The instrumenter judges a module's scope once per name; wrapping more seams (replay
markers) judges again."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import package_writer
from seamrec.config import SeamPattern, settings_from_table
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "scopememopkg"


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    yield from package_writer(tmp_path, monkeypatch, PACKAGE)


def _session(tmp_path: Path, mode: Mode, table: dict[str, Any]) -> SeamSession:
    return SeamSession(settings_from_table(table, rootdir=tmp_path), mode)


def test_the_scope_memo_agrees_with_the_settings(
    tmp_path: Path, write: Callable[..., None]
) -> None:
    write(api="def get():\n    return 1\n")
    session = _session(tmp_path, Mode.RECORD, {"boundaries": [PACKAGE]})
    session.start()
    try:
        importlib.import_module(f"{PACKAGE}.api")
        instrumenter = session.instrumenter
        for name in [*sys.modules, f"{PACKAGE}.api", "json", f"{PACKAGE}x"]:
            expected = instrumenter.settings.module_in_scope(name)
            assert instrumenter.in_scope(name) is expected
            assert instrumenter.in_scope(name) is expected  # the memo's answer
        assert f"{PACKAGE}.api:get" in instrumenter.report.seams
    finally:
        session.stop()


def test_seams_added_later_are_wrapped_in_modules_judged_out_of_scope_before(
    tmp_path: Path, write: Callable[..., None]
) -> None:
    write(libscopememo="def ping():\n    return 'pong'\n")
    session = _session(tmp_path, Mode.REPLAY, {"boundaries": [PACKAGE]})
    session.start()
    try:
        module = importlib.import_module("libscopememo")
        assert not session.instrumenter.in_scope("libscopememo")  # judged: out of scope
        original = module.ping
        session.replay_also((SeamPattern.parse("libscopememo:ping", key="test"),))
        assert session.instrumenter.in_scope("libscopememo")
        assert module.ping is not original  # wrapped now
        assert "libscopememo:ping" in session.instrumenter.report.seams
    finally:
        session.stop()
