"""Instrumentation never evaluates a foreign object: proxies, lazy objects and mocks among
a boundary module's globals and class attributes are named and left alone, every other
seam of the module is wrapped, and a seam seamrec fails to wrap is lost alone, named in a
warning, and fails `--check-seams` when it has recorded calls."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, crossings, fresh_project, seamrec_summary
from seamrec.pytest_plugin.report import summary_lines
from seamrec.runtime.session import Mode, Stats

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.seamrec]
boundaries = ["app"]
"""

# Outside the boundaries: foreign objects that run code when touched, and log it.
HOSTILE = '''\
"""Objects that run code when classified the naive way."""

EVALUATED = []


class LazySettings:
    """Like Django's LazyObject: any attribute, __class__ or bool() configures it."""

    def __init__(self):
        object.__setattr__(self, "_wrapped", None)

    def _setup(self, why):
        EVALUATED.append(why)
        raise RuntimeError("Requested settings, but settings are not configured")

    def __getattr__(self, name):
        self._setup(f"getattr {name}")

    @property
    def __class__(self):
        self._setup("__class__")

    def __bool__(self):
        self._setup("bool")


class RaisesOnGetattr:
    def __getattr__(self, name):
        EVALUATED.append(f"getattr {name}")
        raise RuntimeError("Working outside of application context")


class RaisesOnClass:
    @property
    def __class__(self):
        EVALUATED.append("__class__")
        raise RuntimeError("no class for you")


class RaisesOnBool:
    def __bool__(self):
        EVALUATED.append("bool")
        raise RuntimeError("ambiguous truth value")
'''

GLOBALS = '''\
"""A boundary module whose globals and class attributes are hostile to inspection."""

from unittest import mock

from hostile import LazySettings, RaisesOnBool, RaisesOnClass, RaisesOnGetattr

settings = LazySettings()
mocked = mock.Mock()
magic = mock.MagicMock()
getattr_raiser = RaisesOnGetattr()
class_raiser = RaisesOnClass()
bool_raiser = RaisesOnBool()


def handler(x):
    return x + 1


PAIR = (handler, settings, mocked)  # a tuple mixing a seam with proxies


class Service:
    client = mock.MagicMock()
    config = LazySettings()
    flag = RaisesOnBool()

    def run(self):
        return {"ran": True}
'''

TESTS = """\
import hostile
from app import hostile_globals as g


def test_handler():
    assert g.handler(2) == 3
    assert g.PAIR[0](2) == 3


def test_service():
    assert g.Service().run() == {"ran": True}


def test_nothing_was_evaluated():
    assert hostile.EVALUATED == []
    assert g.mocked.mock_calls == [] and g.magic.mock_calls == []
"""


@pytest.fixture
def hostile_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "hostile.py": HOSTILE,
        "app/__init__.py": "",
        "app/hostile_globals.py": GLOBALS,
        "tests/test_hostile.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_proxies_lazy_objects_and_mocks_are_named_not_evaluated_and_other_seams_recorded(
    hostile_app: LayeredApp,
) -> None:
    record = hostile_app.record()

    record.assert_outcomes(passed=3)
    assert 0 == record.ret
    summary = seamrec_summary(record)
    assert [] == [line for line in summary if "internal error" in line or "warning" in line]
    skipped = sorted(line for line in summary if line.startswith("not inspected"))
    assert [
        "not inspected: class_raiser in app.hostile_globals (a hostile.RaisesOnClass",
        "not inspected: client, magic in app.hostile_globals, app.hostile_globals.Service "
        "(a unittest.mock.MagicMock",
        "not inspected: config, settings in app.hostile_globals, app.hostile_globals.Service "
        "(a hostile.LazySettings",
        "not inspected: getattr_raiser in app.hostile_globals (a hostile.RaisesOnGetattr",
        "not inspected: mocked in app.hostile_globals (a unittest.mock.Mock",
    ] == [line.partition(";")[0] for line in skipped]
    # An object that merely refuses bool() is no proxy: classified statically, not named.
    assert not any("bool_raiser" in line or "flag" in line for line in summary)
    # the tuple beside the proxies is replaced by one holding the wrapper (none evaluated)
    assert not any("not recorded" in line for line in summary)
    cassettes = hostile_app.cassettes / "tests/test_hostile"
    assert [("app.hostile_globals:handler", "test_hostile", "return")] * 2 == crossings(
        cassettes / "test_handler.msgpack"
    )
    assert [("app.hostile_globals:Service.run", "test_hostile", "return")] == crossings(
        cassettes / "test_service.msgpack"
    )


LOCKED = '''\
"""A class whose metaclass refuses to have one attribute replaced."""


class Meta(type):
    def __setattr__(cls, name, value):
        if name == "frozen":
            raise TypeError("frozen is read-only")
        super().__setattr__(name, value)


class Locked(metaclass=Meta):
    def frozen(self):
        return 1

    def free(self):
        return 2
'''

LOCKED_TESTS = """\
from app.locked import Locked


def test_both():
    assert Locked().frozen() + Locked().free() == 3
"""


@pytest.fixture
def locked_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/locked.py": LOCKED.replace("(metaclass=Meta)", ""),
        "tests/test_locked.py": LOCKED_TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_a_seam_that_cannot_be_wrapped_is_lost_alone_and_named_in_a_warning(
    locked_app: LayeredApp,
) -> None:
    locked_app.write("app/locked.py", LOCKED)

    record = locked_app.record()

    record.assert_outcomes(passed=1)
    summary = seamrec_summary(record)
    assert "warning: 1 seam not recorded: seamrec failed to wrap them (an internal error; " in (
        "\n".join(summary)
    )
    assert (
        "  app.locked:Locked.frozen: could not be wrapped: TypeError('frozen is read-only')"
        in summary
    )
    assert "(the test was not affected)" not in record.stdout.str()
    assert [("app.locked:Locked.free", "test_locked", "return")] == crossings(
        locked_app.cassettes / "tests/test_locked/test_both.msgpack"
    )


def test_check_fails_when_a_seam_with_recorded_calls_could_not_be_wrapped(
    locked_app: LayeredApp,
) -> None:
    locked_app.record().assert_outcomes(passed=1)
    locked_app.write("app/locked.py", LOCKED)

    check = locked_app.check()

    assert 0 != check.ret
    assert (
        "error: app.locked:Locked.frozen has recorded calls, but seamrec could not wrap it "
        "this run, so they were not checked (see the warning above)"
    ) in seamrec_summary(check)


def test_the_summary_counts_lost_modules_and_seams_apart_and_names_each() -> None:
    stats = Stats(seams_wrapped=3)
    stats.lost = {
        "app.db": ["the module could not be searched for seams: RuntimeError('boom')"],
        "app.api:list_users": ["could not be wrapped: TypeError('read-only')"],
    }

    lines = summary_lines(Mode.RECORD, stats)

    assert [
        "warning: 1 module and 1 seam not recorded: seamrec failed to wrap them (an internal "
        "error; please report it)",
        "  app.db: the module could not be searched for seams: RuntimeError('boom')",
        "  app.api:list_users: could not be wrapped: TypeError('read-only')",
    ] == lines[-3:]


DJANGO_GLOBALS = '''\
"""A boundary module holding Django's unconfigured lazy settings and a lazy object."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

EVALUATED = []


def _build():
    EVALUATED.append("built")
    return {"built": True}


lazy = SimpleLazyObject(_build)


def handler(x):
    return x * 2
'''

DJANGO_TESTS = """\
from app import django_globals as g


def test_handler():
    assert g.handler(2) == 4
    assert g.EVALUATED == []
    assert not g.settings.configured
"""


@pytest.mark.subprocess_runs  # Django must be unconfigured: a process of its own
def test_django_lazy_objects_are_named_and_never_evaluated(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("django")
    app = fresh_project(
        pytester,
        monkeypatch,
        {
            "pyproject.toml": PYPROJECT,
            "app/__init__.py": "",
            "app/django_globals.py": DJANGO_GLOBALS,
            "tests/test_django.py": DJANGO_TESTS,
        },
    )

    record = app.record()

    record.assert_outcomes(passed=1)
    summary = seamrec_summary(record)
    assert [] == [line for line in summary if "warning" in line]
    assert any(
        line.startswith("not inspected: settings in app.django_globals (a django.conf.LazySettings")
        for line in summary
    )
    assert any(
        line.startswith(
            "not inspected: lazy in app.django_globals (a django.utils.functional.SimpleLazyObject"
        )
        for line in summary
    )
    assert [("app.django_globals:handler", "test_django", "return")] == crossings(
        app.cassettes / "tests/test_django/test_handler.msgpack"
    )


def test_a_long_list_of_skipped_proxies_is_one_short_line() -> None:
    stats = Stats(seams_wrapped=1)
    places = [f"app.models.User.col{i:02}" for i in range(12)] + ["app.models.Order.id"]
    stats.skipped = {"sqlalchemy.orm.attributes.InstrumentedAttribute": places}

    [line] = [line for line in summary_lines(Mode.RECORD, stats) if "not inspected" in line]

    assert line == (
        "not inspected: col00, col01, col02, col03, col04, col05, col06, col07 and 5 more in "
        "app.models.Order, app.models.User (a sqlalchemy.orm.attributes.InstrumentedAttribute; "
        "seamrec never evaluates a proxy, so it cannot be a seam)"
    )
