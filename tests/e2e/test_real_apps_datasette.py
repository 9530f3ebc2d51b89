"""An app shaped like datasette: an app object holding a registry of renderer functions
(some of them seams of the app itself) and a settings dict, handed to plugin-style hooks
in other modules. What the contracts and the checks of such an app must never hold:
seamrec's own wrapper type in place of the function it wraps."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.seamrec]
boundaries = ["dsapp"]
"""

RENDERERS = '''\
"""Output renderers: public functions of a boundary module, so seams."""


def render_json(rows):
    return {"rows": rows}


def can_render_json(rows):
    return True
'''

APP = '''\
"""The app's settings: a registry of renderers, some of them seams, some local lambdas.
A dataclass, so data that is walked (an app object that is a service is recorded by
its plain fields only, and its registry as `dict (opaque)`)."""

from dataclasses import dataclass, field

from dsapp import renderers


def _renderers():
    return {
        "json": (renderers.render_json, renderers.can_render_json),
        "text": (lambda rows: str(rows), lambda rows: True),
    }


@dataclass
class App:
    page_size: int = 10
    renderers: dict = field(default_factory=_renderers)
    plugins: list = field(default_factory=lambda: [renderers.render_json])
'''

HOOKS = '''\
"""A plugin hook that receives the whole app object from another module."""


def actor_from_request(app, request):
    return {"id": request.get("actor"), "formats": sorted(app.renderers)}
'''

TESTS = """\
from dsapp.app import App
from dsapp.hooks import actor_from_request


def test_actor():
    app = App()
    assert actor_from_request(app, {"actor": "root"}) == {
        "id": "root", "formats": ["json", "text"],
    }


def test_render():
    app = App()
    render, _ = app.renderers["json"]
    assert render([1]) == {"rows": [1]}
"""


@pytest.fixture
def app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "dsapp/__init__.py": "",
        "dsapp/renderers.py": RENDERERS,
        "dsapp/app.py": APP,
        "dsapp/hooks.py": HOOKS,
        "tests/test_app.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_a_seam_function_held_in_a_registry_records_as_a_function(app: LayeredApp) -> None:
    app.record().assert_outcomes(passed=2)

    contract = (app.cassettes / "contracts/dsapp.hooks.txt").read_text()
    assert "SeamWrapper" not in contract
    assert "seamrec." not in contract
    assert "  args.app.renderers['json'][0]: function (opaque)\n" in contract
    assert "  args.app.renderers['text'][0]: function (opaque)\n" in contract
    assert "  args.app.plugins[*]: function (opaque)\n" in contract
    app.check().assert_outcomes(passed=2)


def test_a_bound_seam_method_in_a_payload_records_as_a_method(app: LayeredApp) -> None:
    app.edit(
        "dsapp/app.py",
        "field(default_factory=lambda: [renderers.render_json])",
        "field(default_factory=list)",
    )
    app.write(
        "dsapp/app.py",
        (app.root / "dsapp/app.py").read_text()
        + """

class Plugin:
    def startup(self):
        return "started"


def hooks():
    return [Plugin().startup]
""",
    )
    app.write(
        "tests/test_hooks.py",
        """
        from dsapp import app


        def test_hooks():
            [startup] = app.hooks()
            assert startup() == "started"
        """,
    )

    app.record().assert_outcomes(passed=3)

    contract = (app.cassettes / "contracts/dsapp.app.txt").read_text()
    assert "seamrec." not in contract
    assert "  return[*]: method (opaque)\n" in contract
    app.check().assert_outcomes(passed=3)


POOL_FILES = {
    "dsapp/sql_functions.py": '''\
"""A plugin hook run once per new connection."""


def prepare_connection(conn):
    conn["functions"] = ["upper"]
    return len(conn["functions"])
''',
    "dsapp/db.py": '''\
"""One connection per thread, prepared by the hook on its first use in that thread."""

import threading

from dsapp import sql_functions

_local = threading.local()


def connection(name):
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = {"name": name}
        sql_functions.prepare_connection(conn)
    return conn
''',
    "dsapp/pool.py": '''\
"""Queries run in a thread pool, as datasette runs them: how many threads get a
connection is up to the scheduler (here: WORKERS, each task waiting for the others)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from dsapp import db

WORKERS = 2


def run_all():
    barrier = threading.Barrier(WORKERS)

    def work(i):
        barrier.wait()
        return db.connection("main")["name"]

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(work, range(WORKERS)))
''',
    "tests/test_pool.py": """\
from dsapp import pool


def test_queries_in_a_pool():
    assert set(pool.run_all()) == {"main"}
""",
}


@pytest.fixture
def pooled(app: LayeredApp) -> LayeredApp:
    """The app with a thread pool whose threads each prepare a connection."""
    for path, source in POOL_FILES.items():
        app.write(path, source)
    return app


def test_a_per_thread_setup_called_more_or_less_often_in_a_pool_is_no_drift(
    pooled: LayeredApp,
) -> None:
    pooled.record().assert_outcomes(passed=3)

    for workers in ("3", "1"):
        pooled.edit("dsapp/pool.py", "WORKERS = 2", f"WORKERS = {workers}")
        check = pooled.check()
        check.assert_outcomes(passed=3)
        assert "0 tests drifted" in "\n".join(seamrec_summary(check))
        pooled.edit("dsapp/pool.py", f"WORKERS = {workers}", "WORKERS = 2")


def test_a_pooled_setup_that_changed_its_shape_or_stopped_is_still_drift(
    pooled: LayeredApp,
) -> None:
    pooled.record().assert_outcomes(passed=3)
    pooled.edit("dsapp/pool.py", "WORKERS = 2", "WORKERS = 3")
    pooled.edit(
        "dsapp/sql_functions.py", 'return len(conn["functions"])', 'return conn["functions"]'
    )

    changed = pooled.check()

    changed.assert_outcomes(passed=2, failed=1)
    changed.stdout.fnmatch_lines(["*dsapp.sql_functions:prepare_connection*return*", "*int*list*"])

    pooled.edit(
        "dsapp/sql_functions.py", 'return conn["functions"]', 'return len(conn["functions"])'
    )
    pooled.edit("dsapp/db.py", "        sql_functions.prepare_connection(conn)\n", "")

    stopped = pooled.check()

    stopped.assert_outcomes(passed=2, failed=1)
    stopped.stdout.fnmatch_lines(["*dsapp.sql_functions:prepare_connection  call missing*"])
