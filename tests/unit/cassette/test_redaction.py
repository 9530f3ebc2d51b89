"""Secrets never reach a cassette or a failure message: seamrec.cassette.redact end to end
and alone.

The end-to-end tests plant secrets in every shape a payload can carry them (nested dicts,
dataclass fields, keyword arguments, exception messages, dict keys, header values, JWTs,
PEM blocks, configured names and `redact_paths` rules), record, and then search the raw
bytes of every file under the cassette dir for any piece of any secret.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from helpers import LayeredApp, payload, seamrec_summary
from seamrec.cassette.redact import PathRule, Redactor
from seamrec.cassette.secrets import PLACEHOLDER
from seamrec.cassette.store import load
from seamrec.config import Limits, settings_from_table
from seamrec.exceptions import ConfigError
from seamrec.model.codec import (
    ExceptionView,
    ObjectView,
    RedactedView,
    TypedCollectionView,
    make_packer,
    pack,
    raw_tree,
    unpack,
)

# ---------------------------------------------------------------- the planted secrets

SECRETS = {
    "nested password": "nested-pw-Qz81vLmK",
    "dataclass api_key": "ak-live-7Hq2Rk9Wd3Zp",
    "keyword password": "Wr0ng-pass-8xYtUe",
    "token used as a dict key": "tok_4f9c2e71ab08d5",
    "bearer header": "b3arerTok.9Xk2LmQ7vv",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlIjoiYWRtaW4ifQ.N3q8Vx0cXk2pQ-sig_Zr",
    "pem private key (its body)": (
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL"
    ),
    "configured name (pin)": "739104",
    "redact_paths nickname": "ada-nick-Zx93Qp",
}
WINDOW = 8  # no run of this many bytes of a secret may appear anywhere


def secret_pieces(secret: str) -> set[bytes]:
    """Every WINDOW-byte slice of a secret (the whole secret when shorter)."""
    data = secret.encode()
    if len(data) <= WINDOW:
        return {data}
    return {data[i : i + WINDOW] for i in range(len(data) - WINDOW + 1)}


def leaks_in(data: bytes, where: str) -> list[str]:
    """`secret name in where` for every secret with a piece in `data`."""
    return [
        f"{name} in {where}"
        for name, secret in SECRETS.items()
        if any(piece in data for piece in secret_pieces(secret))
    ]


def files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path


PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
redact = ["pin"]
redact_paths = ["app.auth:login:args.user.nickname"]
"""

AUTH = '''\
"""Logins and tokens."""

from dataclasses import dataclass


class AuthError(Exception):
    pass


@dataclass
class User:
    name: str
    nickname: str


def login(user, password=None):
    if password != "correct horse":
        raise AuthError(f"bad password {password}")
    return {"user": user.name}


def profile_card(user):
    return f"{user.name} ({user.nickname})"


def issue_token(username):
    return {"token": "TOKEN", "username": username, "expires_in": 3600}


def logins_by_token(token, username):
    return {token: username}
'''

VAULT = '''\
"""Configuration and API clients."""

from dataclasses import dataclass


@dataclass
class Client:
    name: str
    api_key: str


def store_config(config):
    return {"saved": True, "config": config, "version": 1}


def make_client(name, key):
    return Client(name, key)


def describe(client):
    return f"client {client.name} uses {client.api_key}"


def charge(payment):
    return {"ok": True, "card": payment["card"]["last4"]}
'''

AUDIT = '''\
"""Free-text logs and forwarded headers."""


def forward(request):
    return {"status": 200, "echo": request["headers"]}


def log_event(text):
    return text.upper() if text.startswith("!") else text
'''

TESTS = """\
from app import audit, auth, vault

SECRETS = {SECRETS!r}


def test_failed_login_with_a_keyword_password():
    user = auth.User("ada", SECRETS["redact_paths nickname"])
    try:
        auth.login(user, password=SECRETS["keyword password"])
    except Exception as exc:
        assert SECRETS["keyword password"] in str(exc)
    else:
        raise AssertionError("the login should have failed")
    assert "ada" in auth.profile_card(user)


def test_tokens_as_values_and_as_dict_keys():
    issued = auth.issue_token("ada")
    assert issued["token"] == SECRETS["token used as a dict key"]
    assert {{issued["token"]: "ada"}} == auth.logins_by_token(issued["token"], "ada")


def test_nested_passwords_dataclass_keys_and_configured_names():
    config = {{"auth": {{"password": SECRETS["nested password"]}}, "region": "eu"}}
    assert vault.store_config(config)["saved"]
    client = vault.make_client("billing", SECRETS["dataclass api_key"])
    assert "billing" in vault.describe(client)
    payment = {{"card": {{"last4": "4242", "pin": SECRETS["configured name (pin)"]}}}}
    assert vault.charge(payment)["ok"]


def test_credentials_in_free_text():
    headers = {{"X-Upstream": "Bearer " + SECRETS["bearer header"], "Accept": "json"}}
    assert 200 == audit.forward({{"headers": headers}})["status"]
    assert audit.log_event("forwarded " + SECRETS["jwt"] + " upstream")
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\\n"
        + SECRETS["pem private key (its body)"]
        + "\\n-----END RSA PRIVATE KEY-----"
    )
    assert audit.log_event("rotated the key:\\n" + pem + "\\ndone")
"""


@pytest.fixture
def secret_app(layered_app: LayeredApp) -> LayeredApp:
    """An app whose seams carry every planted secret, with four passing tests."""
    (layered_app.root / "tests" / "test_api.py").unlink()
    layered_app.write("pyproject.toml", PYPROJECT)
    layered_app.write(
        "app/auth.py", AUTH.replace('"TOKEN"', repr(SECRETS["token used as a dict key"]))
    )
    layered_app.write("app/vault.py", VAULT)
    layered_app.write("app/audit.py", AUDIT)
    layered_app.root.joinpath("tests", "test_secrets.py").write_text(TESTS.format(SECRETS=SECRETS))
    return layered_app


def test_no_byte_of_any_secret_reaches_any_file_under_the_cassette_dir(
    secret_app: LayeredApp,
) -> None:
    record = secret_app.record()
    record.assert_outcomes(passed=4)
    assert "cassettes: 4 written, 0 unchanged, 0 kept because the test failed" in (
        seamrec_summary(record)
    )
    assert [] == [line for line in seamrec_summary(record) if "internal error" in line]
    files = list(files_under(secret_app.cassettes))
    cassettes = [path for path in files if path.suffix == ".msgpack"]
    contracts = [path for path in files if path.parent.name == "contracts"]
    assert (4, len(files) - 4) == (len(cassettes), len(contracts))  # secrets in neither

    leaks = [
        leak
        for path in files
        for leak in leaks_in(path.read_bytes(), path.relative_to(secret_app.cassettes).as_posix())
    ]
    check = secret_app.check()

    check.assert_outcomes(passed=4)  # redaction keeps the shapes: nothing drifted
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(check)[1]
    assert EXPECTED_PAYLOADS == recorded_payloads(secret_app, EXPECTED_PAYLOADS)
    assert [] == leaks


def recorded_payloads(
    app: LayeredApp, wanted: dict[tuple[str, str], Any]
) -> dict[tuple[str, str], Any]:
    """The (args, result) views of the first call of each wanted (test, seam)."""
    found: dict[tuple[str, str], Any] = {}
    for test, seam in wanted:
        cassette = load(app.cassettes / "tests" / "test_secrets" / f"{test}.msgpack")
        call = cassette.detail(seam, 0)
        assert call is not None, (test, seam)
        found[test, seam] = (payload(call.args), payload(call.result))
    return found


REDACTED_STR = RedactedView("str")
LOGIN = "test_failed_login_with_a_keyword_password"
TOKENS = "test_tokens_as_values_and_as_dict_keys"
NESTED = "test_nested_passwords_dataclass_keys_and_configured_names"
FREE_TEXT = "test_credentials_in_free_text"
# The secrets did cross the seams: each one was replaced where it was, by a typed
# placeholder under a credential key or rule, or by <redacted> inside text.
EXPECTED_PAYLOADS: dict[tuple[str, str], Any] = {
    (LOGIN, "app.auth:login"): (
        {
            "user": ObjectView("app.auth.User", (("name", "ada"), ("nickname", REDACTED_STR))),
            "password": REDACTED_STR,
        },
        ExceptionView(
            "app.auth.AuthError", ("bad password <redacted>",), "bad password <redacted>"
        ),
    ),
    (LOGIN, "app.auth:profile_card"): (
        {"user": ObjectView("app.auth.User", (("name", "ada"), ("nickname", "<redacted>")))},
        "ada (<redacted>)",
    ),
    (TOKENS, "app.auth:issue_token"): (
        {"username": "ada"},
        {"token": REDACTED_STR, "username": "ada", "expires_in": 3600},
    ),
    (TOKENS, "app.auth:logins_by_token"): (
        {"token": REDACTED_STR, "username": "ada"},
        {"<redacted>": "ada"},
    ),
    (NESTED, "app.vault:store_config"): (
        {"config": {"auth": {"password": REDACTED_STR}, "region": "eu"}},
        {
            "saved": True,
            "config": {"auth": {"password": REDACTED_STR}, "region": "eu"},
            "version": 1,
        },
    ),
    (NESTED, "app.vault:make_client"): (
        {"name": "billing", "key": "<redacted>"},
        ObjectView("app.vault.Client", (("name", "billing"), ("api_key", REDACTED_STR))),
    ),
    (NESTED, "app.vault:charge"): (
        {"payment": {"card": {"last4": "4242", "pin": REDACTED_STR}}},
        {"ok": True, "card": "4242"},
    ),
    (FREE_TEXT, "app.audit:forward"): (
        {"request": {"headers": {"X-Upstream": "Bearer <redacted>", "Accept": "json"}}},
        {"status": 200, "echo": {"X-Upstream": "Bearer <redacted>", "Accept": "json"}},
    ),
}


# -------------------------------------------------------- drift messages in CI logs


def printed_leaks(result: pytest.RunResult) -> list[str]:
    output = "\n".join([*result.outlines, *result.errlines]).encode()
    return leaks_in(output, "the output")


def test_a_drift_next_to_secrets_or_of_a_secret_itself_does_not_print_them(
    secret_app: LayeredApp,
) -> None:
    secret_app.record().assert_outcomes(passed=4)
    # fields next to secrets change type...
    secret_app.edit("app/vault.py", '"version": 1', '"version": "1"')
    secret_app.edit("app/auth.py", '"expires_in": 3600', '"expires_in": "3600"')
    secret_app.edit("app/audit.py", '"status": 200,', '"status": 200.0,')
    # ...and so does a secret itself: the password is now sent as bytes
    secret_app.edit(
        "tests/test_secrets.py",
        'auth.login(user, password=SECRETS["keyword password"])',
        'auth.login(user, password=SECRETS["keyword password"].encode())',
    )
    secret_app.edit(
        "app/auth.py",
        'raise AuthError(f"bad password {password}")',
        'raise AuthError("bad password")',
    )
    secret_app.edit(
        "tests/test_secrets.py", 'assert SECRETS["keyword password"] in str(exc)', "assert exc"
    )

    check = secret_app.check()

    check.assert_outcomes(failed=4)
    check.stdout.fnmatch_lines(
        [
            "  app.vault:store_config  return  (call 1 of 1)",
            "    type changed  return[[]'version'[]]  int → str   1 → '1'",
        ],
        consecutive=True,
    )
    check.stdout.fnmatch_lines(
        [
            "  app.auth:issue_token  return  (call 1 of 1)",
            "    type changed  return[[]'expires_in'[]]  int → str   3600 → '3600'",
        ],
        consecutive=True,
    )
    check.stdout.fnmatch_lines(
        ["    type changed  return[[]'status'[]]  int → float   200 → 200.0"]
    )
    check.stdout.fnmatch_lines(
        [
            "  app.auth:login  args  (call 1 of 1)",
            "    type changed  args.password  str → bytes   <redacted *> → <redacted bytes>",
        ],
        consecutive=True,
    )
    assert [] == printed_leaks(check)


def test_a_drift_in_an_exception_does_not_print_the_secret_in_its_message(
    secret_app: LayeredApp,
) -> None:
    # The message quotes the password the caller passed as `password=`: the cassette
    # holds it as "bad password <redacted>", and so must the failure message.
    secret_app.record().assert_outcomes(passed=4)
    secret_app.edit("app/auth.py", "raise AuthError(", "raise PermissionError(")

    check = secret_app.check()

    check.assert_outcomes(passed=3, failed=1)
    check.stdout.fnmatch_lines(
        [
            "  app.auth:login  raise  (call 1 of 1)",
            "    type changed  raise  app.auth.AuthError → PermissionError*",
        ],
        consecutive=True,
    )
    assert [] == printed_leaks(check)


# ---------------------------------------------------------- Redactor on raw trees

pack_payload = make_packer(Limits())
SEAM = "app.auth:login"


def tree(value: object) -> Any:
    """A payload as a cassette holds it (ext values left packed)."""
    return raw_tree(pack_payload(value))


def scrubbed(value: object, redactor: Redactor | None = None) -> Any:
    """The payload after one cassette's two passes, as views."""
    redactor = redactor or Redactor()
    raw = tree(value)
    redactor.collect(SEAM, raw, None, "return")
    return unpack(pack(redactor.scrub(raw)))


@dataclasses.dataclass
class Account:
    name: str
    api_key: str
    private_key: bytes


class Credentials(NamedTuple):
    user: str
    password: str


class Point(NamedTuple):
    x: int
    y: int


class Vault:
    def __init__(self) -> None:
        self.owner = "ada"
        self.secret = "vault-secret-1"


class Color(enum.Enum):
    RED = "red"


class Token(str):
    pass


@pytest.mark.parametrize(
    ("value", "type_name"),
    [("hunter22", "str"), (b"hunter22", "bytes"), (Token("tok-123"), f"{__name__}.Token")],
    ids=["str", "bytes", "str-subclass"],
)
def test_the_placeholder_keeps_the_type_name(value: object, type_name: str) -> None:
    assert {"password": RedactedView(type_name)} == scrubbed({"password": value})


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(7391, "int"), (12.5, "float"), (2**80, "int"), ("0785", "str")],
    ids=["int", "float", "bigint", "str"],
)
def test_a_configured_name_also_redacts_numbers(value: object, type_name: str) -> None:
    assert {"pin": RedactedView(type_name)} == scrubbed({"pin": value}, Redactor(names=["pin"]))


@pytest.mark.parametrize(
    "value",
    [
        1234,
        12.5,
        True,
        None,
        decimal.Decimal("1.5"),
        dt.datetime(2024, 1, 2, 3, 4, 5),
        dt.date(2024, 1, 2),
        uuid.UUID(int=7),
        (1, 2.5),
        {"a": 1},
    ],
    ids=lambda v: type(v).__name__,
)
def test_a_credential_name_keeps_flags_numbers_and_data_readable(value: object) -> None:
    # SESSION_COOKIE_HTTPONLY = True, max_tokens = 100, token_expiry = a datetime: only
    # strings under a credential name are secrets.
    assert {"password": value} == scrubbed({"password": value})


def test_an_object_under_a_credential_name_is_walked_not_swallowed() -> None:
    # A SQLAlchemy Session passed as `session`: its fields decide for themselves.
    value = {"session": Account("ada", "ak-123456", b""), "tokens": ["tok-A1b2C3", 5]}

    assert {
        "session": ObjectView(
            f"{__name__}.Account",
            (
                ("name", "ada"),
                ("api_key", RedactedView("str")),
                ("private_key", RedactedView("bytes")),
            ),
        ),
        "tokens": [RedactedView("str"), 5],
    } == scrubbed(value)


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "PASSWORD",
        "db_password",
        "X-Api-Key",
        "x-api-key",
        "ApiKey",
        "Authorization",
        "Set-Cookie",
        "X-Auth-Token",
        "client_secret",
        "SessionId",
        "PRIVATE-KEY",
        "passwd",
    ],
)
def test_credential_names_are_matched_whatever_their_case_and_dashes(key: str) -> None:
    redactor = Redactor()

    assert redactor.sensitive(key)
    assert {key: RedactedView("str"), "user": "ada"} == scrubbed(
        {key: "s3cret-value", "user": "ada"}
    )


@pytest.mark.parametrize("key", ["name", "email", "user_id", "keys", "monkey", "ok", 5, None])
def test_ordinary_names_are_not_credentials(key: object) -> None:
    assert not Redactor().sensitive(key)


def test_configured_names_are_matched_whatever_their_case() -> None:
    redactor = Redactor(names=["PIN", "Ssn"])

    assert {"card": {"Pin": RedactedView("int"), "SSN": RedactedView("str"), "last4": "4242"}} == (
        scrubbed({"card": {"Pin": 7391, "SSN": "078-05-1120", "last4": "4242"}}, redactor)
    )


def test_credential_fields_of_dataclasses_namedtuples_and_objects_are_redacted() -> None:
    value = {
        "account": Account("ada", "ak-123456", b"-pk-bytes-"),
        "credentials": Credentials("ada", "pw-123456"),
        "vault": Vault(),
    }

    assert {
        "account": ObjectView(
            f"{__name__}.Account",
            (
                ("name", "ada"),
                ("api_key", RedactedView("str")),
                ("private_key", RedactedView("bytes")),
            ),
        ),
        "credentials": ObjectView(
            f"{__name__}.Credentials",
            (("user", "ada"), ("password", RedactedView("str"))),
            "namedtuple",
        ),
        "vault": ObjectView(
            f"{__name__}.Vault", (("owner", "ada"), ("secret", RedactedView("str")))
        ),
    } == scrubbed(value)


def test_a_secret_found_under_a_credential_key_is_removed_from_every_string() -> None:
    value = {
        "login": {"user": "ada", "password": "Wr0ng-pass"},
        "error": ValueError("bad password Wr0ng-pass for ada"),
        "owners": {"Wr0ng-pass": "ada"},
        "log": ["tried Wr0ng-pass", "Wr0ng-pass again"],
    }

    assert {
        "login": {"user": "ada", "password": RedactedView("str")},
        "error": ExceptionView(
            "ValueError", ("bad password <redacted> for ada",), "bad password <redacted> for ada"
        ),
        "owners": {PLACEHOLDER: "ada"},
        "log": ["tried <redacted>", "<redacted> again"],
    } == scrubbed(value)


def test_the_type_and_field_names_under_a_credential_name_are_not_taken_for_secrets() -> None:
    # The namedtuple under "session" is walked: its password is a secret, but its type
    # path, its field names and its user name are not, so they are not scrubbed elsewhere
    # (here they would turn the key "username" into "<redacted>name").
    value = {
        "session": Credentials("ada-session-user", "pw-123456"),
        "profile": {"username": "bob", "note": f"a {__name__}.Credentials of ada-session-user"},
    }

    assert {
        "session": ObjectView(
            f"{__name__}.Credentials",
            (("user", "ada-session-user"), ("password", RedactedView("str"))),
            "namedtuple",
        ),
        "profile": {"username": "bob", "note": f"a {__name__}.Credentials of ada-session-user"},
    } == scrubbed(value)


def test_a_credential_key_of_a_large_dict_is_redacted() -> None:
    # A payload over 64 KiB goes through the cutting encoder, where a dict of more than
    # max_items keys is stored as a list of pairs: the credential key is still a key.
    big = {"password": "big-pw-123456", **{f"k{i}": "x" * 600 for i in range(150)}}

    redactor = Redactor()
    raw = tree({"config": big})
    redactor.collect(SEAM, raw, None, "return")
    data = pack(redactor.scrub(raw))

    assert b"big-pw-123456" not in data
    assert RedactedView("str") == unpack(data)["config"]["password"]


def test_a_secret_under_a_credential_key_of_an_ordered_dict_is_removed_from_text() -> None:
    value = {
        "headers": collections.OrderedDict(Cookie="sid-cookie-12345", Accept="json"),
        "log": "sent sid-cookie-12345",
    }

    assert {
        "headers": TypedCollectionView(
            "collections.OrderedDict",
            (("Cookie", RedactedView("str")), ("Accept", "json")),
            mapping=True,
        ),
        "log": "sent <redacted>",
    } == scrubbed(value)


def test_secrets_are_shared_between_the_calls_of_one_cassette_only() -> None:
    first, second = Redactor(), Redactor()
    first.collect(SEAM, tree({"password": "pw-0f-the-1st"}), None, "return")

    assert "seen <redacted>" == first.scrub("seen pw-0f-the-1st")
    assert "seen pw-0f-the-1st" == second.scrub("seen pw-0f-the-1st")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdef0123456789", "Authorization: Bearer <redacted>"),
        ("bearer abc.DEF-123_456", "bearer <redacted>"),
        (
            "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl ok",
            "token <redacted> ok",
        ),
        (
            "key:\n-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBg\n-----END PRIVATE KEY-----\nok",
            "key:\n-----BEGIN PRIVATE KEY-----<redacted>-----END PRIVATE KEY-----\nok",
        ),
        (
            "cut -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB",
            "cut -----BEGIN EC PRIVATE KEY-----<redacted>",
        ),
        ("a bear with 12345678", "a bear with 12345678"),
        ("-----BEGIN CERTIFICATE-----\nMIIB", "-----BEGIN CERTIFICATE-----\nMIIB"),
    ],
    ids=["bearer", "bearer-lower", "jwt", "pem", "pem-cut", "no-bearer", "certificate"],
)
def test_values_that_look_like_credentials_are_redacted_anywhere(text: str, expected: str) -> None:
    assert {"note": expected, "items": [expected]} == scrubbed({"note": text, "items": [text]})


def test_redact_values_false_keeps_credential_looking_values_but_not_known_secrets() -> None:
    settings = settings_from_table({"redact_values": False}, rootdir=Path("/project"))
    redactor = Redactor(settings.redact, (), settings.redact_values)
    value = {"password": "pw-123456", "note": "Bearer abcdef0123456789 and pw-123456"}

    assert {"password": RedactedView("str"), "note": "Bearer abcdef0123456789 and <redacted>"} == (
        scrubbed(value, redactor)
    )
    assert settings_from_table({}, rootdir=Path("/project")).redact_values


def test_redact_values_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_table({"redact_values": "no"}, rootdir=Path("/project"))

    assert "[tool.seamrec] redact_values: must be true or false (got 'no')" == str(info.value)


def test_redaction_is_idempotent() -> None:
    # A finding's recorded payload comes from a cassette that was already redacted, and is
    # scrubbed again before it is shown: the placeholder must keep its type name.
    redactor = Redactor()
    once = redactor.scrub(tree({"password": "pw-123456", "when": dt.date(2024, 1, 2)}))

    assert once == redactor.scrub(once)


# ---------------------------------------------------------------------- redact_paths


def test_a_path_rule_redacts_one_part_of_matching_seams_and_its_value_everywhere() -> None:
    settings = settings_from_table(
        {"redact_paths": ["app.auth:log*:args.user.nickname", "app.auth:*:return.sid"]},
        rootdir=Path("/project"),
    )
    rules = [PathRule.parse(text) for text in settings.redact_paths]
    redactor = Redactor(settings.redact, rules, settings.redact_values)
    user = {"name": "ada", "nickname": "ada-nick-1"}
    args = tree({"user": user, "note": "hi ada-nick-1"})
    result = tree({"sid": 12345678, "user": Account("ada", "k" * 8, b"")})
    other = tree({"user": user})

    redactor.collect(SEAM, args, result, "return")
    redactor.collect("app.vault:login", other, None, "return")
    scrubbed_args, scrubbed_result = redactor.scrub_call(SEAM, args, result, "return")
    other_args, _ = redactor.scrub_call("app.vault:login", other, None, "return")

    assert {"user": {"name": "ada", "nickname": RedactedView("str")}, "note": "hi <redacted>"} == (
        unpack(pack(scrubbed_args))
    )
    assert RedactedView("int") == unpack(pack(scrubbed_result))["sid"]
    # another module's seam keeps the field, but the value is a known secret by now
    assert {"user": {"name": "ada", "nickname": PLACEHOLDER}} == unpack(pack(other_args))


def test_a_path_rule_reaches_into_dataclass_fields_and_raised_exceptions() -> None:
    redactor = Redactor(
        paths=[
            PathRule.parse("app.auth:login:args.account.name"),
            PathRule.parse("app.auth:login:raise"),
        ]
    )
    args = tree({"account": Account("ada-login-name", "ak-12345", b"")})
    result = tree(PermissionError("denied"))

    redactor.collect(SEAM, args, result, "raise")
    new_args, new_result = redactor.scrub_call(SEAM, args, result, "raise")

    assert (
        ObjectView(
            f"{__name__}.Account",
            (
                ("name", RedactedView("str")),
                ("api_key", RedactedView("str")),
                ("private_key", RedactedView("bytes")),
            ),
        )
        == unpack(pack(new_args))["account"]
    )
    assert RedactedView("PermissionError") == unpack(pack(new_result))


def test_a_return_rule_leaves_a_raised_outcome_alone() -> None:
    redactor = Redactor(paths=[PathRule.parse("app.auth:login:return")])
    result = tree(PermissionError("denied"))

    _, new_result = redactor.scrub_call(SEAM, tree({}), result, "raise")

    assert ExceptionView("PermissionError", ("denied",), "denied") == unpack(pack(new_result))


@pytest.mark.parametrize(
    "rule",
    [
        "app.auth:login",
        "app.auth:login:password",
        "app.auth:login:args.user:nickname",
        "app.auth",
        "app.auth:login:",
        "app.auth:login:.user",
        "app.auth::args.password",
        ":login:args.password",
    ],
)
def test_bad_redact_paths_syntax_is_a_config_error_naming_the_key_and_value(rule: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_table({"redact_paths": [rule]}, rootdir=Path("/project"))

    assert "redact_paths" == info.value.key
    assert str(info.value).startswith(f"[tool.seamrec] redact_paths: {rule!r} is not of the form")


@pytest.mark.parametrize("value", ["app:*:args.pw", [1], [""], {"a": "b"}])
def test_redact_and_redact_paths_must_be_lists_of_strings(value: object) -> None:
    for key in ("redact", "redact_paths"):
        with pytest.raises(ConfigError) as info:
            settings_from_table({key: value}, rootdir=Path("/project"))
        assert key == info.value.key
