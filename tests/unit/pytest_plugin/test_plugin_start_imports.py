"""An installed seamrec costs a run without a seamrec option only its option parser: the
engine (model, cassette, runtime, review; msgpack, wrapt) is imported once an
option, a replay marker or the `seams` fixture asks for it, in xdist workers too."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import LayeredApp, fresh_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]

[tool.seamrec]
boundaries = ["app"]
"""
# Writes what the run imported, one file per process, when pytest is done.
CONFTEST = """\
import os
import sys
from pathlib import Path


def pytest_unconfigure(config):
    process = os.environ.get("PYTEST_XDIST_WORKER", "main")
    Path(__file__).with_name(f"modules-{process}.txt").write_text("\\n".join(sorted(sys.modules)))
"""
APP = """\
def greeting(name):
    return {"text": "hello " + name}
"""
TESTS = """\
from app import greeting


def test_greeting():
    assert "hello Ada" == greeting("Ada")["text"]
"""
pytestmark = pytest.mark.subprocess_runs  # what a fresh pytest process imports
HEAVY = (
    "seamrec.model",
    "seamrec.cassette",
    "seamrec.runtime",
    "seamrec.review",
    "msgpack",
    "deepdiff",
    "wrapt",
)
OPTION_PARSER = [
    "seamrec",
    "seamrec.exceptions",
    "seamrec.pytest_plugin",
    "seamrec.pytest_plugin.hooks",
    "seamrec.pytest_plugin.options",
    "seamrec.pytest_plugin.stash",
]


@pytest.fixture
def app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "conftest.py": CONFTEST,
        "app/__init__.py": APP,
        "test_app.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def imported(root: Path, process: str = "main") -> list[str]:
    return (root / f"modules-{process}.txt").read_text().split()


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in HEAVY)]


def seamrec_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "seamrec" or m.startswith("seamrec.")]


def test_a_run_without_a_seamrec_option_imports_only_the_option_parser(app: LayeredApp) -> None:
    result = app.run()

    result.assert_outcomes(passed=1)
    modules = imported(app.root)
    assert [] == heavy(modules)
    assert OPTION_PARSER == seamrec_modules(modules)


def test_xdist_workers_without_a_seamrec_option_import_only_the_option_parser(
    app: LayeredApp,
) -> None:
    result = app.run("-n", "1")

    result.assert_outcomes(passed=1)
    for process in ("main", "gw0"):
        modules = imported(app.root, process)
        assert [] == heavy(modules), process
        assert OPTION_PARSER == seamrec_modules(modules), process


def test_a_seamrec_option_imports_the_engine(app: LayeredApp) -> None:
    result = app.check()

    result.assert_outcomes(passed=1)
    modules = imported(app.root)
    assert "seamrec.runtime.session" in modules
    assert {"msgpack", "wrapt"} <= set(heavy(modules))


def test_the_seams_fixture_imports_what_it_needs_when_a_test_asks_for_it(
    app: LayeredApp,
) -> None:
    app.write(
        "test_fake.py",
        """
        import pytest

        import seamrec


        def test_fake(seams):
            with pytest.raises(seamrec.SeamMismatch, match="no recording of app:greeting"):
                seams.assert_matches({"text": "hi"}, "app:greeting")
        """,
    )

    result = app.run("test_fake.py")

    result.assert_outcomes(passed=1)
    modules = imported(app.root)
    assert "seamrec.pytest_plugin.matching" in modules
    assert "seamrec.runtime.session" not in modules
