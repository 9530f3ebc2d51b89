"""The anti-mock for HTTP seams end to end: an app's calls to a payment service (through
`requests` and `httpx`, against a real server on 127.0.0.1) and its own Flask API are
recorded, then hand-written fakes of those answers and requests — the JSON bodies people
write for `responses`, `respx` or a fake client, and a frontend's fake of our API — are
checked in a plain run with `seams.assert_matches(..., part="response")`."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]

[tool.seamrec]
boundaries = ["shop"]
databases = []
"""

PAYMENTS = """\
import os

import httpx
import requests


def base():
    return os.environ["PAYMENTS_API"]


def charge(user_id, amount):
    response = requests.post(
        f"{base()}/v1/charges", json={"user_id": user_id, "amount": amount}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def get_charge(charge_id):
    with httpx.Client() as client:
        response = client.get(f"{base()}/v1/charges/{charge_id}")
    return None if response.status_code == 404 else response.json()
"""

APP = """\
from flask import Flask, request


def create_app():
    app = Flask(__name__)

    @app.post("/api/orders")
    def create_order():
        body = request.get_json()
        total = sum(item["qty"] * 2.5 for item in body["items"])
        return {"id": 1, "user_id": body["user_id"], "total": total, "items": body["items"]}, 201

    @app.get("/api/orders/<int:order_id>")
    def get_order(order_id):
        return {"id": order_id, "total": 5.0, "items": [{"sku": "tea", "qty": 2}]}

    return app
"""

CONFTEST = """\
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHARGE = {
    "id": "ch_1",
    "amount": 1250,
    "currency": "eur",
    "status": "captured",
    "card": {"brand": "visa", "last4": "4242"},
}


class Payments(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(201, CHARGE)

    def do_GET(self):
        if self.path.endswith("/404"):
            self._answer(404, {"error": {"code": "not_found", "message": "no such charge"}})
        else:
            self._answer(200, CHARGE)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def payments_api(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Payments)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PAYMENTS_API", f"http://127.0.0.1:{server.server_port}")
    yield
    server.shutdown()
    server.server_close()
"""

TESTS = """\
from shop import payments
from shop.app import create_app


def test_charge():
    assert "captured" == payments.charge(7, 1250)["status"]


def test_charge_lookup():
    assert 1250 == payments.get_charge(17)["amount"]
    assert payments.get_charge(404) is None


def test_orders_api():
    client = create_app().test_client()
    created = client.post("/api/orders", json={"user_id": 1, "items": [{"sku": "tea", "qty": 2}]})
    assert 201 == created.status_code
    assert 5.0 == client.get(f"/api/orders/{created.json['id']}").json["total"]
"""

FAKES = """\
import httpx
import pytest

import seamrec

CHARGE = "http-out:POST 127.0.0.1/v1/charges"
LOOKUP = "http-out:GET 127.0.0.1/v1/charges/<id>"
CREATE = "http:POST /api/orders"
ORDER = "http:GET /api/orders/<int:order_id>"

FAKE_CHARGE = {
    "id": "ch_fake",
    "amount": 990,
    "currency": "usd",
    "status": "captured",
    "card": {"brand": "amex", "last4": "0005"},
}


def test_faithful_fakes(seams):
    seams.assert_matches(FAKE_CHARGE, CHARGE, part="response")
    seams.assert_matches(FAKE_CHARGE, CHARGE, part="response[201]", complete=True)
    seams.assert_matches({"id": "ch_2", "card": {"last4": "1881"}}, LOOKUP, part="response")
    seams.assert_matches({"error": {"code": "gone"}}, LOOKUP, part="response[404]")
    seams.assert_matches(httpx.Response(404, json={"error": {}}), LOOKUP, part="response")
    seams.assert_matches({"user_id": 3, "amount": 5}, CHARGE, part="request")
    seamrec.assert_matches({"id": 2, "total": 7.5}, ORDER, part="response")
    seamrec.assert_matches({"user_id": 2, "items": []}, CREATE, part="request")


def test_renamed_key(seams):
    fake = {"id": "ch_fake", "amount_cents": 990, "currency": "usd", "status": "captured"}
    seams.assert_matches(fake, CHARGE, part="response")


def test_wrong_type(seams):
    seams.assert_matches(FAKE_CHARGE | {"amount": "9.90"}, CHARGE, part="response")


def test_unknown_key(seams):
    seams.assert_matches(FAKE_CHARGE | {"refunded": False}, CHARGE, part="response")


def test_left_out_key_of_a_complete_fake(seams):
    fake = {k: v for k, v in FAKE_CHARGE.items() if k != "currency"}
    seams.assert_matches(fake, CHARGE, part="response", complete=True)


def test_fake_response_object_with_another_status(seams):
    seams.assert_matches(httpx.Response(500, json=FAKE_CHARGE), LOOKUP, part="response")


def test_fake_request_body(seams):
    seams.assert_matches({"user_id": "3", "amount": 5}, CHARGE, part="request")


def test_frontend_fake_of_our_api(seams):
    seams.assert_matches({"id": 2, "sum": 7.5}, ORDER, part="response")


def test_status_never_recorded(seams):
    seams.assert_matches({"error": "boom"}, CHARGE, part="response[500]")
"""


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """The shop with its payment calls and its API recorded (the fakes not yet run)."""
    pytest.importorskip("flask")
    app = fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/payments.py": PAYMENTS,
            "shop/app.py": APP,
            "tests/conftest.py": CONFTEST,
            "tests/test_shop.py": TESTS,
            "fakes/test_fakes.py": FAKES,
        },
    )
    recorded = app.record("tests")
    recorded.assert_outcomes(passed=3)
    assert "http: 4 endpoints, 5 requests recorded" in recorded.stdout.str()
    return app


MISMATCH = "seamrec.pytest_plugin.matching.SeamMismatch: "
CHARGE = "http-out:POST 127.0.0.1/v1/charges"
LOOKUP = "http-out:GET 127.0.0.1/v1/charges/<id>"
BY_CHARGE = "recorded by tests/test_shop.py::test_charge"


def failure(result: pytest.RunResult, test: str) -> list[str]:
    """The `E` lines of one failed test of the fakes file, without the `E` column."""
    text = result.stdout.str()
    start = text.index(f"_ {test} _")
    end = text.find("\n___", start)
    section = text[start : end if end != -1 else None]
    return [line[1:].strip() for line in section.splitlines() if line.startswith("E ")]


def test_fakes_are_checked_against_the_recorded_http_seams(shop: LayeredApp) -> None:
    result = shop.run("fakes")

    result.assert_outcomes(passed=1, failed=8)
    response = f"{MISMATCH}the value does not match what {CHARGE} was recorded with (response)"
    assert [
        response,
        "key renamed?  response[201].json['amount'] → response[201].json['amount_cents']   (int)",
        BY_CHARGE,
    ] == failure(result, "test_renamed_key")
    assert [
        response,
        "type changed  response[201].json['amount']  int → str",
        BY_CHARGE,
    ] == failure(result, "test_wrong_type")
    assert [
        response,
        "key added     response[201].json['refunded']   (bool)",
        BY_CHARGE,
    ] == failure(result, "test_unknown_key")
    assert [
        response,
        "key removed   response[201].json['currency']   (was str)",
        BY_CHARGE,
    ] == failure(result, "test_left_out_key_of_a_complete_fake")
    assert [
        f"{MISMATCH}the value does not match what {LOOKUP} was recorded with (response)",
        "status changed  200 → 500",
        "recorded by tests/test_shop.py::test_charge_lookup",
    ] == failure(result, "test_fake_response_object_with_another_status")
    assert [
        f"{MISMATCH}the value does not match what {CHARGE} was recorded with (request)",
        "type changed  request.json['user_id']  int → str",
        BY_CHARGE,
    ] == failure(result, "test_fake_request_body")


def test_a_frontends_fake_of_our_own_api_is_checked_against_its_recording(
    shop: LayeredApp,
) -> None:
    result = shop.run("fakes/test_fakes.py::test_frontend_fake_of_our_api")

    result.assert_outcomes(failed=1)
    assert [
        f"{MISMATCH}the value does not match what "
        "http:GET /api/orders/<int:order_id> was recorded with (response)",
        "key renamed?  response[200].json['total'] → response[200].json['sum']   (float)",
        "recorded by tests/test_shop.py::test_orders_api",
    ] == failure(result, "test_frontend_fake_of_our_api")


def test_a_status_never_recorded_says_which_ones_were(shop: LayeredApp) -> None:
    result = shop.run("fakes/test_fakes.py::test_status_never_recorded")

    result.assert_outcomes(failed=1)
    text = " ".join(failure(result, "test_status_never_recorded"))
    assert f"{MISMATCH}no recording of {CHARGE} (response[500]) under " in text
    assert 'it was recorded answering 201 only; name one of those (part="response[201]")' in text
