"""The call proxy of a plain function seam, compiled and pure: the caller's module decides
whether a call crosses the seam, and otherwise the proxy behaves like the function."""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import pickle
import subprocess
import sys
import traceback
import types
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.config import settings_from_table
from seamrec.runtime import callproxy
from seamrec.runtime.instrument import SeamWrapper
from seamrec.runtime.session import Mode, SeamSession
from seamrec.runtime.wrappers import Seam, is_seam_wrapper, seam_of

HOME = "proxypkg.home"
KINDS = [
    pytest.param(True, id="pure"),
    pytest.param(
        False,
        id="compiled",
        marks=pytest.mark.skipif(
            callproxy.compiled is None, reason=f"not compiled: {callproxy.missing}"
        ),
    ),
]
SOURCE = '''
import asyncio


def fetch(user_id: int, *, verbose=False) -> dict:
    """Fetch a user."""
    return {"id": user_id, "verbose": verbose}


def fetch_twice(user_id):
    return [fetch(user_id), fetch(user_id)]


async def load(user_id):
    await asyncio.sleep(0)
    return user_id


def rows(count):
    yield from range(count)


def broken():
    raise ValueError("broken inside the app")
'''


class Crossings:
    """A dispatcher that notes each crossing call and makes it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, object, tuple[Any, ...], dict[str, Any]]] = []

    def crossing(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        self.calls.append((seam.id, caller, instance, args, kwargs))
        return wrapped(*args, **kwargs)


def seam_for(function: types.FunctionType) -> Seam:
    return Seam(
        f"{HOME}:{function.__qualname__}", HOME, function.__qualname__, "function", False, (), None
    )


def home_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": HOME}
    exec(compile(SOURCE, "<proxypkg/home.py>", "exec"), namespace)
    return namespace


def wrap(namespace: dict[str, Any], name: str, pure: bool, dispatcher: Crossings) -> Any:
    original = namespace[name]
    proxy = callproxy.make_call(original, namespace, seam_for(original), dispatcher, pure=pure)
    namespace[name] = proxy
    return proxy


def caller_in(scope: dict[str, Any]) -> Callable[..., Any]:
    """A function whose globals are `scope`: its calls come from that module."""
    exec("def call(function, *args, **kwargs):\n    return function(*args, **kwargs)\n", scope)
    made: Callable[..., Any] = scope.pop("call")
    return made


@pytest.mark.parametrize("pure", KINDS)
def test_a_call_from_another_module_crosses_the_seam_with_its_arguments(pure: bool) -> None:
    crossings = Crossings()
    proxy = wrap(home_namespace(), "fetch", pure, crossings)
    assert {"id": 7, "verbose": True} == proxy(7, verbose=True)
    assert [(f"{HOME}:fetch", __name__, None, (7,), {"verbose": True})] == crossings.calls


@pytest.mark.parametrize("pure", KINDS)
def test_calls_inside_the_module_are_not_crossings(pure: bool) -> None:
    crossings = Crossings()
    namespace = home_namespace()
    wrap(namespace, "fetch", pure, crossings)
    fetch_twice = wrap(namespace, "fetch_twice", pure, crossings)
    assert [{"id": 1, "verbose": False}] * 2 == fetch_twice(1)
    assert [(f"{HOME}:fetch_twice", __name__)] == [call[:2] for call in crossings.calls]


@pytest.mark.parametrize("pure", KINDS)
def test_a_module_named_like_the_home_module_or_seamrec_does_not_cross(pure: bool) -> None:
    crossings = Crossings()
    proxy = wrap(home_namespace(), "fetch", pure, crossings)
    caller_in({"__name__": HOME})(proxy, 1)  # a reloaded module: other globals, same name
    caller_in({"__name__": "seamrec.review.show"})(proxy, 2)
    caller_in({"__name__": "seamrecish"})(proxy, 3)
    caller_in({})(proxy, 4)  # a namespace without a name
    assert [("seamrecish", (3,)), ("?", (4,))] == [(c[1], c[3]) for c in crossings.calls]


CALLER_NAMES = st.one_of(
    st.sampled_from([HOME, "seamrec", "seamrec.", "seamrec.x", "seamrecx", "proxypkg", "app.api"]),
    st.text(max_size=12),
    st.integers(),
    st.none(),
    st.just("<missing>"),
    st.just("<home globals>"),
)


def decisions(pure: bool, caller: object, args: tuple[int, ...], verbose: bool) -> list[Any]:
    """What one call from a module named `caller` returns and hands the dispatcher."""
    crossings = Crossings()
    namespace = home_namespace()
    proxy = wrap(namespace, "fetch", pure, crossings)
    if caller == "<home globals>":
        scope = namespace
    else:
        scope = {} if caller == "<missing>" else {"__name__": caller}
    result = caller_in(scope)(proxy, *args, verbose=verbose)
    return [result, crossings.calls]


@pytest.mark.skipif(callproxy.compiled is None, reason=f"not compiled: {callproxy.missing}")
@settings(max_examples=examples(200), deadline=None)
@given(CALLER_NAMES, st.tuples(st.integers()), st.booleans())
def test_the_compiled_and_the_pure_proxy_make_the_same_decisions(
    caller: object, args: tuple[int, ...], verbose: bool
) -> None:
    pure = decisions(True, caller, args, verbose)
    assert pure == decisions(False, caller, args, verbose)
    crossed = bool(pure[1])
    own = caller in (HOME, "<home globals>") or (
        type(caller) is str and caller.startswith("seamrec.")
    )
    assert crossed is not own


@pytest.mark.parametrize("pure", KINDS)
def test_the_proxy_reads_like_the_function(pure: bool) -> None:
    namespace = home_namespace()
    original = namespace["fetch"]
    proxy = wrap(namespace, "fetch", pure, Crossings())
    assert original is proxy.__wrapped__
    expected = ("fetch", "fetch", HOME, "Fetch a user.", original.__code__, original.__defaults__)
    assert expected == (
        proxy.__name__,
        proxy.__qualname__,
        proxy.__module__,
        proxy.__doc__,
        proxy.__code__,
        proxy.__defaults__,
    )
    assert inspect.signature(original) == inspect.signature(proxy)
    assert ["user_id", "return"] == list(proxy.__annotations__)
    assert original.__annotations__ is proxy.__annotations__
    assert original.__dict__ is proxy.__dict__
    assert isinstance(proxy, types.FunctionType)
    assert inspect.isfunction(proxy)


@pytest.mark.parametrize("pure", KINDS)
def test_async_and_generator_functions_are_still_recognised(pure: bool) -> None:
    namespace = home_namespace()
    load = wrap(namespace, "load", pure, Crossings())
    rows = wrap(namespace, "rows", pure, Crossings())
    assert (True, False) == (inspect.iscoroutinefunction(load), inspect.isgeneratorfunction(load))
    assert (False, True) == (inspect.iscoroutinefunction(rows), inspect.isgeneratorfunction(rows))
    assert [0, 1, 2] == list(rows(3))


@pytest.mark.parametrize("pure", KINDS)
def test_attributes_written_on_the_proxy_are_the_functions(pure: bool) -> None:
    namespace = home_namespace()
    original = namespace["fetch"]
    proxy = wrap(namespace, "fetch", pure, Crossings())
    proxy.route = "/users"
    original.tags = ["users"]
    assert ("/users", ["users"]) == (original.route, proxy.tags)
    del proxy.route
    assert not hasattr(original, "route")


@pytest.mark.parametrize("pure", KINDS)
def test_stored_on_a_class_the_proxy_binds_as_a_method(pure: bool) -> None:
    crossings = Crossings()
    namespace = home_namespace()
    proxy = wrap(namespace, "fetch", pure, crossings)
    holder: Any = type("Holder", (), {"fetch": proxy})
    assert proxy is holder.fetch
    bound = holder().fetch
    assert isinstance(bound, types.MethodType)
    assert bound.__func__ is proxy
    assert {"id": bound.__self__, "verbose": False} == bound()


@pytest.mark.parametrize("pure", KINDS)
def test_the_proxy_compares_and_hashes_as_the_function(pure: bool) -> None:
    namespace = home_namespace()
    original = namespace["fetch"]
    proxy = wrap(namespace, "fetch", pure, Crossings())
    assert proxy == original
    assert original == proxy
    assert hash(original) == hash(proxy)
    assert {(original, 1): "cached"}[(proxy, 1)] == "cached"
    assert proxy != namespace["rows"]
    assert weakref.ref(proxy)() is proxy


@pytest.mark.parametrize("pure", KINDS)
def test_copies_are_the_proxy_itself_and_every_reader_knows_it_as_seamrecs(pure: bool) -> None:
    namespace = home_namespace()
    proxy = wrap(namespace, "fetch", pure, Crossings())
    assert proxy is copy.copy(proxy)
    assert proxy is copy.deepcopy({"f": proxy})["f"]
    assert f"{HOME}:fetch" == proxy.seam.id
    assert proxy.seam is seam_of(proxy)
    assert is_seam_wrapper(proxy)
    assert isinstance(proxy, SeamWrapper)
    assert not is_seam_wrapper(proxy.__wrapped__)
    assert not isinstance(proxy.__wrapped__, SeamWrapper)
    assert seam_of(proxy.__wrapped__) is None


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """The home module as a real importable module (pickling finds globals by name)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    package = tmp_path / "proxypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "home.py").write_text(SOURCE)
    import proxypkg.home as home  # type: ignore[import-not-found]

    yield home
    for name in [m for m in sys.modules if m.startswith("proxypkg")]:
        del sys.modules[name]


@pytest.mark.parametrize("pure", KINDS)
def test_the_proxy_pickles_by_reference(pure: bool, module: types.ModuleType) -> None:
    proxy = wrap(vars(module), "fetch", pure, Crossings())
    assert proxy is pickle.loads(pickle.dumps(proxy))
    assert [proxy] == pickle.loads(pickle.dumps([proxy], protocol=2))


def hidden_by_pytest(frame: types.FrameType) -> bool:
    """Whether pytest leaves `frame` out of a test's traceback (`__tracebackhide__`)."""
    for namespace in (frame.f_locals, frame.f_globals):
        if "__tracebackhide__" in namespace:
            return bool(namespace["__tracebackhide__"])
    return False


@pytest.mark.parametrize("pure", KINDS)
def test_no_seamrec_frame_shows_in_the_traceback_of_an_exception(pure: bool) -> None:
    crossings = Crossings()
    proxy = wrap(home_namespace(), "broken", pure, crossings)
    with pytest.raises(ValueError, match="broken inside the app") as raised:
        proxy()
    shown = [
        frame.f_code.co_filename
        for frame, _ in traceback.walk_tb(raised.value.__traceback__)
        if not hidden_by_pytest(frame)
    ]
    assert [__file__, "<proxypkg/home.py>"] == [shown[0], shown[-1]]
    assert callproxy.__file__ not in shown


def test_without_the_compiled_proxy_a_run_says_so_in_one_line() -> None:
    line = callproxy.notice()
    if callproxy.compiled is None and not callproxy.missing.startswith("SEAMREC_PURE"):
        assert line is not None
        assert "\n" not in line
    else:
        assert line is None


def test_seamrec_pure_forces_the_pure_proxy() -> None:
    code = "from seamrec.runtime import callproxy as c; print(c.compiled is not None, c.missing)"
    environment = {**os.environ, "SEAMREC_PURE": "1"}
    found = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    assert "False SEAMREC_PURE=1" == found.stdout.strip()


CLASSY = """
def helper(x):
    return x + 1


class Repo:
    def get(self, key):
        return helper(key)

    @staticmethod
    def normalize(text):
        return text.strip()
"""


def test_plain_functions_and_methods_get_the_call_proxy_and_staticmethods_keep_wrapt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "classypkg").mkdir()
    (tmp_path / "classypkg" / "__init__.py").write_text("")
    (tmp_path / "classypkg" / "repo.py").write_text(CLASSY)
    settings = settings_from_table({"boundaries": ["classypkg"]}, rootdir=tmp_path)
    session = SeamSession(settings, Mode.RECORD)
    session.start()
    try:
        repo = importlib.import_module("classypkg.repo")
        expected = callproxy.SeamCall if callproxy.compiled is None else callproxy.compiled
        assert expected is type(vars(repo)["helper"])
        assert expected is type(vars(repo.Repo)["get"])
        assert SeamWrapper is type(vars(repo.Repo)["normalize"])
        session.begin_test("tests/test_x.py::test_x")
        assert 8 == repo.Repo().get(7)
        tape = session.tape
        assert tape is not None
        calls = [(call.seam, call.caller) for call in tape.details]
        session.finish_test("failed")
    finally:
        session.stop()
        for name in [m for m in sys.modules if m.startswith("classypkg")]:
            del sys.modules[name]
    assert [("classypkg.repo:Repo.get", __name__)] == calls
    assert types.FunctionType is type(repo.helper)
