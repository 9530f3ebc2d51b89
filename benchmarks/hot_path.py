"""The hot path's pieces, compiled and pure side by side, in µs (issue 13).

Run: .venv/bin/python benchmarks/hot_path.py [--repeat 7] [--number 20000] [--json out]

On a ~1 KB payload of typical service data (benchmarks/common.payload_of_size(1000):
nested dicts, a list of 19 order rows, an aware datetime, a tuple), in one process:
  shape         the shape walk of the value (what record computes for a new shape)
  check         the compiled fit check against the recorded shape (check mode)
  strict check  the strict check of record mode's steady state (the last shape re-used
                while it passes)
  args check    bound arguments (user_id, query) against their recorded shape
Compiled = seamrec.model.accel's functions (C); pure = what SEAMREC_PURE=1 runs once a
check is hot: the Python walker and the checks generated per shape (seamrec.model.checkgen);
closures = conform's closures, the reference the generated checks are held to (what the
pure path ran before issue 13's generated checks, and still runs for a check's first
checkgen.HOT_CALLS calls). Times are CPU time of the process (see cpu_clock.py).
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import payload_of_size, python_info, summary, write_json

from seamrec.model import accel, checkgen, conform
from seamrec.model.shape import args_shape, make_shape_function

QUERY = {"limit": 20, "order": ("created_at", "desc")}


def per_call(action: Callable[[], object], number: int, repeat: int) -> dict[str, float]:
    samples = timeit.repeat(action, number=number, repeat=repeat, timer=time.process_time)
    return summary([s / number * 1e6 for s in samples])


def measure(number: int, repeat: int) -> dict[str, dict[str, dict[str, float]]]:
    value = payload_of_size(1000)
    compiled = make_shape_function()
    pure = accel.pure_walker(compiled)
    shape = pure(value)
    args = args_shape(("user_id", "query"), [pure(42), pure(QUERY)])
    names, values = ("user_id", "query"), [42, QUERY]
    column = [value]
    results: dict[str, dict[str, dict[str, float]]] = {}
    sides: dict[str, Any] = {
        "pure": (pure, checkgen.generate_value, checkgen.generate_args),
        "closures": (pure, conform.pure_compile_value, conform.pure_compile_args),
    }
    if accel.compiled is not None:
        sides["compiled"] = (compiled, accel.compile_value, accel.compile_args)
    for side, (walk, compile_value, compile_args) in sides.items():
        fit = compile_value(shape, walk)
        strict = compile_value(shape, walk, strict=True)
        fit_args = compile_args(args, walk)
        assert walk(value) == shape
        assert fit(column)
        assert strict(column)
        assert fit_args(names, values)
        results[side] = {
            "shape": per_call(lambda walk=walk: walk(value), number // 4, repeat),
            "check": per_call(lambda fit=fit: fit(column), number, repeat),
            "strict check": per_call(lambda strict=strict: strict(column), number, repeat),
            "args check": per_call(lambda c=fit_args: c(names, values), number, repeat),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--json")
    options = parser.parse_args()
    results = measure(options.number, options.repeat)
    print(f"{python_info()}; accelerator: {'built' if accel.compiled else accel.missing}")
    print(f"{'':>14} {'compiled µs':>12} {'pure µs':>10} {'closures µs':>12}")
    for name in results["pure"]:
        fast = results.get("compiled", {}).get(name, {"median": float("nan")})["median"]
        pure, closures = results["pure"][name]["median"], results["closures"][name]["median"]
        print(f"{name:>14} {fast:>12.3f} {pure:>10.3f} {closures:>12.3f}")
    write_json(options.json, results)


if __name__ == "__main__":
    main()
