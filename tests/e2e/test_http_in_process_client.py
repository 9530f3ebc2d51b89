"""An app that calls itself through an in-process httpx client (datasette's
`DatasetteClient`: `httpx.AsyncClient(transport=httpx.ASGITransport(app=...))` in a
boundary module) crosses one HTTP seam per request: the inbound `http:` seam. It is not
recorded a second time as an outbound `http-out:` request (httpx names its transports'
module `httpx`, which the in-process test did not recognise)."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

ASGI = '''\
"""A bare ASGI app answering JSON."""


async def application(scope, receive, send):
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"ok": true, "items": 3}'})
'''

CLIENT = '''\
"""The app's own client of itself, as datasette's `DatasetteClient` is."""

import httpx

from app.asgi import application


async def get_json(path: str) -> dict[str, object]:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(f"http://localhost{path}")
    result: dict[str, object] = response.json()
    return result
'''

TESTS = """\
import asyncio

from app.client import get_json


def test_status():
    assert asyncio.run(get_json("/status")) == {"ok": True, "items": 3}
"""


@pytest.fixture
def self_client_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/asgi.py": ASGI,
        "app/client.py": CLIENT,
        "tests/test_status.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_a_request_to_an_in_process_app_is_recorded_once_as_inbound(
    self_client_app: LayeredApp,
) -> None:
    self_client_app.record().assert_outcomes(passed=1)

    contracts = self_client_app.cassettes / "contracts"
    inbound = (contracts / "http.txt").read_text()
    assert "## http:GET /status" in inbound
    assert not (contracts / "http-out.txt").exists()
    self_client_app.check().assert_outcomes(passed=1)
