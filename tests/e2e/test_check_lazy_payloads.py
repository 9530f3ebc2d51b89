"""`pytest --check-seams` reads each test's kept payloads lazily (built when a drift
report or a replay reads them), yet a payload that does not decode still makes its
cassette unusable, for its own test only, and a drift report still shows the recorded
value beside the live one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack
import pytest

from helpers import LayeredApp, seamrec_summary
from seamrec.cassette.store import load
from seamrec.model.codec import Ext, pack

ORDERS = "tests/test_api.py::test_orders_by_route"
ORDERS_FILE = "tests/test_api/test_orders_by_route.msgpack"
BROKEN_TUPLE = msgpack.ExtType(int(Ext.TUPLE), b"\xc1")  # no msgpack value: cannot decode


def with_broken_result(path: Path, seam: str) -> None:
    """Rewrite the cassette at `path` with the first ext value of `seam`'s kept result
    replaced by one that does not decode (header and everything else kept)."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(path.read_bytes())
    header, body = unpacker.unpack(), unpacker.unpack()
    entry = next(e for e in body["calls"] if e[0] == seam)
    assert swap_first_ext(entry, 7), f"{seam}'s kept result holds no ext value"
    path.write_bytes(msgpack.packb(header) + pack(body))


def swap_first_ext(container: Any, key: Any) -> bool:
    value = container[key]
    if isinstance(value, msgpack.ExtType):
        container[key] = BROKEN_TUPLE
        return True
    if isinstance(value, list):
        return any(swap_first_ext(value, i) for i in range(len(value)))
    if isinstance(value, dict):
        return any(swap_first_ext(value, k) for k in list(value))
    return False


@pytest.mark.usefixtures("layered_cassettes")
def test_a_kept_payload_that_does_not_decode_makes_only_its_cassette_unusable(
    layered_app: LayeredApp,
) -> None:
    path = layered_app.cassettes / ORDERS_FILE
    with_broken_result(path, "app.repo:order_rows")

    result = layered_app.check()

    output = "\n".join([*result.outlines, *result.errlines])
    assert "INTERNALERROR" not in output
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"seamrec cannot use the cassette of {ORDERS}",
            f"  {path.resolve()}: has an invalid structure (*",
        ],
        consecutive=True,
    )
    assert [
        "0 tests drifted, 0 unrecorded, 1 with unusable cassettes",
        f"  unusable cassette: {ORDERS}",
    ] == seamrec_summary(result)[1:]


@pytest.mark.usefixtures("layered_cassettes")
def test_a_drift_report_shows_the_recorded_value_of_a_lazily_read_payload(
    layered_app: LayeredApp,
) -> None:
    recorded = load(layered_app.cassettes / ORDERS_FILE)
    assert any(c.seam == "app.repo:order_rows" for c in recorded.calls)  # a kept payload
    layered_app.edit(
        "app/repo.py",
        "    return rows\n",
        '    return [{"id": id_, "total": total} for id_, total in rows]\n',
    )

    result = layered_app.check()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["    type changed  return[[]*[]]  tuple → dict   (10, 250) → {'id': 10, 'total': 250}"]
    )
