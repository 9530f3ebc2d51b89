"""`seamrec show`: a cassette or a seam's contract as stable text or JSON, and its errors.

The layered app is recorded once per session (`baseline` in conftest.py) by a real
`pytest --record-seams` run, with one extra test file, `tests/test_orders.py`; each test
gets its own copy of the project and those cassettes (`recorded_app`) and re-records after
changing the app, the way a developer would. Every command runs as `python -m seamrec` in
a subprocess.
"""

from __future__ import annotations

import json
import random
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import (
    PROFILE,
    UNKNOWN_USER,
    LayeredApp,
    assert_usage_error,
    clean_env,
    seamrec,
)

pytestmark = pytest.mark.usefixtures("isolated_git")  # no outer repository, no config


def test_show_prints_a_cassette_as_stable_text_with_test_seams_contract_lines_and_payloads(
    recorded_app: LayeredApp,
) -> None:
    """The text names the test, each seam once in order, its contract and the payloads,
    and is the same bytes every time (git's textconv needs that)."""
    first = seamrec(recorded_app.root, "show", PROFILE)
    second = seamrec(recorded_app.root, "show", PROFILE)

    assert (0, "") == (first.returncode, first.stderr)
    assert first.stdout == second.stdout
    lines = first.stdout.splitlines()
    assert [
        "seamrec cassette (format 1)",
        "test: tests/test_api.py::test_profile",
        "calls: 3 across 3 seams",
    ] == lines[:3]
    assert [
        "## app.api:get_profile  (1 call)",
        "## app.repo:get_user  (1 call)",
        "## app.service:profile  (1 call)",
    ] == [line for line in lines if line.startswith("## ")]
    assert {
        "called by: app.service",
        "  return['body']['id']: int",
        "  return['email']: str<email>",
        "  return['address']['zip']: str<int-text>",
        "call 1 from app.service: return",
        "  args: {'user_id': 1}",
        "  return: {'status': 200, 'body': {'id': 1, 'name': 'Ada'}}",
    } <= set(lines)
    assert "'email': 'ada@example.org'," in first.stdout


def test_show_format_json_has_the_seams_their_calls_and_contracts_but_no_values(
    recorded_app: LayeredApp,
) -> None:
    """`--format json` is one JSON document of shapes and counts, without payload values."""
    done = seamrec(recorded_app.root, "show", "--format", "json", UNKNOWN_USER)

    assert 0 == done.returncode
    document = json.loads(done.stdout)
    assert "tests/test_api.py::test_unknown_user" == document["test"]
    assert 3 == document["calls"]
    assert ["app.api:get_profile", "app.repo:get_user", "app.service:profile"] == list(
        document["seams"]
    )
    get_user = document["seams"]["app.repo:get_user"]
    assert {"calls": 1, "callers": ["app.service"]} == {
        k: get_user[k] for k in ("calls", "callers")
    }
    assert ["args.user_id: int", "raise: KeyError", "raise.args[0]: int"] == get_user["contract"]
    assert "99" not in done.stdout


def test_show_a_seam_id_prints_its_contract_merged_over_every_cassette(
    recorded_app: LayeredApp,
) -> None:
    """A seam id gives the contract block of that seam over all tests: the keys of the
    tests where it returned and the exception of the test where it raised."""
    text = seamrec(recorded_app.root, "show", "app.repo:get_user")
    as_json = seamrec(recorded_app.root, "show", "app.repo:get_user", "--format", "json")

    assert (0, "") == (text.returncode, text.stderr)
    assert [
        "## app.repo:get_user",
        "called by: app.service",
        "  args.user_id: int",
        "  return: dict",
        "  return['address']: dict",
        "  return['address']['city']: str",
        "  return['address']['zip']: str<int-text>",
        "  return['created_at']: int<epoch-us>",
        "  return['email']: str<email>",
        "  return['id']: int",
        "  return['name']: str",
        "  raise: KeyError",
        "  raise.args[0]: int",
        "tests:",
        "  tests/test_api.py::test_orders_by_route",
        "  tests/test_api.py::test_profile",
        "  tests/test_api.py::test_unknown_user",
        "  tests/test_orders.py::test_order_summary",
    ] == text.stdout.splitlines()
    assert {"seam": "app.repo:get_user", "contract": text.stdout.splitlines()} == json.loads(
        as_json.stdout
    )


def test_show_warns_about_an_unreadable_cassette_and_reads_the_others(
    recorded_app: LayeredApp,
) -> None:
    """A broken cassette next to good ones is a warning naming it, not an error."""
    (recorded_app.root / UNKNOWN_USER).write_bytes(b"")

    done = seamrec(recorded_app.root, "show", "app.repo:get_user")

    assert 0 == done.returncode
    [warning] = done.stderr.splitlines()
    assert warning.startswith("seamrec: warning: skipped ")
    assert warning.endswith("test_unknown_user.msgpack: is empty")
    assert "  raise: KeyError" not in done.stdout.splitlines()
    assert "  return['email']: str<email>" in done.stdout.splitlines()


@pytest.mark.parametrize(
    ("seam", "hint"),
    [
        ("app.repo:get_usr", "; did you mean app.repo:get_user?"),
        ("billing.invoices:total", "; `seamrec map` lists every seam"),
    ],
)
def test_show_an_unknown_seam_id_is_a_one_line_error_with_a_hint(
    recorded_app: LayeredApp, seam: str, hint: str
) -> None:
    """An id no cassette recorded is exit 2, one line, with the closest id when there is one."""
    done = seamrec(recorded_app.root, "show", seam)

    line = assert_usage_error(done, f"unknown seam id {seam!r}: no cassette recorded it")
    assert line.endswith(hint)


def test_show_of_neither_file_nor_seam_id_is_a_one_line_error(
    pytester: pytest.Pytester,
) -> None:
    """A word without a colon that names no file is neither target `show` takes."""
    done = seamrec(pytester.path, "show", "get_user")

    assert_usage_error(done, "get_user: no such cassette file, and not a seam id")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (random.Random(7).randbytes(64), "is not a seamrec cassette"),
        (b"just some text\n", "is not a seamrec cassette (no seamrec header)"),
        (None, "cannot be read (No such file or directory)"),
    ],
    ids=["empty", "random-bytes", "text", "missing"],
)
def test_show_of_a_file_that_is_no_cassette_is_a_one_line_error_naming_the_file(
    pytester: pytest.Pytester, content: bytes | None, problem: str
) -> None:
    """Whatever is wrong with the file, the error names it and says what is wrong."""
    if content is not None:
        (pytester.path / "odd.msgpack").write_bytes(content)

    done = seamrec(pytester.path, "show", "odd.msgpack")

    assert_usage_error(done, f"seamrec: error: odd.msgpack: {problem}")


def test_show_of_a_truncated_cassette_is_a_one_line_error(
    pytester: pytest.Pytester, baseline: Path
) -> None:
    """A real cassette cut short is reported as truncated, not as a crash."""
    data = (baseline / "tests/test_api/test_profile.msgpack").read_bytes()
    (pytester.path / "cut.msgpack").write_bytes(data[: len(data) // 2])

    done = seamrec(pytester.path, "show", "cut.msgpack")

    assert_usage_error(done, "cut.msgpack: is truncated or corrupt")


def test_show_into_a_reader_that_stops_early_is_no_error(recorded_app: LayeredApp) -> None:
    """`seamrec show CASSETTE | head` ends quietly when the reader stops: here the reader
    (`true`) is gone before seamrec writes a byte."""
    command = f"{shlex.quote(sys.executable)} -m seamrec show {PROFILE} | true"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=recorded_app.root,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )

    assert (0, "") == (done.returncode, done.stderr)


def test_show_of_a_directory_is_a_one_line_error(recorded_app: LayeredApp) -> None:
    """`seamrec show cassettes` names the directory and what to give instead."""
    done = seamrec(recorded_app.root, "show", "cassettes")

    assert_usage_error(done, "cassettes is a directory: give one cassette file, or a seam id")
