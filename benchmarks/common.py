"""Helpers shared by the benchmark scripts: payloads, statistics, timed subprocesses."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"


def payload_of_size(target: int) -> dict[str, Any]:
    """Typical service data: nested dicts, a list of rows, a datetime, a tuple.

    The size is the msgpack size (datetimes as str) of the value, at least `target`."""
    created = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    order = {"id": 1, "total": 12.5, "sku": "A-1", "status": "paid", "note": None}
    user = {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com", "created_at": created}
    meta = {"page": 1, "next": "/p/2", "sort": ("created_at", "desc")}
    value: dict[str, Any] = {"user": user, "orders": [], "meta": meta}
    row_size = len(msgpack.packb(dict(order, id=10_000)))
    base = len(msgpack.packb(value, default=str))
    rows = max(0, (target - base) // row_size)
    value["orders"] = [dict(order, id=i) for i in range(rows)]
    while len(msgpack.packb(value, default=str)) < target:
        value["orders"].append(dict(order, id=len(value["orders"])))
    return value


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median, min, max and spread (max - min) of `samples`."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "spread": max(samples) - min(samples),
        "n": len(samples),
    }


def timed_run(
    command: Sequence[str | Path],
    cwd: Path,
    env: dict[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of one subprocess (start-up included) and its result."""
    full_env = dict(os.environ)
    full_env.pop("PYTEST_ADDOPTS", None)
    full_env.update(env or {})
    start = time.perf_counter()
    result = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in ok_codes:
        raise RuntimeError(
            f"{' '.join(map(str, command))} exited {result.returncode} in {cwd}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return elapsed, result


def tree_size(path: Path, pattern: str = "*") -> tuple[int, int]:
    """(total bytes, number of files) under `path` matching `pattern`."""
    files = [p for p in path.rglob(pattern) if p.is_file()] if path.exists() else []
    return sum(p.stat().st_size for p in files), len(files)


def last_line(text: str, needle: str) -> str:
    """The last line of `text` containing `needle` (e.g. pytest's closing line)."""
    lines = [line for line in text.splitlines() if needle in line]
    return lines[-1].strip("= ") if lines else ""


def write_json(path: str | None, data: Any) -> None:
    """Write `data` as JSON to `path` (run_all.py collects these)."""
    if path:
        Path(path).write_text(json.dumps(data, indent=1, default=str))


def python_info() -> str:
    return f"python {sys.version.split()[0]}"
