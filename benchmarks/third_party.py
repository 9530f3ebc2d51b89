"""A real third-party suite: sqlite-utils (PyPI sdist) with boundaries = ["sqlite_utils"].

Run: .venv/bin/python benchmarks/third_party.py [--repeat 3] [--subset] [--json out]

envs.py fetches the sdist (`pip download --no-deps --no-binary :all: sqlite-utils`),
unpacks it into benchmarks/.work/, installs it, its test deps and seamrec (editable)
into benchmarks/.work/venv-sqlite-utils, and appends [tool.seamrec] boundaries =
["sqlite_utils"] to its pyproject.toml. Every run is `python -m pytest <tests> -q -p
no:cacheprovider --rootdir <sdist>` from the sdist's directory, so seamrec reads that
pyproject.toml. Modes: plain, --record-seams (after one untimed record run that writes
the cassettes), --check-seams; interleaved, `repeat` times. The same tests in every
mode: the whole suite, or with --subset a fixed list of test files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import last_line, summary, timed_run, tree_size, write_json
from envs import sqlite_utils_checkout

SUBSET = [
    "tests/test_create.py",
    "tests/test_insert_files.py",
    "tests/test_fts.py",
    "tests/test_upsert.py",
    "tests/test_transform.py",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subset", action="store_true")
    parser.add_argument("--json")
    options = parser.parse_args()
    source, python = sqlite_utils_checkout()
    shutil.rmtree(source / "cassettes", ignore_errors=True)
    tests = SUBSET if options.subset else ["tests"]
    base = [
        python,
        "-m",
        "pytest",
        *tests,
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(source),
        # sqlite-utils has no pytest config of its own: without -c pytest climbs up to
        # this repository's pyproject.toml (filterwarnings = error, -p pytester).
        "-c",
        str(source / "pyproject.toml"),
    ]
    # pytest exit 1 = some test failed: recorded and reported, not fatal here
    _, first = timed_run([*base, "--record-seams"], source, ok_codes=(0, 1))
    closing: dict[str, Any] = {
        "record (first)": last_line(first.stdout, " in "),
        "record summary": last_line(first.stdout, "seamrec (record)"),
        "record cassettes": last_line(first.stdout, "cassettes:"),
    }
    modes = {"plain": [], "record": ["--record-seams"], "check": ["--check-seams"]}
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    failures: dict[str, list[str]] = {}
    for _ in range(options.repeat):
        for mode, extra in modes.items():
            elapsed, result = timed_run([*base, *extra], source, ok_codes=(0, 1))
            samples[mode].append(elapsed)
            closing[mode] = last_line(result.stdout, " in ")
            failures[mode] = [
                line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))
            ]
            if mode == "check":
                closing["check summary"] = last_line(result.stdout, "seamrec (check)")
                drift = [
                    line
                    for line in result.stdout.splitlines()
                    if "drift" in line or "drifted" in line or "internal" in line
                ]
                closing["check drift lines"] = drift[:40]
                (source.parent / "sqlite-utils-check-output.txt").write_text(result.stdout)
    plain = summary(samples["plain"])["median"]
    results: dict[str, Any] = {
        "tests": tests,
        "modes": {},
        "closing": closing,
        "failures": failures,
    }
    for mode, values in samples.items():
        stats = summary(values)
        stats["ratio"] = stats["median"] / plain
        results["modes"][mode] = stats
    results["cassette_bytes"], results["cassette_files"] = tree_size(
        source / "cassettes", "*.msgpack"
    )
    print(f"sqlite-utils ({source.name}), tests: {' '.join(tests)}")
    print(f"{'mode':>7} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>6}")
    for mode, stats in results["modes"].items():
        print(
            f"{mode:>7} {stats['median']:>9.2f} {stats['min']:>7.2f} {stats['max']:>7.2f} "
            f"{stats['ratio']:>6.2f}"
        )
    print(f"cassettes: {results['cassette_bytes']} B in {results['cassette_files']} files")
    for key, value in closing.items():
        if isinstance(value, list):
            print(f"{key}:", *value[:15], sep="\n  ")
        else:
            print(f"{key}: {value}")
    for mode, lines in failures.items():
        if lines:
            print(f"{mode} failures ({len(lines)}):", *lines[:15], sep="\n  ")
    write_json(options.json, results)


if __name__ == "__main__":
    main()
