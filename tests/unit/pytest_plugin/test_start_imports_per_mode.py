"""What seamrec imports at the start of a run is what its mode uses: a clean check of an
app whose payloads hold plain values imports no `review` module and no view of decoded
payloads (`model.views`), a record run neither the check nor those views, so a module
that every run would pay for cannot slip back in unnoticed."""

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
# Writes the seamrec modules the run imported when pytest is done.
CONFTEST = """\
import sys
from pathlib import Path


def pytest_unconfigure(config):
    names = sorted(m for m in sys.modules if m == "seamrec" or m.startswith("seamrec."))
    Path(__file__).with_name("modules.txt").write_text("\\n".join(names))
"""
APP = """\
def greeting(name):
    return {"text": "hello " + name, "length": len(name)}
"""
TESTS = """\
from app import greeting


def test_greeting():
    assert "hello Ada" == greeting("Ada")["text"]
"""
FILES = {
    "pyproject.toml": PYPROJECT,
    "conftest.py": CONFTEST,
    "app/__init__.py": APP,
    "test_app.py": TESTS,
}
pytestmark = pytest.mark.subprocess_runs  # what a fresh pytest process imports
VIEWS = "seamrec.model.views"
WRITING = (
    "seamrec.runtime.recording",
    "seamrec.runtime.writer",
    "seamrec.cassette.redact",
    "seamrec.cassette.secrets",
    "seamrec.cassette.settled",
)
CHECKING = (
    "seamrec.runtime.checking",
    "seamrec.runtime.verdict",
    "seamrec.runtime.rebuild",
    "seamrec.cassette.lazycalls",
)
# What a record run's end uses of `review`: the contracts and the stale cassettes.
RECORD_END = (
    "seamrec.review",
    "seamrec.review.collector",
    "seamrec.review.contract",
    "seamrec.review.contract_layout",
    "seamrec.review.contract_unions",
    "seamrec.review.http_text",
    "seamrec.review.paths",
    "seamrec.review.stale",
)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One record run of the app in a fresh process (its modules.txt and cassettes)."""
    project = tmp_path_factory.mktemp("recorded")
    record_project(project, FILES).assert_outcomes(passed=1)
    return project


def imported(root: Path) -> list[str]:
    return (root / "modules.txt").read_text().split()


def test_a_clean_check_imports_no_review_module_and_no_payload_views(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> None:
    app: LayeredApp = fresh_project(pytester, monkeypatch, FILES)
    app.copy_from(recording)

    result = app.check()

    result.assert_outcomes(passed=1)
    modules = imported(app.root)
    assert [] == [m for m in modules if m.startswith("seamrec.review")]
    assert [] == [m for m in modules if m == VIEWS or m in WRITING]
    assert list(CHECKING) == [m for m in CHECKING if m in modules]


def test_a_record_run_imports_only_the_record_end_of_review_and_no_payload_views(
    recording: Path,
) -> None:
    modules = imported(recording)

    assert list(RECORD_END) == [m for m in modules if m.startswith("seamrec.review")]
    assert [] == [m for m in modules if m == VIEWS or m in CHECKING]
    assert list(WRITING) == [m for m in WRITING if m in modules]
