"""Replaying a mid layer: the calls its real implementation made are not "missing".

A three-layer app (api → service → repo, plus one call the api makes to the repository
itself) is recorded, then checked with the service replayed: the replayed service is not
called, so the repository calls recorded inside its calls do not happen, and nothing
says they are missing; a drift in the api layer, or a call the api itself stopped
making, is still caught. Every run is a real `pytest` subprocess (see tests/conftest.py).
"""

from __future__ import annotations

import json

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary
from seamrec.cassette.store import dump, load, write_atomic

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
"""

REPO = '''\
"""Storage; every real call is noted in REAL_CALLS."""

REAL_CALLS: list[str] = []
USERS = {1: {"id": 1, "name": "Ada"}}
ORDERS = {1: [250, 990]}


def get_user(user_id: int) -> dict[str, object]:
    REAL_CALLS.append("get_user")
    return dict(USERS[user_id])


def order_totals(user_id: int) -> list[int]:
    REAL_CALLS.append("order_totals")
    return list(ORDERS.get(user_id, []))


def count_users() -> int:
    REAL_CALLS.append("count_users")
    return len(USERS)
'''

SERVICE = '''\
"""Business rules on top of the repository: sync, async and generator seams."""

import asyncio
from collections.abc import Iterator

from shop import repo


def profile(user_id: int) -> dict[str, object]:
    user = repo.get_user(user_id)
    return {"name": user["name"], "orders": len(repo.order_totals(user_id))}


async def fetch_name(user_id: int) -> object:
    await asyncio.sleep(0)
    return repo.get_user(user_id)["name"]


def totals(user_id: int) -> Iterator[int]:
    for total in repo.order_totals(user_id):
        yield total
'''

API = '''\
"""The handler: the service for the body, the repository itself for a count."""

from shop import repo, service


def get_profile(user_id: int) -> dict[str, object]:
    body = service.profile(user_id)
    return {"status": 200, "body": body, "users": repo.count_users()}
'''

TESTS = """\
import asyncio

from shop import api, service


def test_profile():
    assert {"name": "Ada", "orders": 2} == api.get_profile(1)["body"]


def test_async_and_generator():
    assert "Ada" == asyncio.run(service.fetch_name(1))
    assert [250, 990] == list(service.totals(1))
"""

CONFTEST = """\
import json

import shop.repo


def pytest_sessionfinish(session):
    path = session.config.rootpath / "real_calls.json"
    path.write_text(json.dumps(shop.repo.REAL_CALLS))
"""

SERVICE_REPLAYED = "--replay-seams=shop.service:*"


@pytest.fixture
def shop_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """The three-layer app with its two tests, recorded."""
    app = fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/repo.py": REPO,
            "shop/service.py": SERVICE,
            "shop/api.py": API,
            "tests/conftest.py": CONFTEST,
            "tests/test_shop.py": TESTS,
        },
    )
    recorded = app.record()
    assert 0 == recorded.ret, recorded.stdout.str()
    return app


def real_calls(app: LayeredApp) -> list[str]:
    """The repository functions that really ran in the last run."""
    calls: list[str] = json.loads((app.root / "real_calls.json").read_text())
    return calls


def test_checking_with_the_service_replayed_expects_none_of_its_repository_calls(
    shop_app: LayeredApp,
) -> None:
    result = shop_app.check(SERVICE_REPLAYED)

    assert 0 == result.ret, result.stdout.str()
    assert "call missing" not in result.stdout.str()
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" in seamrec_summary(result)
    assert ["count_users"] == real_calls(shop_app)  # only the api's own repository call ran


def test_a_drift_in_the_api_layer_is_still_caught_with_the_service_replayed(
    shop_app: LayeredApp,
) -> None:
    shop_app.edit("shop/api.py", '"status": 200', '"status": "200"')

    result = shop_app.check(SERVICE_REPLAYED)

    assert 1 == result.ret
    output = result.stdout.str()
    assert "seam drift in tests/test_shop.py::test_profile" in output
    assert "shop.api:get_profile" in output
    assert "return['status']" in output
    assert "call missing" not in output


def test_a_repository_call_the_api_makes_itself_is_still_expected(shop_app: LayeredApp) -> None:
    shop_app.edit("shop/api.py", '"users": repo.count_users()', '"users": 1')

    result = shop_app.check(SERVICE_REPLAYED)

    assert 1 == result.ret
    result.stdout.re_match_lines([r"\s+shop\.repo:count_users\s+call missing.*"])
    # the failure section (with CI set, pytest repeats the whole message in its summary)
    assert 1 == result.stdout.str().split("short test summary info")[0].count("call missing")


def test_replaying_two_layers_replays_the_outer_one_and_expects_nothing_inside_it(
    shop_app: LayeredApp,
) -> None:
    result = shop_app.run("--replay-seams=shop.service:*,shop.repo:*")

    assert 0 == result.ret, result.stdout.str()
    assert "call missing" not in result.stdout.str()
    assert [] == real_calls(shop_app)  # count_users replayed, the rest never reached


def test_a_cassette_without_nesting_reports_the_callees_missing_until_it_is_re_recorded(
    shop_app: LayeredApp,
) -> None:
    path = shop_app.cassettes / "tests" / "test_shop" / "test_profile.msgpack"
    old = load(path)
    old.nesting = None  # as seamrec wrote cassettes before it kept nesting
    write_atomic(path, dump(old))

    before = shop_app.check(SERVICE_REPLAYED)
    rerecorded = shop_app.record()
    after = shop_app.check(SERVICE_REPLAYED)

    assert 1 == before.ret
    before.stdout.re_match_lines([r"\s+shop\.repo:get_user\s+call missing.*"])
    assert "cassettes: 1 written, 1 unchanged" in rerecorded.stdout.str()
    assert load(path).nesting
    assert 0 == after.ret, after.stdout.str()
