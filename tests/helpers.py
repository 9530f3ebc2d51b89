"""Shared helpers of the test suite: the layered app, inner pytest runs, git and the CLI.

A small layered app (api → service → repo on sqlite3) for end-to-end runs of seamrec.
Every run is a real `pytest` subprocess (`runpytest_subprocess`): instrumentation rewrites
`sys.modules`, which an in-process run would leak into the next test. Between the record
run and the check run a test changes the app with `LayeredApp.edit`, the way a developer
would change the code. Fixtures built from these live in conftest.py; test modules import
from here, never from each other.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from seamrec.cassette.store import Call, Cassette, load
from seamrec.model.codec import pack, unpack

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
databases = []  # these runs count module seams; the database seam has test_database_seam.py
"""

REPO = '''\
"""Storage: users and their orders in an in-memory SQLite database."""

import asyncio
import sqlite3
import time
from collections.abc import Iterator

FETCHED: list[int] = []  # ids of the orders `iter_orders` has produced so far

_connection: sqlite3.Connection | None = None


def _db() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(":memory:")
        _connection.executescript("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, zip TEXT,
                                city TEXT);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER);
            INSERT INTO users VALUES (1, 'Ada', 'ada@example.org', '10115', 'Berlin');
            INSERT INTO orders VALUES (10, 1, 250), (11, 1, 990), (12, 1, 40);
        """)
    return _connection


def get_user(user_id: int) -> dict[str, object]:
    row = _db().execute(
        "SELECT id, name, email, zip, city FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    if row is None:
        raise KeyError(user_id)
    id_, name, email, zip_code, city = row
    return {
        "id": id_,
        "name": name,
        "email": email,
        "created_at": int(time.time() * 1_000_000),
        "address": {"zip": zip_code, "city": city},
    }


def order_rows(user_id: int, limit: int) -> list[tuple[int, int]]:
    rows: list[tuple[int, int]] = _db().execute(
        "SELECT id, total FROM orders WHERE user_id = ? ORDER BY id LIMIT ?", (user_id, limit)
    ).fetchall()
    return rows


async def fetch_user(user_id: int) -> dict[str, object]:
    await asyncio.sleep(0)
    return get_user(user_id)


def iter_orders(user_id: int) -> Iterator[tuple[int, int]]:
    for row in order_rows(user_id, 100):
        FETCHED.append(row[0])
        yield row
'''

SERVICE = '''\
"""Business rules on top of the repository."""

from app.repo import get_user, order_rows


def profile(user_id: int) -> dict[str, object] | None:
    try:
        user = get_user(user_id)
    except LookupError:
        return None
    return {"id": user["id"], "name": user["name"]}


def order_summary(user_id: int) -> dict[str, object]:
    get_user(user_id)  # unknown users raise
    rows = order_rows(user_id, 2)
    return {"count": len(rows)}
'''

API = '''\
"""Handlers, registered by name in ROUTES at import time."""

from collections.abc import Callable
from typing import Any

from app import service

ROUTES: dict[str, Callable[[int], dict[str, Any]]] = {}


def route(name: str) -> Callable[[Callable[[int], dict[str, Any]]], Any]:
    def register(handler: Callable[[int], dict[str, Any]]) -> Callable[[int], dict[str, Any]]:
        ROUTES[name] = handler
        return handler

    return register


@route("profile")
def get_profile(user_id: int) -> dict[str, object]:
    body = service.profile(user_id)
    return {"status": 200 if body else 404, "body": body}


@route("orders")
def get_orders(user_id: int) -> dict[str, object]:
    return {"status": 200, "body": service.order_summary(user_id)}
'''

TESTS = """\
from app.api import ROUTES, get_profile


def test_profile():
    assert get_profile(1) == {"status": 200, "body": {"id": 1, "name": "Ada"}}


def test_unknown_user():
    assert get_profile(99) == {"status": 404, "body": None}


def test_orders_by_route():
    assert ROUTES["orders"](1)["body"]["count"] == 2
"""


@dataclass
class LayeredApp:
    """The app and its tests in `pytester.path`, and the ways to run and change them."""

    pytester: pytest.Pytester

    @property
    def root(self) -> Path:
        return self.pytester.path

    @property
    def cassettes(self) -> Path:
        return self.root / "cassettes"

    def write(self, path: str, source: str) -> Path:
        """Create or replace a file below the root."""
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(source))
        return file

    def edit(self, path: str, old: str, new: str) -> None:
        """Replace the one occurrence of `old` in `path` with `new`."""
        file = self.root / path
        text = file.read_text()
        assert text.count(old) == 1, f"{old!r} must occur exactly once in {path}"
        file.write_text(text.replace(old, new))

    def copy_from(self, project: Path) -> None:
        """Take the files and cassettes of `project` (one made by `record_project`)."""
        shutil.copytree(project, self.root, dirs_exist_ok=True)

    def run(self, *args: str) -> pytest.RunResult:
        """A pytest run of the project: in this process where that is proven safe
        (`run_in_process`), else a real subprocess."""
        if IN_PROCESS.enabled and not {"-n", "--numprocesses", "--dist"} & set(args):
            return run_in_process(self.pytester, "-p", "no:cacheprovider", *args)
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    def record(self, *args: str) -> pytest.RunResult:
        return self.run("--record-seams", *args)

    def check(self, *args: str) -> pytest.RunResult:
        return self.run("--check-seams", *args)

    def recorded(self) -> dict[str, bytes]:
        """Every cassette file, by its path relative to the cassette dir."""
        return {
            path.relative_to(self.cassettes).as_posix(): path.read_bytes()
            for path in sorted(self.cassettes.rglob("*.msgpack"))
        }


class InProcess:
    """Whether `LayeredApp.run` may run pytest in this process (the `subprocess_runs`
    marker of a test turns it off, see conftest.py)."""

    enabled = True


IN_PROCESS = InProcess()

# What seamrec patches outside the code under test and must give back at the end of a run:
# (module, class or "" for the module itself, attribute).
PATCHED_BY_SEAMREC = (
    ("sqlite3", "", "connect"),
    ("sqlite3.dbapi2", "", "connect"),
    ("psycopg", "", "connect"),
    ("werkzeug.test", "Client", "open"),
    ("httpx", "ASGITransport", "handle_async_request"),
    ("httpx", "Client", "send"),
    ("httpx", "AsyncClient", "send"),
    ("requests", "Session", "send"),
    ("starlette.testclient", "_TestClientTransport", "handle_request"),
    ("django.test.client", "Client", "request"),
)


def current_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def process_state() -> dict[str, object]:
    """What an inner run in this process could leave changed for the tests after it."""
    state: dict[str, object] = {
        "sys.meta_path": list(sys.meta_path),
        "sys.path_hooks": list(sys.path_hooks),
        "sys.path": list(sys.path),
        "sys.gettrace": sys.gettrace(),
        "sys.getprofile": sys.getprofile(),
        "sys.excepthook": sys.excepthook,
        "threading.excepthook": threading.excepthook,
        # pytest itself sets and removes PYTEST_CURRENT_TEST (restored by run_in_process)
        **{f"${k}": v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"},
        "cwd": os.getcwd(),
        "umask": current_umask(),
        "signal.SIGINT": signal.getsignal(signal.SIGINT),
        "signal.SIGTERM": signal.getsignal(signal.SIGTERM),
        "threads": {t for t in threading.enumerate() if not t.daemon},
    }
    django_conf = sys.modules.get("django.conf")
    if django_conf is not None:  # Django is configured once per process
        state["django settings configured"] = django_conf.settings.configured
    for module_name, owner_name, attribute in PATCHED_BY_SEAMREC:
        module = sys.modules.get(module_name)
        owner = getattr(module, owner_name, None) if owner_name else module
        if owner is not None:
            state[f"{module_name}:{owner_name}.{attribute}"] = vars(owner).get(attribute)
    return state


def interpreter_default_warning_filters() -> None:
    """The warning filters a fresh interpreter starts with (as in a subprocess run)."""
    warnings.resetwarnings()
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


def project_modules(root: Path) -> set[str]:
    """The top-level modules and packages a pytest run in `root` could import from it."""
    return {
        path.stem
        for base in (root, root / "tests")
        if base.is_dir()
        for path in base.iterdir()
        if path.suffix == ".py" or (path / "__init__.py").is_file()
    } - {"conftest"}


def run_in_process(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """`pytest ARGS` in this process, proven to leave the process as it found it.

    pytester restores `sys.modules`, `sys.path` and `sys.meta_path` after the run (so the
    app's modules, and the wrappers in them, are gone); seamrec must give back everything
    else it patched when the run ends, and this fails the test if anything differs. What
    the app itself registers process-wide (sqlite3 adapters and converters) is undone here,
    as the end of a subprocess would. Bytecode is not written, as in the subprocess runs
    (PYTHONDONTWRITEBYTECODE), and no module of the project may be loaded already."""
    loaded = sorted(project_modules(pytester.path) & sys.modules.keys())
    assert not loaded, f"modules of the inner project are loaded in this process: {loaded}"
    before = process_state()
    adapters, converters = dict(sqlite3.adapters), dict(sqlite3.converters)
    current_test = os.environ.get("PYTEST_CURRENT_TEST")
    dont_write_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        with warnings.catch_warnings():
            interpreter_default_warning_filters()  # not this run's `filterwarnings = error`
            result = pytester.runpytest_inprocess(*args, no_reraise_ctrlc=True)
    finally:
        sys.dont_write_bytecode = dont_write_bytecode
        if current_test is not None:
            os.environ["PYTEST_CURRENT_TEST"] = current_test
        sqlite3.adapters.clear()
        sqlite3.adapters.update(adapters)
        sqlite3.converters.clear()
        sqlite3.converters.update(converters)
    for thread in {t for t in threading.enumerate() if not t.daemon} - before["threads"]:  # type: ignore[operator]
        thread.join(timeout=5)  # an app's worker thread may take a moment to end
    after = process_state()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert not changed, f"the in-process pytest run left these changed: {changed}"
    return result


# Third-party pytest plugins no inner run uses, left out of every inner run: hypothesis'
# plugin alone takes ~0.6 s of a ~1.5 s pytest start. (PYTEST_ADDOPTS of the outer run, if
# any, is replaced: the inner runs are fresh invocations.)
INNER_ADDOPTS = "-p no:hypothesispytest -p no:anyio"


def isolate_inner_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make an inner pytest run a fresh invocation with fresh bytecode."""
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
    # Edited modules must be re-read from source: a .pyc written in the same second as
    # the previous version of the file could be taken as up to date.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    # The inner run is not part of the xdist run this test may be in (test_xdist.py has
    # the one test that keeps these variables on purpose).
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def fresh_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> LayeredApp:
    """A project for inner pytest runs, made of `files` (path -> source)."""
    isolate_inner_run(monkeypatch)
    app = LayeredApp(pytester)
    for path, source in files.items():
        app.write(path, source)
    return app


def seamrec_summary(result: pytest.RunResult) -> list[str]:
    """The non-blank lines of the "seamrec" terminal summary section ([] when absent)."""
    lines = result.outlines
    start = next((i for i, line in enumerate(lines) if re.fullmatch(r"=+ seamrec =+", line)), None)
    if start is None:
        return []
    section: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("="):
            break
        if line:
            section.append(line)
    return section


def sql_contract_text(cassettes: Path) -> str:
    """The database's contract files (`contracts/sql/<table>.txt`) in file name order, a
    blank line between two ("" when there are none)."""
    folder = cassettes / "contracts" / "sql"
    return "\n".join(p.read_text() for p in sorted(folder.glob("*.txt")))


def sql_sections(cassettes: Path) -> dict[str, list[str]]:
    """Each statement's contract lines (stripped), by statement (`sql:...`)."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in sql_contract_text(cassettes).splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:], [])
        elif line.startswith("  "):
            current.append(line.strip())
    return found


def crossings(cassette: Path) -> list[tuple[str, str, str]]:
    """(seam, caller, outcome) of every call recorded in a cassette, in call order."""
    return [(call.seam, call.caller, call.outcome) for call in load(cassette).calls]


def payload(tree: object) -> Any:
    """A recorded argument or result as a Python value (views for non-plain types)."""
    return unpack(pack(tree))


def postgres_server_dsn() -> str:
    """The DSN of a throwaway PostgreSQL server (`.ci/postgres.sh start` exports it).

    Outside CI a missing server skips the test; in CI (`CI` set) it fails the test, so the
    PostgreSQL tests can never silently stop running there."""
    dsn = os.environ.get("SEAMREC_PG_DSN", "")
    if dsn:
        return dsn
    if os.environ.get("CI"):
        pytest.fail("SEAMREC_PG_DSN is not set in CI: .ci/run must start PostgreSQL first")
    pytest.skip('no PostgreSQL server: run eval "$(.ci/postgres.sh start)" to test against one')


@contextlib.contextmanager
def postgres_schema(server_dsn: str) -> Iterator[str]:
    """The server's DSN with a fresh schema of its own first on the search path (so
    parallel tests never share a table); the schema is dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{server_dsn} options='-c search_path={schema}'"
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def examples(count: int) -> int:
    """A property test's number of examples: `count` in the everyday run (the README's
    command, CI), ten times as many under `--hypothesis-profile=thorough` (conftest.py), or
    scaled likewise by any profile whose `max_examples` is not hypothesis' default of 100."""
    return max(1, count * settings().max_examples // 100)


ROOT = Path(__file__).resolve().parents[1]  # the seamrec project this suite tests
# The layered app's extra test file, which the `seamrec` command tests record along with TESTS.
EXTRA_TESTS = """\
from app.service import order_summary


def test_order_summary():
    assert order_summary(1) == {"count": 2}
"""
UNKNOWN_USER_TEST = """\
def test_unknown_user():
    assert get_profile(99) == {"status": 404, "body": None}


"""
# The cassettes of the layered app's tests, plus tests/test_orders.py (EXTRA_TESTS).
PROFILE = "cassettes/tests/test_api/test_profile.msgpack"
UNKNOWN_USER = "cassettes/tests/test_api/test_unknown_user.msgpack"
ORDERS_BY_ROUTE = "cassettes/tests/test_api/test_orders_by_route.msgpack"
ORDER_SUMMARY = "cassettes/tests/test_orders/test_order_summary.msgpack"
OUTSIDE = "tests and other callers"  # the caller of a call made outside any test
GIT_IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false")


def layered_files() -> dict[str, str]:
    """The layered app with its three passing tests (10 crossing calls), by path."""
    return {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/repo.py": REPO,
        "app/service.py": SERVICE,
        "app/api.py": API,
        "tests/test_api.py": TESTS,
    }


def clean_env() -> dict[str, str]:
    """The environment of an inner run: fresh bytecode, not part of an outer xdist run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env["PYTEST_ADDOPTS"] = INNER_ADDOPTS
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def seamrec_process(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m seamrec ARGS` in `cwd`, a real process (the entry point itself)."""
    return subprocess.run(
        [sys.executable, "-m", "seamrec", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )


def seamrec(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `seamrec` command's `main(ARGS)` in `cwd`, in this process, with the
    environment of `seamrec_process` and its output captured as that of a process (its own
    subprocesses, git and prune's collection run, stay real processes)."""
    from seamrec.review.cli import main

    stdout, stderr = io.TextIOWrapper(io.BytesIO()), io.TextIOWrapper(io.BytesIO())
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(clean_env())
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    texts = []
    for stream in (stdout, stderr):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode())
    return subprocess.CompletedProcess(["seamrec", *args], code, texts[0], texts[1])


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its output; a failing git command fails the test."""
    done = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert 0 == done.returncode, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def commit_all(root: Path, message: str) -> None:
    """Make `root` a git repository if it is none yet, and commit everything in it."""
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def assert_usage_error(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit status 2, nothing on stdout, one `seamrec: error:` line holding `fragments`."""
    assert 2 == done.returncode
    assert "" == done.stdout
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("seamrec: error: ")
    for fragment in fragments:
        assert fragment in line
    return line


def rename_email_and_record(app: LayeredApp) -> None:
    """In the layered app with EXTRA_TESTS, rename get_user's returned key
    `email` to `email_address` and re-record."""
    app.edit("app/repo.py", '"email": email', '"email_address": email')
    app.record().assert_outcomes(passed=4)


def record_project(root: Path, files: dict[str, str], *args: str) -> pytest.RunResult:
    """Write `files` (path -> source) below `root` and record them with a real
    `pytest --record-seams ARGS` run, as `LayeredApp.record` would. Module- and
    session-scoped fixtures use it to record once for many tests (`LayeredApp.copy_from`)."""
    for path, source in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(source))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--record-seams", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    elapsed = time.perf_counter() - started
    return pytest.RunResult(
        done.returncode, done.stdout.splitlines(), done.stderr.splitlines(), elapsed
    )


# ------------------------------------------------------------------------- the leaky app
# Two tests whose cassettes hold a database password and a GitHub token: recorded with
# weaker rules (LEAKY_WEAK, as by an older seamrec), then the project's rules are the
# defaults again (LEAKY_PYPROJECT). `seamrec audit` finds the secrets, `redact` scrubs them.

DB_PASSWORD = "Hunter2Secret"
GHP = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
GLPAT = "glpat-Zq8Rw2Lk5Nb7Vc1Xm4Tp"
LEAKY_PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""
LEAKY_WEAK = LEAKY_PYPROJECT + "redact_values = false\n"

LEAKY_SETTINGS = '''\
"""Settings and logs."""


def load_settings(url):
    return {"DATABASE_URL": url, "DEBUG": False, "ADMIN": "ada@example.com"}


def log(text):
    return text
'''

LEAKY_TESTS = f"""\
from app import settings


def test_settings():
    url = "postgresql://app:{DB_PASSWORD}@db.internal:5432/app"
    assert settings.load_settings(url)["DEBUG"] is False


def test_log():
    assert settings.log("cloned with {GHP}")
"""

LEAKY_NEW_TEST = f"""\
from app import settings


def test_deploy():
    assert settings.log("deploy with {GLPAT}")
"""


SETTINGS_CASSETTE = "cassettes/tests/test_settings/test_settings.msgpack"
LOG_CASSETTE = "cassettes/tests/test_settings/test_log.msgpack"
LEAKS = [
    f"{LOG_CASSETTE}: app.settings:log: args.text: GitHub token",
    f"{LOG_CASSETTE}: app.settings:log: return: GitHub token",
    f"{SETTINGS_CASSETTE}: app.settings:load_settings: args.url: URL password",
    f"{SETTINGS_CASSETTE}: app.settings:load_settings: return['DATABASE_URL']: URL password",
]


def cassette_bytes(app: LayeredApp) -> dict[str, bytes]:
    return {name: (app.root / name).read_bytes() for name in (SETTINGS_CASSETTE, LOG_CASSETTE)}


def shapes_only(cassette: Cassette) -> Cassette:
    """The reference for what a record run keeps of a cassette for its end (contracts,
    stale cassettes): its test, runs, nesting, and each kept call without its payloads."""
    calls = [
        Call(c.seam, c.caller, c.index, c.args_shape, c.outcome, c.result_shape, None, None)
        for c in cassette.calls
    ]
    return Cassette(test=cassette.test, calls=calls, runs=cassette.runs, nesting=cassette.nesting)


def boundary_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, source: str
) -> Iterator[Any]:
    """For a fixture to `yield from`: `source` imported as `<package>.repo`, a boundary
    package under `tmp_path/app`, forgotten by `sys.modules` afterwards."""
    import importlib

    folder = tmp_path / "app" / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "repo.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path / "app"))
    yield importlib.import_module(f"{package}.repo")
    for name in [package, f"{package}.repo"]:
        sys.modules.pop(name, None)


def sql_findings_of_one_test(session: Any, nodeid: str, body: Any) -> list[str]:
    """Run `body(session)` as test `nodeid` of a started-then-stopped seam session; its
    database findings rendered (`seam index part`). No internal error is allowed."""
    session.start()
    try:
        session.begin_test(nodeid)
        body(session)
        findings = session.end_test_calls().findings
        session.finish_test("passed")
    finally:
        session.stop()
    assert not session.stats.internal_errors
    return [f"{f.seam} {f.index} {f.part}" for f in findings if f.seam.startswith("sql:")]


def package_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str) -> Iterator[Any]:
    """For a fixture to `yield from`: a `write(**modules)` that writes each source as a
    module of the boundary package `package` under `tmp_path` (a name starting with
    "lib": a top-level module beside it); every module written is forgotten afterwards."""
    import importlib

    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").write_text("")
    written: list[str] = []

    def write(**modules: str) -> None:
        for name, source in modules.items():
            path = tmp_path / f"{name}.py" if name.startswith("lib") else root / f"{name}.py"
            path.write_text(textwrap.dedent(source))
            written.append(name)
        importlib.invalidate_caches()

    yield write
    for name in [m for m in sys.modules if m.startswith(package) or m in written]:
        del sys.modules[name]


def cassette_files(root: Path) -> dict[str, bytes]:
    """Every file under a `cassettes` folder below `root`, by its path relative to `root`
    (at least one must exist)."""
    found = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "cassettes" in path.parts
    }
    assert found
    return found
