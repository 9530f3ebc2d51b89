"""The command lines seamrec prints for the user to run."""

from __future__ import annotations

import shlex

_SPECIAL_IN_DOUBLE_QUOTES = frozenset('"$`\\!')


def rerecord_command(nodeid: str) -> str:
    """The exact shell command that re-records one test: the node id in double quotes
    (brackets of parametrized ids must not glob), or single-quoted by `shlex.quote` when
    it holds a character the shell would still read inside double quotes."""
    if _SPECIAL_IN_DOUBLE_QUOTES & set(nodeid):
        return f"pytest --record-seams {shlex.quote(nodeid)}"
    return f'pytest --record-seams "{nodeid}"'
