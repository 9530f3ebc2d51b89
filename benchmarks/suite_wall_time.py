"""Whole-suite wall time of the example app, median of several runs, per seamrec mode.

Run: .venv/bin/python benchmarks/suite_wall_time.py [--repeat 5]

Each run is a fresh `python -m pytest example/tests -q -p no:cacheprovider` subprocess
(so interpreter start-up and collection are included, as a user would see them):
  plain       no seamrec option
  check       --check-seams
  replay      --replay-seams="shop.repository:*Repo.*" (repositories answered from the
              cassettes instead of real SQLite)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = {
    "plain": [],
    "check": ["--check-seams"],
    "replay": ["--replay-seams=shop.repository:*Repo.*"],
}


def wall_time(extra: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", "example/tests", "-q", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    result = subprocess.run(command + extra, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(extra) or 'plain'} run failed:\n{result.stdout[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    samples: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(options.repeat):
        for mode, extra in MODES.items():  # interleaved, so drift in machine load is shared
            samples[mode].append(wall_time(extra))
    base = statistics.median(samples["plain"])
    print(f"{'mode':>8} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>6}")
    for mode, values in samples.items():
        median = statistics.median(values)
        print(
            f"{mode:>8} {median:>9.2f} {min(values):>7.2f} {max(values):>7.2f} "
            f"{median / base:>6.2f}"
        )


if __name__ == "__main__":
    main()
