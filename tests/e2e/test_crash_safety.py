"""A recording run killed at any moment leaves only whole cassettes behind.

A real `pytest --record-seams` run over a generated project is killed (SIGKILL, or
interrupted with SIGINT) at many points while it writes cassettes. Afterwards every
cassette file loads, and each one is absent, the version from before the run, or the
complete new version: never a partial file, never a mix of two versions, never the
calls of a test that did not finish. Temporary files a kill leaves behind are allowed,
but are never taken for cassettes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import seamrec
from helpers import INNER_ADDOPTS
from seamrec.cassette.store import TEMP_SUFFIX, Cassette, Run, dump, load
from seamrec.config import settings_from_table
from seamrec.exceptions import CassetteError

TESTS = 32
CALLS_PER_TEST = 9  # 4 x service.summary -> store.fetch, then 1 x store.fetch
PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["crashapp"]
"""
STORE = """\
import os


def fetch(item_id):
    version = os.environ["CRASH_SHAPE"]
    return {"id": item_id, f"data_{version}": list(range(40)), "blob": "x" * 3000}
"""
SERVICE = """\
import os

from crashapp.store import fetch


def summary(item_id):
    row = fetch(item_id)
    return {f"summary_{os.environ['CRASH_SHAPE']}": len(row)}
"""
TEST_MANY = f"""\
import os
import time
from pathlib import Path

import pytest

from crashapp.service import summary
from crashapp.store import fetch

PAUSE_AT = int(os.environ.get("CRASH_PAUSE_AT", "-1"))


@pytest.mark.parametrize("n", range({TESTS}))
def test_many(n):
    for k in range(4):
        summary(n * 10 + k)
        if n == PAUSE_AT and k == 1:  # halfway through: tell the harness, then wait
            Path("paused").touch()
            time.sleep(10)
        time.sleep(0.005)
    fetch(n)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with 32 tests, each making 9 crossing calls over about 20 ms."""
    files = {
        "pyproject.toml": PYPROJECT,
        "crashapp/__init__.py": "",
        "crashapp/store.py": STORE,
        "crashapp/service.py": SERVICE,
        "tests/test_many.py": TEST_MANY,
    }
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return tmp_path


def start_recording(
    project: Path, version: str, output: Path | None = None, pause_at: int = -1
) -> subprocess.Popen[bytes]:
    """`python -m pytest --record-seams` in the project, recording shapes `version`;
    test `pause_at` stops halfway and touches the file `paused`."""
    env = dict(
        os.environ,
        CRASH_SHAPE=version,
        CRASH_PAUSE_AT=str(pause_at),
        PYTHONDONTWRITEBYTECODE="1",
        PYTEST_ADDOPTS=INNER_ADDOPTS,
    )
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        env.pop(name, None)
    sink = output.open("wb") if output is not None else subprocess.DEVNULL
    # A process started with SIGINT ignored (a background job) passes that on through
    # exec; a handler of our own is reset to the default instead, so Ctrl-C reaches pytest.
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", "--record-seams", "-p", "no:cacheprovider", "-q"],
            cwd=project,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if output is not None:
            sink.close()  # type: ignore[union-attr]


def record_completely(project: Path, version: str) -> None:
    process = start_recording(project, version)
    assert 0 == process.wait(timeout=60)


Snapshot = dict[str, tuple[int, int]]


def snapshot(cassettes: Path) -> Snapshot:
    """(inode, mtime) of every cassette file: a rewrite replaces the inode."""
    found: Snapshot = {}
    for path in cassettes.rglob("*.msgpack") if cassettes.is_dir() else []:
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        found[path.relative_to(cassettes).as_posix()] = (info.st_ino, info.st_mtime_ns)
    return found


def kill_after(project: Path, version: str, written: int) -> None:
    """Start recording, and SIGKILL the run once `written` cassettes were (re)written."""
    cassettes = project / "cassettes"
    before = snapshot(cassettes)
    process = start_recording(project, version)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        now = snapshot(cassettes)
        changed = sum(1 for name, stamp in now.items() if before.get(name) != stamp)
        if changed >= written:
            break
        time.sleep(0.002)
    time.sleep((written % 7) * 0.003)  # land at different moments of the next write
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def versions(cassettes: Path) -> dict[str, str]:
    """The shape version of every cassette; fails on one that does not load, mixes
    versions or holds fewer calls than a complete test makes."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for path in sorted(cassettes.rglob("*")):
        name = path.relative_to(cassettes).as_posix()
        if path.is_dir() or path.name.endswith(TEMP_SUFFIX):
            continue  # a temporary file a kill left behind is allowed
        if path.parent.name == "contracts" and path.suffix == ".txt":
            text = path.read_text()  # written atomically too: whole, or the old file
            if not (text.startswith("# seamrec contract") and text.endswith("\n")):
                problems.append(f"{name}: a partly written contract file")
            continue
        if not path.name.endswith(".msgpack"):
            problems.append(f"{name}: unexpected file")
            continue
        try:
            cassette = load(path)
        except CassetteError as exc:
            problems.append(str(exc))
            continue
        seen = shape_versions(cassette)
        if len(seen) != 1:
            problems.append(f"{name}: versions {sorted(seen)}")
        elif cassette.call_count() != CALLS_PER_TEST:
            problems.append(f"{name}: {cassette.call_count()} calls, a whole test makes 9")
        else:
            found[name] = seen.pop()
    assert [] == problems
    return found


def shape_versions(cassette: Cassette) -> set[str]:
    """The CRASH_SHAPE versions named by the keys in a cassette's shapes."""
    seen: set[str] = set()

    def walk(shape: object) -> None:
        if isinstance(shape, tuple):
            for part in shape:
                walk(part)
        elif isinstance(shape, str) and shape.startswith(("data_", "summary_")):
            seen.add(shape.partition("_")[2])

    for runs in cassette.runs.values():
        for run in runs:
            walk(run.args_shape)
            walk(run.result_shape)
    return seen


def assert_old_or_new(before: dict[str, str], after: dict[str, str], new: str) -> None:
    """Each cassette is absent, as it was, or the new version."""
    wrong = {
        name: (before.get(name), version)
        for name, version in after.items()
        if version not in (before.get(name), new)
    }
    lost = sorted(set(before) - set(after))
    assert ({}, []) == (wrong, lost)


def expected_names() -> set[str]:
    return {f"tests/test_many/test_many[{n}].msgpack" for n in range(TESTS)}


# ------------------------------------------------------------------------- SIGKILL


@pytest.mark.parametrize("targets", [[0, 5, 11], [17, 23, 29]], ids=["early-kills", "late-kills"])
def test_a_first_record_killed_at_any_point_leaves_only_whole_cassettes(
    project: Path, targets: list[int]
) -> None:
    cassettes = project / "cassettes"
    for round_number, target in enumerate(targets):
        version = f"r{round_number}"
        kill_after(project, version, target)

        found = versions(cassettes)

        assert_old_or_new({}, found, version)
        assert set(found) <= expected_names()
        assert len(found) >= target
        for name in found:  # the next round records from scratch again
            (cassettes / name).unlink()


def test_a_re_record_that_changes_shapes_killed_at_any_point_leaves_old_or_new_cassettes(
    project: Path,
) -> None:
    cassettes = project / "cassettes"
    record_completely(project, "v0")
    before = versions(cassettes)
    assert expected_names() == set(before)
    assert {"v0"} == set(before.values())

    for round_number, target in enumerate([2, 9, 16, 24], start=1):
        version = f"v{round_number}"
        kill_after(project, version, target)

        after = versions(cassettes)

        assert_old_or_new(before, after, version)
        assert len([v for v in after.values() if v == version]) >= target
        before = after

    assert_temporary_files_are_not_cassettes(project)


def assert_temporary_files_are_not_cassettes(project: Path) -> None:
    """A valid cassette under a temporary name, as a kill during a write leaves it, is not
    read by anything that looks for cassettes."""
    folder = project / "cassettes" / "tests" / "test_many"
    planted_shape = ("dict", "dict", ("id", "data_planted", "blob"), ((("int",),),) * 3)
    planted = Cassette(
        "tests/test_many.py::test_many[0]",
        runs={"crashapp.store:fetch": [Run(("args", (), ()), "return", planted_shape, 1)]},
    )
    (folder / f".test_many[0].msgpack.k1ll3d{TEMP_SUFFIX}").write_bytes(dump(planted))
    settings = settings_from_table({"boundaries": ["crashapp"]}, rootdir=project)

    recorded = sorted(set(versions(project / "cassettes").values()))

    with pytest.raises(seamrec.SeamMismatch):
        seamrec.assert_matches(
            {"id": 1, "data_planted": 1, "blob": 1}, "crashapp.store:fetch", settings=settings
        )
    for version in recorded:  # the real cassettes are read
        real = {"id": 1, f"data_{version}": [1], "blob": "x"}
        seamrec.assert_matches(real, "crashapp.store:fetch", settings=settings)
    assert len(versions(project / "cassettes")) == TESTS


# -------------------------------------------------------------------------- SIGINT


def test_an_interrupted_re_record_exits_and_leaves_old_or_new_cassettes(
    project: Path, tmp_path: Path
) -> None:
    cassettes = project / "cassettes"
    record_completely(project, "v0")
    before = versions(cassettes)
    output = tmp_path / "interrupted.log"
    process = start_recording(project, "v1", output, pause_at=12)
    deadline = time.monotonic() + 60
    while not (project / "paused").exists() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)

    process.send_signal(signal.SIGINT)  # Ctrl-C while test_many[12] is halfway

    process.wait(timeout=60)
    log = output.read_text()
    assert pytest.ExitCode.INTERRUPTED == process.returncode, log
    assert "KeyboardInterrupt" in log
    after = versions(cassettes)
    assert_old_or_new(before, after, "v1")
    assert expected_names() == set(after)
    assert "v1" == after["tests/test_many/test_many[11].msgpack"]
    # the interrupted test did not pass: like a failed test, it keeps its old cassette
    assert "v0" == after["tests/test_many/test_many[12].msgpack"]
    assert "v0" == after["tests/test_many/test_many[13].msgpack"]
