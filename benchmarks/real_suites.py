"""seamrec on real test suites written by others (issue 10, item 13).

Run: .venv/bin/python benchmarks/real_suites.py [--quick] [--only NAME,...] [--json FILE]

For each project below: `pip download --no-deps --no-binary :all: NAME==VERSION` into
benchmarks/.work/download (gitignored), unpack it into benchmarks/.work/real/<project>/,
create a venv there holding seamrec (`pip install -e` of this checkout), the project
and its test dependencies (pinned), and write `[tool.seamrec]` (boundaries = the
project's package, cassette_dir = "cassettes") into the pyproject.toml at the
project's pytest rootdir (created if absent; the original is kept as
pyproject.toml.orig). Every run is `python -m pytest <tests> -q -p no:cacheprovider
--rootdir <root> -c <the project's pytest config file> --junitxml ... --basetemp ...`
(a fresh temporary directory per run, removed outside the timed span) started from
the project's root, so seamrec reads that table (and pytest never falls back to this
repository's own pyproject.toml, which holds benchmarks/.work).

Per project, after one untimed plain run that writes the bytecode caches, and
interleaved so load drift is shared: plain, record (from no cassettes),
check, then twice more plain, record (an unchanged re-record), check. Printed:
tests, seams wrapped, internal errors and warning lines of seamrec's summary, false
alarms (tests not passing under --check-seams that passed in every plain run) over the
three checks, outcomes changed by --record-seams, contract size (lines, biggest file),
cassette bytes, files an unchanged re-record rewrote, wall time and CPU time (user + system
of pytest and its children; medians) and peak RSS,
with a verdict for each of issue 10's targets. Every run's output is kept in
benchmarks/.work/real/<project>/logs/ for reading the drift messages.

--quick: flaskr only, one run of each mode (plain, record, check).
Runs cache bytecode (PYTHONDONTWRITEBYTECODE is removed for them), as on a developer's
machine. benchmarks/real_ab.py A/Bs two seamrec sources on one project.
datasette runs only when named (`--only datasette`: its suite takes many minutes); its
sdist has no test fixtures, so its tree is `git archive 0.65.2` of a local clone named by
SEAMREC_GIT_DATASETTE (a .git directory).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
DOWNLOAD = WORK / "download"
REAL = WORK / "real"
MARKER = "# [tool.seamrec] written by seamrec's benchmarks/real_suites.py"

# Targets of issue 10, item 13.
MAX_CONTRACT_LINES = 300  # "no contract file over a few hundred lines for a small app"
MAX_LIBRARY_LINES = 0  # "contracts free of library internals"
MAX_RECORD_RATIO = 1.5
MAX_CHECK_RATIO = 1.25


@dataclass(frozen=True)
class Project:
    """A project whose own test suite seamrec runs over."""

    name: str
    sdist: str  # NAME==VERSION on PyPI
    boundaries: tuple[str, ...]
    tests: tuple[str, ...]  # pytest arguments selecting the tests (relative to the root)
    deps: tuple[str, ...]  # test dependencies, pinned
    subdir: str = ""  # the project's root inside the unpacked sdist
    install_self: bool = True  # pip install -e the project root
    what: str = ""
    extra_config: dict[str, Any] = field(default_factory=dict)
    # [tool.pytest.ini_options] written next to our table, for a project whose sdist
    # ships no pytest configuration of its own (it runs its tests another way)
    pytest_options: dict[str, Any] = field(default_factory=dict)
    # A project whose sdist lacks its test fixtures runs from a tag of its repository
    # instead: `git archive <git_tag>` of the local clone named by the environment
    # variable SEAMREC_GIT_<NAME> (e.g. SEAMREC_GIT_DATASETTE=~/src/datasette/.git).
    git_tag: str = ""
    slow: bool = False  # run only when named with --only
    # an application (the contract size cap is for "a small app"; a library's contracts
    # describe its own public API, so only the library-internals count applies to it)
    small_app: bool = False


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in (
        Project(
            name="flaskr",
            sdist="flask==3.1.3",
            subdir="examples/tutorial",
            boundaries=("flaskr",),
            small_app=True,
            tests=("tests",),
            deps=("flask==3.1.3", "werkzeug==3.1.3", "pytest==8.4.2"),
            what="Flask tutorial app (app factory, blueprints, flask.g, sqlite3 Row)",
        ),
        Project(
            name="flask-sqlalchemy",
            sdist="flask-sqlalchemy==3.1.1",
            boundaries=("flask_sqlalchemy",),
            tests=("tests",),
            deps=(
                "flask==3.1.3",
                "werkzeug==3.1.3",
                "sqlalchemy==2.0.21",
                "blinker==1.9.0",
                "pytest==8.4.2",
            ),
            what="Flask extension on SQLAlchemy 2 (sessions, models, pagination, SQLite)",
        ),
        Project(
            name="djangorestframework",
            sdist="djangorestframework==3.16.1",
            boundaries=("rest_framework",),
            tests=(
                "tests/test_generics.py",
                "tests/test_viewsets.py",
                "tests/test_pagination.py",
            ),
            deps=("django==5.2.8", "pytest==8.4.2", "pytest-django==4.11.1"),
            what="Django REST framework (views, serializers, querysets on SQLite)",
        ),
        Project(
            name="sqlmodel-fastapi",
            sdist="sqlmodel==0.0.50",
            boundaries=("docs_src.tutorial.fastapi.app_testing.tutorial001.main",),
            small_app=True,
            tests=("docs_src/tutorial/fastapi/app_testing/tutorial001/test_main.py",),
            deps=("fastapi==0.121.1", "anyio==4.11.0", "httpx==0.28.1", "pytest==8.4.2"),
            what="FastAPI + SQLModel (SQLAlchemy 2) heroes app of SQLModel's testing tutorial",
        ),
        Project(
            name="sqlite-utils",
            sdist="sqlite-utils==4.2.1",
            boundaries=("sqlite_utils",),
            tests=(
                "tests/test_create.py",
                "tests/test_upsert.py",
                "tests/test_transform.py",
                "tests/test_cli_insert.py",
            ),
            deps=("pytest==8.4.2", "hypothesis", "cogapp", "click<8.5"),
            what="library + CLI on sqlite3",
        ),
        Project(
            name="django-filter",
            sdist="django-filter==26.2",
            boundaries=("django_filters",),
            tests=(
                "tests/test_filtering.py",
                "tests/test_views.py",
                "tests/test_forms.py",
                "tests/rest_framework",
            ),
            deps=(
                "django==5.2.8",
                "djangorestframework==3.16.1",
                "pytest==8.4.2",
                "pytest-django==4.11.1",
            ),
            what="Django filter sets, class-based views and a DRF backend on SQLite",
            # the sdist runs its tests with runtests.py; pytest-django needs the settings
            pytest_options={"DJANGO_SETTINGS_MODULE": "tests.settings", "pythonpath": ["."]},
        ),
        Project(
            name="datasette",
            sdist="datasette==0.65.2",
            git_tag="0.65.2",
            slow=True,
            boundaries=("datasette",),
            tests=(
                "tests/test_api.py",
                "tests/test_internals_database.py",
                "tests/test_canned_queries.py",
                "tests/test_facets.py",
                "tests/test_filters.py",
                "tests/test_csv.py",
                "tests/test_internals_datasette.py",
            ),
            deps=(
                "pytest==9.2.0",
                "pytest-asyncio==1.5.0",
                "pytest-timeout==2.4.0",
                "beautifulsoup4",
                "trustme",
                "cogapp",
            ),
            what="ASGI app on sqlite3: async views, a thread pool, pluggy hooks",
            # its vendored copy of pint is a library, not the app
            extra_config={"exclude": ["datasette.vendored*:*"]},
        ),
    )
}
QUICK = ("flaskr",)


def git_variable(project: Project) -> str:
    """The environment variable naming the local clone of a git-sourced project."""
    return "SEAMREC_GIT_" + re.sub(r"\W", "_", project.name).upper()


# ---------------------------------------------------------------- environment


def _run(command: Sequence[str | Path], cwd: Path | None = None) -> None:
    print("  $", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], cwd=cwd, check=True)


def _pip(python: Path, *args: str | Path) -> None:
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args])


def sdist_dir(project: Project) -> Path:
    """Download and unpack the project's sdist (once); the unpacked top directory."""
    if project.git_tag:
        return git_tree(project)
    DOWNLOAD.mkdir(parents=True, exist_ok=True)
    name, _, version = project.sdist.partition("==")
    spelled = "[-_]".join(re.escape(part) for part in re.split(r"[-_]", name))
    stem = re.compile(rf"^{spelled}-{re.escape(version)}\.tar\.gz$", re.IGNORECASE)
    found = [p for p in DOWNLOAD.iterdir() if stem.match(p.name)]
    if not found:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-binary",
                ":all:",
                project.sdist,
                "-d",
                DOWNLOAD,
            ]
        )
        found = [p for p in DOWNLOAD.iterdir() if stem.match(p.name)]
    archive_path = found[0]
    target = REAL / project.name
    target.mkdir(parents=True, exist_ok=True)
    top = target / archive_path.name.removesuffix(".tar.gz")
    if not top.exists():
        with tarfile.open(archive_path) as archive:
            archive.extractall(target, filter="data")
    return top


def git_tree(project: Project) -> Path:
    """`git archive` of the project's tag from its local clone (once)."""
    top = REAL / project.name / f"{project.name}-{project.git_tag}"
    if not top.exists():
        clone = os.environ.get(git_variable(project))
        if not clone:
            raise SystemExit(
                f"{project.name}: its sdist has no test fixtures; set {git_variable(project)} "
                f"to a local clone of its repository (tag {project.git_tag} is archived)"
            )
        top.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "--git-dir", clone, "archive", project.git_tag],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "x", "-C", str(top)], input=archive, check=True)
    return top


def prepare(project: Project) -> tuple[Path, Path]:
    """(the project's pytest rootdir, the interpreter of its venv), created on first use."""
    root = sdist_dir(project) / project.subdir
    venv = REAL / project.name / "venv"
    python = venv / "bin" / "python"
    # seamrec's own build files too: a venv made before its entry point moved must reinstall
    built_from = [(ROOT / name).read_text() for name in ("pyproject.toml", "setup.py")]
    seamrec_build = hashlib.sha256("".join(built_from).encode()).hexdigest()[:16]
    # and the checkout: a venv copied from another worktree must import this one's seamrec
    wanted = json.dumps(
        [project.sdist, project.deps, project.install_self, seamrec_build, str(ROOT)]
    )
    marker = venv / ".ready"
    if not marker.exists() or marker.read_text() != wanted:
        if not python.exists():
            _run([sys.executable, "-m", "venv", venv])
        _pip(python, "-e", ROOT)
        if project.install_self:
            _pip(python, "-e", root)
        _pip(python, *project.deps)
        marker.write_text(wanted)
    write_config(project, root)
    return root, python


def write_config(project: Project, root: Path) -> None:
    """Put our [tool.seamrec] table at the end of root/pyproject.toml (original kept)."""
    pyproject = root / "pyproject.toml"
    original = root / "pyproject.toml.orig"
    if not original.exists():
        original.write_text(pyproject.read_text() if pyproject.exists() else "")
    table = {"boundaries": list(project.boundaries), "cassette_dir": "cassettes"}
    table.update(project.extra_config)
    lines = [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    text = original.read_text().rstrip("\n")
    if project.pytest_options:
        options = [f"{key} = {json.dumps(value)}" for key, value in project.pytest_options.items()]
        text += "\n\n[tool.pytest.ini_options]\n" + "\n".join(options)
    pyproject.write_text(f"{text}\n\n{MARKER}\n[tool.seamrec]\n" + "\n".join(lines) + "\n")


def pytest_inifile(root: Path) -> Path:
    """The project's own pytest config file, else its pyproject.toml (passed with -c).

    Without -c, pytest looks upward from the tests for a config file; a project with
    none of its own would then run under this repository's pyproject.toml (which sets
    filterwarnings = error and loads pytester), since benchmarks/.work is inside it."""
    candidates = [
        ("pytest.ini", ""),
        (".pytest.ini", ""),
        ("pyproject.toml", "[tool.pytest.ini_options]"),
        ("tox.ini", "[pytest]"),
        ("setup.cfg", "[tool:pytest]"),
    ]
    for name, section in candidates:
        path = root / name
        if name == "pyproject.toml":
            path = root / "pyproject.toml.orig"  # the project's own, before our table
        if path.is_file() and section in path.read_text(errors="replace"):
            return root / name
    return root / "pyproject.toml"


# ---------------------------------------------------------------- one pytest run


@dataclass
class Run:
    """One pytest subprocess: what it did and what it cost."""

    mode: str
    seconds: float
    cpu_seconds: float  # user + system time of the pytest process and its children
    returncode: int
    max_rss_kib: int
    outcomes: dict[str, str]
    output: str
    log: Path
    timed_out: bool = False


def pytest_run(
    project: Project,
    root: Path,
    python: Path,
    mode: str,
    index: int,
    timeout: float,
    env: dict[str, str] | None = None,
    label: str = "",
) -> Run:
    """Run the project's tests once in `mode` (plain/record/check); output kept in logs/.

    `env` is added to the environment; `label` prefixes the log names."""
    logs = REAL / project.name / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stem = f"{label}-{mode}-{index}" if label else f"{mode}-{index}"
    log = logs / f"{stem}.txt"
    junit = logs / f"{stem}.xml"
    junit.unlink(missing_ok=True)
    # a fresh temporary directory per run, made and removed outside the timed span: with
    # pytest's default one, a run deletes the numbered directories of the runs before it,
    # a cost that falls on whichever mode happens to come next (up to 0.7 s of a run)
    basetemp = REAL / project.name / "tmp" / stem
    shutil.rmtree(basetemp, ignore_errors=True)
    basetemp.parent.mkdir(parents=True, exist_ok=True)  # pytest makes only the last level
    flag = {"plain": [], "record": ["--record-seams"], "check": ["--check-seams"]}[mode]
    command = [
        str(python),
        "-m",
        "pytest",
        *project.tests,
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(root),
        "-c",
        str(pytest_inifile(root)),
        f"--junitxml={junit}",
        f"--basetemp={basetemp}",
        *flag,
    ]
    environment = dict(os.environ)
    environment.pop("PYTEST_ADDOPTS", None)
    environment.pop("VIRTUAL_ENV", None)
    environment.pop("PYTHONPATH", None)
    # as on a developer's machine: modules are compiled once, not at every run (with
    # PYTHONDONTWRITEBYTECODE set, seamrec's editable source and the project's own were
    # compiled again by every pytest process: ~60 ms of seamrec's start alone)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.update(env or {})
    start = time.perf_counter()
    timed_out = False
    with log.open("w") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        process = subprocess.Popen(
            command,
            cwd=root,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    shutil.rmtree(basetemp, ignore_errors=True)
    returncode = os.waitstatus_to_exitcode(status)
    process.returncode = returncode  # reaped by wait4 above
    return Run(
        mode=mode,
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        returncode=returncode,
        max_rss_kib=usage.ru_maxrss,
        outcomes=junit_outcomes(junit),
        output=log.read_text(errors="replace"),
        log=log,
        timed_out=timed_out,
    )


def junit_outcomes(path: Path) -> dict[str, str]:
    """test id -> passed / failed / error / skipped, from a --junitxml report."""
    if not path.exists():
        return {}
    outcomes: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test = f"{case.get('classname', '')}::{case.get('name', '')}"
        kinds = [child.tag for child in case]
        if "failure" in kinds:
            outcome = "failed"
        elif "error" in kinds:
            outcome = "error"
        elif "skipped" in kinds:
            outcome = "skipped"
        else:
            outcome = "passed"
        # an error in teardown after a pass appears as a second testcase entry
        if outcomes.get(test) not in (None, "passed") and outcome == "passed":
            continue
        outcomes[test] = outcome
    return outcomes


# ---------------------------------------------------------------- reading the results


SEAMS_WRAPPED = re.compile(r"seamrec \((record|check)\): (\d+) seams wrapped")


def seams_wrapped(output: str) -> int | None:
    found = SEAMS_WRAPPED.findall(output)
    return int(found[-1][1]) if found else None


def problem_lines(output: str) -> dict[str, list[str]]:
    """seamrec's internal errors, warnings and 'not recorded' lines in a run's output."""
    lines = output.splitlines()
    return {
        "internal": [line for line in lines if "internal error" in line],
        "warning": [line for line in lines if re.match(r"\s*(seamrec: )?warning:", line)],
        "not recorded": [line for line in lines if line.startswith("not recorded when")],
        "pytest internal": [line for line in lines if line.startswith("INTERNALERROR")],
    }


def drift_excerpts(output: str, limit: int = 6) -> list[str]:
    """The first lines of each `seam drift` / `replay failed` section (for the report)."""
    excerpts: list[str] = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if "seam drift in" in line or line.startswith(("  unusable cassette:", "replay failed")):
            excerpts.append(" | ".join(s.strip() for s in lines[i : i + 3]))
        if len(excerpts) >= limit:
            break
    return excerpts


_LAST_STEP = re.compile(r"(\.(?:keys|values)\(\)|\.[A-Za-z_]\w*|\[[^\]]*\])$")


def _union(types: str) -> list[str]:
    """The members of a contract line's `a | b | pkg.{C, D}` type union."""
    members, depth, current = [], 0, ""
    for char in types:
        depth += (char in "{[") - (char in "}]")
        if char == "|" and depth == 0:
            members.append(current.strip())
            current = ""
        else:
            current += char
    return [*members, current.strip()]


def library_lines(text: str, libraries: frozenset[str]) -> list[str]:
    """The lines of a contract that describe a field of an object whose class comes from
    an installed library (a top-level package in `libraries`) and that seamrec walked
    into instead of recording it by its type (`(opaque)`): library internals."""
    found: list[str] = []
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("## "):
            types = {}
            continue
        if not line.startswith("  ") or ": " not in line:
            continue
        path, recorded = line.strip().split(": ", 1)
        path = path.rstrip("?")
        types[path] = recorded
        step = _LAST_STEP.search(path)
        if step is None or not step.group(1).startswith(".") or step.group(1).endswith("()"):
            continue  # only an attribute of the value at the parent path is a field
        parent = types.get(path[: step.start()].rstrip("?"), "")
        for member in _union(parent):
            if "(opaque)" in member or "(self)" in member or "." not in member:
                continue
            if member.split(".")[0] in libraries:
                found.append(line)
                break
    return found


def installed_libraries(python: Path, project: Project) -> frozenset[str]:
    """The top-level packages of the project venv's site-packages, but the project's."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    own = {b.split(".")[0] for b in project.boundaries}
    names = {p.name.split(".")[0].split("-")[0] for p in Path(site).iterdir()}
    return frozenset(n for n in names if n.isidentifier() and not n.startswith("_")) - own


def contract_stats(cassettes: Path, libraries: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Lines of the contract files, the biggest file, library-internal lines (function
    seams' contracts; the database seam's are seamrec's own row descriptions), and
    cassette bytes."""
    contracts = cassettes / "contracts"
    files = sorted(p for p in contracts.rglob("*") if p.is_file()) if contracts.exists() else []
    internal = [
        f"{p.name}: {line.strip()}"
        for p in files
        if p.parent == contracts
        for line in library_lines(p.read_text(errors="replace"), libraries)
    ]
    sizes = {p: len(p.read_text(errors="replace").splitlines()) for p in files}
    biggest = max(sizes, key=lambda p: sizes[p]) if sizes else None
    msgpacks = (
        [p for p in cassettes.rglob("*.msgpack") if p.is_file()] if cassettes.exists() else []
    )
    longest = max(
        (len(line) for p in files for line in p.read_text(errors="replace").splitlines()),
        default=0,
    )
    return {
        "contract_files": len(files),
        "contract_lines": sum(sizes.values()),
        "biggest_contract": biggest.relative_to(cassettes).as_posix() if biggest else "",
        "biggest_contract_lines": sizes[biggest] if biggest else 0,
        "longest_contract_line": longest,
        "library_lines": len(internal),
        "library_line_examples": internal[:5],
        "cassette_files": len(msgpacks),
        "cassette_bytes": sum(p.stat().st_size for p in msgpacks),
    }


def digests(directory: Path) -> dict[str, str]:
    if not directory.exists():
        return {}
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in directory.rglob("*")
        if p.is_file()
    }


def not_passing(run: Run) -> set[str]:
    return {t for t, o in run.outcomes.items() if o in ("failed", "error")}


# ---------------------------------------------------------------- one project


def measure(project: Project, checks: int, repeat: int, timeout: float) -> dict[str, Any]:
    """Run the project's suite plain / record / check and collect every figure."""
    started = time.perf_counter()
    print(f"\n== {project.name} ({project.sdist}; {project.what})", flush=True)
    # cleared before prepare(): a cassettes/ folder left by an earlier run makes
    # setuptools' flat-layout discovery refuse `pip install -e` of the project
    shutil.rmtree(sdist_dir(project) / project.subdir / "cassettes", ignore_errors=True)
    root, python = prepare(project)
    cassettes = root / "cassettes"
    shutil.rmtree(REAL / project.name / "logs", ignore_errors=True)

    # Untimed warm-up: the first run of a fresh venv writes the bytecode of the project,
    # its dependencies and seamrec; timed, it would inflate whichever mode ran first.
    subprocess.run(
        [str(python), "-m", "compileall", "-q", str(ROOT / "src" / "seamrec")],
        check=False,
        capture_output=True,
    )
    pytest_run(project, root, python, "plain", 0, timeout, label="warmup-")

    order = ["plain", "record", "check"]
    for i in range(1, max(checks, repeat)):
        order += ["plain", "record"] if i < repeat else []
        order += ["check"] if i < checks else []
    runs: list[Run] = []
    libraries = installed_libraries(python, project)
    stats_after_record: dict[str, Any] = contract_stats(cassettes, libraries)
    churn: list[int] = []
    for mode in order:
        index = sum(1 for r in runs if r.mode == mode) + 1
        before = digests(cassettes) if mode == "record" and index > 1 else None
        run = pytest_run(project, root, python, mode, index, timeout)
        runs.append(run)
        if before is not None:
            after = digests(cassettes)
            churn.append(
                sum(1 for k in before.keys() | after.keys() if before.get(k) != after.get(k))
            )
        print(
            f"  {mode:6} #{index}: {run.seconds:7.1f} s  cpu {run.cpu_seconds:7.2f} s"
            f"  rc {run.returncode}"
            f"{' TIMED OUT' if run.timed_out else ''}  {closing_line(run.output)}",
            flush=True,
        )
        if mode == "record" and index == 1:
            stats_after_record = contract_stats(cassettes, libraries)
    by_mode = {m: [r for r in runs if r.mode == m] for m in ("plain", "record", "check")}
    plain_bad = set().union(*(not_passing(r) for r in by_mode["plain"]))
    plain_tests = {t for r in by_mode["plain"] for t in r.outcomes}
    false_alarms = [sorted(not_passing(r) - plain_bad) for r in by_mode["check"]]
    record_changed = sorted(set().union(*(not_passing(r) - plain_bad for r in by_mode["record"])))
    all_output = "\n".join(r.output for r in runs if r.mode != "plain")
    problems = problem_lines(all_output)
    medians = {m: statistics.median(r.seconds for r in rs) for m, rs in by_mode.items() if rs}
    cpu = {m: statistics.median(r.cpu_seconds for r in rs) for m, rs in by_mode.items() if rs}
    result: dict[str, Any] = {
        "project": project.name,
        "sdist": project.sdist,
        "what": project.what,
        "small_app": project.small_app,
        "tests": len(plain_tests),
        "plain_not_passing": sorted(plain_bad),
        "seams_wrapped": seams_wrapped(by_mode["check"][0].output if by_mode["check"] else ""),
        "seams_wrapped_record": seams_wrapped(by_mode["record"][0].output),
        "internal_errors": sorted(set(problems["internal"])),
        "warnings": sorted(set(problems["warning"])),
        "not_recorded_lines": len(set(problems["not recorded"])),
        "not_recorded": sorted(set(problems["not recorded"])),
        "pytest_internal_errors": len(problems["pytest internal"]),
        "false_alarms_per_check": [len(f) for f in false_alarms],
        "false_alarm_tests": sorted(set().union(*map(set, false_alarms))) if false_alarms else [],
        "record_changed_outcome": record_changed,
        "rerecord_rewrote_files": churn,
        "seconds": {m: [round(r.seconds, 2) for r in rs] for m, rs in by_mode.items()},
        "median_seconds": {m: round(s, 2) for m, s in medians.items()},
        "ratio": {m: round(s / medians["plain"], 2) for m, s in medians.items()},
        "cpu_seconds": {m: [round(r.cpu_seconds, 3) for r in rs] for m, rs in by_mode.items()},
        "median_cpu_seconds": {m: round(s, 3) for m, s in cpu.items()},
        "cpu_ratio": {m: round(s / cpu["plain"], 2) for m, s in cpu.items()},
        "max_rss_mib": {
            m: round(max(r.max_rss_kib for r in rs) / 1024) for m, rs in by_mode.items() if rs
        },
        "timed_out": [f"{r.mode}" for r in runs if r.timed_out],
        "drift_excerpts": [e for r in by_mode["check"] for e in drift_excerpts(r.output)][:8],
        "script_seconds": 0.0,
        "logs": str((REAL / project.name / "logs").relative_to(ROOT)),
    }
    result.update(stats_after_record)
    result["script_seconds"] = round(time.perf_counter() - started, 1)
    return result


def closing_line(output: str) -> str:
    lines = [line.strip("= ") for line in output.splitlines() if re.search(r" in [\d.]+s", line)]
    return lines[-1] if lines else "(no pytest summary line)"


# ---------------------------------------------------------------- printing


def verdicts(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for issue 10's targets."""
    alarms = r["false_alarms_per_check"]
    return [
        (
            # a suite whose plain runs mostly fail or error (a broken set-up) measures
            # nothing: at most a tenth of its tests may not pass plain
            "the plain runs run the project's tests",
            f"{r['tests']} tests, {len(r['plain_not_passing'])} not passing",
            r["tests"] > 0 and len(r["plain_not_passing"]) * 10 <= r["tests"],
        ),
        (
            "0 internal errors",
            str(len(r["internal_errors"]) + r["pytest_internal_errors"]),
            not r["internal_errors"] and not r["pytest_internal_errors"],
        ),
        (
            "0 false alarms over the checks",
            "/".join(map(str, alarms)) or "-",
            bool(alarms) and not any(alarms),
        ),
        (
            "record changes no outcome",
            str(len(r["record_changed_outcome"])),
            not r["record_changed_outcome"],
        ),
        (
            "contracts free of library internals",
            f"{r['library_lines']} lines",
            r["library_lines"] <= MAX_LIBRARY_LINES,
        ),
        (
            f"biggest contract <= {MAX_CONTRACT_LINES} lines (small app)",
            f"{r['biggest_contract_lines']} ({r['biggest_contract']})"
            + ("" if r["small_app"] else ": a library, its own API"),
            r["biggest_contract_lines"] <= MAX_CONTRACT_LINES or not r["small_app"],
        ),
        (
            f"record <= {MAX_RECORD_RATIO}x plain",
            f"{r['ratio'].get('record', 0):.2f}x",
            r["ratio"].get("record", 99) <= MAX_RECORD_RATIO,
        ),
        (
            f"check <= {MAX_CHECK_RATIO}x plain",
            f"{r['ratio'].get('check', 0):.2f}x",
            r["ratio"].get("check", 99) <= MAX_CHECK_RATIO,
        ),
        (
            "unchanged re-record rewrites 0 files",
            "/".join(map(str, r["rerecord_rewrote_files"])) or "-",
            not any(r["rerecord_rewrote_files"]),
        ),
    ]


ROWS = (
    ("tests (plain not passing)", lambda r: f"{r['tests']} ({len(r['plain_not_passing'])})"),
    (
        "seams wrapped",
        lambda r: str(
            r["seams_wrapped"] if r["seams_wrapped"] is not None else r["seams_wrapped_record"]
        ),
    ),
    ("internal errors", lambda r: str(len(r["internal_errors"]) + r["pytest_internal_errors"])),
    ("warning: lines", lambda r: str(len(r["warnings"]))),
    ("'not recorded when' lines", lambda r: str(r["not_recorded_lines"])),
    ("false alarms per check", lambda r: "/".join(map(str, r["false_alarms_per_check"])) or "-"),
    ("record changed outcomes", lambda r: str(len(r["record_changed_outcome"]))),
    ("contract files / lines", lambda r: f"{r['contract_files']} / {r['contract_lines']:,}"),
    (
        "biggest contract (lines)",
        lambda r: f"{r['biggest_contract']} ({r['biggest_contract_lines']:,})",
    ),
    ("longest contract line (chars)", lambda r: f"{r['longest_contract_line']:,}"),
    ("contract lines inside library objects", lambda r: str(r["library_lines"])),
    ("cassettes (files, bytes)", lambda r: f"{r['cassette_files']}, {r['cassette_bytes']:,} B"),
    (
        "re-record rewrote files",
        lambda r: "/".join(map(str, r["rerecord_rewrote_files"])) or "-",
    ),
    ("plain s (median)", lambda r: f"{r['median_seconds']['plain']:.1f}"),
    ("record s (ratio)", lambda r: _mode_cell(r, "record")),
    ("check s (ratio)", lambda r: _mode_cell(r, "check")),
    ("plain CPU s (median)", lambda r: _cpu_cell(r, "plain")),
    ("record CPU s (ratio)", lambda r: _cpu_cell(r, "record")),
    ("check CPU s (ratio)", lambda r: _cpu_cell(r, "check")),
    (
        "peak RSS MiB plain/rec/check",
        lambda r: "/".join(str(r["max_rss_mib"].get(m, "-")) for m in ("plain", "record", "check")),
    ),
    ("script time s", lambda r: f"{r['script_seconds']:.0f}"),
)


def _mode_cell(r: dict[str, Any], mode: str) -> str:
    if mode not in r["median_seconds"]:
        return "-"
    return f"{r['median_seconds'][mode]:.1f} ({r['ratio'][mode]:.2f}x)"


def _cpu_cell(r: dict[str, Any], mode: str) -> str:
    """CPU time of the pytest process and its children (results of older runs have none)."""
    if mode not in r.get("median_cpu_seconds", {}):
        return "-"
    if mode == "plain":
        return f"{r['median_cpu_seconds'][mode]:.2f}"
    return f"{r['median_cpu_seconds'][mode]:.2f} ({r['cpu_ratio'][mode]:.2f}x)"


def print_table(results: list[dict[str, Any]]) -> None:
    names = [r["project"] for r in results]
    width = max(14, *(len(n) for n in names))
    label = max(len(row[0]) for row in ROWS)
    print("\n" + " " * label + " | " + " | ".join(n.ljust(width) for n in names))
    print("-" * label + "-+-" + "-+-".join("-" * width for _ in names))
    for title, cell in ROWS:
        print(title.ljust(label) + " | " + " | ".join(cell(r).ljust(width) for r in results))
    print("\nTargets (issue 10, item 13):")
    for r in results:
        print(f"  {r['project']}:")
        for target, measured, met in verdicts(r):
            print(f"    {'met   ' if met else 'MISSED'}  {target}: {measured}")
    for r in results:
        details = [
            ("internal errors", r["internal_errors"]),
            ("warnings", r["warnings"]),
            ("false alarms (tests)", r["false_alarm_tests"]),
            ("'not recorded' lines", r.get("not_recorded", [])),
            ("record changed outcome", r["record_changed_outcome"]),
            ("plain not passing", r["plain_not_passing"]),
            ("first drift messages", r["drift_excerpts"]),
        ]
        if any(items for _, items in details):
            print(f"\n{r['project']} (logs: {r['logs']}):")
            for title, items in details:
                if items:
                    print(f"  {title} ({len(items)}):")
                    for item in items[:8]:
                        print(f"    {item[:300]}")


def print_markdown(results: list[dict[str, Any]]) -> None:
    """The same table as Markdown (for docs/benchmarks.md)."""
    print("| | " + " | ".join(r["project"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for title, cell in ROWS:
        print(f"| {title} | " + " | ".join(cell(r).replace("|", "\\|") for r in results) + " |")
    for target, _, _ in verdicts(results[0]):
        cells = []
        for r in results:
            measured, met = next((m, ok) for t, m, ok in verdicts(r) if t == target)
            cells.append(f"{'met' if met else '**missed**'} ({measured.split(' (')[0]})")
        print(f"| target: {target} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="flaskr only, one run per mode")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(PROJECTS)}")
    parser.add_argument("--checks", type=int, default=3, help="check runs after the first record")
    parser.add_argument("--repeat", type=int, default=3, help="plain and record runs")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per pytest run")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument(
        "--from-results", action="store_true", help="reprint the table of the last runs"
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    options = parser.parse_args()
    names = list(QUICK if options.quick else (n for n, p in PROJECTS.items() if not p.slow))
    if options.only:
        names = [n.strip() for n in options.only.split(",")]
        unknown = [n for n in names if n not in PROJECTS]
        if unknown:
            parser.error(f"unknown project(s) {unknown}; known: {', '.join(PROJECTS)}")
    checks = 1 if options.quick else options.checks
    repeat = 1 if options.quick else options.repeat
    started = time.perf_counter()
    results = []
    for name in names:
        stored = REAL / name / "result.json"
        if options.from_results:
            if stored.exists():
                results.append(json.loads(stored.read_text()))
            continue
        results.append(measure(PROJECTS[name], checks, repeat, options.timeout))
        stored.write_text(json.dumps(results[-1], indent=1))
    if not results:
        parser.error("no stored results: run without --from-results first")
    if options.markdown:
        print_markdown(results)
    else:
        print_table(results)
    if not options.from_results:
        print(f"\nwhole script: {time.perf_counter() - started:.0f} s")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=1))
    (REAL / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
