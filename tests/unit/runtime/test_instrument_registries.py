"""Registries record as seams: callables captured at import time by closures, instance
`__dict__`s, `__slots__` and weak references are redirected to the wrapper, so the
framework's call is a crossing; properties of boundary classes are seams; `seams` may
name library callables, recorded only when the app calls them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import package_writer
from seamrec.config import settings_from_table
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "regpkg"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Write modules (top-level or in the boundary package); forget them afterwards."""
    yield from package_writer(tmp_path, monkeypatch, PACKAGE)


def session_for(tmp_path: Path, **table: object) -> SeamSession:
    settings = settings_from_table({"boundaries": [PACKAGE], **table}, rootdir=tmp_path)
    return SeamSession(settings, Mode.RECORD)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[SeamSession]:
    seams = session_for(tmp_path)
    yield seams
    seams.stop()


def recorded(session: SeamSession, action: Callable[[], object]) -> list[tuple[str, str]]:
    """Run `action` as a test: (seam id, caller module) of each crossing call, in order."""
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    action()
    calls = sorted(tape.details, key=lambda call: call.sequence)
    session.finish_test("failed")
    return [(call.seam, call.caller) for call in calls]


LIBREG = """
    import weakref
    from dataclasses import dataclass

    DEFERRED = []     # closures, like Flask's deferred blueprint setup
    DEPENDANTS = []   # dataclass instances, like FastAPI's Dependant
    SLOTTED = []
    RECEIVERS = []    # (key, weak reference, is_async), like Django's Signal.receivers


    @dataclass
    class Dependant:
        call: object


    class Slotted:
        __slots__ = ("target",)

        def __init__(self, target):
            self.target = target


    def route(fn):
        DEFERRED.append(lambda: fn())
        return fn


    def depends(fn):
        DEPENDANTS.append(Dependant(fn))
        SLOTTED.append(Slotted(fn))
        return fn


    def receiver(fn):
        RECEIVERS.append((id(fn), weakref.ref(fn), False))
        return fn


    def dispatch():
        return [
            [setup() for setup in DEFERRED],
            [d.call() for d in DEPENDANTS],
            [s.target() for s in SLOTTED],
            [ref()() for _, ref, _ in RECEIVERS],
        ]
"""

VIEWS = """
    from libreg import depends, receiver, route


    @route
    def index():
        return "index"


    @depends
    def current_user():
        return "ada"


    @receiver
    def on_saved():
        return "saved"
"""


def test_closures_instance_dicts_slots_and_weak_references_reach_the_wrapper(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(libreg=LIBREG, views=VIEWS)
    libreg = importlib.import_module("libreg")
    importlib.import_module(f"{PACKAGE}.views")
    session.start()

    calls = recorded(session, libreg.dispatch)

    assert [
        ("regpkg.views:index", "libreg"),
        ("regpkg.views:current_user", "libreg"),
        ("regpkg.views:current_user", "libreg"),
        ("regpkg.views:on_saved", "libreg"),
    ] == calls
    assert {} == session.instrumenter.report.unredirected
    session.stop()
    assert [["index"], ["ada"], ["ada"], ["saved"]] == libreg.dispatch()
    assert libreg.RECEIVERS[0][1]() is sys.modules[f"{PACKAGE}.views"].on_saved  # restored


def test_a_click_command_callback_is_a_seam_called_by_click(
    package: Callable[..., None], session: SeamSession
) -> None:
    click_testing = pytest.importorskip("click.testing")
    package(
        cli="""
            import click

            @click.command()
            @click.option("--n", default=1)
            def greet(n):
                return {"n": n}
        """
    )
    session.start()
    cli = importlib.import_module(f"{PACKAGE}.cli")

    runner = click_testing.CliRunner()
    calls = recorded(session, lambda: runner.invoke(cli.greet, ["--n", "2"], standalone_mode=False))

    assert [("regpkg.cli:greet", "click.core")] == calls


PROPERTIES = """
    import functools


    class Basket:
        def __init__(self):
            self._count = 1

        @property
        def count(self):
            return self._count

        @count.setter
        def count(self, value):
            self._count = value

        @functools.cached_property
        def total(self):
            return self._count * 10

        def inside(self):
            return self.count  # a read inside the module is no crossing
"""


def test_properties_and_cached_properties_read_or_written_from_another_module_are_seams(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(basket=PROPERTIES)
    session.start()
    basket = importlib.import_module(f"{PACKAGE}.basket")
    box = basket.Basket()

    def use() -> None:
        box.count = 3
        assert 3 == box.count == box.inside()
        assert 30 == box.total == box.total  # computed once, then cached

    calls = recorded(session, use)

    assert [
        ("regpkg.basket:Basket.count", __name__),
        ("regpkg.basket:Basket.count", __name__),
        ("regpkg.basket:Basket.inside", __name__),
        ("regpkg.basket:Basket.total", __name__),
    ] == calls
    assert isinstance(vars(basket.Basket)["count"], property)
    assert basket.Basket.count is not vars(basket.Basket)["count"]  # the class reads the original


def test_a_property_setter_records_the_value_as_args_value(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(basket=PROPERTIES)
    session.start()
    basket = importlib.import_module(f"{PACKAGE}.basket")
    box = basket.Basket()
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None

    box.count = 7
    _ = box.count

    setter, getter = sorted(tape.details, key=lambda call: call.sequence)
    session.finish_test("failed")
    assert ("args", ("self", "value")) == (setter.args_shape[0], setter.args_shape[1])
    assert ("args", ("self",)) == (getter.args_shape[0], getter.args_shape[1])
    assert ("int",) == getter.result_shape


def test_library_seams_are_recorded_only_when_the_app_calls_them(
    package: Callable[..., None], tmp_path: Path
) -> None:
    package(
        libtext="""
            def shout(text):
                return text.upper()

            def relay(text):
                return shout(text)
        """,
        app="""
            import libtext

            def greet(name):
                return libtext.shout(f"hi {name}")
        """,
    )
    libtext = importlib.import_module("libtext")
    app = importlib.import_module(f"{PACKAGE}.app")
    session = session_for(tmp_path, seams=["libtext:shout"])
    session.start()
    try:
        calls = recorded(
            session, lambda: (app.greet("ada"), libtext.shout("x"), libtext.relay("y"))
        )
    finally:
        session.stop()

    assert [("regpkg.app:greet", __name__), ("libtext:shout", "regpkg.app")] == calls


LIBAPIVIEW = """
    def api_view(methods):
        '''Like DRF's @api_view: the function lives on only in a closure of a handler
        method of a class built around it; the module global becomes a view function.'''

        def decorator(func):
            wrapped_view = type("WrappedAPIView", (object,), {"__doc__": func.__doc__})

            def handler(self, *args, **kwargs):
                return func(*args, **kwargs)

            for method in methods:
                setattr(wrapped_view, method.lower(), handler)

            def view(request):
                return getattr(wrapped_view(), request["method"].lower())(request)

            view.__module__ = func.__module__
            view.cls = wrapped_view
            return view

        return decorator
"""


def test_a_function_held_only_by_a_registry_closure_is_a_seam_called_by_the_registry(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        libapiview=LIBAPIVIEW,
        books="""
            from libapiview import api_view

            @api_view(["GET"])
            def book_list(request):
                return {"books": []}
        """,
    )
    session.start()
    books = importlib.import_module(f"{PACKAGE}.books")

    calls = recorded(session, lambda: books.book_list({"method": "GET"}))

    assert [("regpkg.books:book_list", "libapiview")] == calls
    assert {} == session.instrumenter.report.unredirected


def test_a_django_signal_receiver_held_by_weak_reference_is_a_seam_called_by_django(
    package: Callable[..., None], session: SeamSession
) -> None:
    dispatch = pytest.importorskip("django.dispatch")
    saved = dispatch.Signal()
    package(
        receivers="""
            from django.dispatch import receiver

            import libsignals


            @receiver(libsignals.saved)
            def on_saved(sender, **kwargs):
                return {"sender": sender}
        """,
        libsignals="",
    )
    libsignals = importlib.import_module("libsignals")
    libsignals.saved = saved  # type: ignore[attr-defined]
    importlib.import_module(f"{PACKAGE}.receivers")
    session.start()

    calls = recorded(session, lambda: saved.send(sender="books"))

    assert [("regpkg.receivers:on_saved", "django.dispatch.dispatcher")] == calls
    assert {} == session.instrumenter.report.unredirected
    session.stop()
    assert [(sys.modules[f"{PACKAGE}.receivers"].on_saved, {"sender": "books"})] == saved.send(
        sender="books"
    )
