"""Instrumentation: which callables become seams, how aliases reach the wrapper, and that
wrapping never changes what the code under test sees."""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
import pickle
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seamrec.config import settings_from_table
from seamrec.model.codec import raw_tree
from seamrec.runtime.instrument import SeamWrapper
from seamrec.runtime.session import Mode, SeamSession

PACKAGE = "instpkg"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Write modules of a throwaway package; forget them from sys.modules afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("")

    def write(**modules: str) -> None:
        for name, source in modules.items():
            (root / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()

    yield write
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[SeamSession]:
    """A recording session over the throwaway package, unwrapped after the test."""
    settings = settings_from_table({"boundaries": [PACKAGE]}, rootdir=tmp_path)
    seams = SeamSession(settings, Mode.RECORD)
    yield seams
    seams.stop()


def recorded_seams(session: SeamSession, action: Callable[[], object]) -> list[tuple[str, str]]:
    """Run `action` as a test and return (seam id, caller module) of each crossing call."""
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    action()
    calls = sorted(tape.details, key=lambda call: call.sequence)
    session.finish_test("failed")
    return [(call.seam, call.caller) for call in calls]


REPO = """
    import asyncio

    class Repo:
        def get(self, key):
            return {"key": key}

        @classmethod
        def build(cls):
            return cls()

        @staticmethod
        def normalize(text):
            return text.strip()

        def _private(self):
            return 1

        async def fetch(self, key):
            await asyncio.sleep(0)
            return [key]

        def stream(self, n):
            for i in range(n):
                yield {"i": i}

        async def agen(self):
            yield 1

    def helper(x):
        return x + 1

    def uses_helper(x):
        return helper(x)
"""


def test_public_callables_of_every_kind_become_seams_and_private_ones_do_not(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    session.start()
    seams = session.instrumenter.report.seams
    expected = {
        "instpkg.repo:Repo.get": "function",
        "instpkg.repo:Repo.build": "function",
        "instpkg.repo:Repo.normalize": "function",
        "instpkg.repo:Repo.fetch": "async",
        "instpkg.repo:Repo.stream": "generator",
        "instpkg.repo:helper": "function",
        "instpkg.repo:uses_helper": "function",
    }
    importlib.import_module("instpkg.repo")
    assert expected == {seam_id: seam.kind for seam_id, seam in seams.items()}


def test_a_module_imported_before_seamrec_starts_is_still_wrapped(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    repo = importlib.import_module("instpkg.repo")
    session.start()
    assert isinstance(vars(repo)["helper"], SeamWrapper)
    assert [("instpkg.repo:helper", __name__)] == recorded_seams(session, lambda: repo.helper(1))


def test_calls_inside_one_module_are_not_seams(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    session.start()
    repo = importlib.import_module("instpkg.repo")
    assert [("instpkg.repo:uses_helper", __name__)] == recorded_seams(
        session, lambda: repo.uses_helper(1)
    )


def test_from_imports_taken_before_wrapping_are_redirected_to_the_wrapper(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        repo=REPO, service="from instpkg.repo import helper\n\ndef run():\n    return helper(2)\n"
    )
    service = importlib.import_module("instpkg.service")
    session.start()
    assert [("instpkg.service:run", __name__), ("instpkg.repo:helper", "instpkg.service")] == (
        recorded_seams(session, service.run)
    )


def test_functions_captured_by_a_registry_at_import_time_are_recorded(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        api="""
            ROUTES = {}
            HANDLERS = []

            def route(name):
                def register(fn):
                    ROUTES[name] = fn
                    HANDLERS.append(fn)
                    return fn
                return register

            @route("users")
            def list_users():
                return ["ada"]
        """
    )
    session.start()
    api = importlib.import_module("instpkg.api")
    calls = recorded_seams(session, lambda: (api.ROUTES["users"](), api.HANDLERS[0]()))
    assert [("instpkg.api:list_users", __name__)] * 2 == calls


def test_a_function_registered_in_a_set_is_recorded_through_it(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        api="""
            CHECKS = set()

            def register(fn):
                CHECKS.add(fn)
                return fn

            @register
            def a_check():
                return []
        """
    )
    session.start()
    api = importlib.import_module("instpkg.api")
    assert {} == session.instrumenter.report.unredirected
    calls = recorded_seams(session, lambda: [check() for check in api.CHECKS])
    assert [("instpkg.api:a_check", __name__)] == calls
    session.stop()
    assert [vars(api)["a_check"]] == list(api.CHECKS)
    assert not isinstance(next(iter(api.CHECKS)), SeamWrapper)


def test_an_alias_that_cannot_be_redirected_is_reported_by_name(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        api="""
            def handler():
                return 1

            FROZEN = ((handler,),)  # a tuple inside a tuple: no holder to swap it in
            HELD = (handler,)  # a tuple in the module namespace is replaced
        """
    )
    session.start()
    api = importlib.import_module("instpkg.api")
    assert {"instpkg.api:handler": {"a tuple"}} == session.instrumenter.report.unredirected
    assert isinstance(api.HELD[0], SeamWrapper)
    assert not isinstance(api.FROZEN[0][0], SeamWrapper)


def test_stopping_puts_every_original_back(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO, service="from instpkg.repo import helper\n")
    repo = importlib.import_module("instpkg.repo")
    service = importlib.import_module("instpkg.service")
    originals = (repo.helper, vars(repo.Repo)["build"], vars(repo.Repo)["get"])
    session.start()
    assert service.helper is repo.helper
    assert isinstance(repo.helper, SeamWrapper)
    session.stop()
    assert originals == (repo.helper, vars(repo.Repo)["build"], vars(repo.Repo)["get"])
    assert service.helper is originals[0]


def test_wrapped_callables_return_the_same_objects_and_raise_the_same_exceptions(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(
        store="""
            SENTINEL = object()
            ERROR = KeyError("missing")

            def give():
                return SENTINEL

            def fail():
                raise ERROR

            def mutate(items):
                items.append(len(items))
                return items
        """
    )
    session.start()
    store = importlib.import_module("instpkg.store")
    session.begin_test("tests/test_x.py::test_x")
    assert store.give() is store.SENTINEL
    with pytest.raises(KeyError) as raised:
        store.fail()
    assert raised.value is store.ERROR
    items: list[int] = [0]
    assert store.mutate(items) is items
    assert [0, 1] == items
    session.finish_test("failed")


def test_async_seams_record_the_awaited_result_and_generators_what_was_consumed(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    session.start()
    repo = importlib.import_module("instpkg.repo")
    session.begin_test("tests/test_x.py::test_x")
    tape = session.tape
    assert tape is not None
    assert ["k"] == asyncio.run(repo.Repo().fetch("k"))
    stream = repo.Repo().stream(5)
    assert {"i": 0} == next(stream)
    cassette = tape.to_cassette(raw_tree)
    session.finish_test("failed")
    fetch, gen = cassette.calls
    assert ("return", ("coll", "list", (("str",),))) == (fetch.outcome, fetch.result_shape)
    assert "yield" == gen.outcome
    assert 1 == len(gen.result)


def test_wrapped_functions_survive_copy_deepcopy_and_pickle(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    session.start()
    repo = importlib.import_module("instpkg.repo")
    assert copy.copy(repo.helper) is repo.helper
    assert copy.deepcopy(repo.helper) is repo.helper
    assert pickle.loads(pickle.dumps(repo.helper))(1) == 2


def test_wrapped_callables_keep_their_signature_and_kind_for_introspection(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    session.start()
    repo = importlib.import_module("instpkg.repo")
    assert "(self, key)" == str(inspect.signature(vars(repo.Repo)["get"]))
    assert inspect.iscoroutinefunction(repo.Repo.fetch)
    assert inspect.isgeneratorfunction(repo.Repo.stream)
    assert "helper" == repo.helper.__name__


def test_a_module_in_scope_imported_later_keeps_its_loader_services(
    package: Callable[..., None], session: SeamSession
) -> None:
    package(repo=REPO)
    session.start()
    repo = importlib.import_module("instpkg.repo")
    assert "def helper(x):" in inspect.getsource(repo)
