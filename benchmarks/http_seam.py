"""What the inbound HTTP seam costs per request: a Flask JSON endpoint called through
`app.test_client()`, in µs (medians).

Run: .venv/bin/python benchmarks/http_seam.py [--repeat 7] [--requests 2000] [--json out]

In-process, with a `SeamSession` driven the way the pytest plugin drives it. The app lives
outside the boundaries, so only its HTTP seam is recorded (no module seam of its own):
`GET /api/items/<int:item_id>?verbose=1` answers a small JSON object (about 200 bytes).
Modes:
  plain    the test client without seamrec (the baseline)
  record   while recording (past the first `payload_calls` requests, shapes only)
  check    while checking against the cassette the record run wrote
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import python_info, summary, write_json
from flask import Flask

from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession

NODE = "bench.py::test_requests"


def make_app() -> Flask:
    app = Flask("benchhttp")

    @app.get("/api/items/<int:item_id>")
    def item(item_id: int) -> dict[str, Any]:
        return {
            "id": item_id,
            "name": f"item {item_id}",
            "price": 2.5,
            "tags": ["a", "b"],
            "stock": {"warehouse": 3, "shop": None},
        }

    return app


def timed(client: Any, requests: int) -> float:
    start = time.perf_counter()
    for n in range(requests):
        client.get(f"/api/items/{n}", query_string={"verbose": 1}, headers={"X-Trace": "t"})
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--json")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    settings = settings_from_table({"boundaries": ["benchhttp_boundary"]}, rootdir=root)
    client = make_app().test_client()
    timed(client, options.requests)  # warm-up: Flask's and werkzeug's caches
    plain = [timed(client, options.requests) for _ in range(options.repeat)]

    results: dict[str, list[float]] = {"plain": plain, "record": [], "check": []}
    for mode in (Mode.RECORD, Mode.CHECK):
        session = SeamSession(settings, mode)
        session.start()
        for _ in range(options.repeat):
            session.begin_test(NODE)
            results[mode.value].append(timed(client, options.requests))
            outcome = session.end_test_calls()
            assert not outcome.findings, outcome.findings
            session.finish_test("passed")
        session.stop()
        assert session.stats.http_requests == options.repeat * options.requests
        assert not session.stats.internal_errors, session.stats.internal_errors

    medians = {mode: summary(samples) for mode, samples in results.items()}
    base = medians["plain"]["median"]
    print(f"{python_info()}; {options.requests} requests x {options.repeat} runs")
    for mode, stats in medians.items():
        extra = stats["median"] - base
        share = "" if mode == "plain" else f"   +{extra:.1f} µs = {extra / base:.0%} of the request"
        print(f"  {mode:<7} {stats['median']:7.1f} µs per request{share}")
    write_json(options.json, medians)


if __name__ == "__main__":
    main()
