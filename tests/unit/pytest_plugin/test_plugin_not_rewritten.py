"""pytest marks every module of an installed plugin's distribution for assertion
rewriting (a wheel install of seamrec is marked so); seamrec takes its own modules back,
so they are imported by Python's own loader, not by pytest's slower import hook."""

from __future__ import annotations

import pytest

from helpers import fresh_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]

[tool.seamrec]
boundaries = ["app"]
cassette_dir = "cassettes"
"""
# Loaded with `-p` before the entry points: marks seamrec as a wheel install gets marked.
MARKS_SEAMREC = """\
def pytest_addoption(parser, pluginmanager):
    pluginmanager.rewrite_hook.mark_rewrite("seamrec")
"""
APP = """\
def greeting(name):
    return {"text": "hello " + name}
"""
TESTS = """\
import sys

from app import greeting


def test_greeting():
    assert greeting("Ada")["text"] == "hello Ada"


def test_seamrec_loaded_by_python():
    engine = sys.modules["seamrec.runtime.session"]
    assert type(engine.__loader__).__name__ == "SourceFileLoader"


def test_own_tests_still_rewritten():
    assert type(sys.modules[__name__].__loader__).__name__ == "AssertionRewritingHook"
"""
pytestmark = pytest.mark.subprocess_runs  # the marking happens as a fresh pytest starts


def test_seamrec_modules_are_not_loaded_by_the_rewrite_hook(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "marks_seamrec.py": MARKS_SEAMREC,
            "app/__init__.py": APP,
            "test_app.py": TESTS,
        },
    )
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-p", "marks_seamrec", "--record-seams")
    result.assert_outcomes(passed=3)
