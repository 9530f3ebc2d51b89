"""End to end: the credentials real apps hold never reach a file under the cassette dir.

A settings module returns what real apps hold; clients, exceptions, dict keys, bytes and
free text carry every credential shape seamrec detects. The app is recorded with only
`boundaries` configured, then every byte of every file under the cassette dir is searched
for any piece of any secret, the plain values around them must still be readable, and a
check run must pass.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest

from helpers import LayeredApp, payload, seamrec_summary
from seamrec.cassette.store import load
from seamrec.model.codec import ExceptionView, ObjectView, RedactedView

PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL"
# The part of each credential that must never be written (a URL's password, not its host).
SECRETS = {
    "postgres password": "Hunter2Secret",
    "redis password": "r3dis-Pa55word",
    "github token": "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A",
    "github fine-grained token": "github_pat_11ABCDEFG0aB3dE5fG7hJ9_kL1mN3pQ5rS7tU9vW1xY",
    "gitlab token": "glpat-Zq8Rw2Lk5Nb7Vc1Xm4Tp",
    "npm token": "npm_Zq8Rw2Lk5Nb7Vc1Xm4TpZq8Rw2Lk5Nb7Vc1X",
    "pypi token": "pypi-AgEIcHlwaS5vcmcaB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC9dE1fG3hJ5kL7mN9",
    "aws access key id": "AKIAIOSFODNN7EXAMPLE",
    "aws secret access key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "slack bot token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "stripe live key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "stripe restricted key": "rk_live_9fD21KqLyjWDarjtT1zdp7dc",
    "google api key": "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "sendgrid key": "SG.aB3dE5fG7hJ9kL1mN3pQ5r.aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC9dE1",
    "twilio key": "SK0123456789abcdef0123456789abcdef",
    "heroku key": "HRKU-aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC9dE1fG3hJ5kL7mN9pQ1",
    "basic credentials": "YWRtaW46c2VjcmV0cGFzcw==",
    "bearer token": "b3arerTok.9Xk2LmQ7vv",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlIjoiYWRtaW4ifQ.N3q8Vx0cXk2pQ-sig_Zr",
    "azure account key": "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZ==",
    "azure sas signature": "AbCdEf%2Bgh1234%3D",
    "libpq password": "pg-Pw0rd-77",
    "odbc password": "S3cr3t!0dbc",
    "json client secret": "cs-Zx93Qp-Lm",
    "private key": PEM_BODY,
    "password argument": "Wr0ng-pass-8xYt",
}
WINDOW = 8  # no run of this many bytes of a secret may appear anywhere

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

SETTINGS = '''\
"""Settings, clients and logs, holding what real apps hold."""

from dataclasses import dataclass


class Session:
    """Stands for a SQLAlchemy Session: an object passed around as `session`."""

    def __init__(self, dialect, paramstyle, path, customer):
        self.dialect = dialect
        self.paramstyle = paramstyle
        self.path = path
        self.customer = customer


@dataclass
class Client:
    name: str
    base_url: str
    access_key_id: str
    signing_secret: str
    contact: str


def load_settings(env):
    return {
        "DATABASE_URL": env["DATABASE_URL"],
        "REDIS_URL": env["REDIS_URL"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "ADMIN_EMAIL": "ada@example.com",
        "REQUEST_ID": "3f2b9c1e-8d4a-4c6f-9b2e-1a2b3c4d5e6f",
        "access_key_id": env["AWS_ID"],
        "max_tokens": 100,
        "services": {"mail": {"provider": env["SENDGRID"]}, "pay": [env["STRIPE"], env["RK"]]},
        "storage": env["AZURE"],
    }


def connect(url, session, password=None):
    raise ConnectionError(f"could not connect to {url} as {session.customer}")


def make_client(name, key_id, secret, text):
    return Client(name, "https://api.example.com/v1", key_id, secret, text)


def route_tokens(tokens):
    return {token: "ok" for token in tokens}


def send(headers, body):
    return {"status": 200, "sent": headers, "body": body}


def log(text):
    return text
'''

TESTS = """\
import pytest

from app import settings

S = {secrets!r}
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\\n"
    + S["private key"]
    + "\\n-----END OPENSSH PRIVATE KEY-----"
)


def test_settings_hold_urls_keys_and_flags():
    env = {{
        "DATABASE_URL": "postgresql://app:" + S["postgres password"] + "@db.internal:5432/app",
        "REDIS_URL": "redis://:" + S["redis password"] + "@cache:6379/0",
        "AWS_ID": S["aws access key id"],
        "SENDGRID": S["sendgrid key"],
        "STRIPE": S["stripe live key"],
        "RK": S["stripe restricted key"],
        "AZURE": "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
        + S["azure account key"] + ";EndpointSuffix=core.windows.net",
    }}
    loaded = settings.load_settings(env)
    assert loaded["SESSION_COOKIE_HTTPONLY"] is True
    session = settings.Session("sqlite", "qmark", "/tmp/app.db", "Ada Lovelace")
    with pytest.raises(ConnectionError):
        settings.connect(loaded["DATABASE_URL"], session, password=S["password argument"])


def test_clients_and_dict_keys():
    client = settings.make_client(
        "billing",
        S["aws access key id"],
        "aws_secret_access_key=" + S["aws secret access key"],
        "SKU-12345-XL ordered 2026-11-25T12:08:01+00:00 by ada@example.com",
    )
    assert client.name == "billing"
    keys = [S["github token"], S["twilio key"], S["google api key"], S["aws access key id"]]
    assert len(settings.route_tokens(keys)) == 4


def test_headers_bodies_and_free_text():
    headers = {{
        "X-Forwarded": "Basic " + S["basic credentials"],
        "X-Upstream": "Bearer " + S["bearer token"],
        "Accept": "application/json",
    }}
    secret = S["json client secret"]
    body = ('{{"client_id": "web-app", "client_secret": "' + secret + '"}}').encode()
    assert settings.send(headers, body)["status"] == 200
    settings.log(
        "deploy with " + S["github fine-grained token"] + ", " + S["gitlab token"]
        + ", " + S["slack bot token"]
        + ", " + S["npm token"] + " and " + S["pypi token"] + "; heroku " + S["heroku key"]
    )
    settings.log("host=db user=app password=" + S["libpq password"] + " dbname=app")
    settings.log("Server=db;Uid=sa;Pwd=" + S["odbc password"] + ";Database=app")
    settings.log(
        "https://acct.blob.core.windows.net/c/b.txt?sv=2020-08-04&sr=b&sig="
        + S["azure sas signature"] + "&se=2030"
    )
    settings.log("token " + S["jwt"] + " for sqlalchemy.dialects.sqlite.pysqlite")
    settings.log("rotated:\\n" + PEM + "\\ndone")
"""


@pytest.fixture
def settings_app(layered_app: LayeredApp) -> LayeredApp:
    """An app whose seams carry every planted secret, with three passing tests."""
    (layered_app.root / "tests" / "test_api.py").unlink()
    layered_app.write("pyproject.toml", PYPROJECT)
    layered_app.write("app/settings.py", SETTINGS)
    layered_app.root.joinpath("tests", "test_settings.py").write_text(TESTS.format(secrets=SECRETS))
    return layered_app


def pieces(secret: str) -> set[bytes]:
    """Every WINDOW-byte slice of a secret."""
    data = secret.encode()
    return {data[i : i + WINDOW] for i in range(max(1, len(data) - WINDOW + 1))}


def leaks_in(data: bytes, where: str) -> list[str]:
    return [
        f"{name} in {where}"
        for name, secret in SECRETS.items()
        if any(piece in data for piece in pieces(secret))
    ]


def msgpack_strings(data: bytes) -> Iterator[str]:
    """Every string inside a msgpack stream, ext payloads included, decoded."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    pending: list[Any] = list(unpacker)
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, bytes):
            yield item.decode("utf-8", "replace")
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, msgpack.ExtType):
            pending.append(msgpack.unpackb(item.data, raw=False, strict_map_key=False))


def first_call(app: LayeredApp, test: str, seam: str, index: int = 0) -> tuple[Any, Any]:
    """The (args, result) views of call `index` of `seam` in `test`'s cassette."""
    cassette = load(app.cassettes / "tests" / "test_settings" / f"{test}.msgpack")
    call = cassette.detail(seam, index)
    assert call is not None, (test, seam)
    return payload(call.args), payload(call.result)


def test_no_byte_of_any_credential_shape_reaches_the_cassette_dir(
    settings_app: LayeredApp,
) -> None:
    record = settings_app.record()
    record.assert_outcomes(passed=3)
    assert [] == [line for line in seamrec_summary(record) if "error" in line]
    files = [path for path in sorted(settings_app.cassettes.rglob("*")) if path.is_file()]
    assert 4 == len(files)  # three cassettes and the contract of app.settings

    raw_leaks = [
        leak
        for path in files
        for leak in leaks_in(path.read_bytes(), path.relative_to(settings_app.cassettes).name)
    ]
    decoded_leaks = [
        leak
        for path in files
        if path.suffix == ".msgpack"
        for text in msgpack_strings(path.read_bytes())
        for leak in leaks_in(text.encode(), f"a string of {path.name}")
    ]
    check = settings_app.check()
    audit = subprocess.run(
        [sys.executable, "-m", "seamrec", "audit"],
        cwd=settings_app.root,
        capture_output=True,
        text=True,
        check=False,
    )

    assert ([], []) == (raw_leaks, decoded_leaks)
    check.assert_outcomes(passed=3)  # redaction keeps the shapes: nothing drifted
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(check)[1]
    assert (0, "seamrec audit: nothing secret-like\n") == (audit.returncode, audit.stdout)


def test_the_plain_values_around_the_secrets_stay_readable(settings_app: LayeredApp) -> None:
    settings_app.record().assert_outcomes(passed=3)

    _, loaded = first_call(
        settings_app, "test_settings_hold_urls_keys_and_flags", "app.settings:load_settings"
    )
    connect_args, raised = first_call(
        settings_app, "test_settings_hold_urls_keys_and_flags", "app.settings:connect"
    )
    _, client = first_call(settings_app, "test_clients_and_dict_keys", "app.settings:make_client")
    log_args, _ = first_call(
        settings_app, "test_headers_bodies_and_free_text", "app.settings:log", index=4
    )
    send_args, _ = first_call(
        settings_app, "test_headers_bodies_and_free_text", "app.settings:send"
    )

    assert {
        "DATABASE_URL": "postgresql://app:<redacted>@db.internal:5432/app",
        "REDIS_URL": "redis://:<redacted>@cache:6379/0",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "ADMIN_EMAIL": "ada@example.com",
        "REQUEST_ID": "3f2b9c1e-8d4a-4c6f-9b2e-1a2b3c4d5e6f",
        "access_key_id": RedactedView("str"),
        "max_tokens": 100,
        "services": {"mail": {"provider": "<redacted>"}, "pay": ["<redacted>", "<redacted>"]},
        "storage": "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=<redacted>;"
        "EndpointSuffix=core.windows.net",
    } == loaded
    assert (
        ObjectView(
            "app.settings.Session",
            (
                ("dialect", "sqlite"),
                ("paramstyle", "qmark"),
                ("path", "/tmp/app.db"),
                ("customer", "Ada Lovelace"),
            ),
        )
        == connect_args["session"]
    )
    assert RedactedView("str") == connect_args["password"]
    assert isinstance(raised, ExceptionView)
    assert (
        "could not connect to postgresql://app:<redacted>@db.internal:5432/app as Ada Lovelace",
    ) == raised.args
    assert (
        ("name", "billing"),
        ("base_url", "https://api.example.com/v1"),
        ("access_key_id", RedactedView("str")),
        ("signing_secret", RedactedView("str")),
        ("contact", "SKU-12345-XL ordered 2026-11-25T12:08:01+00:00 by ada@example.com"),
    ) == client.fields
    assert "token <redacted> for sqlalchemy.dialects.sqlite.pysqlite" == log_args["text"]
    assert {
        "X-Forwarded": "Basic <redacted>",
        "X-Upstream": "Bearer <redacted>",
        "Accept": "application/json",
    } == send_args["headers"]
    assert b'{"client_id": "web-app", "client_secret": "<redacted>"}' == send_args["body"]


def test_a_secret_used_as_a_dict_key_is_replaced_in_the_payload_and_the_shapes(
    settings_app: LayeredApp,
) -> None:
    settings_app.record().assert_outcomes(passed=3)

    args, routed = first_call(
        settings_app, "test_clients_and_dict_keys", "app.settings:route_tokens"
    )
    contract = (settings_app.cassettes / "contracts" / "app.settings.txt").read_text()

    assert {"tokens": [RedactedView("str")] * 4} == args  # strings under a credential name
    assert {"<redacted>": "ok"} == routed  # four secret keys, one placeholder
    assert "  return['<redacted>']: str" in contract.splitlines()
