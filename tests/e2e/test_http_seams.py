"""HTTP seams end to end: the example Flask app's API and a small FastAPI app, changed the
way a developer would with the app's own tests adapted (a plain run proves they pass), are
caught by `--check-seams`; external services are recorded against a real server on
127.0.0.1 and replayed with it stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import INNER_ADDOPTS, LayeredApp, fresh_project, isolate_inner_run

ROOT = Path(__file__).resolve().parents[2]

FLASK_PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["shop"]
databases = []
"""

ORDERS = "shop/api/orders.py"
TEST_ORDERS = "tests/test_orders.py"


@pytest.fixture(scope="module")
def flask_recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example app with its HTTP seams recorded (once for the module)."""
    root = tmp_path_factory.mktemp("example")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "example" / "shop", root / "shop", ignore=ignore)
    shutil.copytree(ROOT / "example" / "tests", root / "tests", ignore=ignore)
    (root / "tests" / "test_replay.py").unlink()  # its fixture differs between runs on purpose
    (root / "tests" / "test_sqla.py").unlink()  # no HTTP; its PostgreSQL half needs a server
    (root / "pyproject.toml").write_text(FLASK_PYPROJECT)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--record-seams", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
            "PYTEST_ADDOPTS": INNER_ADDOPTS,
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "http: 6 endpoints" in done.stdout, done.stdout
    return root


@pytest.fixture
def example(
    flask_recorded: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> LayeredApp:
    isolate_inner_run(monkeypatch)
    shutil.copytree(flask_recorded, pytester.path, dirs_exist_ok=True)
    return LayeredApp(pytester)


def test_the_recorded_api_checks_clean_and_has_a_readable_contract(example: LayeredApp) -> None:
    result = example.check()
    result.assert_outcomes(passed=16)
    assert any(line.startswith("http: 6 endpoints") for line in result.outlines)
    contract = (example.cassettes / "contracts" / "http.txt").read_text()
    assert "## http:POST /api/orders\n" in contract
    assert "## http:GET /api/orders/<int:order_id>\n" in contract
    assert "  response[201].json['items'][*]['qty']: int\n" in contract
    assert "  request.json['user_id']: int\n" in contract
    assert "Authorization" not in contract


def test_a_renamed_response_key_is_drift(example: LayeredApp) -> None:
    example.edit(ORDERS, 'return {"orders": [', 'return {"results": [')
    tests = (
        (example.root / TEST_ORDERS).read_text().replace('{"orders": [first', '{"results": [first')
    )
    (example.root / TEST_ORDERS).write_text(tests)
    example.run().assert_outcomes(passed=16)  # the app's own tests still pass
    result = example.check(TEST_ORDERS)
    assert result.ret == 1
    text = result.stdout.str()
    assert "http:GET /api/orders  response  (call 1 of" in text
    assert "response[200].json['orders'] → response[200].json['results']" in text
    assert 're-record: pytest --record-seams "tests/test_orders.py::' in text


def test_a_changed_status_code_is_drift(example: LayeredApp) -> None:
    example.edit(ORDERS, "return _json(order), 201", "return _json(order), 200")
    example.edit(
        TEST_ORDERS, "assert 201 == response.status_code", "assert 200 == response.status_code"
    )
    example.edit("tests/test_reports.py", "201 == client.post", "200 == client.post")
    example.run().assert_outcomes(passed=16)
    result = example.check(TEST_ORDERS)
    assert result.ret == 1
    assert "  http:POST /api/orders  response  (call 1 of 1)" in result.stdout.str()
    assert "    status changed  201 → 200" in result.stdout.str()


def test_a_number_turned_into_text_is_drift(example: LayeredApp) -> None:
    example.edit(ORDERS, '"item_count": order.item_count,', '"item_count": str(order.item_count),')
    example.edit(TEST_ORDERS, "assert (6, 3, False) ==", 'assert ("6", 3, False) ==')
    example.run().assert_outcomes(passed=16)
    result = example.check(TEST_ORDERS)
    assert result.ret == 1
    assert "type changed  response[201].json['item_count']  int → str" in result.stdout.str()


def test_a_request_body_of_another_shape_is_drift(example: LayeredApp) -> None:
    example.edit(
        TEST_ORDERS,
        'json={"user_id": user_id, "items": list(items)}',
        'json={"user_id": str(user_id), "items": list(items)}',
    )
    example.run().assert_outcomes(passed=16)
    result = example.check(TEST_ORDERS)
    assert result.ret == 1
    assert "http:POST /api/orders  request  (call 1 of 1)" in result.stdout.str()
    assert "type changed  request.json['user_id']  int → str" in result.stdout.str()


# ---------------------------------------------------------------- FastAPI

FASTAPI_PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["items"]
"""

FASTAPI_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int, verbose: bool = False):
    return {"id": item_id, "price": 2.5, "name": "tea"}


@app.post("/items", status_code=201)
def create_item(body: dict):
    return {"id": 7, "name": body["name"]}
"""

FASTAPI_TESTS = """\
import asyncio

import httpx
from fastapi.testclient import TestClient

from items.app import app


def test_read():
    client = TestClient(app)
    response = client.get("/items/3", params={"verbose": "true"}, headers={"X-Trace": "t"})
    assert response.status_code == 200
    assert response.json()["name"] == "tea"


def test_create():
    client = TestClient(app)
    response = client.post("/items", json={"name": "mug"})
    assert response.status_code == 201


def test_async_transport():
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/items/5")

    assert asyncio.run(go()).status_code == 200
"""


@pytest.fixture
def fastapi_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    pytest.importorskip("fastapi")
    return fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": FASTAPI_PYPROJECT,
            "items/__init__.py": "",
            "items/app.py": FASTAPI_APP,
            "tests/test_items.py": FASTAPI_TESTS,
        },
    )


def test_fastapi_routes_are_seams_and_their_drift_is_caught(fastapi_app: LayeredApp) -> None:
    fastapi_app.record().assert_outcomes(passed=3)
    contract = (fastapi_app.cassettes / "contracts" / "http.txt").read_text()
    assert "## http:GET /items/{item_id}\n" in contract
    assert "  request.query['verbose']?: str\n" in contract
    assert "  request.headers['x_trace']?\n" in contract
    assert "  response[200].json['price']: float\n" in contract
    assert "tests: tests/test_items.py (2)" in contract  # test_read, test_async_transport
    fastapi_app.check().assert_outcomes(passed=3)
    fastapi_app.edit("items/app.py", '"price": 2.5', '"price": "2.50"')
    result = fastapi_app.check()
    result.assert_outcomes(passed=1, failed=2)
    assert "type changed  response[200].json['price']  float → str" in result.stdout.str()


def test_fastapi_status_change_is_drift(fastapi_app: LayeredApp) -> None:
    fastapi_app.record().assert_outcomes(passed=3)
    fastapi_app.edit("items/app.py", "status_code=201", "status_code=200")
    fastapi_app.edit("tests/test_items.py", "== 201", "== 200")
    result = fastapi_app.check("--seams-report=report.md")
    result.assert_outcomes(passed=2, failed=1)
    assert "status changed  201 → 200" in result.stdout.str()
    report = (fastapi_app.root / "report.md").read_text()
    assert "| **breaking** | status changed | `201 → 200` | in 1 test |" in report


def test_the_http_setting_turns_the_seams_off(fastapi_app: LayeredApp) -> None:
    fastapi_app.edit(
        "pyproject.toml", 'boundaries = ["items"]', 'boundaries = ["items"]\nhttp = []'
    )
    result = fastapi_app.record()
    result.assert_outcomes(passed=3)
    assert not any(line.startswith("http:") for line in result.outlines)
    fastapi_app.edit("pyproject.toml", "http = []", 'http = ["sideways"]')
    bad = fastapi_app.record()
    assert bad.ret != 0
    assert "http" in bad.stderr.str() + bad.stdout.str()
    assert "sideways" in bad.stderr.str() + bad.stdout.str()


# ---------------------------------------------------------------- outbound

CLIENT = """\
import os

import httpx
import requests


def base():
    return os.environ["USERS_API"]


def fetch_user(user_id):
    return requests.get(f"{base()}/v1/users/{user_id}", timeout=5).json()


def create_user(name):
    response = requests.post(f"{base()}/v1/users", json={"name": name}, timeout=5)
    return response.status_code, response.json()


def fetch_user_httpx(user_id):
    with httpx.Client() as client:
        return client.get(f"{base()}/v1/users/{user_id}").json()


async def fetch_user_async(user_id):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base()}/v1/users/{user_id}")
        return response.json()
"""

OUTBOUND_CONFTEST = '''\
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Users(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        user_id = int(self.path.rsplit("/", 1)[1])
        self._answer(200, {"id": user_id, "name": "Ada", "score": 1.5})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(201, {"id": 9, "name": body.get("name")})

    def log_message(self, *args):
        pass


def refused_port():
    """A loopback port nothing listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def users_api(request, monkeypatch):
    if request.config.getoption("--record-seams"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Users)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        monkeypatch.setenv("USERS_API", f"http://127.0.0.1:{server.server_port}")
        yield
        server.shutdown()
        server.server_close()
    else:
        monkeypatch.setenv("USERS_API", f"http://127.0.0.1:{refused_port()}")
        yield
'''

OUTBOUND_TESTS = """\
import asyncio

import pytest

from users import client

pytestmark = pytest.mark.seams(replay=["http-out:*"])


def test_fetch():
    assert client.fetch_user(3) == {"id": 3, "name": "Ada", "score": 1.5}


def test_create():
    assert client.create_user("Bob") == (201, {"id": 9, "name": "Bob"})


def test_httpx_sync_and_async():
    assert client.fetch_user_httpx(4)["id"] == 4
    assert asyncio.run(client.fetch_user_async(5))["id"] == 5
"""


@pytest.fixture
def outbound_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    return fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": FASTAPI_PYPROJECT.replace('["items"]', '["users"]'),
            "users/__init__.py": "",
            "users/client.py": CLIENT,
            "tests/conftest.py": OUTBOUND_CONFTEST,
            "tests/test_users.py": OUTBOUND_TESTS,
        },
    )


def test_outbound_calls_are_recorded_and_replayed_without_the_network(
    outbound_app: LayeredApp,
) -> None:
    offline = outbound_app.run()  # without seamrec the service is unreachable
    offline.assert_outcomes(failed=3)
    recorded = outbound_app.record()
    recorded.assert_outcomes(passed=3)
    assert "http: 2 endpoints, 4 requests recorded" in recorded.stdout.str()
    contract = (outbound_app.cassettes / "contracts" / "http-out.txt").read_text()
    assert "## http-out:GET 127.0.0.1/v1/users/<id>\n" in contract
    assert "## http-out:POST 127.0.0.1/v1/users\n" in contract
    assert "  request.json['name']: str\n" in contract
    assert "  response[200].json['score']: float\n" in contract
    replayed = outbound_app.check()
    replayed.assert_outcomes(passed=3)
    assert "4 calls replayed" in replayed.stdout.str()
    outbound_app.edit(
        "tests/test_users.py", 'pytestmark = pytest.mark.seams(replay=["http-out:*"])', ""
    )
    only_replay = outbound_app.run("--replay-seams", "http-out:GET *")
    only_replay.assert_outcomes(passed=2, failed=1)  # the POST is not replayed: refused
    by_host = outbound_app.run("--replay-seams", "http-out:* 127.0.0.1/*")
    by_host.assert_outcomes(passed=3)
    assert "4 calls replayed" in by_host.stdout.str()
    assert "no seams were wrapped" not in by_host.stdout.str()


def test_a_drifted_outbound_request_fails_the_replay(outbound_app: LayeredApp) -> None:
    outbound_app.record().assert_outcomes(passed=3)
    outbound_app.edit("users/client.py", 'json={"name": name}', 'json={"name": [name]}')
    result = outbound_app.check("tests/test_users.py::test_create")
    assert result.ret == 1
    assert "http-out:POST 127.0.0.1/v1/users  request  (call 1 of 1)" in result.stdout.str()
    assert "type changed  request.json['name']  str → list" in result.stdout.str()


def test_a_request_beyond_the_recording_is_missing_or_real(outbound_app: LayeredApp) -> None:
    outbound_app.record().assert_outcomes(passed=3)
    outbound_app.edit(
        "tests/test_users.py",
        "assert client.fetch_user(3) ==",
        "client.fetch_user(3)\n    assert client.fetch_user(3) ==",
    )
    result = outbound_app.check("tests/test_users.py::test_fetch")
    assert result.ret == 1
    assert "http-out:GET 127.0.0.1/v1/users/<id> call 2 was not recorded" in result.stdout.str()
    outbound_app.edit(
        "pyproject.toml",
        'boundaries = ["users"]',
        'boundaries = ["users"]\nreplay_missing = "call"',
    )
    called = outbound_app.check("tests/test_users.py::test_fetch")
    assert called.ret == 1  # the second call reached the real (unreachable) service
    assert "ConnectionError" in called.stdout.str()


# ---------------------------------------------------------------- Django

DJANGO_SETTINGS = """\
SECRET_KEY = "not-a-secret"
ROOT_URLCONF = "djapp.urls"
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
"""

DJANGO_URLS = """\
from django.urls import path

from djapp import views

urlpatterns = [
    path("api/items/<int:item_id>", views.item),
    path("api/items", views.create),
]
"""

DJANGO_VIEWS = """\
import json

from django.http import JsonResponse


def item(request, item_id):
    return JsonResponse({"id": item_id, "price": 2.5})


def create(request):
    body = json.loads(request.body)
    return JsonResponse({"id": 7, "name": body["name"]}, status=201)
"""

DJANGO_CONFTEST = """\
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djapp.settings")
django.setup()
"""

DJANGO_TESTS = """\
from django.test import Client


def test_items():
    client = Client()
    assert client.get("/api/items/3", {"page": 2}).json()["price"] == 2.5
    created = client.post("/api/items", {"name": "mug"}, content_type="application/json")
    assert created.status_code == 201
"""


def django_app(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tests: str
) -> LayeredApp:
    """The small Django app (two JSON views) with `tests` as its test module."""
    pytest.importorskip("django")
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    return fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": FASTAPI_PYPROJECT.replace('["items"]', '["djapp"]'),
            "djapp/__init__.py": "",
            "djapp/settings.py": DJANGO_SETTINGS,
            "djapp/urls.py": DJANGO_URLS,
            "djapp/views.py": DJANGO_VIEWS,
            "tests/conftest.py": DJANGO_CONFTEST,
            "tests/test_items.py": tests,
        },
    )


def record_and_check_clean(app: LayeredApp) -> str:
    """Record the Django app's one test, check that its two endpoints are in the HTTP
    contract with their query, body and response shapes, and that a check passes; the
    contract text."""
    app.record().assert_outcomes(passed=1)
    contract = (app.cassettes / "contracts" / "http.txt").read_text()
    assert "## http:GET /api/items/<int:item_id>\n" in contract
    assert "  request.query['page']: int\n" in contract
    assert "  request.json['name']: str\n" in contract
    assert "  response[201].json['id']: int\n" in contract
    app.check().assert_outcomes(passed=1)
    return contract


@pytest.mark.subprocess_runs  # Django is configured once per process
def test_django_test_client_requests_are_seams(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = django_app(pytester, monkeypatch, DJANGO_TESTS)
    record_and_check_clean(app)
    app.edit("djapp/views.py", "status=201", "status=200")
    app.edit("tests/test_items.py", "== 201", "== 200")
    result = app.check()
    result.assert_outcomes(failed=1)
    assert "status changed  201 → 200" in result.stdout.str()


DJANGO_ASYNC_TESTS = """\
import asyncio

from django.test import AsyncClient


def test_items_async():
    async def run():
        client = AsyncClient()
        found = await client.get("/api/items/3", {"page": 2})
        created = await client.post("/api/items", {"name": "mug"}, content_type="application/json")
        return found.json()["price"], created.status_code

    assert asyncio.run(run()) == (2.5, 201)
"""


@pytest.mark.subprocess_runs  # Django is configured once per process
def test_django_async_client_requests_are_seams(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = django_app(pytester, monkeypatch, DJANGO_ASYNC_TESTS)
    contract = record_and_check_clean(app)
    assert "tests: tests/test_items.py (1)" in contract
    app.edit("djapp/views.py", '"price": 2.5', '"price": "2.5"')
    app.edit("tests/test_items.py", "(2.5, 201)", '("2.5", 201)')
    result = app.check()
    result.assert_outcomes(failed=1)
    assert "type changed  response[200].json['price']  float → str" in result.stdout.str()


SECRET_TESTS = """\
from fastapi.testclient import TestClient

from items.app import app


def test_create_with_credentials():
    client = TestClient(app, cookies={"session": "cookie-value-0451"})
    response = client.post(
        "/items",
        json={"name": "mug", "password": "hunter2-0451"},
        headers={"Authorization": "Bearer header-value-0451"},
    )
    assert response.status_code == 201
"""


def test_header_and_cookie_values_never_reach_the_cassette(fastapi_app: LayeredApp) -> None:
    fastapi_app.write("tests/test_items.py", SECRET_TESTS)
    fastapi_app.record().assert_outcomes(passed=1)
    stored = b"".join(fastapi_app.recorded().values())
    contract = (fastapi_app.cassettes / "contracts" / "http.txt").read_text()
    assert "request.headers['authorization']" in contract
    assert "request.cookies['session']" in contract
    assert b"cookie-value-0451" not in stored
    assert b"header-value-0451" not in stored
    assert b"hunter2-0451" not in stored  # a credential name: redacted as usual
    assert b"mug" in stored  # the payload itself is kept


DRF_SETTINGS = DJANGO_SETTINGS.replace(
    "INSTALLED_APPS = []", 'INSTALLED_APPS = ["rest_framework"]'
) + (
    'REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [], '
    '"DEFAULT_PERMISSION_CLASSES": [], "UNAUTHENTICATED_USER": None}\n'
)

DRF_VIEWS = """\
from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["GET"])
def item(request, item_id):
    return Response({"id": item_id, "price": 2.5})


@api_view(["POST"])
def create(request):
    return Response({"id": 7, "name": request.data["name"]}, status=201)
"""

DRF_TESTS = """\
from rest_framework.test import APIClient


def test_items():
    client = APIClient()
    assert client.get("/api/items/3", {"page": 2}).json()["price"] == 2.5
    created = client.post("/api/items", {"name": "mug"}, format="json")
    assert created.status_code == 201
"""


@pytest.mark.subprocess_runs  # Django is configured once per process
def test_drf_api_client_requests_are_seams_keyed_by_the_url_pattern(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rest_framework")
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    app = fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": FASTAPI_PYPROJECT.replace('["items"]', '["djapp"]'),
            "djapp/__init__.py": "",
            "djapp/settings.py": DRF_SETTINGS,
            "djapp/urls.py": DJANGO_URLS,
            "djapp/views.py": DRF_VIEWS,
            "tests/conftest.py": DJANGO_CONFTEST,
            "tests/test_items.py": DRF_TESTS,
        },
    )
    app.record().assert_outcomes(passed=1)
    contract = (app.cassettes / "contracts" / "http.txt").read_text()
    assert "## http:GET /api/items/<int:item_id>\n" in contract
    assert "  response[201].json['name']: str\n" in contract
    app.check().assert_outcomes(passed=1)
    app.edit("djapp/views.py", '"price": 2.5', '"price": "2.50"')
    app.edit("tests/test_items.py", '["price"] == 2.5', '["price"] == "2.50"')
    result = app.check()
    result.assert_outcomes(failed=1)
    assert "response[200].json['price']  float → str" in result.stdout.str()
