"""Name rules of seamrec.cassette.redact: which keys name a credential, and what under them
is redacted.

Only scalar strings under a credential name are secrets: flags, numbers, objects and ids
around them stay readable, and a value is scrubbed from other strings only when it is
secret-like by itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from seamrec.cassette.redact import Redaction, Redactor, key_words
from seamrec.config import Limits
from seamrec.model.codec import ObjectView, RedactedView, make_packer, pack, raw_tree, unpack

pack_payload = make_packer(Limits())
SEAM = "app.settings:load"


def scrubbed(value: object, redactor: Redactor | None = None) -> Any:
    redactor = redactor or Redactor()
    raw = raw_tree(pack_payload(value))
    redactor.collect(SEAM, raw, None, "return")
    return unpack(pack(redactor.scrub(raw)))


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("X-Api-Key", ["x", "api", "key"]),
        ("passwordResetToken", ["password", "reset", "token"]),
        ("AWS_ACCESS_KEY_ID", ["aws", "access", "key", "id"]),
        ("SessionId", ["session", "id"]),
    ],
)
def test_key_words_split_case_dashes_and_underscores(key: str, words: list[str]) -> None:
    assert words == key_words(key)


@pytest.mark.parametrize(
    "key",
    [
        "credentials",
        "access_key",
        "AWS_SECRET_ACCESS_KEY",
        "aws_access_key_id",
        "secret_key",
        "SECRET_KEY",
        "client_secret",
        "passphrase",
        "db_pwd",
        "accessToken",
        "refresh_token",
        "csrftoken",
        "password_hash",
        "Cookie",
        "sessionid",
    ],
)
def test_broadened_default_names(key: str) -> None:
    assert Redactor().sensitive(key)


@pytest.mark.parametrize(
    "key",
    [
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "session_lifetime",
        "token_type",
        "token_count",
        "secret_name",
        "keys",
        "monkey",
        "author",
        "bypass",
        "cwd",
        "email",
        "user_id",
        "sku",
    ],
)
def test_names_that_only_mention_a_credential_word_are_not_credentials(key: str) -> None:
    assert not Redactor().sensitive(key)


def test_a_tuple_or_set_of_strings_under_a_credential_name_keeps_its_type() -> None:
    value = {"tokens": ("tok-A1b2C3", 7), "api_keys": frozenset({"ak-Zq8Rw2"}), "n": 1}

    assert {
        "tokens": (RedactedView("str"), 7),
        "api_keys": frozenset({RedactedView("str")}),
        "n": 1,
    } == scrubbed(value)


def test_flask_settings_keep_their_flags_and_lose_their_secrets() -> None:
    config = {
        "SECRET_KEY": "dev-Zq8Rw2Lk5N",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 3600,
        "MAX_TOKENS": 100,
        "SQLALCHEMY_DATABASE_URI": "postgresql://app:Hunter2Secret@db.internal:5432/app",
    }

    assert {
        "SECRET_KEY": RedactedView("str"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 3600,
        "MAX_TOKENS": 100,
        "SQLALCHEMY_DATABASE_URI": "postgresql://app:<redacted>@db.internal:5432/app",
    } == scrubbed(config)


def test_urls_and_dsns_lose_their_userinfo_even_without_a_password() -> None:
    value = {
        "SENTRY_DSN": "https://abc123def456@o1.ingest.sentry.io/1",
        "clone_url": "https://x-access-token@github.com/acme/app.git",
        "homepage_url": "https://example.com/docs",
        "dsn": "host=db user=app password=pg-pass-77 dbname=app",
        "note": "clone https://ada@example.com/app.git",  # not a URL name: a user name
    }

    assert {
        "SENTRY_DSN": "https://<redacted>@o1.ingest.sentry.io/1",
        "clone_url": "https://<redacted>@github.com/acme/app.git",
        "homepage_url": "https://example.com/docs",
        "dsn": "host=db user=app password=<redacted> dbname=app",
        "note": "clone https://ada@example.com/app.git",
    } == scrubbed(value)


@dataclasses.dataclass
class SqlSession:
    """Stands for a SQLAlchemy Session passed as `session` (the FastAPI trial)."""

    dialect: str
    paramstyle: str
    url: str


def test_an_object_named_session_does_not_make_its_strings_secrets() -> None:
    value = {
        "session": SqlSession("sqlite", "qmark", "sqlite:///./app.db"),
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "module": "sqlalchemy.dialects.sqlite.pysqlite.SQLiteDialect_pysqlite",
    }

    assert {
        "session": ObjectView(
            f"{__name__}.SqlSession",
            (("dialect", "sqlite"), ("paramstyle", "qmark"), ("url", "sqlite:///./app.db")),
        ),
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "module": "sqlalchemy.dialects.sqlite.pysqlite.SQLiteDialect_pysqlite",
    } == scrubbed(value)


@pytest.mark.parametrize("word", ["sqlite", "qmark", "Ada Lovelace", "ada@example.com"])
def test_a_plain_value_under_a_credential_name_is_not_scrubbed_from_other_strings(
    word: str,
) -> None:
    value = {"session": word, "log": f"opened {word} for the request"}

    assert {"session": RedactedView("str"), "log": f"opened {word} for the request"} == (
        scrubbed(value)
    )


def test_redactions_name_the_seam_the_path_and_the_kind_never_the_value() -> None:
    redactor = Redactor()
    args = raw_tree(
        pack_payload({"config": {"password": "pw-Zq8Rw2", "url": "redis://:r3d1s@c/0"}})
    )
    result = raw_tree(pack_payload(ValueError("denied for pw-Zq8Rw2")))
    redactor.collect(SEAM, args, result, "raise")

    redactor.scrub_call(SEAM, args, result, "raise")

    assert [
        Redaction(SEAM, "args.config['password']", "credential name"),
        Redaction(SEAM, "args.config['url']", "URL password"),
        Redaction(SEAM, "raise.args[0]", "value of a credential name"),
        Redaction(SEAM, "raise.message", "value of a credential name"),
    ] == redactor.redactions
