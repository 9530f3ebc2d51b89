"""An unchanged re-record leaves every cassette as it is without scrubbing its payloads
first: the files keep their bytes when only values (secrets included) changed, a budget
cut is still named, and a changed shape is still written with its secrets scrubbed."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

SERVICE = '''\
"""A login that hands a token back, a token used as a key, and one big report."""


def login(user: str, password: str) -> dict[str, object]:
    return {"user": user, "password": password, "query": f"a=1&pw={password}"}


def grants(token: str) -> dict[str, int]:
    return {token: 1}


def report(size: int) -> list[list[object]]:
    return [[i, str(i)] for i in range(size)]
'''

TESTS = """\
from pathlib import Path

from shop import service

SECRET, TOKEN = Path(__file__).with_name("secrets.txt").read_text().split()


def test_login():
    assert service.login("ada", SECRET)["user"] == "ada"


def test_grants():
    assert service.grants(TOKEN) == {TOKEN: 1}


def test_report():
    assert len(service.report(150_000)) == 150_000
"""

FIRST = ("Tr0ub4dor-x9Zq7", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A")
SECOND = ("Co4rse-Hors3Bat", "ghp_Zz9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8")
BUDGET = (
    "warning: 1 seam passed a payload over the per-call budget; recorded with a "
    "<cut: budget> marker: shop.service:report"
)


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "",
        "shop/service.py": SERVICE,
        "tests/test_service.py": TESTS,
        "tests/secrets.txt": " ".join(FIRST),
    }
    return fresh_project(pytester, monkeypatch, files)


def every_byte(app: LayeredApp) -> bytes:
    """Every file under the cassette dir (cassettes and contracts), one after another."""
    return b"".join(
        path.read_bytes() for path in sorted(app.cassettes.rglob("*")) if path.is_file()
    )


def test_new_secrets_in_the_same_shapes_leave_every_cassette_as_it_was(shop: LayeredApp) -> None:
    first = shop.record()
    first.assert_outcomes(passed=3)
    recorded = shop.recorded()
    shop.write("tests/secrets.txt", " ".join(SECOND))

    again = shop.record()

    again.assert_outcomes(passed=3)
    summary = seamrec_summary(again)
    assert "cassettes: 0 written, 3 unchanged, 0 kept because the test failed" in summary
    assert BUDGET in summary
    assert BUDGET in seamrec_summary(first)
    assert recorded == shop.recorded()
    everything = every_byte(shop)
    for secret in (*FIRST, *SECOND):
        assert secret.encode() not in everything
    shop.check().assert_outcomes(passed=3)


def test_a_changed_shape_is_written_with_its_new_secrets_scrubbed(shop: LayeredApp) -> None:
    shop.record().assert_outcomes(passed=3)
    recorded = shop.recorded()
    shop.write("tests/secrets.txt", " ".join(SECOND))
    shop.write("shop/service.py", SERVICE.replace('"user": user,', '"user": user, "id": 7,'))

    again = shop.record()

    again.assert_outcomes(passed=3)
    assert "cassettes: 1 written, 2 unchanged, 0 kept because the test failed" in (
        seamrec_summary(again)
    )
    rewritten = [name for name, data in shop.recorded().items() if recorded[name] != data]
    assert ["tests/test_service/test_login.msgpack"] == rewritten
    everything = every_byte(shop)
    for secret in (*FIRST, *SECOND):
        assert secret.encode() not in everything
    shop.check().assert_outcomes(passed=3)
