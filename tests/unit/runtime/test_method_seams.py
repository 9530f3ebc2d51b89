"""The plain methods of a boundary class get the call proxy (`callproxy.SeamCall`, compiled
when built): a call made inside the class's module (`self.helper()`, `super()`) passes
straight through, with no crossing and, compiled, no Python frame of seamrec's; a crossing
is recorded and checked exactly as wrapt's wrapper had it recorded and checked, for
positional, keyword, default, *args and **kwargs parameters, methods called on subclasses,
overridden methods and calls through the class."""

from __future__ import annotations

import inspect
import sys
import tempfile
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.cassette.store import cassette_path
from seamrec.config import settings_from_table
from seamrec.runtime import callproxy
from seamrec.runtime import stats as run_stats
from seamrec.runtime.callproxy import is_call_proxy, make_call
from seamrec.runtime.candidates import describe
from seamrec.runtime.checking import CheckStrategy
from seamrec.runtime.instrument import Instrumenter, Report, SeamWrapper
from seamrec.runtime.recording import RecordStrategy
from seamrec.runtime.stats import Stats

NODE = "tests/test_shop.py::test_it"
MODULE = "app.shop"
COMPILED = pytest.mark.skipif(
    callproxy.compiled is None, reason=f"not compiled: {callproxy.missing}"
)
# how a shop's methods are wrapped: wrapt's wrapper (what seamrec did before), the pure
# call proxy, the compiled call proxy (its steps record and check the steady calls)
HOWS = [
    "wrapt",
    "pure",
    pytest.param("compiled", marks=COMPILED),
]
SOURCE = """
VARIANT = [0]  # 1: `label` answers a number (a drift)
ANSWER = [None]  # what `Repo.fetch` answers next
CALLBACK = [None]  # what a "nested" fetch calls: a function of the test module


class Base:
    def __init__(self, name):
        self.name = name

    def describe(self, prefix, suffix="!"):
        return prefix + self.name + suffix + self.shout(prefix)

    def shout(self, text):
        return text.upper()

    def gather(self, first, *items, **options):
        return [first, list(items), sorted(options)]

    def label(self):
        return self.name if VARIANT[0] == 0 else len(self.name)

    def fail(self, why):
        raise LookupError(why)


class Derived(Base):
    def label(self):
        return ["<", super().label(), ">"]

    def twice(self, count):
        return [self.label(), self.shout(self.name) * count]


class Repo:
    def fetch(self, key, q=None):
        if q == "raise":
            raise LookupError(key)
        if q == "nested":
            CALLBACK[0](key)
        return ANSWER[0]

    def inner(self, x):
        return [x]


class CachedRepo(Repo):
    def fetch(self, key, q=None):
        return super().fetch(key, q)
"""


def shop(how: str, dispatcher: Any) -> types.ModuleType:
    """A fresh boundary module from SOURCE, its plain methods wrapped `how`."""
    module = types.ModuleType(MODULE)
    exec(SOURCE, vars(module))
    home = vars(module)
    table = {"boundaries": ["app"]}
    instrumenter = Instrumenter(settings_from_table(table, rootdir=Path.cwd()), dispatcher)
    for cls in (module.Base, module.Derived, module.Repo, module.CachedRepo):
        for name, function in list(vars(cls).items()):
            if type(function) is not types.FunctionType or name.startswith("__"):
                continue
            seam = describe(MODULE, function.__qualname__, function, function, False)
            assert seam is not None
            assert seam.has_self
            if how == "wrapt":
                route = instrumenter._wrapper_for(seam, home, False)
                wrapper: Any = SeamWrapper(function, route, seam)
            else:
                wrapper = make_call(function, home, seam, dispatcher, pure=how == "pure")
            setattr(cls, name, wrapper)
    return module


def run_settings(cassettes: Path) -> Any:
    table = {"boundaries": ["app"], "payload_calls": 2, "cassette_dir": str(cassettes)}
    return settings_from_table(table, rootdir=cassettes)


def play_shop(module: types.ModuleType, rounds: int = 4) -> list[Any]:
    """Calls of every kind from this module (each a crossing), past the payload calls."""
    base, derived = module.Base("b"), module.Derived("d")
    seen: list[Any] = []
    for round_ in range(rounds):
        seen.append(base.describe("x"))  # a default
        seen.append(base.describe("y", "?"))
        seen.append(base.describe("z", suffix="."))  # a keyword
        seen.append(base.describe(prefix="k"))  # keywords only
        seen.append(base.gather(1, 2, 3, flag=True))  # *args and **kwargs
        seen.append(base.gather(round_))
        seen.append(derived.describe("i"))  # inherited, called on the subclass
        seen.append(derived.label())  # overridden, super() inside
        seen.append(derived.twice(round_))  # its own calls stay inside the module
        seen.append(module.Base.label(derived))  # through the class
        seen.append(module.Base.describe(base, "u", suffix=str(round_)))
        try:
            base.fail(round_)
        except LookupError as exc:
            seen.append(repr(exc))
    return seen


def record(cassettes: Path, how: str, play: Callable[[types.ModuleType], Any]) -> tuple[bytes, Any]:
    """Record `play` as one test through a shop wrapped `how`: the cassette's bytes and
    what the calls answered."""
    strategy = RecordStrategy(run_settings(cassettes), Stats(), Report())
    strategy.begin(NODE, ())
    if how != "compiled":
        strategy.crossing = strategy.run  # wrapt's wrapper and the pure proxy reach `run`
    seen = play(shop(how, types.SimpleNamespace(crossing=strategy.crossing)))
    strategy.finish("passed")
    assert [] == strategy.stats.internal_errors
    path = cassette_path(cassettes, NODE)
    return (path.read_bytes() if path.exists() else b""), seen


def check(
    cassettes: Path, how: str, play: Callable[[types.ModuleType], Any]
) -> tuple[list[Any], int, Any]:
    """Check `play` as the test recorded in `cassettes`: the findings, how many calls
    were checked, and what the calls answered."""
    strategy = CheckStrategy(run_settings(cassettes), Stats(), Report())
    strategy.begin(NODE, ())
    if how != "compiled":
        strategy.crossing = strategy.run
    seen = play(shop(how, types.SimpleNamespace(crossing=strategy.crossing)))
    outcome = run_stats.TestOutcome(NODE)
    strategy.judge(outcome)
    strategy.finish("passed")
    assert [] == strategy.stats.internal_errors
    return outcome.findings, strategy.stats.calls_checked, seen


def entered_code(action: Callable[[], Any]) -> list[types.CodeType]:
    """The code of every Python function `action` entered, in order."""
    entered: list[types.CodeType] = []

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":
            entered.append(frame.f_code)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return entered[1:]  # the first is `action`'s own


# ---------------------------------------------------------------- the wrapper


def test_plain_methods_get_the_call_proxy_and_other_methods_keep_wrapt(tmp_path: Path) -> None:
    module = types.ModuleType(MODULE)
    exec(
        "class Repo:\n"
        "    def get(self, key): return key\n"
        "    def anything(*args): return args\n"
        "    @classmethod\n"
        "    def create(cls): return cls()\n"
        "    @staticmethod\n"
        "    def normalize(text): return text.strip()\n",
        vars(module),
    )
    table = {"boundaries": ["app"]}
    dispatcher = types.SimpleNamespace(crossing=None)
    instrumenter = Instrumenter(settings_from_table(table, rootdir=tmp_path), dispatcher)

    instrumenter.instrument_module(module)
    try:
        wrappers = {name: vars(module.Repo)[name] for name in ("get", "anything", "create")}
        normalize = vars(module.Repo)["normalize"]
    finally:
        instrumenter.uninstall()

    assert is_call_proxy(wrappers["get"])
    assert wrappers["get"].seam.has_self
    assert SeamWrapper is type(wrappers["anything"])  # no `self` parameter: bound by wrapt
    assert SeamWrapper is type(wrappers["create"])
    assert SeamWrapper is type(normalize)
    assert types.FunctionType is type(vars(module.Repo)["get"])  # uninstalled


@pytest.mark.parametrize("how", ["pure", pytest.param("compiled", marks=COMPILED)])
def test_a_bound_method_of_the_proxy_behaves_as_the_method(how: str) -> None:
    dispatcher = types.SimpleNamespace(crossing=None)
    module = shop(how, dispatcher)
    base = module.Base("b")
    bound = base.describe
    original = vars(module.Base)["describe"].__wrapped__

    assert types.MethodType is type(bound)
    assert bound.__self__ is base
    assert bound.__func__ is vars(module.Base)["describe"]
    assert bound.__func__ == original
    assert (bound.__name__, bound.__qualname__) == ("describe", "Base.describe")
    assert "(prefix, suffix='!')" == str(inspect.signature(bound))
    assert "(self, prefix, suffix='!')" == str(inspect.signature(module.Base.describe))
    assert bound == types.MethodType(original, base)
    assert hash(bound) == hash(types.MethodType(original, base))


# ---------------------------------------------------------------- calls inside the module


@pytest.mark.parametrize("how", ["pure", pytest.param("compiled", marks=COMPILED)])
def test_calls_inside_the_module_pass_through_without_a_crossing(how: str) -> None:
    crossings: list[tuple[str, str, object, tuple[Any, ...], dict[str, Any]]] = []

    def crossing(
        seam: Any, caller: str, wrapped: Any, instance: object, args: Any, kwargs: Any
    ) -> Any:
        crossings.append((seam.qualname, caller, instance, args, kwargs))
        return wrapped(*args, **kwargs)

    module = shop(how, types.SimpleNamespace(crossing=crossing))
    derived = module.Derived("d")

    entered = entered_code(lambda: derived.twice(2))

    assert [("Derived.twice", __name__, derived, (2,), {})] == crossings
    names = [code.co_qualname for code in entered if code.co_filename == "<string>"]
    assert ["Derived.twice", "Derived.label", "Base.label", "Base.shout"] == names
    proxies = [code.co_qualname for code in entered if code.co_filename == callproxy.__file__]
    # compiled: no frame but the app's and the dispatcher's; pure: the proxy's own frames
    pure_frames = ["SeamCall.__get__", "SeamCall.__call__"] * 4
    assert ([] if how == "compiled" else pure_frames) == proxies
    assert {"<string>", __file__, callproxy.__file__} >= {code.co_filename for code in entered}


@COMPILED
def test_steady_method_crossings_enter_no_python_of_seamrec_when_recorded_and_checked() -> None:
    def calls(module: types.ModuleType) -> list[types.CodeType]:
        base = module.Base("b")
        for key in ("a", "b"):  # the payload calls
            base.shout(key)

        def steady() -> None:
            for key in "cdefg":
                base.shout(key)

        return entered_code(steady)

    with tempfile.TemporaryDirectory() as root:
        recorded = record(Path(root), "compiled", calls)[1]
        findings, calls_checked, checked = check(Path(root), "compiled", calls)

    assert ["Base.shout"] * 5 == [code.co_qualname for code in recorded]
    assert ["Base.shout"] * 5 == [code.co_qualname for code in checked]
    assert ([], 7) == (findings, calls_checked)


@COMPILED
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda base, key: base.describe(key), id="a default"),
        pytest.param(lambda base, key: base.describe(key, suffix="?"), id="a keyword"),
        pytest.param(lambda base, key: base.describe(prefix=key, suffix="?"), id="keywords"),
    ],
)
def test_steady_keyword_and_default_crossings_enter_no_python_of_seamrec(
    call: Callable[[Any, str], Any],
) -> None:
    def calls(module: types.ModuleType) -> list[str]:
        base = module.Base("b")
        for key in "ab":  # the payload calls
            call(base, key)

        def steady() -> None:
            for key in "cdefg":
                call(base, key)

        return [code.co_qualname for code in entered_code(steady)]

    with tempfile.TemporaryDirectory() as root:
        recorded = record(Path(root), "compiled", calls)[1]
        findings, calls_checked, checked = check(Path(root), "compiled", calls)

    own_calls = ["<lambda>", "Base.describe", "Base.shout"] * 5  # the test's and the app's
    assert own_calls == [name.rpartition("<locals>.")[2] for name in recorded]
    assert own_calls == [name.rpartition("<locals>.")[2] for name in checked]
    assert ([], 7) == (findings, calls_checked)


# ---------------------------------------------------------------- crossings


@pytest.mark.parametrize("how", HOWS)
def test_method_crossings_are_recorded_as_wrapt_recorded_them(how: str) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        reference = record(Path(a), "wrapt", play_shop)
        recorded = record(Path(b), how, play_shop)
    unwrapped = types.ModuleType(MODULE)
    exec(SOURCE, vars(unwrapped))

    assert reference[0]  # a cassette was written
    assert reference == recorded
    assert play_shop(unwrapped) == recorded[1]


@pytest.mark.parametrize("how", HOWS)
def test_method_crossings_are_checked_as_wrapt_checked_them(how: str) -> None:
    def drifted(module: types.ModuleType) -> list[Any]:
        module.VARIANT[0] = 1
        return play_shop(module, rounds=5)  # one call more of each seam

    with tempfile.TemporaryDirectory() as root:
        record(Path(root), "wrapt", play_shop)
        reference = check(Path(root), "wrapt", drifted)
        checked = check(Path(root), how, drifted)
        fitting = check(Path(root), how, play_shop)

    assert reference[0]  # `label` drifted, and the fifth round was not recorded
    assert reference == checked
    assert [] == fitting[0]


values = st.recursive(
    st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3), st.booleans()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=6,
)
steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["call", "call", "call", "sub", "raise", "nested", "keywords", "unbound", "thread"]
        ),
        values,
        values,
    ),
    max_size=20,
)


def plan_player(plan: list[tuple[str, Any, Any]]) -> Callable[[types.ModuleType], Any]:
    """Play `plan` on `Repo.fetch` and `CachedRepo.fetch` (whose `super()` call stays in
    the module); a nested fetch calls `Repo.inner` from this module, inside the call."""

    def play(module: types.ModuleType) -> list[Any]:
        repo, cached = module.Repo(), module.CachedRepo()
        module.CALLBACK[0] = lambda key: repo.inner(key)
        seen: list[Any] = []
        for kind, argument, result in plan:
            module.ANSWER[0] = result
            try:
                if kind == "keywords":
                    seen.append(repo.fetch(argument, q=kind))
                elif kind == "sub":
                    seen.append(cached.fetch(argument))
                elif kind == "unbound":
                    seen.append(module.Repo.fetch(repo, argument, kind))
                elif kind == "thread":
                    worker = threading.Thread(target=lambda a=argument: repo.fetch(a, "thread"))
                    worker.start()
                    worker.join()
                else:
                    seen.append(repo.fetch(argument, kind))
            except LookupError as exc:
                seen.append(repr(exc))
        return seen

    return play


@settings(max_examples=examples(40), deadline=None)
@given(steps)
def test_any_plan_of_method_calls_records_the_cassette_wrapt_recorded(
    plan: list[tuple[str, Any, Any]],
) -> None:
    play = plan_player(plan)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        reference = record(Path(a), "wrapt", play)
        for how in ("pure", "compiled") if callproxy.compiled is not None else ("pure",):
            assert reference == record(Path(b), how, play)


@settings(max_examples=examples(40), deadline=None)
@given(steps, st.data())
def test_any_plan_of_method_calls_is_checked_as_wrapt_checked_it(
    recorded: list[tuple[str, Any, Any]], data: st.DataObject
) -> None:
    live = [
        (
            data.draw(st.sampled_from([kind, kind, "call", "raise"])),
            data.draw(st.one_of(st.just(argument), values)),
            data.draw(st.one_of(st.just(result), st.just(result), values)),
        )
        for kind, argument, result in recorded
    ] + data.draw(steps)
    with tempfile.TemporaryDirectory() as root:
        record(Path(root), "wrapt", plan_player(recorded))
        reference = check(Path(root), "wrapt", plan_player(live))
        for how in ("pure", "compiled") if callproxy.compiled is not None else ("pure",):
            assert reference == check(Path(root), how, plan_player(live))
