"""A FastAPI app: an app factory including a router, sync and async endpoints, `Depends`
targets in the endpoint's module and in another one. Every endpoint and dependency is
a seam called by FastAPI, and no holder is falsely listed as "not recorded"."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, crossings, fresh_project, seamrec_summary

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


HEROES = '''\
"""The SQLModel tutorial's shape: a module-level app, endpoints and `Depends(get_session)`
all defined at import, before seamrec wraps them."""

import sqlite3
from typing import Annotated

from fastapi import Depends, FastAPI

app = FastAPI()


def get_session():
    conn = sqlite3.connect(":memory:")
    try:
        yield conn
    finally:
        conn.close()


@app.get("/heroes/{hero_id}")
def read_hero(hero_id: int, session: Annotated[sqlite3.Connection, Depends(get_session)]):
    return {"id": hero_id, "one": session.execute("SELECT 1").fetchone()[0]}
'''

HERO_TESTS = """\
from fastapi.testclient import TestClient

from heroes import app


def test_read_hero():
    assert TestClient(app).get("/heroes/7").json() == {"id": 7, "one": 1}
"""

KEYED = '''\
"""A registry the FastAPI 0.121 way: an object whose cached `cache_key` is a tuple
`(call, scopes, scope)` (a lookup key, never called), and `(func, args)` callbacks in a
list, and one nested where seamrec cannot reach it."""

import functools


class Dependant:
    def __init__(self, call):
        self.call = call

    @functools.cached_property
    def cache_key(self):
        return (self.call, (), "")


def double(n):
    return n * 2


def triple(n):
    return n * 3


def halve(n):
    return n / 2


DEPENDANT = Dependant(double)
DEPENDANT.cache_key  # computed at import, before seamrec wraps `double`
CALLBACKS = [(triple, (5,))]
NESTED = {"hooks": ((halve, 4),)}
'''

KEYED_TESTS = """\
from keyed import reg


def test_calls():
    assert reg.DEPENDANT.call(1) == 2
    func, args = reg.CALLBACKS[0]
    assert func(*args) == 15
    func, arg = reg.NESTED["hooks"][0]
    assert func(arg) == 2
"""


def test_a_module_level_fastapi_app_with_depends_lists_nothing_falsely(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pyproject.toml": PYPROJECT.replace('["shopapi"]', '["heroes"]'),
        "heroes.py": HEROES,
        "tests/test_heroes.py": HERO_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)

    record = app.record()

    record.assert_outcomes(passed=1)
    assert [] == [line for line in seamrec_summary(record) if "not recorded" in line]
    seams = {
        seam for seam, _, _ in crossings(app.cassettes / "tests/test_heroes/test_read_hero.msgpack")
    }
    assert {"heroes:read_hero", "heroes:get_session"} <= seams
    app.check().assert_outcomes(passed=1)


def test_tuples_holding_an_original_are_redirected_or_named_truthfully(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pyproject.toml": PYPROJECT.replace('["shopapi"]', '["keyed"]'),
        "keyed/__init__.py": "",
        "keyed/reg.py": KEYED,
        "tests/test_keyed.py": KEYED_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)

    record = app.record()

    record.assert_outcomes(passed=1)
    not_recorded = [line for line in seamrec_summary(record) if "not recorded" in line]
    assert ["keyed.reg:halve"] == [line.split(": ")[1].split(" ")[0] for line in not_recorded]
    assert "called through a tuple" in not_recorded[0]
    seams = {
        seam for seam, _, _ in crossings(app.cassettes / "tests/test_keyed/test_calls.msgpack")
    }
    assert {"keyed.reg:double", "keyed.reg:triple"} <= seams
    assert "keyed.reg:halve" not in seams
