"""A 1 MB payload: check time without drift, and the time to explain a drift.

Run: .venv/bin/python benchmarks/big_payload.py [--repeat 5] [--size 1000000] [--json out]

In-process, like overhead.py: one test records one call of `benchpkg.callee:fetch`
returning a ~1 MB payload. Then, each repeat is a whole test as the plugin runs it:
  check (no drift)   begin_test (loads the cassette) + the call + end_test_calls
  check (call only)  the call alone, within that test
  drift: detect      the same test where every row's "sku" key is renamed "sku_code":
                     begin_test + call + end_test_calls (finds the drift)
  drift: explain     report.failure_text(outcome) of that test: the message the user
                     reads (finding_lines -> drift.explain with deepdiff, and examples)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import payload_of_size, summary, write_json
from overhead import QUERY, setup_module

from seamrec.config import settings_from_table
from seamrec.pytest_plugin.report import failure_text
from seamrec.runtime.session import Mode, SeamSession

NODE = "bench.py::test_big"


def drifted(payload: dict[str, Any]) -> dict[str, Any]:
    """The same payload with one key renamed in every row."""
    rows = [
        {("sku_code" if k == "sku" else k): v for k, v in row.items()} for row in payload["orders"]
    ]
    return dict(payload, orders=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--json")
    options = parser.parse_args()
    payload = payload_of_size(options.size)
    live_drift = drifted(payload)
    samples: dict[str, list[float]] = {
        "check (no drift), whole test": [],
        "check (no drift), call only": [],
        "drift: detect, whole test": [],
        "drift: explain (failure_text)": [],
    }
    message = ""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        module = setup_module(root, payload)
        settings = settings_from_table(
            {"boundaries": ["benchpkg"], "cassette_dir": "cassettes"}, rootdir=root
        )
        recorder = SeamSession(settings, Mode.RECORD)
        recorder.start()
        try:
            recorder.begin_test(NODE)
            module.fetch(42, QUERY)
            recorder.finish_test("passed")
        finally:
            recorder.stop()
        cassette_bytes = recorder.cassette_path(NODE).stat().st_size
        checker = SeamSession(settings, Mode.CHECK)
        checker.start()
        try:
            for _ in range(options.repeat):
                module.PAYLOAD = payload
                start = time.perf_counter()
                checker.begin_test(NODE)
                call_start = time.perf_counter()
                module.fetch(42, QUERY)
                call_end = time.perf_counter()
                outcome = checker.end_test_calls()
                end = time.perf_counter()
                checker.finish_test("passed")
                assert not outcome.findings, outcome.findings
                samples["check (no drift), whole test"].append((end - start) * 1e3)
                samples["check (no drift), call only"].append((call_end - call_start) * 1e3)

                module.PAYLOAD = live_drift
                start = time.perf_counter()
                checker.begin_test(NODE)
                module.fetch(42, QUERY)
                outcome = checker.end_test_calls()
                detected = time.perf_counter()
                message = failure_text(outcome)
                explained = time.perf_counter()
                checker.finish_test("failed")
                assert outcome.findings, "the drift was not detected"
                samples["drift: detect, whole test"].append((detected - start) * 1e3)
                samples["drift: explain (failure_text)"].append((explained - detected) * 1e3)
        finally:
            checker.stop()
    results = {name: summary(values) for name, values in samples.items()}
    print(f"payload {options.size} B, cassette {cassette_bytes} B, {options.repeat} runs")
    print(f"{'what':>32} {'median ms':>10} {'spread':>8}")
    for name, stats in results.items():
        print(f"{name:>32} {stats['median']:>10.1f} {stats['spread']:>8.1f}")
    print("drift message (first lines):")
    print("\n".join("  " + line for line in message.splitlines()[:6]))
    write_json(
        options.json,
        {
            "size": options.size,
            "cassette_bytes": cassette_bytes,
            "results": results,
            "message": message.splitlines()[:8],
        },
    )


if __name__ == "__main__":
    main()
