"""`assert_matches` on HTTP seams: fake JSON bodies, fake response objects and fake
request bodies checked against what the real API answered and received.

The cassettes are recorded for real, in-process, once for the module (each test reads a
copy), the way test_matching.py does it: a recording `SeamSession` over a throwaway
package whose Flask app is called through its test client (inbound) and whose client
module calls a real HTTP server on 127.0.0.1 through `requests` (outbound).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import flask
import httpx
import pytest
import requests

from seamrec.config import Settings, settings_from_table
from seamrec.pytest_plugin.matching import SeamMismatch, SeamsFixture, assert_matches
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "fakeshop"
USERS = "http-out:GET 127.0.0.1/v1/users/<id>"
SIGNUP = "http-out:POST 127.0.0.1/v1/users"
PAGE = "http-out:GET 127.0.0.1/about"
ORDER = "http:GET /api/orders/<int:order_id>"

CLIENT = """\
import requests


def get_user(base, user_id):
    return requests.get(f"{base}/v1/users/{user_id}", timeout=5)


def sign_up(base, name, email):
    return requests.post(f"{base}/v1/users", json={"name": name, "email": email}, timeout=5)


def about(base):
    return requests.get(f"{base}/about", timeout=5)
"""

APP = """\
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/api/orders/<int:order_id>")
    def get_order(order_id):
        return {"id": order_id, "total": 5.0, "lines": [{"sku": "tea", "qty": 2}]}

    return app
"""

USER = {
    "id": 3,
    "name": "Ada",
    "active": True,
    "roles": [{"name": "admin", "since": 2020}],
    "address": {"city": "Berlin", "zip": "10115"},
}
NOT_FOUND = {"error": "no such user", "code": 17}


class Users(BaseHTTPRequestHandler):
    """The real service the client module talks to."""

    def _answer(self, status: int, body: object, media: str = "application/json") -> None:
        data = json.dumps(body).encode() if media == "application/json" else b"<h1>hi</h1>"
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", "r-1")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/about":
            self._answer(200, None, "text/html")
        elif self.path.endswith("/404"):
            self._answer(404, NOT_FOUND)
        else:
            self._answer(200, USER)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(201, {"id": 9, "name": "Bob"})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Users)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, service: str) -> Path:
    """The cassette dir of one test calling the service (200, 404, 201, text/html) and one
    test calling the Flask app through its test client, recorded once for the module."""
    root = tmp_path_factory.mktemp("matching_http")
    package = root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "client.py").write_text(textwrap.dedent(CLIENT))
    (package / "app.py").write_text(textwrap.dedent(APP))
    importlib.invalidate_caches()
    settings = settings_from_table({"boundaries": [PACKAGE], "databases": []}, rootdir=root)
    session = SeamSession(settings, Mode.RECORD)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.syspath_prepend(str(root))
        session.start()
        try:
            client = importlib.import_module(f"{PACKAGE}.client")
            session.begin_test("tests/test_client.py::test_users")
            assert 200 == client.get_user(service, 3).status_code
            assert 404 == client.get_user(service, 404).status_code
            assert 201 == client.sign_up(service, "Bob", "bob@example.org").status_code
            assert 200 == client.about(service).status_code
            session.end_test_calls()
            session.finish_test("passed")
            app = importlib.import_module(f"{PACKAGE}.app").create_app()
            session.begin_test("tests/test_api.py::test_order")
            assert 200 == app.test_client().get("/api/orders/4").status_code
            session.end_test_calls()
            session.finish_test("passed")
        finally:
            session.stop()
            for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
                del sys.modules[name]
    assert 2 == len(list(settings.cassette_dir.rglob("*.msgpack")))
    return settings.cassette_dir


@pytest.fixture
def recorded(tmp_path: Path, recording: Path) -> Settings:
    """The cassettes of `recording`, copied into tmp_path (a test may add files)."""
    settings = settings_from_table({"boundaries": [PACKAGE], "databases": []}, rootdir=tmp_path)
    shutil.copytree(recording, settings.cassette_dir)
    return settings


def mismatch(value: object, seam: str, part: str, settings: Settings, **options: Any) -> list[str]:
    """The lines of the SeamMismatch that `assert_matches` raises."""
    with pytest.raises(SeamMismatch) as error:
        assert_matches(value, seam, part, settings=settings, **options)
    return str(error.value).splitlines()


def head(seam: str, part: str) -> str:
    return f"the value does not match what {seam} was recorded with ({part})"


BY_USERS = "  recorded by tests/test_client.py::test_users"


# --------------------------------------------------------------- fake JSON bodies


def test_a_fake_body_of_the_recorded_shape_matches(recorded: Settings) -> None:
    fake = USER | {"id": 8, "name": "Grace", "roles": [], "address": {"city": "", "zip": "1"}}

    assert_matches(fake, USERS, part="response", settings=recorded)
    assert_matches(fake, USERS, part="response[200]", complete=True, settings=recorded)
    assert_matches(fake, USERS, part="response[2xx]", settings=recorded)


def test_a_fake_body_may_leave_out_keys_the_real_service_sends(recorded: Settings) -> None:
    assert_matches({"id": 1}, USERS, part="response", settings=recorded)
    assert_matches({}, USERS, part="response", settings=recorded)
    nested = {"roles": [{"name": "viewer"}], "address": {"zip": "75001"}}
    assert_matches(nested, USERS, part="response", settings=recorded)


def test_a_complete_fake_body_must_hold_every_key(recorded: Settings) -> None:
    fake = {key: value for key, value in USER.items() if key != "active"}
    fake["roles"] = [{"name": "viewer"}]

    assert [
        head(USERS, "response"),
        "    key removed   response[200].json['active']   (was bool)",
        "    key removed   response[200].json['roles'][*]['since']   (was int)",
        BY_USERS,
    ] == mismatch(fake, USERS, "response", recorded, complete=True)


def test_a_key_the_real_service_never_sends_fails(recorded: Settings) -> None:
    assert [
        head(USERS, "response"),
        "    key added     response[200].json['nickname']   (str)",
        BY_USERS,
    ] == mismatch(USER | {"nickname": "ada"}, USERS, "response", recorded)
    assert [
        head(USERS, "response"),
        "    key added     response[200].json['roles'][*]['level']   (int)",
        BY_USERS,
    ] == mismatch({"roles": [{"name": "x", "since": 1, "level": 2}]}, USERS, "response", recorded)


def test_a_renamed_key_fails_even_when_other_keys_are_left_out(recorded: Settings) -> None:
    assert [
        head(USERS, "response"),
        "    key renamed?  response[200].json['active'] → response[200].json['is_active']   (bool)",
        BY_USERS,
    ] == mismatch({"id": 1, "is_active": True}, USERS, "response", recorded)


def test_a_changed_type_fails(recorded: Settings) -> None:
    assert [
        head(USERS, "response"),
        "    type changed  response[200].json['id']  int → str",
        BY_USERS,
    ] == mismatch({"id": "3"}, USERS, "response", recorded)
    assert [
        head(USERS, "response"),
        "    type changed  response[200].json['address']  dict → None",
        BY_USERS,
    ] == mismatch({"address": None}, USERS, "response", recorded)


def test_a_bare_response_part_means_the_2xx_answers(recorded: Settings) -> None:
    lines = mismatch(NOT_FOUND, USERS, "response", recorded)

    assert head(USERS, "response") == lines[0]
    assert all("response[200]" in line for line in lines[1:-1]), lines
    assert_matches({"error": "gone"}, USERS, part="response[404]", settings=recorded)
    assert_matches(NOT_FOUND, USERS, part="response[4xx]", settings=recorded)
    assert [
        head(USERS, "response[404]"),
        "    type changed  response[404].json['code']  int → str",
        BY_USERS,
    ] == mismatch({"code": "E17"}, USERS, "response[404]", recorded)


def test_a_fake_json_body_of_a_non_json_answer_is_a_changed_content_type(
    recorded: Settings,
) -> None:
    assert [
        head(PAGE, "response"),
        "    content type changed  response[200]  text/html → application/json",
        BY_USERS,
    ] == mismatch({"title": "About"}, PAGE, "response", recorded)


def test_a_fake_of_our_own_api_is_checked_like_one_of_an_external_one(
    recorded: Settings,
) -> None:
    assert_matches({"id": 1, "lines": [{"qty": 1}]}, ORDER, part="response", settings=recorded)
    assert [
        head(ORDER, "response"),
        "    type changed  response[200].json['lines'][*]['qty']  int → float",
        "  recorded by tests/test_api.py::test_order",
    ] == mismatch({"lines": [{"qty": 1.5}]}, ORDER, "response", recorded)


# ------------------------------------------------------------ fake response objects


def test_fake_response_objects_are_checked_with_their_status(recorded: Settings) -> None:
    assert_matches(httpx.Response(200, json={"id": 1}), USERS, "response", settings=recorded)
    assert_matches(httpx.Response(404, json=NOT_FOUND), USERS, "response", settings=recorded)
    assert_matches(
        flask.Response(json.dumps({"id": 1}), 201, mimetype="application/json"),
        SIGNUP,
        "response",
        settings=recorded,
    )
    fake = requests.Response()
    fake.status_code = 200
    fake.headers["Content-Type"] = "application/json"
    fake._content = json.dumps({"name": "Ada"}).encode()
    assert_matches(fake, USERS, "response", settings=recorded)


def test_a_fake_response_object_with_an_unrecorded_status_fails(recorded: Settings) -> None:
    assert [
        head(USERS, "response"),
        "    status changed  200 → 503",
        BY_USERS,
    ] == mismatch(httpx.Response(503, json={"id": 1}), USERS, "response", recorded)
    with pytest.raises(SeamMismatch, match=r"^no recording of .* \(response\[201\]\)"):
        assert_matches(httpx.Response(201, json={}), USERS, "response[201]", settings=recorded)


def test_a_fake_response_object_may_leave_out_headers_but_not_invent_them(
    recorded: Settings,
) -> None:
    complete = httpx.Response(200, json=USER)
    assert_matches(complete, USERS, "response", complete=True, settings=recorded)

    lines = mismatch(
        httpx.Response(200, json={}, headers={"X-Rate": "1"}), USERS, "response", recorded
    )

    assert "response[200]['headers']['x_rate']" in "\n".join(lines), lines


def test_a_complete_fake_response_object_is_checked_by_its_json_body(recorded: Settings) -> None:
    assert [
        head(USERS, "response"),
        "    key removed   response[200].json['name']   (was str)",
        BY_USERS,
    ] == mismatch(
        httpx.Response(200, json={k: v for k, v in USER.items() if k != "name"}),
        USERS,
        "response",
        recorded,
        complete=True,
    )


# ------------------------------------------------------------------- fake requests


def test_a_fake_request_body_is_compared_whole(recorded: Settings) -> None:
    assert_matches(
        {"name": "Eve", "email": "eve@example.org"}, SIGNUP, "request", settings=recorded
    )

    assert [
        head(SIGNUP, "request"),
        "    key removed   request.json['email']   (was str)",
        BY_USERS,
    ] == mismatch({"name": "Eve"}, SIGNUP, "request", recorded)
    assert [
        head(SIGNUP, "request"),
        "    type changed  request.json['name']  str → list[str]",
        BY_USERS,
    ] == mismatch({"name": ["Eve"], "email": "eve@example.org"}, SIGNUP, "request", recorded)


# ------------------------------------------------------------------ what it refuses


def test_the_parts_of_the_whole_crossing_still_work(recorded: Settings) -> None:
    with pytest.raises(SeamMismatch, match=r"key removed   return\['status_200'\]"):
        assert_matches({}, USERS, part="return", settings=recorded)
    with pytest.raises(SeamMismatch, match=r"\(args\.request\)"):
        assert_matches({}, USERS, part="args.request", settings=recorded)


def test_a_seam_never_recorded_says_so(recorded: Settings) -> None:
    with pytest.raises(SeamMismatch) as error:
        assert_matches({}, "http-out:GET 127.0.0.1/v2/users", "response", settings=recorded)

    assert str(error.value).startswith(
        f"no recording of http-out:GET 127.0.0.1/v2/users (response) under {recorded.cassette_dir}"
    )


def test_a_status_never_recorded_names_the_recorded_ones(recorded: Settings) -> None:
    with pytest.raises(SeamMismatch) as error:
        assert_matches({}, SIGNUP, "response[5xx]", settings=recorded)

    assert (
        f"no recording of {SIGNUP} (response[5xx]) under {recorded.cassette_dir}: it was recorded"
        ' answering 201 only; name one of those (part="response[201]") or record a test that'
        " gets such an answer for real with pytest --record-seams"
    ) == str(error.value)


@pytest.mark.parametrize(
    "part", ["responses", "response[20]", "response[6xx]", "request[200]", "Response", "json"]
)
def test_an_unknown_http_part_is_a_value_error_naming_the_forms(
    recorded: Settings, part: str
) -> None:
    with pytest.raises(ValueError, match=r'"response\[<status>\]"') as error:
        assert_matches({}, USERS, part=part, settings=recorded)

    assert not isinstance(error.value, AssertionError)


def test_an_http_part_of_another_seam_is_a_value_error(recorded: Settings) -> None:
    with pytest.raises(ValueError, match=r"is for HTTP seams"):
        assert_matches({}, f"{PACKAGE}.client:get_user", part="response", settings=recorded)


def test_a_response_object_as_a_request_is_a_value_error(recorded: Settings) -> None:
    with pytest.raises(ValueError, match=r'part="response"'):
        assert_matches(httpx.Response(200), SIGNUP, part="request", settings=recorded)


def test_the_seams_fixture_object_takes_the_same_options(recorded: Settings) -> None:
    seams = SeamsFixture(recorded)

    seams.assert_matches({"id": 1}, USERS, part="response")
    with pytest.raises(SeamMismatch, match=r"key removed"):
        seams.assert_matches({"id": 1}, USERS, part="response", complete=True)
