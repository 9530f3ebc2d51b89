"""What an installed seamrec adds to a pytest start when no seamrec option is given.

Run: .venv/bin/python benchmarks/startup.py [--repeat 9] [--json out]

A one-test project (no [tool.seamrec]) is run with `python -m pytest -q` and with
`python -m pytest -q -p no:seamrec`, interleaved, `repeat` times each; the medians of
the CPU time (user + system) of the pytest process, in ms, and their difference are
reported (on a shared machine wall time counts other sessions' work). Target (issue 13):
≤ 15 ms added.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import python_info, summary, write_json

TEST = "def test_one():\n    assert 1 + 1 == 2\n"


def run(root: Path, *extra: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=root,
        check=True,
        capture_output=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return spent * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--json")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_one.py").write_text(TEST)
        samples: dict[str, list[float]] = {"installed": [], "disabled": []}
        run(root)
        for _ in range(options.repeat):
            samples["installed"].append(run(root))
            samples["disabled"].append(run(root, "-p", "no:seamrec"))
    results = {mode: summary(values) for mode, values in samples.items()}
    added = results["installed"]["median"] - results["disabled"]["median"]
    print(f"{python_info()}; {options.repeat} runs each")
    for mode, stats in results.items():
        print(f"  {mode:<10} {stats['median']:7.0f} ms (spread {stats['spread']:.0f})")
    print(f"  added     {added:7.0f} ms")
    write_json(options.json, {"modes": results, "added_ms": added})


if __name__ == "__main__":
    main()
