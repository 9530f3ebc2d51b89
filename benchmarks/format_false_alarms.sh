#!/bin/bash
# False alarms of format classes on suites that generate data (issue 15): each suite is
# run plainly, recorded once, then checked three times; a test failing under
# --check-seams that passes plainly is a false alarm. Sources come from PyPI sdists
# into a scratch directory (never committed).
#
# usage: benchmarks/format_false_alarms.sh [WORKDIR]   (default /tmp/seamrec-formats)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/seamrec-formats}
mkdir -p "$work" && cd "$work" || exit 1
[ -x venv/bin/python ] || { python3 -m venv venv && venv/bin/pip install -q -e "$here" faker pytz hypothesis pytest-benchmark pyhamcrest; }
venv/bin/pip download -q --no-deps --no-binary :all: iso8601==2.1.0 base58==2.1.1 factory_boy==3.3.3
for f in *.tar.gz; do tar xzf "$f"; done

measure() {  # DIR BOUNDARY PYTEST-ARGS...
  local dir=$1 boundary=$2; shift 2
  cd "$work/$dir" || return
  grep -q "tool.seamrec" pyproject.toml 2>/dev/null ||
    printf '\n[tool.seamrec]\nboundaries = ["%s"]\n' "$boundary" >> pyproject.toml
  run() { PYTHONPATH=. timeout 1200 "$work/venv/bin/python" -m pytest -p no:cacheprovider -q -rf "$@" 2>&1; }
  run "$@" > plain.txt; grep -E "^FAILED" plain.txt | sed 's/ - .*//' | sort > plain.failed
  rm -rf cassettes; run --record-seams "$@" > record.txt
  echo "$dir: plain: $(tail -1 plain.txt)"
  for i in 1 2 3; do
    run --check-seams "$@" > "check$i.txt"
    grep -E "^FAILED" "check$i.txt" | sed 's/ - .*//' | sort > "check$i.failed"
    echo "  check $i: $(tail -1 "check$i.txt"); false alarms: $(comm -13 plain.failed "check$i.failed" | wc -l)"
  done
}
measure iso8601-2.1.0 iso8601 iso8601
measure base58-2.1.1 base58 test_base58.py test_base45.py --benchmark-disable
measure factory_boy-3.3.3 factory tests/test_faker.py tests/test_fuzzy.py tests/test_using.py \
  tests/test_declarations.py tests/test_base.py tests/test_regression.py tests/test_transformer.py
