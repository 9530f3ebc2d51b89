"""seamrec.cassette.secrets: which credentials are found by value, which ordinary values are not.

Every sample token below is made up, with the length and alphabet of the real thing.
"""

from __future__ import annotations

import timeit
from pathlib import Path

import pytest

from seamrec.cassette.redact import Redactor
from seamrec.cassette.secrets import PLACEHOLDER, Detector, detector, secret_like
from seamrec.config import settings_from_table
from seamrec.exceptions import ConfigError

R = PLACEHOLDER
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL"
GHP = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
AKIA = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
GOOGLE = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
SENDGRID = "SG.aB3dE5fG7hJ9kL1mN3pQ5r.aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC9dE1"
GITLAB = "glpat-aB3dE5fG7hJ9kL1mN3pQ"
NPM = "npm_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
PYPI = (
    "pypi-AgEIcHlwaS5vcmc" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC9dE1fG3hJ5kL7mN9pQ1rS3tU5vW7x"
)
TWILIO = "SK" + "0123456789abcdef0123456789abcdef"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlIjoiYWRtaW4ifQ.N3q8Vx0cXk2pQ-sig_Zr"
BASIC = "YWRtaW46c2VjcmV0cGFzcw=="  # admin:secretpass
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

FOUND = [
    (
        "URL password",
        "postgresql://app:Hunter2Secret@db.internal:5432/app",
        f"postgresql://app:{R}@db.internal:5432/app",
    ),
    ("URL password", "redis://:password@host:6379/0", f"redis://:{R}@host:6379/0"),
    ("URL password", "amqp://guest:gu3st!@mq/vhost", f"amqp://guest:{R}@mq/vhost"),
    (
        "URL password",
        "DATABASE_URL=postgresql://app:Hunter2Secret@db:5432/app",
        f"DATABASE_URL=postgresql://app:{R}@db:5432/app",
    ),
    ("GitHub token", f"cloned with {GHP} today", f"cloned with {R} today"),
    ("GitHub token", "github_pat_11ABCDEFG0aB3dE5fG7hJ9_kL1mN3pQ5rS7tU9vW1xY", R),
    ("GitLab token", f"token {GITLAB}", f"token {R}"),
    ("npm token", NPM, R),
    ("PyPI token", PYPI, R),
    ("AWS access key id", f"key id {AKIA}.", f"key id {R}."),
    ("AWS access key id", "ASIAY34FZKBOKMUTVV7A", R),
    ("credential pair", f"aws_secret_access_key={AWS_SECRET}", f"aws_secret_access_key={R}"),
    ("Slack token", f"bot {SLACK}", f"bot {R}"),
    ("Slack webhook", "https://hooks.slack.com/services/T0001/B0002/XXXXabcd1234", None),
    ("Stripe key", STRIPE, R),
    ("Stripe key", "rk_live_4eC39HqLyjWDarjtT1zdp7dc", R),
    ("Stripe key", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", R),
    ("Google API key", f"maps/api/js?v=3&{GOOGLE}", f"maps/api/js?v=3&{R}"),
    ("SendGrid key", SENDGRID, R),
    ("Twilio key", f"api key {TWILIO}", f"api key {R}"),
    ("Twilio key", "AC0123456789abcdef0123456789abcdef", R),
    ("Heroku key", "HRKU-aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC9dE1fG3hJ5kL7mN9pQ1", R),
    (
        "Heroku key",
        "HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef",
        f"HEROKU_API_KEY={R}",
    ),
    (
        "credential pair",
        "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sig=AbCd%2Bgh12%3D&se=1",
        f"https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sig={R}&se=1",
    ),
    (
        "credential pair",
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_KEY};"
        "EndpointSuffix=core.windows.net",
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={R};"
        "EndpointSuffix=core.windows.net",
    ),
    (
        "credential pair",
        "Server=db;Uid=sa;Pwd=S3cr3t!;Database=app",
        f"Server=db;Uid=sa;Pwd={R};Database=app",
    ),
    (
        "credential pair",
        "host=db user=app password=pw123 dbname=app",
        f"host=db user=app password={R} dbname=app",
    ),
    (
        "credential pair",
        '{"client_secret": "cs-Zx93Qp", "id": 7}',
        f'{{"client_secret": "{R}", "id": 7}}',
    ),
    (
        "credential pair",
        "jdbc:mysql://db/app?user=app&password=pw123",
        f"jdbc:mysql://db/app?user=app&password={R}",
    ),
    (
        "private key",
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----",
        f"-----BEGIN OPENSSH PRIVATE KEY-----{R}-----END OPENSSH PRIVATE KEY-----",
    ),
    (
        "private key",
        f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{PEM_BODY}\n-----END ENCRYPTED PRIVATE KEY-----",
        f"-----BEGIN ENCRYPTED PRIVATE KEY-----{R}-----END ENCRYPTED PRIVATE KEY-----",
    ),
    (
        "private key",
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n{PEM_BODY}",
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----{R}",
    ),
    (
        "private key",
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n"
        f"{PEM_BODY}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----",
        f"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----{R}---- END SSH2 ENCRYPTED PRIVATE KEY ----",
    ),
    (
        "private key",
        f"PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 2\n{PEM_BODY}\nPrivate-MAC: 12ab",
        f"PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 2\n{R}\nPrivate-MAC: 12ab",
    ),
    ("JWT", f"token {JWT} ok", f"token {R} ok"),
    ("Bearer credential", "Bearer abcdef0123456789", f"Bearer {R}"),
    ("Basic credential", f"Basic {BASIC}", f"Basic {R}"),
    ("Authorization header", f"Authorization: Basic {BASIC}", f"Authorization: Basic {R}"),
    (
        "Authorization header",
        "authorization=Token 9944b09199c62bcf9418ad846dd0e4bb",
        f"authorization=Token {R}",
    ),
    ("OpenAI key", "sk-proj-aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A", R),
    ("Telegram token", "123456789:AAaB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3", R),
    ("Mailchimp key", "0123456789abcdef0123456789abcdef-us12", R),
    ("Square secret", "sq0csp-aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A7bC", R),
]


@pytest.mark.parametrize(("kind", "text", "expected"), FOUND, ids=[t[:24] for _, t, _ in FOUND])
def test_a_credential_is_found_and_only_its_secret_part_is_replaced(
    kind: str, text: str, expected: str | None
) -> None:
    detector = Detector()

    hits = detector.find(text)
    scrubbed = detector.scrub(text)

    assert [kind] == [hit.kind for hit in hits]
    if expected is not None:
        assert expected == scrubbed
    assert PLACEHOLDER in scrubbed
    assert detector.find(scrubbed) == []  # scrubbing twice changes nothing


ORDINARY = [
    "config=prod url=https://example.com/x?page=2 mode=fast",
    "3f2b9c1e-8d4a-4c6f-9b2e-1a2b3c4d5e6f",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "ada.lovelace@example.com",
    "2026-11-25T12:08:01.123456+00:00",
    "SKU-12345-XL-BLUE",
    "hello world, this is an ordinary sentence about passwords and tokens",
    "Basic functionality is included in the free plan",
    "the API uses Bearer authentication; see Authorization: header_docs",
    "  args.authorization: shop.models.Credentials",
    "token_type=bearer max_tokens=100 expires_in=3600",
    "SELECT * FROM users WHERE password = ? AND token = :token",
    "UPDATE users SET password_hash = %s WHERE id = %s",
    "https://example.com:8443/path?q=1&page=2",
    "https://ada@example.com/repo.git",
    "/usr/lib/python3.11/site-packages/sqlalchemy/dialects/sqlite/pysqlite.py",
    "sqlalchemy.dialects.sqlite.pysqlite.SQLiteDialect_pysqlite",
    "internationalization_and_localization_settings",
    "password=",
    "password=None secret=*** token=${API_TOKEN} pwd=%(pwd)s",
    "cwd=/home/ada config=prod",
    "select * from pragma_index_xinfo(index_name) xinfo where xinfo.key = 1",
    "-----BEGIN CERTIFICATE-----\nMIIB",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_values_are_not_secrets(text: str) -> None:
    assert [] == Detector().find(text)


def test_a_redacted_text_is_not_found_again() -> None:
    text = f"postgresql://app:{R}@db:5432/app Bearer {R} password={R} {R}"

    assert [] == Detector().find(text)


def test_custom_patterns_redact_the_whole_match_or_their_secret_group() -> None:
    detector = Detector([r"acme_[0-9a-f]{12}", r"pin=(?P<secret>\d{4})"])

    assert f"key {R}, pin={R}." == detector.scrub("key acme_0123456789ab, pin=7391.")
    assert ["custom pattern", "custom pattern"] == [
        h.kind for h in detector.find("acme_0123456789ab pin=7391")
    ]


@pytest.mark.parametrize(
    "value", ["Hunter2Secret", "s3cr3t-Pa55", "tok_4f9c2e71ab08d5", "Wr0ng-pass", "739104x"]
)
def test_distinctive_values_are_secret_like(value: str) -> None:
    assert secret_like(value)


@pytest.mark.parametrize(
    "value",
    [
        "sqlite",
        "qmark",
        "Lax",
        "customer name",
        "correcthorse",
        "Ada Lovelace",
        "3f2b9c1e-8d4a-4c6f-9b2e-1a2b3c4d5e6f",
        "ada@example.com",
        "2026-11-25T12:08:01",
        "e3b0c44298fc1c149afbf4c8996fb924",
        "sqlalchemy.dialects.sqlite",
        "/tmp/app.db",
        "+49 30 1234567",
    ],
)
def test_words_ids_hashes_addresses_and_paths_are_not_secret_like(value: str) -> None:
    assert not secret_like(value)


def test_an_ordinary_string_costs_about_a_microsecond() -> None:
    # The prefilter keeps the combined regex away from most strings of a payload.
    detector = Detector()
    texts = ["ada.lovelace@example.com", "3f2b9c1e-8d4a-4c6f-9b2e-1a2b3c4d5e6f", "Berlin", "10115"]

    seconds = min(timeit.repeat(lambda: [detector.find(t) for t in texts], number=2000, repeat=3))

    assert seconds / (2000 * len(texts)) < 20e-6  # generous: a shared 2-core machine


def test_every_sample_detect_secrets_flags_is_found() -> None:
    """detect-secrets' regex plugins are the reference: what they flag here, we find."""
    scan = pytest.importorskip("detect_secrets.core.scan")
    settings = pytest.importorskip("detect_secrets.settings")
    util = pytest.importorskip("detect_secrets.core.plugins.util")
    fuzzy = {
        "Base64HighEntropyString",
        "HexHighEntropyString",
        "KeywordDetector",
        "IPPublicDetector",
    }
    plugins = [
        {"name": cls.__name__}
        for cls in util.get_mapping_from_secret_type_to_class().values()
        if cls.__name__ not in fuzzy
    ]
    detector = Detector()
    missed = []
    flagged = 0
    with settings.transient_settings({"plugins_used": plugins}):
        for _, text, _ in FOUND:
            for line in text.splitlines():
                if list(scan.scan_line(line)):
                    flagged += 1
                    if not detector.find(text):
                        missed.append(line)

    assert flagged >= 18
    assert [] == missed


def test_redact_patterns_are_read_from_the_settings_and_checked() -> None:
    settings = settings_from_table(
        {"redact_patterns": [r"acme_[0-9a-f]{12}"]}, rootdir=Path("/project")
    )
    redactor = Redactor.from_settings(settings)

    with pytest.raises(ConfigError) as info:
        settings_from_table({"redact_patterns": ["acme_(["]}, rootdir=Path("/project"))

    assert f"see {R}" == redactor.scrub("see acme_0123456789ab")
    assert "redact_patterns" == info.value.key
    assert str(info.value).startswith(
        "[tool.seamrec] redact_patterns: 'acme_([' is not a regular expression"
    )


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("key_ghp_aB3dEfGhIjKlMnOpQrStUvWxYz0123456789", "key_"),
        ("token_sk_live_4eC39HqLyjWDarjtT1zdp7dc", "token_"),
        ("prefix_AKIAIOSFODNN7EXAMPLQ", "prefix_"),
    ],
)
def test_a_token_glued_to_a_name_by_an_underscore_is_found(text: str, kept: str) -> None:
    assert f"{kept}<redacted>" == detector().scrub(text)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "https://x/cb%3Fkey%3Dsk_live_4eC39HqLyjWDarjtT1zdp7dc%26a%3D1",
            "4eC39HqLyjWDarjtT1zdp7dc",
        ),
        ("next=%2Fa%3Fauth%3Dghp_aB3dEfGhIjKlMnOpQrStUvWxYz0123456789", "aB3dEfGhIjKlMnOp"),
        ("https%3A%2F%2Fapp%3AHunter2Secret%40db.internal%3A5432%2Fapp", "Hunter2Secret"),
    ],
)
def test_a_secret_inside_percent_encoded_text_is_found(text: str, secret: str) -> None:
    scrubbed = detector().scrub(text)

    assert secret not in scrubbed
    assert "<redacted>" in scrubbed
    assert detector().find(text)


def test_percent_encoded_text_without_a_secret_is_left_as_it_is() -> None:
    assert "q=caf%C3%A9%20au%20lait&page=2" == detector().scrub("q=caf%C3%A9%20au%20lait&page=2")


def _password_hashes() -> list[str]:
    """Hashes as the frameworks store them: werkzeug's (Flask) for real, Django's format
    around a real PBKDF2, and crypt(3)/passlib forms."""
    import base64
    import hashlib

    from werkzeug.security import generate_password_hash

    salt = "Zt9bA3kq1R0mYx"
    django = base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"pw", salt.encode(), 1000)).decode()
    return [
        generate_password_hash("correct horse"),  # scrypt:32768:8:1$salt$hex
        generate_password_hash("correct horse", method="pbkdf2:sha256"),
        f"pbkdf2_sha256$870000${salt}${django}",
        "$2b$12$KIXQJQ9Vb0m3Xq3lJxgq5uQ7Qm0o8yq0tq2k2yq5YJ0p3xQw8r6mG",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$RdescudvJCsgt3ub",
        "$6$rounds=5000$saltsalt$Gcm6FsVtF/Qa77ZKD.iwsJlCVPY0XSMgLJL0Hnww/c1Gv2f.cZ4nqb1yJ6Q8kS3J",
    ]


@pytest.mark.parametrize("stored", _password_hashes())
def test_a_stored_password_hash_is_a_secret(stored: str) -> None:
    assert PLACEHOLDER == detector().scrub(stored)
    assert f"user ada, hash {PLACEHOLDER}" == detector().scrub(f"user ada, hash {stored}")


@pytest.mark.parametrize(
    "text", ["$20.00 total", "price $2.50", "argon2 is a hash", "scrypt:fast", "the pbkdf2 module"]
)
def test_prices_and_words_near_hash_names_are_not_secrets(text: str) -> None:
    assert [] == detector().find(text)
