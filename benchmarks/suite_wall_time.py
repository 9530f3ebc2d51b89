"""Whole-suite wall time per seamrec mode, next to MonkeyType, median of several runs.

Run: .venv/bin/python benchmarks/suite_wall_time.py [--suite example|hot] [--repeat 5]
         [--no-monkeytype] [--json out]

Each run is a fresh `python -m pytest <tests> -q -p no:cacheprovider` subprocess (so
interpreter start-up and collection are included, as a user would see them), on a copy
of the suite under benchmarks/.work/ (so recording never touches the repository's
cassettes):
  plain       no seamrec option (seamrec installed: nothing is wrapped)
  record      --record-seams (after a first, untimed record run: the timed runs re-record
              an unchanged suite, as a developer would)
  check       --check-seams against those cassettes
  replay      example suite only: --replay-seams="shop.repository:*Repo.*", without the
              two tests that read the database behind the repositories (REPLAY_DESELECT)
  monkeytype  `monkeytype run -m pytest ...` in benchmarks/.venv-monkeytype (MonkeyType
              from PyPI), with a fresh MT_DB_PATH database each run and
              MONKEYTYPE_TRACE_MODULES set to seamrec's boundary package (same scope;
              by default it would also trace the tests and conftest)
Modes are interleaved within each repeat, so drift in machine load is shared.
Suites:
  example     the example app's integration tests (example/tests)
  hot         the generated hot-seam project of hot_seam.py (100,000-call tests)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, WORK, last_line, summary, timed_run, tree_size, write_json

EXAMPLE_PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["example"]

[tool.seamrec]
boundaries = ["shop"]
cassette_dir = "cassettes"
"""


# Tests that query SQLite themselves after writing through the repositories: with every
# repository seam replayed, nothing is written, so they cannot pass in the replay mode.
REPLAY_DESELECT = [
    "example/tests/test_db.py::test_rows_are_rows_with_parsed_timestamps",
    "example/tests/test_reports.py::test_recent_orders_name_the_customer_newest_first",
]


def example_project() -> tuple[Path, list[str], dict[str, list[str]]]:
    """A copy of the example app, its tests and cassettes; (dir, test args, extra modes)."""
    target = WORK / "example-suite"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(
        ROOT / "example", target / "example", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "cassettes", target / "cassettes")
    (target / "pyproject.toml").write_text(EXAMPLE_PYPROJECT)
    replay = ["--replay-seams=shop.repository:*Repo.*"]
    replay += [f"--deselect={nodeid}" for nodeid in REPLAY_DESELECT]
    return target, ["example/tests"], {"replay": replay}


def junit_durations(report: Path) -> dict[str, float]:
    """Each test's time (setup + call + teardown) from a --junitxml report."""
    root = ET.parse(report).getroot()
    return {case.get("name", ""): float(case.get("time", "0")) for case in root.iter("testcase")}


def run_suite(
    cwd: Path,
    tests: list[str],
    repeat: int,
    extra_modes: dict[str, list[str]],
    monkeytype: bool,
    cassettes: str = "cassettes",
    trace_modules: str = "",
    monkeytype_repeat: int | None = None,
    junit: bool = False,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Time every mode `repeat` times on the suite in `cwd`; medians, spread, sizes."""
    pytest_args = ["-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"]
    modes: dict[str, list[str]] = {
        "plain": [],
        "record": ["--record-seams"],
        "check": ["--check-seams"],
        **extra_modes,
    }
    python = sys.executable
    closing: dict[str, str] = {}
    # untimed warm-up that also (re)writes the cassettes the check runs read
    _, first = timed_run([python, *pytest_args, "--record-seams"], cwd)
    closing["record (first)"] = (
        last_line(first.stdout, "seamrec (record)") + "; " + last_line(first.stdout, "cassettes:")
    )
    mt_python: Path | None = None
    if monkeytype:
        from envs import monkeytype_python

        mt_python = monkeytype_python()
        modes["monkeytype"] = []
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    test_times: dict[str, dict[str, list[float]]] = {}
    mt_db = cwd / "monkeytype.sqlite3"
    for round_ in range(repeat):
        for mode, extra in modes.items():
            if (
                mode == "monkeytype"
                and monkeytype_repeat is not None
                and (round_ >= monkeytype_repeat)
            ):
                continue
            if mode == "monkeytype":
                assert mt_python is not None
                mt_db.unlink(missing_ok=True)
                monkeytype_bin = mt_python.parent / "monkeytype"
                elapsed, result = timed_run(
                    [monkeytype_bin, "run", *pytest_args],
                    cwd,
                    env={"MT_DB_PATH": str(mt_db), "MONKEYTYPE_TRACE_MODULES": trace_modules},
                )
            else:
                report = cwd / f"junit-{mode}.xml"
                own = [f"--junitxml={report}"] if junit else []
                run_env = {k: v.format(mode=mode) for k, v in (env or {}).items()}
                elapsed, result = timed_run([python, *pytest_args, *extra, *own], cwd, run_env)
                if junit:
                    for name, seconds in junit_durations(report).items():
                        test_times.setdefault(name, {}).setdefault(mode, []).append(seconds)
            samples[mode].append(elapsed)
            closing[mode] = last_line(result.stdout, " in ")
            if mode == "check":
                closing["check summary"] = last_line(result.stdout, "seamrec (check)")
    base = summary(samples["plain"])["median"]
    results: dict[str, Any] = {"modes": {}, "closing": closing, "test_times": test_times}
    for mode, values in samples.items():
        stats = summary(values)
        stats["ratio"] = stats["median"] / base
        results["modes"][mode] = stats
    results["cassette_bytes"], results["cassette_files"] = tree_size(cwd / cassettes, "*.msgpack")
    if monkeytype:
        results["monkeytype_db_bytes"] = mt_db.stat().st_size if mt_db.exists() else 0
        mt_db.unlink(missing_ok=True)  # can be hundreds of MB
    return results


def print_suite(name: str, results: dict[str, Any]) -> None:
    print(f"suite {name}")
    print(f"{'mode':>11} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>6}")
    for mode, stats in results["modes"].items():
        print(
            f"{mode:>11} {stats['median']:>9.2f} {stats['min']:>7.2f} {stats['max']:>7.2f} "
            f"{stats['ratio']:>6.2f}"
        )
    print(
        f"  seamrec cassettes: {results['cassette_bytes']} B in {results['cassette_files']} files"
    )
    if "monkeytype_db_bytes" in results:
        print(f"  monkeytype database: {results['monkeytype_db_bytes']} B")
    for mode, line in results["closing"].items():
        print(f"  {mode}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=("example", "hot"), default="example")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-monkeytype", action="store_true")
    parser.add_argument("--json")
    options = parser.parse_args()
    if options.suite == "example":
        cwd, tests, extra = example_project()
    else:
        from hot_seam import hot_project

        cwd, tests, extra = hot_project()
    trace = "shop" if options.suite == "example" else "hotpkg"
    results = run_suite(
        cwd, tests, options.repeat, extra, not options.no_monkeytype, trace_modules=trace
    )
    print_suite(options.suite, results)
    write_json(options.json, results)


if __name__ == "__main__":
    main()
