"""Per-call overhead of seamrec at a seam, in microseconds (median of several runs).

Run: .venv/bin/python benchmarks/overhead.py [--repeat 7] [--calls 20000]

Modes measured on the same callee and payload:
  off           the plain function, never wrapped (the baseline)
  non-crossing  wrapped, but called from its own module (not a seam crossing)
  record        crossing call while recording, past the first `payload_calls` calls
  record+detail crossing call while recording, full payload kept (first calls of a test)
  check         crossing call while checking against a cassette, no drift
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seamrec.config import settings_from_table
from seamrec.session import Mode, SeamSession

CALLEE = """
    PAYLOAD = None

    def fetch(user_id, query):
        return PAYLOAD

    def loop(n, user_id, query):
        for _ in range(n):
            fetch(user_id, query)
"""


def payload_of_size(target: int) -> dict[str, Any]:
    """Typical service data: nested dicts, a list of rows, a datetime, a tuple."""
    created = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    order = {"id": 1, "total": 12.5, "sku": "A-1", "status": "paid", "note": None}
    user = {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com", "created_at": created}
    meta = {"page": 1, "next": "/p/2", "sort": ("created_at", "desc")}
    value: dict[str, Any] = {"user": user, "orders": [], "meta": meta}
    import msgpack

    while len(msgpack.packb(value, default=str)) < target:
        value["orders"].append(dict(order, id=len(value["orders"])))
    return value


def median_us(action: Callable[[int], None], calls: int, repeat: int) -> tuple[float, float]:
    """Median and spread (max - min) of the per-call time of `action(calls)`."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action(calls)
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples), max(samples) - min(samples)


def setup_module(root: Path, payload: object) -> Any:
    package = root / "benchpkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "callee.py").write_text(textwrap.dedent(CALLEE))
    sys.path.insert(0, str(root))
    module = importlib.import_module("benchpkg.callee")
    module.PAYLOAD = payload
    return module


def measure(size: int, calls: int, repeat: int) -> dict[str, tuple[float, float]]:
    payload = payload_of_size(size)
    query = {"limit": 20, "order": ("created_at", "desc")}
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        module = setup_module(root, payload)

        def crossing(n: int) -> None:
            fetch = module.fetch
            for _ in range(n):
                fetch(42, query)

        results["off"] = median_us(crossing, calls, repeat)
        settings = settings_from_table(
            {"boundaries": ["benchpkg"], "cassette_dir": "cassettes"}, rootdir=root
        )
        recorder = SeamSession(settings, Mode.RECORD)
        recorder.start()
        try:
            results["non-crossing"] = median_us(
                lambda n: module.loop(n, 42, query), calls, repeat
            )
            node = "bench.py::test_bench"
            recorder.begin_test(node)
            crossing(settings.limits.payload_calls)
            results["record"] = median_us(crossing, calls, repeat)
            recorder.finish_test("passed")

            detail_calls = settings.limits.payload_calls

            def record_with_detail(n: int) -> None:
                for _ in range(n // detail_calls):
                    recorder.begin_test("bench.py::detail")
                    crossing(detail_calls)
                    recorder.finish_test("failed")

            results["record+detail"] = median_us(record_with_detail, detail_calls * 50, repeat)
            recorder.begin_test(node)
            crossing(calls * repeat + 10)
            recorder.finish_test("passed")
        finally:
            recorder.stop()
        checker = SeamSession(settings, Mode.CHECK)
        checker.start()
        try:
            checker.begin_test(node)
            results["check"] = median_us(crossing, calls, repeat)
            outcome = checker.end_test_calls()
            checker.finish_test("passed")
            assert not [f for f in outcome.findings if f.part != "missing"], outcome.findings
        finally:
            checker.stop()
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("benchpkg")]:
            del sys.modules[name]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--sizes", default="100,1000")
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {options.calls} calls x {options.repeat} runs")
    print(f"{'payload':>8} {'mode':>14} {'per call µs':>12} {'overhead µs':>12} {'spread':>8}")
    for size in (int(s) for s in options.sizes.split(",")):
        calls = max(200, options.calls * 1000 // max(size, 1000))
        results = measure(size, calls, options.repeat)
        base = results["off"][0]
        for mode, (value, spread) in results.items():
            overhead = value - base if mode != "off" else 0.0
            print(f"{size:>7}B {mode:>14} {value:>12.2f} {overhead:>12.2f} {spread:>8.2f}")


if __name__ == "__main__":
    main()
