"""seamrec.assert_matches and the `seams` fixture: hand-written fakes checked against what
the real seams were recorded with.

The cassettes are recorded for real, in-process, the way
tests/unit/runtime/test_instrument.py drives a session: a throwaway package is wrapped
by a recording `SeamSession`, a "test" calls it from this module (so the calls cross a
seam), and the session writes one cassette per test under the cassette directory (once
for the module; each test that only reads them gets a copy). The `seams` fixture is
exercised in a pytester subprocess.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import seamrec
from helpers import isolate_inner_run
from seamrec.config import Settings, settings_from_table
from seamrec.pytest_plugin.matching import SeamMismatch, SeamsFixture, assert_matches
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "matchpkg"
GET_USER = f"{PACKAGE}.users:get_user"
SAVE = f"{PACKAGE}.users:save"
NAMES = f"{PACKAGE}.users:names"

USERS = """\
    class Conflict(Exception):
        def __init__(self, email):
            super().__init__(email)
            self.email = email


    def get_user(user_id, detailed=False):
        if user_id == 99:
            raise KeyError(user_id)
        user = {
            "id": user_id,
            "name": "Ada",
            "email": "ada@example.org",
            "created_at": 1700000000,
            "address": {"zip": "10115", "city": "Berlin"},
        }
        if detailed:
            user["roles"] = ("admin",)
        return user


    def save(user, when=None):
        if user.get("email") == "taken@example.org":
            raise Conflict(user["email"])
        return user["id"]


    def names(count):
        for index in range(count):
            yield f"user{index}"
"""

# The recorded shape of get_user's return value, as a fake that matches it.
FAITHFUL = {
    "id": 7,
    "name": "Grace",
    "email": "grace@example.org",
    "created_at": 1800000000,
    "address": {"zip": "75001", "city": "Paris"},
}


@dataclass
class Recorder:
    """Records "tests" that call the throwaway package, one cassette each."""

    settings: Settings
    session: SeamSession

    def record(self, nodeid: str, action: Callable[[Any], object]) -> None:
        """Run `action(users_module)` as the passing test `nodeid`, writing its cassette."""
        users = importlib.import_module(f"{PACKAGE}.users")
        self.session.begin_test(nodeid)
        action(users)
        self.session.end_test_calls()
        self.session.finish_test("passed")

    def plain(self) -> None:
        """The plain user, a missing user (KeyError) and a save, in tests/test_a.py."""

        def calls(users: Any) -> None:
            users.get_user(1)
            with pytest.raises(KeyError):
                users.get_user(99)
            users.save(users.get_user(2), when=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
            with pytest.raises(users.Conflict):
                users.save({"id": 3, "email": "taken@example.org"})

        self.record("tests/test_a.py::test_plain", calls)

    def detailed(self) -> None:
        """The detailed user, whose return value has a `roles` key, in tests/test_b.py."""
        self.record("tests/test_b.py::test_detailed", lambda users: users.get_user(1, True))

    def names(self) -> None:
        self.record("tests/test_c.py::test_names", lambda users: list(users.names(2)))


def write_package(root: Path) -> None:
    package = root / PACKAGE
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "users.py").write_text(textwrap.dedent(USERS))
    importlib.invalidate_caches()


def forget_package() -> None:
    """Unload the throwaway package (the next test writes and imports its own)."""
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@contextlib.contextmanager
def recording_session(root: Path) -> Iterator[Recorder]:
    """A recording session over the throwaway package, with its cassettes below `root`."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.syspath_prepend(str(root))
        write_package(root)
        settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=root)
        session = SeamSession(settings, Mode.RECORD)
        session.start()
        try:
            yield Recorder(settings, session)
        finally:
            session.stop()
            forget_package()


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    """A recording session over the throwaway package, with its cassettes in tmp_path."""
    with recording_session(tmp_path) as recorder:
        yield recorder


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cassette dir of tests/test_a.py::test_plain, tests/test_b.py::test_detailed and
    tests/test_c.py::test_names, recorded once for the module."""
    with recording_session(tmp_path_factory.mktemp("matching")) as recorder:
        recorder.plain()
        recorder.detailed()
        recorder.names()
    assert 3 == len(list(recorder.settings.cassette_dir.rglob("*.msgpack")))
    return recorder.settings.cassette_dir


@pytest.fixture
def recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> Iterator[Settings]:
    """The cassettes of `recording`, copied into tmp_path (a test may add files), next to
    the throwaway package (importable, not wrapped)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    write_package(tmp_path)
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    shutil.copytree(recording, settings.cassette_dir)
    yield settings
    forget_package()


def mismatch(value: object, seam: str, part: str, settings: Settings) -> list[str]:
    """The lines of the SeamMismatch that `assert_matches` raises."""
    with pytest.raises(SeamMismatch) as error:
        assert_matches(value, seam, part, settings=settings)
    return str(error.value).splitlines()


# ------------------------------------------------------------------------ matches


def test_a_fake_with_the_recorded_shape_matches(recorded: Settings) -> None:
    assert_matches(FAITHFUL, GET_USER, settings=recorded)
    assert_matches(FAITHFUL, GET_USER, part="return", settings=recorded)
    assert_matches(FAITHFUL | {"roles": ("viewer",)}, GET_USER, settings=recorded)
    assert_matches(3, SAVE, part="return", settings=recorded)


def test_values_of_the_same_shape_match_whatever_they_are(recorded: Settings) -> None:
    reordered = dict(reversed(list(FAITHFUL.items())))

    assert_matches(reordered, GET_USER, settings=recorded)
    assert_matches(FAITHFUL | {"created_at": 0, "name": ""}, GET_USER, settings=recorded)


def test_every_recorded_shape_of_the_seam_is_considered(recorder: Recorder) -> None:
    detailed = FAITHFUL | {"roles": ("admin",)}
    recorder.plain()

    # Only the plain shape is recorded: the extra key is a drift...
    lines = mismatch(detailed, GET_USER, "return", recorder.settings)
    assert "    key added     return['roles']   (tuple)" in lines

    # ...until another test records the detailed shape too, in its own cassette.
    recorder.detailed()
    assert_matches(detailed, GET_USER, settings=recorder.settings)
    assert_matches(FAITHFUL, GET_USER, settings=recorder.settings)


def test_without_settings_the_nearest_pyproject_above_the_working_directory_is_used(
    recorded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = recorded.rootdir
    (root / "pyproject.toml").write_text(f'[tool.seamrec]\nboundaries = ["{PACKAGE}"]\n')
    (root / "deeper").mkdir()
    monkeypatch.chdir(root / "deeper")

    seamrec.assert_matches(FAITHFUL, GET_USER)
    with pytest.raises(seamrec.SeamMismatch, match=r"key renamed\?"):
        seamrec.assert_matches(renamed(FAITHFUL, "email", "email_address"), GET_USER)


# ------------------------------------------------------------------------- drifts


def renamed(value: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {new if key == old else key: item for key, item in value.items()}


def test_a_renamed_key_fails_with_the_drift_line(recorded: Settings) -> None:
    stale = renamed(FAITHFUL, "email", "email_address")

    assert [
        f"the value does not match what {GET_USER} was recorded with (return)",
        "    key renamed?  return['email'] → return['email_address']   (str)",
        "  recorded by tests/test_a.py::test_plain",
    ] == mismatch(stale, GET_USER, "return", recorded)


def test_a_changed_type_fails_with_the_drift_line(recorded: Settings) -> None:
    iso = FAITHFUL | {"created_at": "2026-11-25T12:08:01+00:00"}

    lines = mismatch(iso, GET_USER, "return", recorded)

    assert f"the value does not match what {GET_USER} was recorded with (return)" == lines[0]
    assert re.fullmatch(r"    type changed  return\['created_at'\]  int → str\b.*", lines[1])
    assert "  recorded by tests/test_a.py::test_plain" == lines[-1]


def test_a_removed_nested_key_fails_with_the_drift_line(recorded: Settings) -> None:
    no_zip = FAITHFUL | {"address": {"city": "Paris"}}

    lines = mismatch(no_zip, GET_USER, "return", recorded)

    assert "    key removed   return['address']['zip']   (was str)" == lines[1]


def test_a_removed_key_fails_with_the_drift_line(recorded: Settings) -> None:
    no_email = {key: item for key, item in FAITHFUL.items() if key != "email"}

    lines = mismatch(no_email, GET_USER, "return", recorded)

    assert "    key removed   return['email']   (was str)" == lines[1]


def test_seam_mismatch_is_an_assertion_error(recorded: Settings) -> None:
    with pytest.raises(AssertionError):
        assert_matches([FAITHFUL], GET_USER, settings=recorded)


# ------------------------------------------------------------------ args and raise


def test_an_argument_is_checked_against_its_recorded_shapes(recorded: Settings) -> None:
    assert_matches(5, GET_USER, part="args.user_id", settings=recorded)
    assert_matches(True, GET_USER, part="args.detailed", settings=recorded)
    assert_matches(FAITHFUL, SAVE, part="args.user", settings=recorded)
    assert_matches(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), SAVE, "args.when", settings=recorded)

    lines = mismatch("5", GET_USER, "args.user_id", recorded)

    assert (
        f"the value does not match what {GET_USER} was recorded with (args.user_id)" == (lines[0])
    )
    assert re.fullmatch(r"    type changed  args\.user_id  int → str\b.*", lines[1]), lines


def test_a_nested_argument_drift_names_its_path(recorded: Settings) -> None:
    stale = renamed(FAITHFUL, "email", "mail")

    lines = mismatch(stale, SAVE, "args.user", recorded)

    assert "    key renamed?  args.user['email'] → args.user['mail']   (str)" in lines, lines


def test_a_naive_datetime_argument_does_not_match_a_recorded_aware_one(
    recorded: Settings,
) -> None:
    lines = mismatch(dt.datetime(2030, 1, 1), SAVE, "args.when", recorded)

    assert 2 <= len(lines)
    assert lines[1].startswith("    type changed  args.when  ")


def test_an_exception_is_checked_against_the_recorded_raise(recorded: Settings) -> None:
    users = importlib.import_module(f"{PACKAGE}.users")
    assert_matches(KeyError(5), GET_USER, part="raise", settings=recorded)
    assert_matches(users.Conflict("x@example.org"), SAVE, part="raise", settings=recorded)

    lines = mismatch(LookupError(5), GET_USER, "raise", recorded)

    assert f"the value does not match what {GET_USER} was recorded with (raise)" == lines[0]
    assert lines[1].startswith("    type changed  raise  KeyError → LookupError"), lines
    assert "  recorded by tests/test_a.py::test_plain" == lines[-1]


# ------------------------------------------------------------- nothing to compare


def test_a_seam_never_recorded_says_so(recorded: Settings) -> None:
    with pytest.raises(SeamMismatch) as error:
        assert_matches(FAITHFUL, f"{PACKAGE}.users:get_users", settings=recorded)

    assert str(error.value).startswith(
        f"no recording of {PACKAGE}.users:get_users (return) under {recorded.cassette_dir}"
    )
    assert "pytest --record-seams" in str(error.value)


@pytest.mark.parametrize(
    ("seam", "part"),
    [(NAMES, "raise"), (NAMES, "return"), (GET_USER, "args.nickname"), (GET_USER, "yield")],
)
def test_a_part_never_recorded_says_so(recorded: Settings, seam: str, part: str) -> None:
    with pytest.raises(SeamMismatch, match=rf"^no recording of {seam} \({part}\)"):
        assert_matches(FAITHFUL, seam, part=part, settings=recorded)


def test_no_cassette_directory_at_all_says_no_recording(tmp_path: Path) -> None:
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path / "empty")

    with pytest.raises(SeamMismatch, match=r"^no recording of "):
        assert_matches(FAITHFUL, GET_USER, settings=settings)


@pytest.mark.parametrize("part", ["result", "args", "args_user", "", "Return"])
def test_an_unknown_part_is_a_value_error(recorded: Settings, part: str) -> None:
    with pytest.raises(ValueError, match=r"part must be") as error:
        assert_matches(FAITHFUL, GET_USER, part=part, settings=recorded)

    assert not isinstance(error.value, AssertionError)


def test_a_new_cassette_is_seen_by_the_next_check(recorder: Recorder) -> None:
    with pytest.raises(SeamMismatch, match=r"^no recording of "):
        assert_matches(FAITHFUL, GET_USER, settings=recorder.settings)

    recorder.plain()

    assert_matches(FAITHFUL, GET_USER, settings=recorder.settings)


def test_an_unreadable_cassette_is_skipped(recorded: Settings) -> None:
    broken = recorded.cassette_dir / "tests" / "test_z" / "test_broken.msgpack"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not a cassette")

    assert_matches(FAITHFUL, GET_USER, settings=recorded)


def test_a_fake_of_a_generator_seam_is_checked_by_its_items(recorded: Settings) -> None:
    # `part="yield"` is documented; the natural fake of a generator is its items.
    assert_matches(3, NAMES, part="args.count", settings=recorded)
    with pytest.raises(SeamMismatch):
        assert_matches([7], NAMES, part="yield", settings=recorded)
    assert_matches(["user7", "user8"], NAMES, part="yield", settings=recorded)


# ------------------------------------------------------------------ seams fixture

INNER_TEST = """\
import pytest

import seamrec

FAITHFUL = {FAITHFUL!r}
STALE = {STALE!r}


def test_faithful_fake(seams):
    assert isinstance(seams, seamrec.pytest_plugin.matching.SeamsFixture)
    seams.assert_matches(FAITHFUL, "{GET_USER}")
    seams.assert_matches(4, "{GET_USER}", part="args.user_id")
    seams.assert_matches(KeyError(4), "{GET_USER}", part="raise")
    with pytest.raises(seamrec.SeamMismatch, match="no recording"):
        seams.assert_matches(FAITHFUL, "{PACKAGE}.users:nothing")


def test_stale_fake(seams):
    seams.assert_matches(STALE, "{GET_USER}", part="return")
"""


def test_the_seams_fixture_checks_fakes_with_the_runs_configuration(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_inner_run(monkeypatch)
    root = pytester.path
    monkeypatch.syspath_prepend(str(root))
    write_package(root)
    (root / "pyproject.toml").write_text(
        f'[tool.seamrec]\nboundaries = ["{PACKAGE}"]\ncassette_dir = "recorded/seams"\n'
    )
    settings = settings_from_table(
        {"boundaries": [PACKAGE], "cassette_dir": "recorded/seams"}, rootdir=root
    )
    session = SeamSession(settings, Mode.RECORD)
    session.start()
    try:
        Recorder(settings, session).plain()
    finally:
        session.stop()
        forget_package()
    (root / "tests").mkdir()
    (root / "tests" / "test_fakes.py").write_text(
        INNER_TEST.format(
            FAITHFUL=FAITHFUL,
            STALE=renamed(FAITHFUL, "email", "email_address"),
            GET_USER=GET_USER,
            PACKAGE=PACKAGE,
        )
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *SeamMismatch: the value does not match what "
            f"{GET_USER} was recorded with (return)",
            "E           key renamed?  return[[]'email'[]] → return[[]'email_address'[]]   (str)",
            "E         recorded by tests/test_a.py::test_plain",
        ],
        consecutive=True,
    )


def test_the_seams_fixture_object_uses_the_settings_it_was_given(recorded: Settings) -> None:
    seams = SeamsFixture(recorded)

    seams.assert_matches(FAITHFUL, GET_USER)
    with pytest.raises(SeamMismatch, match=r"key renamed\?"):
        seams.assert_matches(renamed(FAITHFUL, "email", "email_address"), GET_USER)
