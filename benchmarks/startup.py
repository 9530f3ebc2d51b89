"""What seamrec adds to a pytest start when it is installed but no seamrec option is given.

Run: .venv/bin/python benchmarks/startup.py [--repeat 9] [--json PATH]

A one-test project in a temporary directory is run with `-p no:seamrec` (seamrec
disabled) and without it (installed, no option), in turn, `--repeat` times each; the
script prints the medians of wall and CPU time (user + sys of the child), the time added,
the time to import the plugin module in a fresh process (steadier than the difference of
two whole starts on a busy machine) and the seamrec modules the run without option
imported (the target: nothing beyond the option parser; no msgpack, deepdiff or wrapt).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONFTEST = """\
import os
import sys


def pytest_unconfigure(config):
    target = os.environ.get("STARTUP_MODULES")
    if target:
        with open(target, "w") as fh:
            fh.write("\\n".join(sorted(sys.modules)))
"""
HEAVY = ("msgpack", "deepdiff", "wrapt")
TARGET_MS = 15.0


def project(root: Path) -> None:
    """A project with one passing test and a `[tool.seamrec]` table."""
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\n\n[tool.seamrec]\nboundaries = ["app"]\n'
    )
    (root / "conftest.py").write_text(CONFTEST)
    (root / "test_one.py").write_text("def test_one():\n    assert True\n")


def run(root: Path, extra: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `pytest` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def imported(root: Path, env: dict[str, str]) -> list[str]:
    """The modules a run without a seamrec option leaves in `sys.modules`."""
    target = root / "modules.txt"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env={**env, "STARTUP_MODULES": str(target)},
        check=True,
        capture_output=True,
    )
    return target.read_text().split()


IMPORT_PLUGIN = """\
import time
import pytest
start = time.perf_counter()
import seamrec.pytest_plugin.hooks
print(time.perf_counter() - start)
"""


def plugin_import(env: dict[str, str]) -> float:
    """Seconds to import the plugin's entry point in a fresh process, pytest imported."""
    printed = subprocess.run(
        [sys.executable, "-c", IMPORT_PLUGIN], env=env, check=True, capture_output=True, text=True
    ).stdout
    return float(printed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each (default 9)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project(root)
        run(root, [], env)  # warm-up: bytecode caches
        run(root, ["-p", "no:seamrec"], env)
        samples: dict[str, list[tuple[float, float]]] = {"disabled": [], "installed": []}
        for _ in range(args.repeat):
            samples["disabled"].append(run(root, ["-p", "no:seamrec"], env))
            samples["installed"].append(run(root, [], env))
        modules = imported(root, env)
        plugin_import(env)  # warm-up: bytecode caches
        import_ms = 1000 * statistics.median(plugin_import(env) for _ in range(args.repeat))
    medians: dict[str, Any] = {
        name: {
            "wall_ms": 1000 * statistics.median(w for w, _ in runs),
            "cpu_ms": 1000 * statistics.median(c for _, c in runs),
        }
        for name, runs in samples.items()
    }
    added = {
        key: medians["installed"][key] - medians["disabled"][key] for key in ("wall_ms", "cpu_ms")
    }
    ours = [m for m in modules if m == "seamrec" or m.startswith("seamrec.")]
    heavy = [m for m in modules if m.split(".")[0] in HEAVY]
    print(f"pytest start, one-test project, medians of {args.repeat} (ms):")
    print(f"{'':28}{'wall':>10}{'cpu':>10}")
    for name, label in (("disabled", "-p no:seamrec"), ("installed", "installed, no option")):
        row = medians[name]
        print(f"{label:28}{row['wall_ms']:10.1f}{row['cpu_ms']:10.1f}")
    print(f"{'added':28}{added['wall_ms']:10.1f}{added['cpu_ms']:10.1f}")
    print(f"{'importing the plugin module':28}{import_ms:10.1f}  (pytest already imported)")
    verdict = "met" if added["cpu_ms"] <= TARGET_MS else "MISSED"
    print(f"target: <= {TARGET_MS:.0f} ms added (cpu median): {verdict}")
    print(f"seamrec modules imported: {', '.join(ours)}")
    print(f"msgpack/deepdiff/wrapt imported: {', '.join(heavy) or 'none'}")
    if args.json is not None:
        figures = {
            "medians": medians,
            "added": added,
            "plugin_import_ms": import_ms,
            "seamrec_modules": ours,
            "heavy": heavy,
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
