"""What the review features cost on a directory of cassettes.

Run: .venv/bin/python benchmarks/review_cost.py [--cassettes DIR] [--repeat N] [--json OUT]

Times, per repeat: reading every cassette, building and rendering the contract files (the
work a `--record-seams` run adds at its end), comparing the set with itself (the work of
`seamrec diff` once both sides are read), `seamrec show` text of every cassette, and
redacting every cassette with the default rules (the work `--record-seams` does before it
writes each cassette; the cassettes are read with their payloads outside the timer).
Default DIR: the sqlite-utils cassettes left by third_party.py if present, else the
example app's `cassettes/`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import summary, write_json

from seamrec.cassette.redact import Redactor
from seamrec.cassette.store import read_cassettes
from seamrec.review.changes import Snapshot, compare
from seamrec.review.contract import merged, render_files
from seamrec.review.show import cassette_text

BENCH = Path(__file__).resolve().parent
SQLITE_UTILS = BENCH / ".work" / "sqlite_utils-4.2.1" / "cassettes"
EXAMPLE = BENCH.parent / "cassettes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = SQLITE_UTILS if SQLITE_UTILS.is_dir() else EXAMPLE
    parser.add_argument("--cassettes", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {
        "read": [],
        "contracts": [],
        "compare": [],
        "show": [],
        "redact": [],
    }
    per_cassette: list[float] = []
    replaced = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        found, errors = read_cassettes(args.cassettes, payloads=False)
        cassettes = [c for _, c in found]
        read = time.perf_counter()
        files = render_files(merged(cassettes))
        rendered = time.perf_counter()
        snapshot = Snapshot.of(cassettes)
        compare(snapshot, snapshot)
        compared = time.perf_counter()
        shown = sum(len(cassette_text(c)) for c in cassettes)
        done = time.perf_counter()
        timings["read"].append(read - start)
        timings["contracts"].append(rendered - read)
        timings["compare"].append(compared - rendered)
        timings["show"].append(done - compared)
        full, _ = read_cassettes(args.cassettes)
        redact_total = 0.0
        replaced = 0
        for _, cassette in full:
            redactor = Redactor()
            started = time.perf_counter()
            redactor.redact(cassette)
            took = time.perf_counter() - started
            redact_total += took
            per_cassette.append(took)
            replaced += len(redactor.redactions)
        timings["redact"].append(redact_total)
    size = sum(p.stat().st_size for p, _ in found)
    contract_bytes = sum(len(text.encode()) for text in files.values())
    print(f"cassettes: {len(found)} files, {size} B ({len(errors)} unreadable) in {args.cassettes}")
    print(f"contracts: {len(files)} files, {contract_bytes} B; show text: {shown} chars")
    results: dict[str, object] = {"cassettes": len(found), "cassette_bytes": size}
    for name, samples in timings.items():
        stats = summary(samples)
        results[name] = stats
        print(
            f"{name:<10} median {stats['median'] * 1000:8.1f} ms   "
            f"(min {stats['min'] * 1000:.1f}, max {stats['max'] * 1000:.1f}, n {stats['n']})"
        )
    per = summary(per_cassette)
    calls = sum(len(c.calls) for _, c in found)
    print(
        f"redact per cassette: median {per['median'] * 1000:.2f} ms, max {per['max'] * 1000:.1f}"
        f" ms ({calls} calls with payloads; {replaced} values it would replace now)"
    )
    results["redact_per_cassette"] = per
    results["redact_replaced"] = replaced
    write_json(args.json, results)


if __name__ == "__main__":
    main()
