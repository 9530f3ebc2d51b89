"""`seamrec redact`: secrets already on disk, scrubbed in place.

Leaky cassettes are made the way a real repository gets them: recorded with weaker rules
(`redact_values = false`, as by an older seamrec), after which the project's rules are
the current defaults again.
"""

from __future__ import annotations

import pytest

from helpers import (
    GHP,
    LEAKS,
    LEAKY_PYPROJECT,
    LEAKY_SETTINGS,
    LEAKY_WEAK,
    LOG_CASSETTE,
    SETTINGS_CASSETTE,
    LayeredApp,
    cassette_bytes,
    seamrec,
)
from seamrec.cassette.store import TEMP_SUFFIX, load

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


def test_redact_without_yes_lists_what_it_would_change_and_changes_nothing(
    leaky_app: LayeredApp,
) -> None:
    before = cassette_bytes(leaky_app)

    done = seamrec(leaky_app.root, "redact")

    assert 1 == done.returncode
    assert [f"would redact: {leak}" for leak in LEAKS] == done.stdout.splitlines()[:-1]
    assert (
        "2 cassette(s) hold secrets; `seamrec redact --yes` scrubs them"
        == (done.stdout.splitlines()[-1])
    )
    assert before == cassette_bytes(leaky_app)


def test_redact_yes_scrubs_in_place_atomically_keeping_the_shapes(leaky_app: LayeredApp) -> None:
    paths = [leaky_app.root / SETTINGS_CASSETTE, leaky_app.root / LOG_CASSETTE]
    signatures = [load(path).signature() for path in paths]
    inodes = [path.stat().st_ino for path in paths]
    contracts = {p: p.read_bytes() for p in (leaky_app.cassettes / "contracts").iterdir()}

    done = seamrec(leaky_app.root, "redact", "--yes")
    audit = seamrec(leaky_app.root, "audit")
    again = seamrec(leaky_app.root, "redact", "--yes")
    check = leaky_app.check()

    assert 0 == done.returncode
    assert [f"redacted: {leak}" for leak in LEAKS] == done.stdout.splitlines()
    assert (0, "seamrec audit: nothing secret-like\n") == (audit.returncode, audit.stdout)
    assert (0, "seamrec redact: nothing to redact\n") == (again.returncode, again.stdout)
    assert signatures == [load(path).signature() for path in paths]  # shapes unchanged
    assert inodes != [path.stat().st_ino for path in paths]  # replaced by os.replace
    assert [] == list(leaky_app.cassettes.rglob(f"*{TEMP_SUFFIX}"))
    assert contracts == {p: p.read_bytes() for p in (leaky_app.cassettes / "contracts").iterdir()}
    check.assert_outcomes(passed=2)
    assert b"postgresql://app:<redacted>@db.internal:5432/app" in paths[0].read_bytes()


def test_redact_yes_rewrites_the_contracts_when_a_key_was_a_secret(
    leaky_app: LayeredApp,
) -> None:
    leaky_app.write(
        "app/settings.py", LEAKY_SETTINGS + f"\n\ndef owners():\n    return {{{GHP!r}: 'ada'}}\n"
    )
    leaky_app.write(
        "tests/test_owners.py",
        "from app import settings\n\n\ndef test_owners():\n    assert settings.owners()\n",
    )
    leaky_app.write("pyproject.toml", LEAKY_WEAK)
    leaky_app.record().assert_outcomes(passed=3)
    leaky_app.write("pyproject.toml", LEAKY_PYPROJECT)
    contract = leaky_app.cassettes / "contracts" / "app.settings.txt"
    assert GHP in contract.read_text()

    done = seamrec(leaky_app.root, "redact", "--yes")

    assert "contract updated: cassettes/contracts/app.settings.txt" in done.stdout.splitlines()
    assert "  return['<redacted>']: str" in contract.read_text().splitlines()
    assert [] == [
        p for p in leaky_app.cassettes.rglob("*") if p.is_file() and GHP.encode() in p.read_bytes()
    ]
    leaky_app.check().assert_outcomes(passed=3)
