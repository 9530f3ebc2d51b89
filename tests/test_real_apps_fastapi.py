"""A FastAPI app: an app factory including a router, sync and async endpoints, `Depends`
targets in the endpoint's module and in another one. Every endpoint and dependency is
a seam called by FastAPI, and no holder is falsely listed as "not recorded"."""

from __future__ import annotations

import pytest

from conftest import LayeredApp, crossings, fresh_project, seamrec_summary

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shopapi"]
"""

INIT = '''\
"""The app factory."""

from fastapi import FastAPI


def create_app():
    from shopapi.routes import router

    app = FastAPI()
    app.include_router(router, prefix="/api")
    return app
'''

DEPS = '''\
"""Shared dependencies."""


def get_settings():
    return {"currency": "EUR"}
'''

ROUTES = '''\
"""The API router."""

from fastapi import APIRouter, Depends

from shopapi.deps import get_settings

router = APIRouter()


def current_user():
    return {"id": 1, "name": "ada"}


@router.get("/users/me")
def me(user=Depends(current_user), settings=Depends(get_settings)):
    return {"user": user, "currency": settings["currency"]}


@router.get("/items/{item_id}")
async def item(item_id: int):
    return {"id": item_id, "price": 250}
'''

TESTS = """\
from fastapi.testclient import TestClient

from shopapi import create_app


def test_me():
    client = TestClient(create_app())
    assert client.get("/api/users/me").json() == {
        "user": {"id": 1, "name": "ada"}, "currency": "EUR"
    }


def test_item():
    client = TestClient(create_app())
    assert client.get("/api/items/3").json() == {"id": 3, "price": 250}
"""


@pytest.fixture
def api(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "shopapi/__init__.py": INIT,
        "shopapi/deps.py": DEPS,
        "shopapi/routes.py": ROUTES,
        "tests/test_api.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_endpoints_and_dependencies_are_seams_called_by_fastapi(api: LayeredApp) -> None:
    record = api.record()

    record.assert_outcomes(passed=2)
    summary = seamrec_summary(record)
    assert [] == [line for line in summary if "warning" in line or "not recorded when" in line]
    me = crossings(api.cassettes / "tests/test_api/test_me.msgpack")
    callers = {seam: caller for seam, caller, _ in me}
    assert {"shopapi.routes:me", "shopapi.routes:current_user", "shopapi.deps:get_settings"} <= (
        set(callers)
    )
    assert all(
        not callers[seam].startswith("shopapi") for seam in callers if seam != "shopapi:create_app"
    )
    item = crossings(api.cassettes / "tests/test_api/test_item.msgpack")
    assert ("shopapi.routes:item", "return") in {(seam, outcome) for seam, _, outcome in item}

    api.check().assert_outcomes(passed=2)
    api.edit("shopapi/routes.py", '"price": 250', '"price": "250"')
    api.edit("tests/test_api.py", '"price": 250', '"price": "250"')
    drift = api.check()
    drift.assert_outcomes(passed=1, failed=1)
    drift.stdout.fnmatch_lines(["*shopapi.routes:item*return*"])
