"""The benchmark's own environments (created on first use, reused afterwards).

- benchmarks/.venv-monkeytype: MonkeyType (from PyPI) + seamrec (editable) + pytest, so
  `monkeytype run -m pytest ...` can run the same suites seamrec is timed on.
- benchmarks/.work/sqlite-utils-<version>: the sqlite-utils sdist from PyPI, unpacked,
  with a venv (benchmarks/.work/venv-sqlite-utils) holding it, its test deps and seamrec.

Run alone to (re)create them: python benchmarks/envs.py
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"
MONKEYTYPE_VENV = BENCH / ".venv-monkeytype"
SQLITE_UTILS_VENV = WORK / "venv-sqlite-utils"


def _run(command: list[str], **kwargs: object) -> None:
    print("  $", " ".join(str(c) for c in command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def _venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(path)])
    return python


def monkeytype_python() -> Path:
    """The interpreter of the MonkeyType venv (with `monkeytype` on its bin/)."""
    python = MONKEYTYPE_VENV / "bin" / "python"
    marker = MONKEYTYPE_VENV / ".ready"
    if not marker.exists():
        python = _venv(MONKEYTYPE_VENV)
        # seamrec itself is installed because example/tests import it (assert_matches);
        # the example app needs nothing beyond the standard library and pytest.
        _run([str(python), "-m", "pip", "install", "-q", "monkeytype", "pytest", "-e", str(ROOT)])
        marker.write_text("ok\n")
    return python


def sqlite_utils_checkout() -> tuple[Path, Path]:
    """(the unpacked sqlite-utils sdist, the interpreter of its venv)."""
    WORK.mkdir(parents=True, exist_ok=True)
    download = WORK / "download"
    sdists = sorted(download.glob("sqlite_utils-*.tar.gz")) + sorted(
        download.glob("sqlite-utils-*.tar.gz")
    )
    if not sdists:
        download.mkdir(exist_ok=True)
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "sqlite-utils",
                "-d",
                str(download),
            ]
        )
        sdists = sorted(download.glob("sqlite*utils-*.tar.gz"))
    sdist = sdists[-1]
    name = sdist.name.removesuffix(".tar.gz")
    source = WORK / name
    if not source.exists():
        with tarfile.open(sdist) as archive:
            archive.extractall(WORK, filter="data")
    _configure_seamrec(source)
    python = SQLITE_UTILS_VENV / "bin" / "python"
    marker = SQLITE_UTILS_VENV / ".ready"
    if not marker.exists():
        python = _venv(SQLITE_UTILS_VENV)
        _run([str(python), "-m", "pip", "install", "-q", "-e", str(ROOT)])
        # Its test deps live in [dependency-groups] dev (no [test] extra): only the
        # ones the tests import are installed.
        _run(
            [str(python), "-m", "pip", "install", "-q", "-e", str(source), *SQLITE_UTILS_TEST_DEPS]
        )
        marker.write_text("ok\n")
    return source, python


# click 8.5 deprecates CliRunner.isolated_filesystem, which 33 of sqlite-utils 4.2.1's
# tests use with warnings as errors: they fail with or without seamrec, so pin below it.
SQLITE_UTILS_TEST_DEPS = ["pytest", "hypothesis", "cogapp", "click<8.5"]
SEAMREC_TABLE = '\n[tool.seamrec]\nboundaries = ["sqlite_utils"]\ncassette_dir = "cassettes"\n'


def _configure_seamrec(source: Path) -> None:
    """Add [tool.seamrec] to the pyproject.toml at sqlite-utils' pytest rootdir.

    pytest picks the rootdir from the first of pytest.ini / pyproject.toml / tox.ini /
    setup.cfg (with a pytest section) in the invocation dir; we always run pytest from
    `source` with `--rootdir` set to it, so seamrec reads `source/pyproject.toml`."""
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text() if pyproject.exists() else ""
    if "[tool.seamrec]" not in text:
        pyproject.write_text(text + SEAMREC_TABLE)


if __name__ == "__main__":
    print("monkeytype:", monkeytype_python())
    print("sqlite-utils:", *sqlite_utils_checkout())
