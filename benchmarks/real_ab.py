"""A/B of seamrec sources on one real suite: CPU time of pytest plain, record and check.

Run: .venv/bin/python benchmarks/real_ab.py --only sqlite-utils \\
         --source A=/tmp/ab/807da39/src --source B=src [--rounds 3] [--modes record,check]

The project and its venv come from benchmarks/real_suites.py (prepared there). Each
--source NAME=DIR puts DIR (a `src` folder holding a seamrec package, e.g. a `git
archive` of another commit with its C extension built in place) first on PYTHONPATH,
so the venv's pytest imports that seamrec; `this` (or a path to this checkout's src)
uses the venv's own install. Per round, interleaved so the machine's load is shared:
one plain run, then for each source a record from no cassettes and a check of what it
recorded; `--modes record,rerecord,check` adds an unchanged re-record over the
cassettes that source just recorded (what real_suites.py's later record runs measure:
most files are left as they are). Printed: the CPU time (user + system of pytest and
its children, from wait4) and wall time of every run, the medians per source and mode,
and their ratios to the plain median. CPU time leaves out the other sessions' work on
this shared machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_suites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", required=True, help=", ".join(real_suites.PROJECTS))
    parser.add_argument(
        "--source", action="append", required=True, help="NAME=DIR of a seamrec src folder"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="record,check", help="of record, rerecord, check")
    parser.add_argument("--timeout", type=float, default=900)
    options = parser.parse_args()
    project = real_suites.PROJECTS[options.only]
    sources: dict[str, str | None] = {}
    for item in options.source:
        name, _, directory = item.partition("=")
        sources[name] = None if directory in ("", "this") else str(Path(directory).resolve())
    modes = options.modes.split(",")
    root, python = real_suites.prepare(project)
    cassettes = root / "cassettes"
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    for round_index in range(1, options.rounds + 1):
        runs = [("plain", "plain", None)]
        runs += [(name, mode, directory) for name, directory in sources.items() for mode in modes]
        for name, mode, directory in runs:
            if mode == "record":
                shutil.rmtree(cassettes, ignore_errors=True)
            env = {"PYTHONPATH": directory} if directory else {}
            run = real_suites.pytest_run(
                project,
                root,
                python,
                "record" if mode == "rerecord" else mode,
                round_index,
                options.timeout,
                env=env,
                label=f"ab-{name}-re" if mode == "rerecord" else f"ab-{name}",
            )
            cpu.setdefault((name, mode), []).append(run.cpu_seconds)
            wall.setdefault((name, mode), []).append(run.seconds)
            print(
                f"  round {round_index} {name:>10} {mode:6}: cpu {run.cpu_seconds:7.2f} s"
                f"  wall {run.seconds:7.2f} s  rc {run.returncode}"
                f"  {real_suites.closing_line(run.output)}",
                flush=True,
            )
    plain_cpu = statistics.median(cpu[("plain", "plain")])
    plain_wall = statistics.median(wall[("plain", "plain")])
    print(f"\n{project.name}: medians of {options.rounds} (ratio to plain)")
    print(f"  {'plain':>10} {'':6}: cpu {plain_cpu:7.2f} s          wall {plain_wall:7.2f} s")
    for name in sources:
        for mode in modes:
            c = statistics.median(cpu[(name, mode)])
            w = statistics.median(wall[(name, mode)])
            print(
                f"  {name:>10} {mode:6}: cpu {c:7.2f} s ({c / plain_cpu:.2f}x)"
                f"  wall {w:7.2f} s ({w / plain_wall:.2f}x)"
            )
    shutil.rmtree(cassettes, ignore_errors=True)


if __name__ == "__main__":
    main()
