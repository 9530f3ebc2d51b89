"""A seamrec run imports the code of its own mode only: a clean check loads neither the
recording and cassette-writing code nor the change engine that explains a drift, a
record run never the check, and no run imports `unittest.mock` to recognise a mock."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import LayeredApp, fresh_project, record_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]

[tool.seamrec]
boundaries = ["app"]
cassette_dir = "cassettes"
"""
# Writes what the run imported when pytest is done.
CONFTEST = """\
import sys
from pathlib import Path


def pytest_unconfigure(config):
    Path(__file__).with_name("modules.txt").write_text("\\n".join(sorted(sys.modules)))
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
EXPLAINING = (  # what a drift's failure message is made with
    "seamrec.review.change_model",
    "seamrec.review.explain",
    "seamrec.pytest_plugin.failure",
)
CHANGE_ENGINE = (*EXPLAINING, "seamrec.review.changes", "seamrec.review.render")
RECORDING = (
    "seamrec.runtime.recording",
    "seamrec.runtime.writer",
    "seamrec.cassette.redact",
    "seamrec.cassette.secrets",
    "seamrec.review.contract",
)
CHECKING = ("seamrec.runtime.checking", "seamrec.runtime.verdict", "seamrec.runtime.rebuild")


FILES = {
    "pyproject.toml": PYPROJECT,
    "conftest.py": CONFTEST,
    "app/__init__.py": APP,
    "test_app.py": TESTS,
}


@pytest.fixture
def app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    return fresh_project(pytester, monkeypatch, FILES)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One record run of the app in a fresh process: its cassettes and what it imported
    (modules.txt), shared by the tests that start from a recording."""
    project = tmp_path_factory.mktemp("recorded")
    record_project(project, FILES).assert_outcomes(passed=1)
    return project


@pytest.fixture
def recorded_app(app: LayeredApp, recording: Path) -> LayeredApp:
    """The app as right after `app.record()`: the shared recording's cassettes and
    modules.txt."""
    app.copy_from(recording)
    return app


def imported(root: Path, among: tuple[str, ...]) -> list[str]:
    modules = set((root / "modules.txt").read_text().split())
    return [name for name in among if name in modules]


def test_a_clean_check_imports_neither_the_recording_nor_the_change_engine(
    recorded_app: LayeredApp,
) -> None:
    app = recorded_app

    result = app.check()

    result.assert_outcomes(passed=1)
    assert [] == imported(app.root, RECORDING + CHANGE_ENGINE + ("unittest.mock",))
    assert list(CHECKING[:2]) == imported(app.root, CHECKING[:2])


def test_a_record_run_imports_neither_the_check_nor_the_change_engine(recording: Path) -> None:
    app = recording  # its record run passed (the fixture asserts it)

    assert [] == imported(app, CHECKING + CHANGE_ENGINE + ("unittest.mock",))
    assert list(RECORDING) == imported(app, RECORDING)


def test_a_drift_loads_the_change_engine_to_explain_itself(recorded_app: LayeredApp) -> None:
    app = recorded_app
    app.edit("app/__init__.py", '{"text": "hello " + name}', '{"text": "hello " + name, "n": 1}')

    result = app.check()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*seam drift in test_app.py::test_greeting*", "*key added*"])
    assert list(EXPLAINING) == imported(app.root, EXPLAINING)


DRIVERS_AND_CLIENTS = ("psycopg", "httpx", "requests", "werkzeug.test")  # installed here
# A test that imports them itself, after seamrec started: they are patched on import.
LATE_IMPORT_TEST = """\

def test_clients_imported_late_are_patched():
    import httpx
    import psycopg
    import requests

    assert type(psycopg.connect).__name__ == "Connect"
    assert type(vars(psycopg.Connection)["connect"]).__name__ == "ConnectMethod"
    assert vars(requests.Session)["send"].__seamrec__
    assert vars(httpx.Client)["send"].__seamrec__
    assert vars(httpx.ASGITransport)["handle_async_request"].__seamrec__
"""


@pytest.mark.parametrize("mode", ["record", "check"])
def test_a_run_imports_no_driver_or_client_the_tests_do_not_use(
    recorded_app: LayeredApp, mode: str
) -> None:
    app = recorded_app
    assert [] == imported(app.root, DRIVERS_AND_CLIENTS)  # the shared record run's
    (app.root / "modules.txt").unlink()  # the next run writes its own

    result = app.record() if mode == "record" else app.check()

    result.assert_outcomes(passed=1)
    assert [] == imported(app.root, DRIVERS_AND_CLIENTS)


def test_a_driver_or_client_imported_by_a_test_is_patched_on_import(app: LayeredApp) -> None:
    (app.root / "test_late.py").write_text(LATE_IMPORT_TEST)

    result = app.record()

    result.assert_outcomes(passed=2)
    assert list(DRIVERS_AND_CLIENTS[:3]) == imported(app.root, DRIVERS_AND_CLIENTS[:3])


# wrapt's import finder taken off sys.meta_path after seamrec started (as pytester's
# in-process runs do when they restore it): the next test's start patches what the
# previous one imported.
WITHOUT_WRAPT_FINDER = """

def pytest_configure(config):
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "wrapt.importer"]
"""
FINDER_GONE_TESTS = """\\

def test_imports_requests():
    import requests

    assert "send" in vars(requests.Session)


def test_then_requests_is_patched():
    import requests

    assert vars(requests.Session)["send"].__seamrec__
"""


def test_a_driver_imported_while_wrapts_finder_is_gone_is_patched_at_the_next_test(
    app: LayeredApp,
) -> None:
    (app.root / "conftest.py").write_text(CONFTEST + WITHOUT_WRAPT_FINDER)
    (app.root / "test_late.py").write_text(FINDER_GONE_TESTS)

    result = app.record("test_late.py")

    result.assert_outcomes(passed=2)
