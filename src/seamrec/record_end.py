"""What a recording run does once every test has run: contract files and stale cassettes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from seamrec.contract import ContractUpdate, read_cassettes, write_contracts
from seamrec.exceptions import CassetteError
from seamrec.stale import stale_in_run

# Options that run part of the suite: with any of them, a missing test is not evidence.
_FILTERS = (
    "keyword",
    "markexpr",
    "lf",
    "deselect",
    "stepwise",
    "stepwise_skip",
    "ignore",
    "ignore_glob",
    "collectonly",
)


@dataclass
class RecordEnd:
    """What `after_recording` did, for the terminal summary."""

    rootdir: Path
    contracts: ContractUpdate = field(default_factory=ContractUpdate)
    stale: list[tuple[Path, str]] = field(default_factory=list)
    full_run: bool = False
    unreadable: list[CassetteError] = field(default_factory=list)


def run_scopes(session: pytest.Session, deselected: bool) -> list[str] | None:
    """The rootdir-relative paths a record run covered completely, or None when the run
    was filtered (-k, -m, --lf, --deselect, --sw, node ids, deselection, -x stop)."""
    config = session.config
    if deselected or session.shouldstop or session.shouldfail:
        return None
    if any(config.getoption(name, None) for name in _FILTERS):
        return None
    scopes = []
    for arg in config.args:
        if "::" in arg:
            return None
        path = (config.invocation_params.dir / arg).resolve()
        try:
            scopes.append(path.relative_to(config.rootpath).as_posix())
        except ValueError:
            return None  # tests outside the rootdir: cassette ids could not match
    return scopes


def after_recording(
    rootdir: Path, cassette_dir: Path, collected: set[str], scopes: list[str] | None
) -> RecordEnd:
    """Rewrite the contract files from every cassette; find stale ones if the run was full."""
    cassettes, errors = read_cassettes(cassette_dir)
    end = RecordEnd(rootdir, unreadable=errors, full_run=scopes is not None)
    end.contracts = write_contracts(cassette_dir, [c for _, c in cassettes])
    if scopes is not None:
        end.stale = stale_in_run(rootdir, cassettes, collected, scopes)
    return end
