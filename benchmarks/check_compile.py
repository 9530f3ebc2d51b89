"""What compiling the checks of a real suite's shapes costs on the pure path (issue 13).

Run: .venv/bin/python benchmarks/check_compile.py CASSETTE_DIR [--repeat 5]

Reads every cassette under CASSETTE_DIR (say a suite recorded with --record-seams) and
compiles a check of each recorded run's args and result shape the way a check run does
(one fit check per recorded shape) and a record run does (one strict check per shape).
Prints how many shapes, how many calls they had, how many are hot (checked at least
checkgen.HOT_CALLS times, the ones that get generated code), and the CPU time of:
  closures   conform's closures (the reference) for every shape, as before checkgen
  pure path  checkgen.compile_value/compile_args for every shape (closures first, one
             check per distinct shape), plus generated code for the hot shapes
  generated  generated code for every shape, cold caches (what compiling all would cost)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seamrec.cassette.store import read_cassettes
from seamrec.model import accel, checkgen, conform
from seamrec.model.shape import make_shape_function


def shapes_of(cassette_dir: Path) -> list[tuple[Any, int]]:
    """Every recorded shape with the number of calls it stands for."""
    cassettes, _ = read_cassettes(cassette_dir, payloads=False)
    found: list[tuple[Any, int]] = []
    for _, cassette in cassettes:
        for runs in cassette.runs.values():
            for run in runs:
                found.append((run.args_shape, run.count))
                found.append((run.result_shape, run.count))
    return found


def cpu(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        checkgen.forget()
        start = time.process_time()
        action()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cassettes", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    shapes = shapes_of(options.cassettes)
    walk = accel.pure_walker(make_shape_function())
    hot = [s for s, count in shapes if count >= checkgen.HOT_CALLS]

    def compile_all(
        value: Callable[..., Any], args: Callable[..., Any], which: list[Any], strict: bool
    ) -> None:
        for shape in which:
            compile_check = args if shape[:1] == ("args",) else value
            compile_check(shape, walk, strict=strict)

    print(f"{options.cassettes}: {len(shapes)} recorded shapes (args and result of each run)")
    print(f"  calls {sum(c for _, c in shapes)}, hot shapes (>= {checkgen.HOT_CALLS} calls)")
    print(f"  {len(hot)}, distinct shapes {len({repr(s) for s, _ in shapes})}")
    every = [s for s, _ in shapes]
    for strict in (False, True):
        report(every, hot, walk, strict, options.repeat)


def report(every: list[Any], hot: list[Any], walk: Any, strict: bool, repeat: int) -> None:
    """One line: the compile cost of every shape, one way after another."""

    def compile_all(value: Callable[..., Any], args: Callable[..., Any], which: list[Any]) -> None:
        for shape in which:
            compile_check = args if shape[:1] == ("args",) else value
            compile_check(shape, walk, strict=strict)

    closures = cpu(
        lambda: compile_all(conform.pure_compile_value, conform.pure_compile_args, every), repeat
    )
    tiered = cpu(lambda: compile_all(checkgen.compile_value, checkgen.compile_args, every), repeat)
    upgrades = cpu(
        lambda: compile_all(checkgen.generate_value, checkgen.generate_args, hot), repeat
    )
    generated = cpu(
        lambda: compile_all(checkgen.generate_value, checkgen.generate_args, every), repeat
    )
    mode = "strict (record)" if strict else "fit (check)    "
    print(
        f"  {mode}: closures {closures * 1e3:7.1f} ms  pure path {(tiered + upgrades) * 1e3:7.1f}"
        f" ms  generated {generated * 1e3:7.1f} ms ({generated / len(every) * 1e6:.0f} µs a shape)"
    )


if __name__ == "__main__":
    sys.exit(main())
