"""A hot seam: a test making 100,000 crossing calls of one shape, in real pytest runs.

Run: .venv/bin/python benchmarks/hot_seam.py [--repeat 3] [--calls 100000] [--json out]

Generates benchmarks/.work/hot-seam (a package `hotpkg` with [tool.seamrec] boundaries =
["hotpkg"], and tests), then runs it with suite_wall_time.run_suite (plain / record /
check / monkeytype) and reports, besides whole-suite wall times:
  - the cassette size of test_hot_1k (100,000 calls, ~1 KB payload each) and per call;
  - that test's own duration (setup + call + teardown, from --junitxml of the same timed
    runs) in each mode, and
    the check/plain ratio (target ≤ 2x);
  - MonkeyType runs once only (it takes minutes here and writes a database of hundreds
    of MB, deleted after its size is taken);
  - whether a plain run wraps anything (it must not: the probe test writes the type of
    `hotpkg.callee.fetch` as the test sees it).
The callee is trivial (returns a prebuilt payload), so the ratios are a worst case:
a real callee doing work makes them smaller.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, summary, write_json

CALLS = 100_000

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]

[tool.seamrec]
boundaries = ["hotpkg"]
cassette_dir = "cassettes"
"""

CALLEE = """\
import datetime as dt

CREATED = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
ORDER = {"id": 1, "total": 12.5, "sku": "A-1", "status": "paid", "note": None}


def payload(rows):
    user = {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com", "created_at": CREATED}
    meta = {"page": 1, "next": "/p/2", "sort": ("created_at", "desc")}
    return {"user": user, "orders": [dict(ORDER, id=i) for i in range(rows)], "meta": meta}


PAYLOAD_1K = payload(15)     # ~1 KB msgpack
PAYLOAD_100B = {"id": 42, "name": "Ada", "created_at": CREATED, "tags": ("a", "b")}


def fetch(user_id, query):
    return PAYLOAD_1K


def fetch_small(user_id):
    return PAYLOAD_100B
"""

TESTS = """\
import json
import os

import pytest

from hotpkg import callee

CALLS = {calls}
QUERY = {{"limit": 20, "order": ("created_at", "desc")}}


def test_hot_1k():
    total = 0
    for i in range(CALLS):
        total += len(callee.fetch(i, QUERY)["orders"])
    assert total == 15 * CALLS


def test_hot_100b():
    total = 0
    for i in range(CALLS):
        total += len(callee.fetch_small(i)["tags"])
    assert total == 2 * CALLS


@pytest.mark.parametrize("n", range(10))
def test_few_calls(n):
    assert callee.fetch(n, QUERY)["user"]["id"] == 42


def test_probe():
    probe = os.environ.get("HOT_PROBE")
    if probe:
        with open(probe, "w") as f:
            json.dump({{"fetch_type": type(callee.fetch).__name__,
                       "wrapped": hasattr(callee.fetch, "__wrapped__")}}, f)
"""


def hot_project(calls: int = CALLS) -> tuple[Path, list[str], dict[str, list[str]]]:
    target = WORK / "hot-seam"
    if target.exists():
        shutil.rmtree(target)
    (target / "hotpkg").mkdir(parents=True)
    (target / "tests").mkdir()
    (target / "pyproject.toml").write_text(PYPROJECT)
    (target / "hotpkg" / "__init__.py").write_text("")
    (target / "hotpkg" / "callee.py").write_text(CALLEE)
    (target / "tests" / "test_hot.py").write_text(textwrap.dedent(TESTS.format(calls=calls)))
    return target, ["tests"], {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--no-monkeytype", action="store_true")
    parser.add_argument("--json")
    options = parser.parse_args()
    from suite_wall_time import print_suite, run_suite

    cwd, tests, extra = hot_project(options.calls)
    suite = run_suite(
        cwd,
        tests,
        options.repeat,
        extra,
        not options.no_monkeytype,
        trace_modules="hotpkg",
        monkeytype_repeat=1,
        junit=True,
        env={"HOT_PROBE": str(cwd / "probe-{mode}.json")},
    )
    per_test = {
        name: modes
        for name, modes in suite.pop("test_times").items()
        if name.startswith("test_hot")
    }
    tests_out: dict[str, Any] = {}
    for name, modes in per_test.items():
        stats = {mode: summary(values) for mode, values in modes.items()}
        plain = stats["plain"]["median"]
        for mode in stats:
            stats[mode]["ratio"] = stats[mode]["median"] / plain
        cassette = cwd / "cassettes" / "tests" / "test_hot" / f"{name}.msgpack"
        size = cassette.stat().st_size if cassette.exists() else 0
        tests_out[name] = {
            "modes": stats,
            "cassette_bytes": size,
            "bytes_per_call": size / options.calls,
        }
    probe = json.loads((cwd / "probe-plain.json").read_text())
    probe_check = json.loads((cwd / "probe-check.json").read_text())
    print_suite("hot", suite)
    print(
        f"plain run: fetch is a {probe['fetch_type']} (wrapped: {probe['wrapped']}); "
        f"check run: {probe_check['fetch_type']}"
    )
    for name, data in tests_out.items():
        print(
            f"{name}: {options.calls} calls, cassette {data['cassette_bytes']} B "
            f"({data['bytes_per_call']:.4f} B/call)"
        )
        for mode, stats in data["modes"].items():
            print(
                f"  {mode:>7} test time {stats['median']:.3f} s (spread {stats['spread']:.3f})"
                f" ratio {stats['ratio']:.2f}"
            )
    write_json(
        options.json,
        {
            "suite": suite,
            "tests": tests_out,
            "probe_plain": probe,
            "probe_check": probe_check,
            "calls": options.calls,
        },
    )


if __name__ == "__main__":
    main()
