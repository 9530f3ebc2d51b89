"""Run a benchmark script with `time.perf_counter` reading this process's CPU time.

Run: .venv/bin/python benchmarks/cpu_clock.py SCRIPT [ARGS...]

The machine is shared by several sessions (load averages of 5-11 on 2 cores): wall time
then counts other processes' work and per-call medians move by 5x between runs. CPU time
of the process leaves that out (and still counts this process's allocations, GC and cache
misses). Used by run_all.py for the in-process per-call parts of issue 13.
"""

from __future__ import annotations

import runpy
import sys
import time

if __name__ == "__main__":
    time.perf_counter = time.process_time
    script, *arguments = sys.argv[1:]
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")
