"""Run every seamrec benchmark and print one table (issue 6's targets side by side).

Run: .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME,...]

Each part is its own script in benchmarks/, run as a subprocess writing JSON into
benchmarks/results/ (gitignored); this script prints their tables as they finish, then
one summary table, also written to benchmarks/results/summary.md.
  overhead     per-call µs, off/non-crossing/record/check/replay at 100 B..1 MB
  big_payload  1 MB payload: check time, drift detection and explanation
  example      example app suite: plain/record/check/replay/MonkeyType wall time
  hot          hot-seam suite (100,000-call tests): wall time, test time, cassette size
  sqlite_utils sqlite-utils' own test suite: plain/record/check
  memory       1,000,000 recorded calls: RSS / tracemalloc vs cassette size
Issue 13 (the compiled hot path), each part twice where it says "_pure": once with the C
accelerator, once with SEAMREC_PURE=1; per-call parts read CPU time (cpu_clock.py):
  hot_path     shape walk and checks of a ~1 KB payload, compiled and pure in one process
  overhead13   per-call µs at 1 KB: non-crossing, record, check, replay, test start
  database13   a recorded/checked in-memory SQLite point query vs the plain query
  startup      pytest start with seamrec installed and no option vs -p no:seamrec
Full run: about 20 minutes on 2 cores; --quick: a few minutes (smaller sizes, fewer
repeats, a subset of sqlite-utils, 100,000 calls for memory).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"

FULL = {
    "overhead": ["overhead.py", "--repeat", "5", "--calls", "20000"],
    "big_payload": ["big_payload.py", "--repeat", "7"],
    "example": ["suite_wall_time.py", "--suite", "example", "--repeat", "5"],
    "hot": ["hot_seam.py", "--repeat", "3"],
    "sqlite_utils": ["third_party.py", "--repeat", "3"],
    "memory": ["memory.py", "--calls", "1000000"],
    # issue 13: the compiled hot path, "_pure" parts with SEAMREC_PURE=1
    "hot_path": ["cpu_clock.py", "hot_path.py", "--repeat", "7"],
    "overhead13": ["cpu_clock.py", "overhead.py", "--repeat", "7", "--sizes", "1000"],
    "overhead13_pure": ["cpu_clock.py", "overhead.py", "--repeat", "7", "--sizes", "1000"],
    "database13": ["cpu_clock.py", "database_seam.py", "--repeat", "7"],
    "database13_pure": ["cpu_clock.py", "database_seam.py", "--repeat", "7"],
    "startup": ["startup.py", "--repeat", "9"],
    "hot_pure": ["hot_seam.py", "--repeat", "3"],
}
_QUICK_OVERHEAD = ["--repeat", "5", "--calls", "5000", "--sizes", "1000"]
_QUICK_DATABASE = ["--repeat", "5", "--queries", "5000"]
QUICK = {
    "overhead": ["overhead.py", "--repeat", "3", "--calls", "5000", "--sizes", "100,1000"],
    "big_payload": ["big_payload.py", "--repeat", "3"],
    "example": ["suite_wall_time.py", "--suite", "example", "--repeat", "2"],
    "hot": ["hot_seam.py", "--repeat", "1", "--calls", "20000"],
    "sqlite_utils": ["third_party.py", "--repeat", "1", "--subset"],
    "memory": ["memory.py", "--calls", "100000", "--traced-calls", "50000"],
    # issue 13: the compiled hot path, "_pure" parts with SEAMREC_PURE=1
    "hot_path": ["cpu_clock.py", "hot_path.py", "--repeat", "5", "--number", "5000"],
    "overhead13": ["cpu_clock.py", "overhead.py", *_QUICK_OVERHEAD],
    "overhead13_pure": ["cpu_clock.py", "overhead.py", *_QUICK_OVERHEAD],
    "database13": ["cpu_clock.py", "database_seam.py", *_QUICK_DATABASE],
    "database13_pure": ["cpu_clock.py", "database_seam.py", *_QUICK_DATABASE],
    "startup": ["startup.py", "--repeat", "5"],
    "hot_pure": ["hot_seam.py", "--repeat", "1", "--calls", "20000"],
}
PURE_SUFFIX = "_pure"  # parts run with SEAMREC_PURE=1 (the pure-Python fallback)


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"nproc {cores}, CPU {model or platform.processor()}, Python {platform.python_version()}"


def fmt(value: float, digits: int = 2) -> str:
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{digits}f}")
    )


def verdict(value: float, target: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if value <= target:
        return "met"
    return f"MISSED ({value / target:.1f}x the target)"


def summary_table(data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "overhead" in data:
        out += [
            "### Per-call overhead (µs over the unwrapped call; median, spread = max-min)",
            "",
            "| payload | off (µs/call) | non-crossing | record | record+detail | check | "
            "replay | replay, test start |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for size, modes in data["overhead"]["sizes"].items():

            def cell(mode: str, modes: dict[str, Any] = modes) -> str:
                if mode not in modes:
                    return "—"
                stats = modes[mode]
                value = stats["median"] if mode in ("off", "replay-begin") else stats["overhead"]
                return f"{fmt(value)} ± {fmt(stats['spread'])}"

            replay = cell("replay")
            if "replay*" in modes:
                replay = f"cut, cannot replay; with max_items raised: {cell('replay*')}"
            out.append(
                f"| {int(size):,} B | {cell('off')} | {cell('non-crossing')} | "
                f"{cell('record')} | {cell('record+detail')} | {cell('check')} | "
                f"{replay} | {cell('replay-begin')} |"
            )
        out.append("")
    if "big_payload" in data:
        big = data["big_payload"]
        out += [
            f"### {big['size']:,} B payload (cassette {big['cassette_bytes']:,} B)",
            "",
            "| what | median ms | spread ms |",
            "|---|---|---|",
        ]
        for name, stats in big["results"].items():
            out.append(f"| {name} | {fmt(stats['median'], 1)} | {fmt(stats['spread'], 1)} |")
        out.append("")
    for key, title in (
        ("example", "Example app suite (example/tests)"),
        ("hot", "Hot-seam suite (generated, benchmarks/.work/hot-seam)"),
    ):
        if key not in data:
            continue
        suite = data[key]["suite"] if key == "hot" else data[key]
        out += [
            f"### {title}: wall time of `python -m pytest`, seconds",
            "",
            "| mode | median | min | max | runs | ratio to plain |",
            "|---|---|---|---|---|---|",
        ]
        for mode, stats in suite["modes"].items():
            out.append(
                f"| {mode} | {fmt(stats['median'])} | {fmt(stats['min'])} | "
                f"{fmt(stats['max'])} | {stats['n']} | {fmt(stats['ratio'])} |"
            )
        out.append(
            f"\nseamrec cassettes: {suite['cassette_bytes']:,} B in "
            f"{suite['cassette_files']} files; MonkeyType database: "
            f"{suite.get('monkeytype_db_bytes', 0):,} B\n"
        )
    if "hot" in data:
        hot = data["hot"]
        out += [
            f"### Hot seam: one test, {hot['calls']:,} crossing calls of one shape "
            "(test time from --junitxml)",
            "",
            "| test | cassette B | B/call | plain s | record s (ratio) | check s (ratio) |",
            "|---|---|---|---|---|---|",
        ]
        for name, test in hot["tests"].items():
            modes = test["modes"]
            out.append(
                f"| {name} | {test['cassette_bytes']:,} | {test['bytes_per_call']:.4f} | "
                f"{fmt(modes['plain']['median'], 3)} | {fmt(modes['record']['median'], 3)} "
                f"({fmt(modes['record']['ratio'], 1)}x) | {fmt(modes['check']['median'], 3)} "
                f"({fmt(modes['check']['ratio'], 1)}x) |"
            )
        out.append(
            f"\nplain run (plugin installed, no option): `fetch` is a "
            f"`{hot['probe_plain']['fetch_type']}` (wrapped: "
            f"{hot['probe_plain']['wrapped']}); check run: "
            f"`{hot['probe_check']['fetch_type']}`\n"
        )
    if "sqlite_utils" in data:
        third = data["sqlite_utils"]
        out += [
            f"### sqlite-utils suite ({' '.join(third['tests'])}), seconds",
            "",
            "| mode | median | min | max | runs | ratio to plain |",
            "|---|---|---|---|---|---|",
        ]
        for mode, stats in third["modes"].items():
            out.append(
                f"| {mode} | {fmt(stats['median'])} | {fmt(stats['min'])} | "
                f"{fmt(stats['max'])} | {stats['n']} | {fmt(stats['ratio'])} |"
            )
        closing = third["closing"]
        out.append(
            f"\ncassettes: {third['cassette_bytes']:,} B in {third['cassette_files']} "
            f"files. plain: {closing.get('plain')}; record: {closing.get('record')}; "
            f"check: {closing.get('check')}; {closing.get('check summary')}\n"
        )
    if "memory" in data:
        rss, traced = data["memory"]["rss"], data["memory"]["tracemalloc"]
        out += [
            "### Memory of one test recording many calls (~100 B payload, one shape)",
            "",
            "| calls | µs/call | RSS growth KiB | peak RSS KiB | tracemalloc growth B "
            "(calls) | B/call | cassette B |",
            "|---|---|---|---|---|---|---|",
            f"| {rss['calls']:,} | {rss['seconds'] / rss['calls'] * 1e6:.1f} | "
            f"{rss['rss_growth_kib']:,} | {rss['peak_rss_kib']:,} | "
            f"{traced['traced_growth_bytes']:,} ({traced['calls']:,}) | "
            f"{traced['traced_growth_bytes'] / traced['calls']:.2f} | "
            f"{rss['cassette_bytes']:,} |",
            "",
        ]
    out += targets(data)
    out += issue13_targets(data)
    return out


def _overhead(data: dict[str, Any], part: str, mode: str) -> float:
    try:
        value: float = data[part]["sizes"]["1000"][mode]["overhead"]
    except KeyError:
        return float("nan")
    return value


def _median(data: dict[str, Any], *path: str) -> float:
    found: Any = data
    try:
        for step in path:
            found = found[step]
    except KeyError:
        return float("nan")
    return float(found)


def issue13_targets(data: dict[str, Any]) -> list[str]:
    """Every target of issue 13, compiled and pure side by side, with its verdict."""
    rows: list[tuple[str, float, float, float, float, str]] = []  # name, c, c target, p, ...

    def row(name: str, compiled: float, c_target: float, pure: float, p_target: float) -> None:
        rows.append((name, compiled, c_target, pure, p_target, ""))

    added = _median(data, "startup", "added", "cpu_ms")
    row("installed, no seamrec option: ms added to a pytest start", added, 15, added, 15)
    for mode, c_target, p_target in (
        ("check", 1.0, 3.0),
        ("record", 1.5, 3.0),
        ("replay", 3.0, 10.0),
        ("non-crossing", 0.1, 0.3),
    ):
        row(
            f"1 KB crossing call, {mode}: µs over the plain call",
            _overhead(data, "overhead13", mode),
            c_target,
            _overhead(data, "overhead13_pure", mode),
            p_target,
        )
    for mode in ("record", "check"):
        shares = []
        for part in ("database13", "database13_pure"):
            plain = _median(data, part, "plain", "median")
            shares.append((_median(data, part, mode, "median") - plain) / plain * 100)
        row(f"database point query {mode}ed: % of the plain query", shares[0], 25, shares[1], 25)
    begins = [
        _median(data, part, "sizes", "1000", "replay-begin", "median") / 1000
        for part in ("overhead13", "overhead13_pure")
    ]
    row("loading a test's cassette (replay test start): ms", begins[0], 0.2, begins[1], 0.2)
    hot = [_median(data, part, "suite", "modes", "check", "ratio") for part in ("hot", "hot_pure")]
    row("hot-seam suite, check: x plain", hot[0], 1.5, hot[1], 1.5)
    hot = [_median(data, part, "suite", "modes", "record", "ratio") for part in ("hot", "hot_pure")]
    row("hot-seam suite, record: x plain", hot[0], 1.5, hot[1], 1.5)
    for mode, target in (("check", 1.05), ("record", 1.15)):
        value = _median(data, "sqlite_utils", "modes", mode, "ratio")
        row(f"sqlite-utils suite, {mode}: x plain", value, target, float("nan"), target)
    example = data.get("example", {}).get("modes", {})
    if "monkeytype" in example and "record" in example:
        plain = example["plain"]["median"]
        ratio = (example["monkeytype"]["median"] - plain) / max(
            example["record"]["median"] - plain, 1e-9
        )
        rows.append(
            (
                "example suite: MonkeyType's added time / seamrec record's",
                ratio,
                50,
                ratio,
                50,
                ">=",
            )
        )
    out = [
        "### Targets of issue 13 (compiled = C accelerator; pure = SEAMREC_PURE=1)",
        "",
        "| target | compiled | verdict | pure | verdict |",
        "|---|---|---|---|---|",
    ]
    for name, compiled, c_target, pure, p_target, sense in rows:
        if sense == ">=":
            c_verdict = "met" if compiled >= c_target else "MISSED"
            p_verdict = c_verdict
        else:
            c_verdict, p_verdict = verdict(compiled, c_target), verdict(pure, p_target)
        out.append(
            f"| {name} | {fmt(compiled)} (≤ {c_target:g}) | {c_verdict} | "
            f"{fmt(pure)} (≤ {p_target:g}) | {p_verdict} |".replace("≤", "≥" if sense else "≤")
        )
    if "hot_path" in data:
        side = data["hot_path"]
        out += [
            "",
            "Hot path pieces, 1 KB payload, µs (CPU time; study: C check 0.37, C shape 1.4, "
            "C steady state 0.43):",
            "",
            "| piece | compiled | pure | pure closures (reference) |",
            "|---|---|---|---|",
        ]
        for piece in side.get("pure", {}):
            fast = side.get("compiled", {}).get(piece, {}).get("median", float("nan"))
            closures = side.get("closures", {}).get(piece, {}).get("median", float("nan"))
            out.append(
                f"| {piece} | {fmt(fast, 3)} | {fmt(side['pure'][piece]['median'], 3)} "
                f"| {fmt(closures, 3)} |"
            )
    out.append(
        "\nReal suites written by others (check ≤ 1.05x, record ≤ 1.15x): "
        "benchmarks/real_suites.py (6-8 min, not part of run_all).\n"
    )
    return out


def targets(data: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, str, str]] = []
    if "overhead" in data:
        sizes = data["overhead"]["sizes"]
        kb = sizes.get("1000")
        if kb:
            for mode, target in (
                ("check", 3.0),
                ("record", 3.0),
                ("replay", 3.0),
                ("non-crossing", 0.7),
            ):
                value = kb[mode]["overhead"]
                rows.append(
                    (
                        f"1 KB {mode} overhead ≤ {target} µs",
                        f"{fmt(value)} µs",
                        verdict(value, target),
                    )
                )
            value = kb["record+detail"]["overhead"]
            rows.append(
                (
                    "1 KB record, first payload_calls calls (detail kept) ≤ 3 µs",
                    f"{fmt(value)} µs",
                    verdict(value, 3.0),
                )
            )
    if "hot" in data:
        probe = data["hot"]["probe_plain"]
        rows.append(
            (
                "plugin installed, no flag: nothing wrapped",
                f"fetch is a {probe['fetch_type']}",
                "met" if not probe["wrapped"] else "MISSED",
            )
        )
    if "big_payload" in data:
        big = data["big_payload"]["results"]
        value = big["check (no drift), whole test"]["median"]
        rows.append(("1 MB check, no drift ≤ 30 ms", f"{fmt(value, 1)} ms", verdict(value, 30)))
        value = (
            big["drift: detect, whole test"]["median"]
            + big["drift: explain (failure_text)"]["median"]
        )
        rows.append(("1 MB drift explained ≤ 1 s", f"{fmt(value, 1)} ms", verdict(value, 1000)))
    if "hot" in data:
        test = data["hot"]["tests"].get("test_hot_1k")
        if test:
            rows.append(
                (
                    f"{data['hot']['calls']:,}-call test: cassette ≤ 1 MB",
                    f"{test['cassette_bytes']:,} B",
                    verdict(test["cassette_bytes"], 1_000_000),
                )
            )
            value = test["modes"]["check"]["ratio"]
            rows.append(
                (
                    "...checking it ≤ 2x the test without seamrec",
                    f"{fmt(value, 1)}x",
                    verdict(value, 2.0),
                )
            )
    if "sqlite_utils" in data:
        modes = data["sqlite_utils"]["modes"]
        rows.append(
            (
                "sqlite-utils --check-seams ≤ 1.10x",
                f"{fmt(modes['check']['ratio'])}x",
                verdict(modes["check"]["ratio"], 1.10),
            )
        )
        rows.append(
            (
                "sqlite-utils --record-seams ≤ 1.25x",
                f"{fmt(modes['record']['ratio'])}x",
                verdict(modes["record"]["ratio"], 1.25),
            )
        )
    if "memory" in data:
        rss = data["memory"]["rss"]
        growth = rss["rss_growth_kib"] * 1024
        per_call = data["memory"].get("per_call_growth_bytes", float("nan"))
        rows.append(
            (
                f"memory of {rss['calls']:,} recorded calls ≤ the cassette (call-dependent growth)",
                f"{per_call * rss['calls']:,.0f} B ({per_call:.3f} B/call; fixed RSS "
                f"+{growth:,} B) vs cassette {rss['cassette_bytes']:,} B",
                # RSS moves in 4 KiB pages: two pages of tolerance
                verdict(per_call * rss["calls"], rss["cassette_bytes"] + 8192),
            )
        )
    if not rows:
        return []
    out = ["### Targets of issue 6", "", "| target | measured | verdict |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return [*out, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast subset (a few minutes)")
    parser.add_argument("--only", help="comma-separated parts: " + ",".join(FULL))
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="only print the table from benchmarks/results/*.json",
    )
    options = parser.parse_args()
    plan = QUICK if options.quick else FULL
    names = options.only.split(",") if options.only else list(plan)
    RESULTS.mkdir(exist_ok=True)
    header = machine()
    print(header, "(quick)" if options.quick else "", flush=True)
    data: dict[str, Any] = {}
    started = time.perf_counter()
    for name in plan:
        out = RESULTS / f"{name}.json"
        if name in names and not options.from_results:
            print(f"\n===== {name}: {' '.join(plan[name])}", flush=True)
            part_start = time.perf_counter()
            command = [sys.executable, str(BENCH / plan[name][0]), *plan[name][1:]]
            if plan[name][0] == "cpu_clock.py":
                command[2] = str(BENCH / command[2])
            environment = dict(os.environ)
            environment.pop("SEAMREC_PURE", None)
            if name.endswith(PURE_SUFFIX):
                environment["SEAMREC_PURE"] = "1"
            result = subprocess.run([*command, "--json", str(out)], check=False, env=environment)
            print(
                f"----- {name}: {time.perf_counter() - part_start:.0f} s, exit {result.returncode}",
                flush=True,
            )
            if result.returncode != 0:
                continue
        if out.exists():
            data[name] = json.loads(out.read_text())
    ran = ", ".join(n for n in plan if n in names) if options.only else "all parts"
    lines = [
        f"Machine: {header}. This invocation ran {ran} in "
        f"{time.perf_counter() - started:.0f} s{' (quick)' if options.quick else ''}.",
        "",
        *summary_table(data),
    ]
    text = "\n".join(lines)
    print("\n" + "=" * 30 + " summary " + "=" * 30 + "\n" + text)
    (RESULTS / "summary.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
