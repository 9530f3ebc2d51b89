"""Per-call overhead of seamrec at a seam, in microseconds (median of several runs).

Run: .venv/bin/python benchmarks/overhead.py [--repeat 7] [--calls 20000]
         [--sizes 100,1000,100000,1000000] [--json out.json]

In-process, with a `SeamSession` driven the way the pytest plugin drives it, on a callee
`benchpkg.callee:fetch(user_id, query)` that returns a prepared payload (typical service
data: nested dicts, a list of rows, a datetime, a tuple) of the given msgpack size.
Modes measured on the same callee and payload:
  off           the plain function, never wrapped (the baseline; also what a run with
                the plugin installed but no seamrec option costs: nothing is wrapped)
  non-crossing  wrapped, but called from its own module (not a seam crossing)
  record        crossing call while recording, past the first `payload_calls` calls
                (shape only: what the calls of a hot seam cost)
  record+detail crossing call while recording, full payload kept (a new test is begun
                every `payload_calls` calls, so every call keeps its payload; only the
                calls are timed, not begin/finish_test)
  check         crossing call while checking against a cassette, no drift
  replay        crossing call answered from the cassette (`Mode.REPLAY`, the seam is not
                called; the recorded value is rebuilt). Replay needs kept payloads, so a
                new test is begun every `payload_calls` calls and only the calls are
                timed; the per-test cassette load is reported separately (replay-begin).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import payload_of_size, python_info, summary, write_json

from seamrec.config import SeamPattern, settings_from_table
from seamrec.exceptions import ReplayError
from seamrec.runtime.session import Mode, SeamSession

CALLEE = """
    PAYLOAD = None

    def fetch(user_id, query):
        return PAYLOAD

    def loop(n, user_id, query):
        for _ in range(n):
            fetch(user_id, query)
"""
REPLAY_NODE = "bench.py::test_replay"
QUERY = {"limit": 20, "order": ("created_at", "desc")}


def per_call_us(action: Callable[[int], float | None], calls: int, repeat: int) -> dict[str, float]:
    """Per-call µs of `action(calls)` over `repeat` runs; `action` may return its own
    measured seconds (to leave set-up out), else it is timed as a whole."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        own = action(calls)
        elapsed = own if own is not None else time.perf_counter() - start
        samples.append(elapsed / calls * 1e6)
    return summary(samples)


def setup_module(root: Path, payload: object) -> Any:
    package = root / "benchpkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "callee.py").write_text(textwrap.dedent(CALLEE))
    sys.path.insert(0, str(root))
    module = importlib.import_module("benchpkg.callee")
    module.PAYLOAD = payload
    return module


def measure(size: int, calls: int, repeat: int) -> dict[str, dict[str, float]]:
    payload = payload_of_size(size)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        module = setup_module(root, payload)

        def crossing(n: int) -> None:
            fetch = module.fetch
            for _ in range(n):
                fetch(42, QUERY)

        results["off"] = per_call_us(crossing, calls, repeat)
        settings = settings_from_table(
            {"boundaries": ["benchpkg"], "cassette_dir": "cassettes"}, rootdir=root
        )
        detail_calls = settings.limits.payload_calls
        detail_tests = max(3, calls // detail_calls // 4)
        node = "bench.py::test_bench"
        replay_node = REPLAY_NODE
        recorder = SeamSession(settings, Mode.RECORD)
        recorder.start()
        try:
            results["non-crossing"] = per_call_us(
                lambda n: module.loop(n, 42, QUERY), calls, repeat
            )
            recorder.begin_test(node)
            crossing(detail_calls)
            results["record"] = per_call_us(crossing, calls, repeat)
            recorder.finish_test("passed")

            def record_with_detail(n: int) -> float:
                spent = 0.0
                for _ in range(n // detail_calls):
                    recorder.begin_test("bench.py::detail")
                    start = time.perf_counter()
                    crossing(detail_calls)
                    spent += time.perf_counter() - start
                    recorder.finish_test("failed")  # keeps nothing, writes nothing
                return spent

            results["record+detail"] = per_call_us(
                record_with_detail, detail_calls * detail_tests, repeat
            )
            recorder.begin_test(node)
            crossing(calls * repeat + 10)
            recorder.finish_test("passed")
            recorder.begin_test(replay_node)
            crossing(detail_calls)
            recorder.finish_test("passed")
        finally:
            recorder.stop()
        checker = SeamSession(settings, Mode.CHECK)
        checker.start()
        try:
            checker.begin_test(node)
            results["check"] = per_call_us(crossing, calls, repeat)
            outcome = checker.end_test_calls()
            checker.finish_test("passed")
            drift = [f for f in outcome.findings if f.part != "missing"]
            assert not drift, drift
        finally:
            checker.stop()
        try:
            results.update(measure_replay(settings, crossing, module, payload, calls, repeat))
        except ReplayError as exc:
            # Payloads over 64 KiB packed are stored cut to max_items (100) per container,
            # and a cut value cannot be rebuilt: replay them with max_items raised.
            results["replay"] = {
                "median": float("nan"),
                "spread": float("nan"),
                "problems": [f"ReplayError: {exc}"],
            }  # type: ignore[dict-item]
            raised = dataclasses.replace(
                settings, limits=dataclasses.replace(settings.limits, max_items=10**7)
            )
            # The cassette must be deleted first: a re-record whose shapes are unchanged
            # leaves the (cut) file in place even though the limits changed.
            recorder = SeamSession(raised, Mode.RECORD)
            recorder.cassette_path(REPLAY_NODE).unlink()
            recorder.start()
            try:
                recorder.begin_test(REPLAY_NODE)
                crossing(detail_calls)
                recorder.finish_test("passed")
            finally:
                recorder.stop()
            again = measure_replay(raised, crossing, module, payload, calls, repeat)
            results["replay*"] = again["replay"]
            results["replay-begin"] = again["replay-begin"]
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("benchpkg")]:
            del sys.modules[name]
    return results


def measure_replay(
    settings: Any,
    crossing: Callable[[int], None],
    module: Any,
    payload: object,
    calls: int,
    repeat: int,
) -> dict[str, dict[str, float]]:
    detail_calls = settings.limits.payload_calls
    detail_tests = max(3, calls // detail_calls // 4)
    pattern = SeamPattern.parse("benchpkg.callee:fetch", key="replay")
    replayer = SeamSession(settings, Mode.REPLAY, replay=(pattern,))
    replayer.start()
    begins: list[float] = []
    problems: list[str] = []
    results: dict[str, dict[str, Any]] = {}
    try:

        def replay(n: int) -> float:
            spent = 0.0
            for _ in range(n // detail_calls):
                start = time.perf_counter()
                replayer.begin_test(REPLAY_NODE)
                begins.append(time.perf_counter() - start)
                start = time.perf_counter()
                crossing(detail_calls)
                spent += time.perf_counter() - start
                outcome = replayer.end_test_calls()
                problems.extend(f"{f.part}: {f.message}" for f in outcome.findings)
                replayer.finish_test("passed")
            return spent

        results["replay"] = per_call_us(replay, detail_calls * detail_tests, repeat)
        results["replay-begin"] = summary([b * 1e6 for b in begins])
        replayer.begin_test(REPLAY_NODE)
        same = module.fetch(42, QUERY) == payload
        replayer.end_test_calls()
        replayer.finish_test("passed")
    finally:
        replayer.stop()
    results["replay"]["equal_to_recorded"] = float(same)
    if problems:
        results["replay"]["problems"] = sorted(set(problems))[:3]
    return results


def calls_for(size: int, calls: int) -> int:
    """Fewer calls for large payloads (a 1 MB shape walk costs milliseconds)."""
    return max(40, calls * 1000 // max(size, 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--sizes", default="100,1000,100000,1000000")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    options = parser.parse_args()
    print(f"{python_info()}, up to {options.calls} calls x {options.repeat} runs", flush=True)
    print(f"{'payload':>9} {'mode':>14} {'per call µs':>12} {'overhead µs':>12} {'spread':>9}")
    everything: dict[str, Any] = {}
    for size in (int(s) for s in options.sizes.split(",")):
        results = measure(size, calls_for(size, options.calls), options.repeat)
        everything[str(size)] = results
        base = results["off"]["median"]
        for mode, stats in results.items():
            value = stats["median"]
            overhead = value - base if mode not in ("off", "replay-begin") else 0.0
            results[mode]["overhead"] = overhead
            print(
                f"{size:>8}B {mode:>14} {value:>12.2f} {overhead:>12.2f} {stats['spread']:>9.2f}",
                flush=True,
            )
            if "problems" in stats:
                print(f"{'':>24} replay problems: {stats['problems']}")
    write_json(options.json, {"python": sys.version.split()[0], "sizes": everything})
    _ = statistics  # keep the import for interactive use


if __name__ == "__main__":
    main()
