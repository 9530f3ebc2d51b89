"""The re-record command seamrec prints: pasted into a shell, it names the test exactly."""

from __future__ import annotations

import shlex

import pytest

from seamrec.commands import rerecord_command


def test_a_plain_node_id_is_in_double_quotes() -> None:
    assert 'pytest --record-seams "tests/test_api.py::test_profile"' == rerecord_command(
        "tests/test_api.py::test_profile"
    )


def test_a_parametrized_node_id_stays_in_double_quotes_so_its_brackets_do_not_glob() -> None:
    assert 'pytest --record-seams "tests/test_api.py::test_status[1-a b]"' == rerecord_command(
        "tests/test_api.py::test_status[1-a b]"
    )


@pytest.mark.parametrize(
    "nodeid",
    [
        "tests/test_api.py::test_status[1-a b]",
        'tests/test_api.py::test_quote["x"]',
        "tests/test_api.py::test_price[$5]",
        "tests/test_api.py::test_tick[`date`]",
        "tests/test_api.py::test_bang[wow!]",
        "tests/test_api.py::test_escape[a\\\\b]",
        "tests/test_api.py::test_single['x']",
    ],
)
def test_the_shell_reads_back_the_node_id(nodeid: str) -> None:
    words = shlex.split(rerecord_command(nodeid))

    assert ["pytest", "--record-seams", nodeid] == words


@pytest.mark.parametrize("special", ['"', "$", "`", "\\", "!"])
def test_a_character_the_shell_reads_inside_double_quotes_gets_single_quotes(
    special: str,
) -> None:
    command = rerecord_command(f"tests/test_api.py::test_x[{special}]")

    assert command.startswith("pytest --record-seams '")
