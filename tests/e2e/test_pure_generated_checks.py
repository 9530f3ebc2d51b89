"""End to end on the pure path (SEAMREC_PURE=1): a seam called more often than
`checkgen.HOT_CALLS` times runs generated checks (record's strict check of the last shape,
check's fit check of the recorded one), and they record the same cassette bytes and report
the same drift as the C accelerator."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary
from seamrec.model import accel, checkgen

CALLS = 3 * checkgen.HOT_CALLS

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
databases = []
"""

REPO = """\
def order(n):
    return {
        "id": n,
        "total": 12.5 * n,
        "sku": f"SKU-{n}",
        "paid": n % 2 == 0,
        "created": "2026-01-0%dT10:00:00Z" % (n % 9 + 1),
        "token": "deadbeefdeadbeefdeadbeef%08x" % n,
        "lines": [{"sku": "A", "qty": n}, {"sku": "B", "qty": 1}],
        "note": None,
        "pair": (n, "x"),
    }
"""

API = """\
from app.repo import order


def totals(count):
    return [order(i)["total"] for i in range(count)]
"""

TESTS = f"""\
from app.api import totals


def test_totals():
    assert len(totals({CALLS})) == {CALLS}
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "app/__init__.py": "",
    "app/repo.py": REPO,
    "app/api.py": API,
    "tests/test_totals.py": TESTS,
}


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    return fresh_project(pytester, monkeypatch, FILES)


@pytest.mark.subprocess_runs  # the accelerator is chosen when seamrec is imported
def test_a_hot_seam_records_and_checks_clean_in_pure_python(
    shop: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEAMREC_PURE", "1")
    shop.record().assert_outcomes(passed=1)
    pure = shop.recorded()
    shop.record().assert_outcomes(passed=1)
    assert shop.recorded() == pure
    shop.check().assert_outcomes(passed=1)
    if accel.compiled is not None:
        monkeypatch.delenv("SEAMREC_PURE")
        shop.record().assert_outcomes(passed=1)
        assert shop.recorded() == pure


@pytest.mark.subprocess_runs
def test_drift_after_the_check_is_hot_is_reported_as_with_the_accelerator(
    shop: LayeredApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEAMREC_PURE", "1")
    shop.record().assert_outcomes(passed=1)
    late = CALLS - 2  # long after the check of the return shape became generated code
    shop.edit("app/repo.py", '"note": None,', f'"note": None if n < {late} else "late",')
    shop.edit("app/repo.py", '"token": "deadbeef', f'"token": "" if n == {late} else "deadbeef')

    result = shop.check()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*app.repo:order*return*", "*return*'note'*"])
    if accel.compiled is not None:
        monkeypatch.delenv("SEAMREC_PURE")
        assert seamrec_summary(shop.check()) == seamrec_summary(result)
