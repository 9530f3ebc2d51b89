"""`seamrec openapi` and `seamrec diff` on a recorded FastAPI app: a valid, deterministic
OpenAPI 3.1 document, and API changes classified as breaking or additive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import LayeredApp, fresh_project

pytest.importorskip("fastapi")
openapi_spec_validator = pytest.importorskip("openapi_spec_validator")

GIT_IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false")

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["items.store"]  # the routes are no module seams: only their HTTP side
"""

STORE = """\
def price_of(item_id):
    return 2.5
"""

APP = """\
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from items.store import price_of

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    item = {"id": item_id, "price": price_of(item_id), "name": "tea", "tags": ["hot"], "note": None}
    if item_id == 2:
        item["note"] = "limited"
        item["colour"] = "green"
    return item


@app.post("/items", status_code=201)
def create_item(body: dict):
    return {"id": 7, "name": body["name"]}


@app.get("/missing")
def missing():
    return JSONResponse({"error": "no"}, status_code=404)
"""

TESTS = """\
from fastapi.testclient import TestClient

from items.app import app

client = TestClient(app)


def test_read():
    assert client.get("/items/1").json()["name"] == "tea"
    assert client.get("/items/2", params={"full": 1}).json()["note"] == "limited"


def test_create():
    assert client.post("/items", json={"name": "mug", "size": 3}).status_code == 201


def test_missing():
    assert client.get("/missing").status_code == 404
"""


@pytest.fixture
def api(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "items/__init__.py": "",
            "items/app.py": APP,
            "items/store.py": STORE,
            "tests/test_items.py": TESTS,
        },
    )


def seamrec(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "seamrec", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def git(cwd: Path, *args: str) -> None:
    done = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_openapi_document_is_valid_and_stable(api: LayeredApp) -> None:
    api.record().assert_outcomes(passed=3)
    first = seamrec(api.root, "openapi", "-o", "openapi.json")
    assert first.returncode == 0, first.stderr
    text = (api.root / "openapi.json").read_text()
    api.record().assert_outcomes(passed=3)
    again = seamrec(api.root, "openapi")
    assert again.returncode == 0, again.stderr
    assert text == again.stdout  # the same cassettes, the same bytes
    doc = json.loads(text)
    openapi_spec_validator.validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert sorted(doc["paths"]) == ["/items", "/items/{item_id}", "/missing"]
    read = doc["paths"]["/items/{item_id}"]["get"]
    # Starlette's `{item_id}` has no converter: FastAPI converts from the annotation
    assert {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}} in (
        read["parameters"]
    )
    assert {"name": "full", "in": "query", "required": False, "schema": {"type": "integer"}} in (
        read["parameters"]
    )
    item = read["responses"]["200"]["content"]["application/json"]["schema"]
    assert item["properties"]["price"] == {"type": "number"}
    assert item["properties"]["note"] == {"type": ["null", "string"]}
    assert item["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert "colour" in item["properties"]
    assert "colour" not in item["required"]
    assert {"id", "name", "note", "price", "tags"} <= set(item["required"])
    create = doc["paths"]["/items"]["post"]
    assert list(create["responses"]) == ["201"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["size"] == {"type": "integer"}
    assert list(doc["paths"]["/missing"]["get"]["responses"]) == ["404"]


def test_openapi_of_a_git_revision(api: LayeredApp) -> None:
    api.record().assert_outcomes(passed=3)
    git(api.root, "init", "-q")
    git(api.root, "add", "-A")
    git(api.root, "commit", "-q", "-m", "recorded")
    before = seamrec(api.root, "openapi").stdout
    api.edit("items/store.py", "return 2.5", 'return "2.50"')
    api.record().assert_outcomes(passed=3)
    now = seamrec(api.root, "openapi").stdout
    base = seamrec(api.root, "openapi", "--base", "HEAD")
    assert base.returncode == 0, base.stderr
    assert base.stdout == before != now


def test_api_changes_in_seamrec_diff(api: LayeredApp) -> None:
    api.record().assert_outcomes(passed=3)
    git(api.root, "init", "-q")
    git(api.root, "add", "-A")
    git(api.root, "commit", "-q", "-m", "recorded")
    # a new optional key: the recording still checks clean, the diff calls it additive
    stock = 'item["colour"] = "green"\n        item["stock"] = 3'
    api.edit("items/app.py", 'item["colour"] = "green"', stock)
    api.check().assert_outcomes(passed=3)
    api.record().assert_outcomes(passed=3)
    additive = seamrec(api.root, "diff")
    assert "http:GET /items/{item_id}" in additive.stdout, additive.stdout + additive.stderr
    assert "additive  key added       response[200].json['stock']   (int)" in additive.stdout
    assert "breaking" not in additive.stdout.split("http:GET /items/{item_id}")[1].split("\n")[0]
    assert additive.returncode == 0, additive.stdout
    # a changed status: breaking
    api.edit("items/app.py", "status_code=201", "status_code=200")
    api.edit("tests/test_items.py", "== 201", "== 200")
    api.record().assert_outcomes(passed=3)
    breaking = seamrec(api.root, "diff")
    assert "http:POST /items" in breaking.stdout, breaking.stdout + breaking.stderr
    assert "BREAKING  status changed  201 → 200" in breaking.stdout
    assert breaking.returncode != 0
