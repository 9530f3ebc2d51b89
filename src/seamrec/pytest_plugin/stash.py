"""What the plugin keeps in `config.stash`: the run's settings, read once, and the role
this process plays. Light to import: the hooks module loads it in every pytest run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from seamrec.config import Settings
    from seamrec.pytest_plugin.roles import Role

ROLE_KEY: pytest.StashKey[Role] = pytest.StashKey()
SETTINGS_KEY: pytest.StashKey[Settings] = pytest.StashKey()


def run_settings(config: pytest.Config) -> Settings:
    """The `[tool.seamrec]` settings of the pyproject.toml at pytest's rootdir, read once
    per run; a `ConfigError` when they are wrong."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        from seamrec.config import load_settings  # only in runs that use seamrec

        settings = load_settings(config.rootpath)
        config.stash[SETTINGS_KEY] = settings
    return settings
