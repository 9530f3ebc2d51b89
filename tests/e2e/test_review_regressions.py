"""Regressions found by an independent review, each pinned by a test."""

from __future__ import annotations

import collections
import datetime as dt
import importlib
import os
import stat
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest

from helpers import LayeredApp, crossings, seamrec_summary
from seamrec.cassette.store import Call, Cassette, Run, dump, loads
from seamrec.config import Limits, settings_from_table
from seamrec.exceptions import CassetteFormatError
from seamrec.model.codec import make_encoder
from seamrec.model.shape import args_shape, compatible, make_shape_function
from seamrec.runtime.session import Mode, SeamSession

shape_of = make_shape_function()
PROFILE = "tests/test_api/test_profile.msgpack"
PACKAGE = "reviewpkg"


def warnings_in(result: pytest.RunResult) -> list[str]:
    """The `warning:` lines of the seamrec summary."""
    return [line for line in seamrec_summary(result) if line.startswith("warning:")]


# ------------------------------------- 1. seamrec's own reads of row-like app objects

ROWS = '''\
"""A hand-written row type: column names through keys(), values through item access."""


class Row:
    def __init__(self, **columns):
        self._columns = columns

    def keys(self):
        return list(self._columns)

    def __getitem__(self, key):
        return self._columns[key]


def find_user(user_id):
    return Row(id=user_id, name="Ada")
'''


def test_seamrecs_own_reads_of_a_row_like_app_object_are_never_recorded(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("app/rows.py", ROWS)
    layered_app.write(
        "tests/test_rows.py",
        """
        from app.rows import find_user

        def test_find_user():
            assert "Ada" == find_user(1)["name"]
        """,
    )

    record = layered_app.record("tests/test_rows.py")
    check = layered_app.check("tests/test_rows.py")

    record.assert_outcomes(passed=1)
    cassette = layered_app.cassettes / "tests" / "test_rows" / "test_find_user.msgpack"
    calls = crossings(cassette)
    assert [] == [call for call in calls if call[1].startswith("seamrec.")]
    assert [("app.rows:find_user", "test_rows", "return")] == calls
    check.assert_outcomes(passed=1)
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(check)[1]


# --------------------------------- 2. async seams cancelled or closed before they start

SERVICE = """\
import asyncio


class Service:
    async def fetch(self, key):
        await asyncio.sleep(0)
        return {"key": key}


svc = Service()
"""

ASYNC_TESTS = """\
import asyncio
import gc

import pytest

from app.svc import svc


def test_a_task_cancelled_before_it_starts():
    async def main():
        t = asyncio.ensure_future(svc.fetch(1))
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t

    asyncio.run(main())
    gc.collect()


def test_a_coroutine_closed_before_it_starts():
    c = svc.fetch(2)
    c.close()
    gc.collect()
    assert "Service.fetch" == c.__qualname__


def test_an_awaited_call():
    assert {"key": 3} == asyncio.run(svc.fetch(3))
"""


def test_async_seams_cancelled_or_closed_before_they_start_leave_no_never_awaited_warning(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "pyproject.toml",
        'testpaths = ["tests"]',
        'testpaths = ["tests"]\nfilterwarnings = ["error"]',
    )
    layered_app.write("app/svc.py", SERVICE)
    layered_app.write("tests/test_async.py", ASYNC_TESTS)

    record = layered_app.record("tests/test_async.py")
    check = layered_app.check("tests/test_async.py")

    for result in (record, check):
        result.assert_outcomes(passed=3)
        for output in (result.stdout, result.stderr):
            output.no_fnmatch_line("*never awaited*")
        assert [] == [line for line in seamrec_summary(result) if "internal error" in line]
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(check)[1]


# -------------------------------- 3. str-keyed dicts with data as keys, and Counters


def random_uuid_keys() -> dict[str, dict[str, int]]:
    return {str(uuid.uuid4()): {"count": n} for n in range(3)}


def random_iso_date_keys() -> dict[str, int]:
    start = dt.date(2026, 1, 1) + dt.timedelta(days=int(uuid.uuid4().int % 300))
    return {(start + dt.timedelta(days=n)).isoformat(): n for n in range(3)}


def random_counter() -> collections.Counter[str]:
    # Identifier keys: only being a Counter makes this a map.
    return collections.Counter({f"user_{uuid.uuid4().hex[:8]}": n + 1 for n in range(3)})


@pytest.mark.parametrize(
    ("make", "type_name", "keys"),
    [
        (random_uuid_keys, "dict", ("str", "uuid")),  # the keys' format class is kept
        (random_iso_date_keys, "dict", ("str", "iso-date")),
        (random_counter, "collections.Counter", ("str",)),
    ],
    ids=["uuid-keys", "iso-date-keys", "counter"],
)
def test_dicts_keyed_by_data_and_counters_are_maps_whose_keys_do_not_count(
    make: Callable[[], dict[str, Any]], type_name: str, keys: tuple[str, ...]
) -> None:
    recorded, live = shape_of(make()), shape_of(make())

    assert ("map", type_name, (keys,)) == recorded[:3]
    assert compatible(recorded, live)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({str(uuid.uuid4()): {"count": 1}}, {str(uuid.uuid4()): {"count": "1"}}),
        ({"2026-11-25": 1}, {"2026-11-26": 1.5}),
        (collections.Counter({"ada": 1}), collections.Counter({"grace": 0.5})),
    ],
    ids=["uuid-keys", "iso-date-keys", "counter"],
)
def test_a_changed_value_type_inside_a_map_is_drift(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    recorded, live = shape_of(before), shape_of(after)

    assert "map" == recorded[0] == live[0]
    assert not compatible(recorded, live)


def test_a_str_keyed_dict_with_identifier_keys_is_still_a_record() -> None:
    shape = shape_of({"id": 1, "name": "Ada"})

    assert ("dict", "dict", ("id", "name")) == shape[:3]
    assert not compatible(shape, shape_of({"id": 1, "full_name": "Ada"}))


STATS = """\
import collections
import uuid


def sessions_by_id():
    return {str(uuid.uuid4()): {"count": n} for n in range(3)}


def logins_by_user():
    return collections.Counter({f"user_{uuid.uuid4().hex[:8]}": 2})
"""


def test_maps_with_random_keys_rerecord_unchanged_and_check_green(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("app/stats.py", STATS)
    layered_app.write(
        "tests/test_stats.py",
        """
        from app.stats import logins_by_user, sessions_by_id

        def test_stats():
            assert 3 == len(sessions_by_id())
            assert [2] == list(logins_by_user().values())
        """,
    )
    layered_app.record("tests/test_stats.py").assert_outcomes(passed=1)
    first = layered_app.recorded()

    again = layered_app.record("tests/test_stats.py")
    check = layered_app.check("tests/test_stats.py")

    rerecorded = seamrec_summary(again)[1]
    assert "cassettes: 0 written, 1 unchanged, 0 kept because the test failed" == rerecorded
    assert first == layered_app.recorded()
    check.assert_outcomes(passed=1)
    assert "0 tests drifted, 0 unrecorded, 0 with unusable cassettes" == seamrec_summary(check)[1]


# ----------------------------------------------- 4. precise reports of unredirected aliases


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Write `reviewpkg/mod.py`; forget the package from sys.modules afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")

    def write(source: str) -> None:
        (root / "mod.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()

    yield write
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[SeamSession]:
    """A recording session over the throwaway package, unwrapped after the test."""
    seams = SeamSession(
        settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path), Mode.RECORD
    )
    yield seams
    seams.stop()


OTHER_SEAMS = """
    def one():
        return 1

    def two():
        return 2

    def handler():
        return 3
"""


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ("@functools.lru_cache\ndef cached(x):\n    return x\n", {}),
        ("KEYED = {handler: 'h'}\n", {"reviewpkg.mod:handler": {"a dict key"}}),
        ("FROZEN = (handler,)\n", {}),  # a module-level tuple is redirected to the wrapper
        (
            "BOUND = functools.partial(handler)\n",
            {"reviewpkg.mod:handler": {"a functools.partial"}},
        ),
        (
            "@functools.lru_cache\ndef cached(x):\n    return x\n"
            "KEYED = {handler: 'h'}\nFROZEN = (handler, 1)\nBOUND = functools.partial(one)\n",
            {
                "reviewpkg.mod:handler": {"a dict key"},
                "reviewpkg.mod:one": {"a functools.partial"},
            },
        ),
    ],
    ids=["lru_cache", "dict-key", "tuple", "partial", "all-together"],
)
def test_only_the_aliases_that_really_hold_a_seam_are_reported_against_it(
    package: Callable[[str], None],
    session: SeamSession,
    aliases: str,
    expected: dict[str, set[str]],
) -> None:
    package("import functools\n" + textwrap.dedent(OTHER_SEAMS) + aliases)
    session.start()
    importlib.import_module(f"{PACKAGE}.mod")

    assert {f"{PACKAGE}.mod:{name}" for name in ("one", "two", "handler")} <= set(
        session.instrumenter.report.seams
    )
    assert expected == session.instrumenter.report.unredirected


# ------------------------------------------ 5. modules imported behind another import hook

FOREIGN_HOOK = """\
import importlib.abc
import importlib.machinery
import sys


class AppFinder(importlib.abc.MetaPathFinder):
    \"\"\"Finds the app's modules itself, ahead of every other finder.\"\"\"

    def find_spec(self, name, path, target=None):
        if name.startswith("app."):
            return importlib.machinery.PathFinder.find_spec(name, path)
        return None


sys.meta_path.insert(0, AppFinder())
"""


def test_modules_imported_behind_another_import_hook_are_instrumented_after_collection(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("conftest.py", FOREIGN_HOOK)

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert [
        ("app.api:get_profile", "test_api", "return"),
        ("app.service:profile", "app.api", "return"),
        ("app.repo:get_user", "app.service", "return"),
    ] == crossings(layered_app.cassettes / PROFILE)
    assert [
        "seamrec (record): 9 seams wrapped, 10 calls recorded",
        "cassettes: 3 written, 0 unchanged, 0 kept because the test failed",
        "contracts: 3 written, 0 unchanged, 0 removed",
    ] == seamrec_summary(result)


# ------------------------------------------------ 6. configuration that wrapped nothing


def test_a_boundary_that_wraps_nothing_and_an_exclude_that_matches_nothing_are_warned_about(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("constants.py", "LIMIT = 3\n\n\ndef _private():\n    return LIMIT\n")
    layered_app.edit(
        "pyproject.toml",
        'boundaries = ["app"]',
        'boundaries = ["app", "constants"]\nexclude = ["app.repo:no_such_*"]',
    )

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert [
        "warning: [tool.seamrec] exclude pattern 'app.repo:no_such_*' matched nothing",
        "warning: [tool.seamrec] boundary 'constants' wrapped no public callable",
    ] == warnings_in(result)


def test_an_exclude_pattern_that_excludes_a_seam_is_not_warned_about(
    layered_app: LayeredApp,
) -> None:
    layered_app.edit(
        "pyproject.toml", 'boundaries = ["app"]', 'boundaries = ["app"]\nexclude = ["app.repo:*"]'
    )

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert "seamrec (record): 5 seams wrapped, 6 calls recorded" == seamrec_summary(result)[0]
    assert [] == warnings_in(result)


def test_no_boundaries_at_all_warns_that_no_seams_were_wrapped(layered_app: LayeredApp) -> None:
    layered_app.edit("pyproject.toml", 'boundaries = ["app"]', "boundaries = []")

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    assert [
        "warning: no seams were wrapped; check boundaries and seams in [tool.seamrec]"
    ] == warnings_in(result)
    assert not layered_app.cassettes.exists()


# -------------------------------------- 7. record removes the cassette of a seamless test


@pytest.mark.usefixtures("layered_cassettes")
def test_a_test_that_stops_crossing_seams_loses_its_cassette_and_is_listed(
    layered_app: LayeredApp,
) -> None:
    before = layered_app.recorded()
    layered_app.edit(
        "tests/test_api.py",
        'assert get_profile(99) == {"status": 404, "body": None}',
        "assert 404 == 400 + 4",
    )

    result = layered_app.record()

    result.assert_outcomes(passed=3)
    del before["tests/test_api/test_unknown_user.msgpack"]
    assert before == layered_app.recorded()
    assert [
        "seamrec (record): 9 seams wrapped, 7 calls recorded",
        "cassettes: 0 written, 2 unchanged, 0 kept because the test failed, 1 removed "
        "(the test crosses no seam any more)",
        "  removed: tests/test_api.py::test_unknown_user",
        "contracts: 3 written, 0 unchanged, 0 removed",  # its calls left the contracts
    ] == seamrec_summary(result)


# ------------------------------------------------- 8. skips and xfails are not "kept"


def test_skipped_and_xfailed_tests_are_not_reported_as_kept_because_the_test_failed(
    layered_app: LayeredApp,
) -> None:
    layered_app.write(
        "tests/test_skips.py",
        """
        import pytest
        from app.api import get_profile

        def test_skipped_after_crossing_a_seam():
            get_profile(1)
            pytest.skip("not today")

        @pytest.mark.xfail(reason="known bug", strict=True)
        def test_xfailed_after_crossing_a_seam():
            assert get_profile(1)["status"] == 500
        """,
    )

    result = layered_app.record("tests/test_skips.py")

    result.assert_outcomes(skipped=1, xfailed=1)
    summary = seamrec_summary(result)
    assert [
        "cassettes: 0 written, 0 unchanged, 0 kept because the test failed",
        "contracts: 0 written, 0 unchanged, 0 removed",
    ] == summary[1:]
    assert not layered_app.cassettes.exists()


# ----------------------------------------- 9. a generator that now raises before it yields

FEED = """\
def rows():
    for i in range(2):
        yield {"i": i}
"""


def test_a_generator_seam_that_now_raises_before_its_first_yield_is_an_outcome_change(
    layered_app: LayeredApp,
) -> None:
    layered_app.write("app/feed.py", FEED)
    layered_app.write(
        "tests/test_feed.py",
        """
        from app.feed import rows

        def test_rows():
            try:
                items = list(rows())
            except LookupError:
                items = []
            assert len(items) in (0, 2)
        """,
    )
    layered_app.record("tests/test_feed.py").assert_outcomes(passed=1)
    layered_app.edit(
        "app/feed.py", "    for i in", '    raise LookupError("the feed is gone")\n    for i in'
    )

    result = layered_app.check("tests/test_feed.py")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "seam drift in tests/test_feed.py::test_rows",
            "  app.feed:rows  outcome  (call 1 of 1)",
            "    outcome changed  yield → raise   LookupError('the feed is gone')",
        ],
        consecutive=True,
    )


# ------------------------------------------------------- 10. cassette file permissions


@pytest.mark.subprocess_runs  # seamrec reads the umask once, when it is imported
def test_cassettes_are_created_with_the_umask_applied_to_0666(layered_app: LayeredApp) -> None:
    umask = 0o027  # not the usual 022: 0o644 must not simply be hard-coded either
    old = os.umask(umask)
    try:
        result = layered_app.record()
    finally:
        os.umask(old)

    result.assert_outcomes(passed=3)
    modes = {
        name: oct(stat.S_IMODE((layered_app.cassettes / name).stat().st_mode))
        for name in layered_app.recorded()
    }
    assert 3 == len(modes)
    assert {name: oct(0o666 & ~umask) for name in modes} == modes


# ------------------------------------------------ 11. a shapes table with a string entry

CASSETTE_PATH = Path("cassettes/tests/test_users/test_get.msgpack")


def cassette_bytes(edit: Callable[[list[Any]], None]) -> bytes:
    """A valid one-call cassette, with `edit` applied to its shapes table."""
    encode = make_encoder(Limits())
    call = Call(
        seam="shop.repository:UserRepo.get_user",
        caller="tests.test_users",
        index=0,
        args_shape=args_shape(("user_id",), [shape_of(1)]),
        outcome="return",
        result_shape=shape_of({"id": 1}),
        args=encode({"user_id": 1}),
        result=encode({"id": 1}),
    )
    run = Run(call.args_shape, call.outcome, call.result_shape, 1)
    cassette = Cassette("tests/test_users.py::test_get", [call], {call.seam: [run]})
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(dump(cassette))
    header = unpacker.unpack()
    body: dict[str, Any] = unpacker.unpack()
    edit(body["shapes"])
    return bytes(msgpack.packb(header) + msgpack.packb(body))


def test_the_untouched_cassette_of_those_tests_loads() -> None:
    cassette = loads(cassette_bytes(lambda shapes: None), path=CASSETTE_PATH)

    assert "tests/test_users.py::test_get" == cassette.test


@pytest.mark.parametrize(
    "edit",
    [lambda shapes: shapes.append("dict"), lambda shapes: shapes.__setitem__(0, "int")],
    ids=["appended", "replacing-a-used-one"],
)
def test_a_shapes_table_with_a_string_entry_has_an_invalid_structure(
    edit: Callable[[list[Any]], None],
) -> None:
    with pytest.raises(CassetteFormatError) as info:
        loads(cassette_bytes(edit), path=CASSETTE_PATH)

    assert CASSETTE_PATH == info.value.path
    assert f"{CASSETTE_PATH}: has an invalid structure" in str(info.value)
