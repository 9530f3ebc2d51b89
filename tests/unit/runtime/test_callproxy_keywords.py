"""The call proxy passes every keyword to the function, whatever its name: a seam whose
parameters are called `self`, `args` or `kwargs` is called by keyword like any other
(the proxy's own parameters never collide with the caller's keywords)."""

from __future__ import annotations

import types
from typing import Any

import pytest

from seamrec.config import settings_from_table
from seamrec.runtime import callproxy
from seamrec.runtime.session import Mode, SeamSession
from seamrec.runtime.wrappers import Seam

HOME = "keywordpkg.home"
KINDS = [True] if callproxy.compiled is None else [True, False]  # pure, and compiled if built
SOURCE = """
def takes_self(self, x=1):
    return (self, x)


def keywords(*args, **kwargs):
    return (args, kwargs)
"""


def wrapped_in(session: SeamSession, name: str, pure: bool) -> Any:
    namespace: dict[str, Any] = {"__name__": HOME}
    exec(compile(SOURCE, "<keywordpkg/home.py>", "exec"), namespace)
    function: types.FunctionType = namespace[name]
    positional = ("self", "x") if name == "takes_self" else ()
    seam = Seam(f"{HOME}:{name}", HOME, name, "function", False, positional, None)
    proxy = callproxy.make_call(function, namespace, seam, session, pure=pure)
    namespace[name] = proxy
    return proxy


@pytest.mark.parametrize("pure", KINDS)
def test_keywords_named_like_the_proxys_parameters_reach_the_function(
    pure: bool, tmp_path: Any
) -> None:
    session = SeamSession(settings_from_table({}, rootdir=tmp_path), Mode.RECORD)
    takes_self = wrapped_in(session, "takes_self", pure)
    keywords = wrapped_in(session, "keywords", pure)
    outside = (takes_self(self=3), keywords(1, self=2, args=3, kwargs=4))
    session.begin_test("tests/test_x.py::test_x")
    try:
        inside = (takes_self(self=5, x=6), keywords(self=7, wrapped=8, seam=9))
        tape = session.tape
        assert tape is not None
        crossed = [call.seam for call in tape.details]
    finally:
        session.finish_test("failed")
    assert ((3, 1), ((1,), {"self": 2, "args": 3, "kwargs": 4})) == outside
    assert ((5, 6), ((), {"self": 7, "wrapped": 8, "seam": 9})) == inside
    assert [f"{HOME}:takes_self", f"{HOME}:keywords"] == crossed
