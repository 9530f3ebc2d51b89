"""Fixtures shared by the whole suite; the plain helpers they use live in helpers.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

# Imported once, before any pytester snapshot of sys.modules, so that in-process inner runs
# (helpers.run_in_process) reuse them instead of importing them again each run. SQLAlchemy
# cannot even be imported a second time in one process.
import fastapi  # noqa: F401
import flask  # noqa: F401
import httpx  # noqa: F401
import pytest
import requests  # noqa: F401
import sqlalchemy.orm  # noqa: F401
import werkzeug.test  # noqa: F401
from hypothesis import settings

# `seamrec.SeamMismatch` is imported lazily and then kept in `seamrec`'s namespace: were
# its module first imported inside an inner run, the next inner run would raise a fresh
# class that an inner `pytest.raises(seamrec.SeamMismatch)` no longer catches.
import seamrec.pytest_plugin.matching  # noqa: F401
from helpers import (
    EXTRA_TESTS,
    IN_PROCESS,
    LEAKY_PYPROJECT,
    LEAKY_SETTINGS,
    LEAKY_TESTS,
    LEAKY_WEAK,
    LayeredApp,
    fresh_project,
    layered_files,
    postgres_schema,
    postgres_server_dsn,
    record_project,
)

# `pytest --hypothesis-profile=thorough` (a nightly run, or before a release): every
# property test draws ten times its everyday number of examples (helpers.examples).
settings.register_profile("thorough", max_examples=1000)


@pytest.fixture(autouse=True)
def inner_runs_in_subprocesses(request: pytest.FixtureRequest) -> Iterator[None]:
    """The `subprocess_runs` marker: this test's inner pytest runs are real subprocesses."""
    if request.node.get_closest_marker("subprocess_runs") is None:
        yield
        return
    IN_PROCESS.enabled = False
    try:
        yield
    finally:
        IN_PROCESS.enabled = True


@pytest.fixture
def layered_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """The layered app with three passing tests (10 crossing calls), nothing recorded yet."""
    return fresh_project(pytester, monkeypatch, layered_files())


@pytest.fixture
def isolated_git(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """git sees no repository above the test's directory and no system or user config
    (pytester already points HOME at the test's directory)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def layered_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cassette dir of one real record run of the layered app as it is (its three
    tests), shared by the tests that would otherwise start by recording it themselves."""
    project = tmp_path_factory.mktemp("layered")
    result = record_project(project, layered_files())
    assert 0 == result.ret, "\n".join(result.outlines + result.errlines)
    result.assert_outcomes(passed=3)
    return project / "cassettes"


@pytest.fixture
def layered_cassettes(layered_app: LayeredApp, layered_recording: Path) -> Path:
    """The cassettes of `layered_recording` in `layered_app`, as right after
    `layered_app.record()` (tests take it with `@pytest.mark.usefixtures`)."""
    shutil.copytree(layered_recording, layered_app.cassettes)
    return layered_app.cassettes


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cassette dir of one real record run of the layered app plus tests/test_orders.py
    (four tests), shared by every test of the `seamrec` command that starts from it."""
    project = tmp_path_factory.mktemp("baseline")
    files = {**layered_files(), "tests/test_orders.py": EXTRA_TESTS}
    result = record_project(project, files)
    assert 0 == result.ret, "\n".join(result.outlines + result.errlines)
    return project / "cassettes"


@pytest.fixture
def recorded_app(layered_app: LayeredApp, baseline: Path) -> LayeredApp:
    """The layered app plus tests/test_orders.py, with the cassettes of `baseline`."""
    layered_app.write("tests/test_orders.py", EXTRA_TESTS)
    shutil.copytree(baseline, layered_app.cassettes)
    return layered_app


@pytest.fixture(scope="session")
def leaky_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The leaky app (helpers.py), recorded once with the weak rules; the rules are the
    project's defaults again afterwards."""
    project = tmp_path_factory.mktemp("leaky")
    files = {**layered_files(), "app/settings.py": LEAKY_SETTINGS, "pyproject.toml": LEAKY_WEAK}
    del files["tests/test_api.py"]
    files["tests/test_settings.py"] = LEAKY_TESTS
    record_project(project, files).assert_outcomes(passed=2)
    (project / "pyproject.toml").write_text(LEAKY_PYPROJECT)
    return project


@pytest.fixture
def leaky_app(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, leaky_recording: Path
) -> LayeredApp:
    """Two recorded tests whose cassettes hold a database password and a GitHub token."""
    app = fresh_project(pytester, monkeypatch, {})
    app.copy_from(leaky_recording)
    return app


@pytest.fixture
def postgres_dsn() -> str:
    """The DSN of a throwaway PostgreSQL server (helpers.postgres_server_dsn: skipped
    without one, failed in CI)."""
    return postgres_server_dsn()


@pytest.fixture
def schema_dsn(postgres_dsn: str) -> Iterator[str]:
    """The server's DSN with a fresh schema of its own first on the search path (so
    parallel tests never share a table); the schema is dropped afterwards."""
    with postgres_schema(postgres_dsn) as dsn:
        yield dsn
