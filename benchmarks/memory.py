"""Memory of a test that records 1,000,000 crossing calls, vs the cassette it writes.

Run: .venv/bin/python benchmarks/memory.py [--calls 1000000] [--json out]

In-process (SeamSession driven like the plugin, as overhead.py), one test recording
`calls` calls of `benchpkg.callee:fetch` with a ~100 B payload (all of one shape). Two
child processes, so one does not disturb the other:
  rss         (also run with a tenth of the calls, to separate a fixed cost from a
              per-call one) VmRSS before begin_test, after the calls (tape in memory, before
              finish_test writes), and peak RSS (ru_maxrss) — no tracing overhead
  tracemalloc traced memory growth from begin_test to the end of the calls, and the
              peak during them (every allocation is traced, ~5x slower: by default this
              run makes --traced-calls 200,000 calls; growth is also given per call)
The target: the run holds no more than the detail it will write (the cassette size).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import payload_of_size, write_json
from overhead import QUERY, setup_module

from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(calls: int, trace: bool) -> dict[str, float]:
    payload = payload_of_size(100)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        module = setup_module(root, payload)
        settings = settings_from_table(
            {"boundaries": ["benchpkg"], "cassette_dir": "cassettes"}, rootdir=root
        )
        session = SeamSession(settings, Mode.RECORD)
        session.start()
        fetch = module.fetch
        node = "bench.py::test_million"
        # warm up the session's caches in another test so only the tape is measured
        session.begin_test("bench.py::warmup")
        for _ in range(20):
            fetch(42, QUERY)
        session.finish_test("failed")
        if trace:
            tracemalloc.start()
        before = rss_kib()
        traced_before = tracemalloc.get_traced_memory()[0] if trace else 0
        start = time.perf_counter()
        session.begin_test(node)
        for _ in range(calls):
            fetch(42, QUERY)
        elapsed = time.perf_counter() - start
        after = rss_kib()
        traced_after, traced_peak = tracemalloc.get_traced_memory() if trace else (0, 0)
        session.finish_test("passed")
        session.stop()
        size = session.cassette_path(node).stat().st_size
    return {
        "calls": calls,
        "seconds": elapsed,
        "rss_before_kib": before,
        "rss_after_calls_kib": after,
        "rss_growth_kib": after - before,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "traced_growth_bytes": traced_after - traced_before,
        "traced_peak_bytes": traced_peak - traced_before,
        "cassette_bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument(
        "--traced-calls",
        type=int,
        default=200_000,
        help="calls of the tracemalloc run (tracing is ~5x slower)",
    )
    parser.add_argument("--child", choices=("rss", "tracemalloc"))
    parser.add_argument("--json")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.calls, options.child == "tracemalloc")))
        return
    results = {}
    for kind in ("rss", "rss-tenth", "tracemalloc"):
        calls = {
            "rss": options.calls,
            "rss-tenth": options.calls // 10,
            "tracemalloc": options.traced_calls,
        }[kind]
        out = subprocess.run(
            [sys.executable, __file__, "--calls", str(calls), "--child", kind.split("-")[0]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[kind] = json.loads(out.strip().splitlines()[-1])
    rss, traced = results["rss"], results["tracemalloc"]
    tenth = results["rss-tenth"]
    # growth that depends on the number of calls (a fixed cost, e.g. caches and compiled
    # checks built on the first calls, cancels out)
    results["per_call_growth_bytes"] = (
        (rss["rss_growth_kib"] - tenth["rss_growth_kib"]) * 1024 / (rss["calls"] - tenth["calls"])
    )
    print(f"{options.calls} recorded calls (~100 B payload, one shape) in one test")
    print(f"  time {rss['seconds']:.1f} s ({rss['seconds'] / options.calls * 1e6:.1f} µs/call)")
    print(
        f"  RSS growth during the calls {rss['rss_growth_kib']} KiB, peak RSS "
        f"{rss['peak_rss_kib']} KiB"
    )
    print(
        f"  tracemalloc ({traced['calls']} calls) growth {traced['traced_growth_bytes']} B "
        f"({traced['traced_growth_bytes'] / traced['calls']:.2f} B/call), peak "
        f"{traced['traced_peak_bytes']} B; its cassette {traced['cassette_bytes']} B"
    )
    print(
        f"  RSS growth with {tenth['calls']} calls: {tenth['rss_growth_kib']} KiB -> growth "
        f"per call {results['per_call_growth_bytes']:.3f} B"
    )
    print(f"  cassette written {rss['cassette_bytes']} B")
    write_json(options.json, results)


if __name__ == "__main__":
    main()
