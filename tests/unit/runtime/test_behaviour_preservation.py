"""Wrapping never changes what the code under test does, however awkward the callee.

A boundary module full of awkward callees (properties, slots, partials, callable objects,
C functions, mutated arguments, recursion, iterators, context managers, `__getattr__`,
the generator protocol, coroutines, class- and staticmethods, inheritance across modules,
decorated functions, copy, pickle and a spawned process pool) and a test module that
asserts every result, exception, side effect and iterator position. The same tests run
three ways — without seamrec, recording, checking — and must pass alike, without a
warning and without a seamrec internal error.
"""

from __future__ import annotations

import re

import pytest

from helpers import LayeredApp, fresh_project, seamrec_summary
from seamrec.cassette.store import load

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.seamrec]
boundaries = ["app"]
"""

AWKWARD = '''\
"""Callees that are awkward to wrap."""

import asyncio
import contextlib
import functools
from math import sqrt  # a C function, re-exported

LOG: list[str] = []  # side effects, in order
SQUARED: list[int] = []  # arguments `square` really computed
ERROR = LookupError("missing")  # always raised as this very object


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self._balance = balance

    @property
    def balance(self):
        LOG.append(f"balance of {self.owner}")
        return self._balance

    def deposit(self, amount):
        self._balance += amount
        return self


def open_account(owner, balance=0):
    return Account(owner, balance)


def transfer(source, target, amount):
    source._balance -= amount
    target._balance += amount
    return source, target


class Point:
    __slots__ = ("_cache", "label", "x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y  # `label` and `_cache` stay unset

    def moved(self, dx, dy):
        return Point(self.x + dx, self.y + dy)


def scale(value, factor):
    return value * factor


scaled = functools.partial(scale, factor=3)


class Doubler:
    def __init__(self):
        self.calls = 0

    def __call__(self, value):
        self.calls += 1
        return 2 * value


double = Doubler()


def append_to(items, value):
    items.append(value)
    return items


def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def depth(tree):
    return 0 if tree is None else 1 + depth(tree[0])


def numbers():
    return iter([1, 2, 3])


@contextlib.contextmanager
def opened(name):
    LOG.append(f"enter {name}")
    try:
        yield {"name": name}
    finally:
        LOG.append(f"exit {name}")


class Lenient:
    def __init__(self, name):
        self.name = name

    def __getattr__(self, attribute):
        LOG.append(f"getattr {attribute}")
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return f"dynamic {attribute}"

    def lookup(self, attribute):
        return getattr(self, attribute)


def make_lenient(name):
    return Lenient(name)


def name_of(thing):
    return thing.name


def accumulator():
    total = 0
    try:
        while True:
            try:
                value = yield total
            except ValueError as exc:
                LOG.append(f"thrown {exc}")
                continue
            total += value or 0
    finally:
        LOG.append("closed")


def countdown(n):
    while n:
        yield n
        n -= 1
    return "liftoff"


async def fetch(key):
    await asyncio.sleep(0)
    return {"key": key}


async def fail_later():
    await asyncio.sleep(0)
    raise ERROR


class Factory:
    def __init__(self, size):
        self.size = size

    @classmethod
    def create(cls, size):
        return cls(size)

    @staticmethod
    def normalize(text):
        return text.strip().lower()


def logged(function):
    @functools.wraps(function)
    def logging_wrapper(*args, **kwargs):
        LOG.append(f"call {function.__name__}")
        return function(*args, **kwargs)

    return logging_wrapper


@logged
def add(a, b):
    return a + b


@functools.lru_cache(maxsize=None)
def square(n):
    SQUARED.append(n)
    return n * n


def cube(n):
    return n**3


class Tally:
    def __init__(self):
        self.count = 0

    def bump(self, by=1):
        self.count += by
        return self.count


class Rejected(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    @property
    def explanation(self):
        LOG.append("explanation read")
        return f"rejected: {self.reason}"


def find(key):
    raise ERROR


def reject(reason):
    raise Rejected(reason)


def parse(text):
    try:
        return int(text)
    except ValueError as exc:
        raise Rejected(text) from exc
'''

BASE = """\
class Base:
    def __init__(self, name):
        self.name = name

    def describe(self):
        return f"{type(self).__name__}:{self.name}"

    def label(self):
        return self.name.upper()
"""

DERIVED = '''\
"""A subclass in another module than its base."""

from app.base import Base


class Derived(Base):
    def label(self):
        return "<" + super().label() + ">"

    def summary(self):
        return self.describe() + " " + self.label()
'''

CONFTEST = """\
import pytest

from app import awkward


@pytest.fixture(autouse=True)
def fresh_state():
    awkward.LOG.clear()
    awkward.SQUARED.clear()
    awkward.square.cache_clear()
"""

TESTS = """\
import asyncio
import copy
import functools
import inspect
import math
import multiprocessing
import pickle
import sys

import pytest

from app import awkward
from app.base import Base
from app.derived import Derived


class Special(awkward.Factory):
    pass


def test_a_property_is_evaluated_only_by_the_test():
    account = awkward.open_account("ada", 10)
    other = awkward.open_account("bob")
    assert (type(account), account.owner) == (awkward.Account, "ada")
    pair = awkward.transfer(account, other, 4)
    assert pair[0] is account and pair[1] is other
    assert account.deposit(1) is account
    assert [] == awkward.LOG
    assert 7 == account.balance
    assert 4 == other.balance
    assert ["balance of ada", "balance of bob"] == awkward.LOG


def test_a_slots_class_keeps_its_unset_slots_unset():
    point = awkward.Point(1, 2)
    moved = point.moved(2, 3)
    assert type(moved) is awkward.Point
    assert (3, 5) == (moved.x, moved.y)
    assert (1, 2) == (point.x, point.y)
    assert not hasattr(moved, "label")
    assert not hasattr(moved, "_cache")
    assert not hasattr(moved, "__dict__")
    moved.label = "here"
    assert "here" == moved.label


def test_a_partial_and_a_callable_object_exported_by_the_app():
    assert 6 == awkward.scaled(2)
    assert isinstance(awkward.scaled, functools.partial)
    assert {"factor": 3} == awkward.scaled.keywords
    assert 10 == awkward.scale(2, factor=5)
    assert 8 == awkward.double(4)
    assert isinstance(awkward.double, awkward.Doubler)
    assert 1 == awkward.double.calls


def test_a_c_function_re_exported_by_the_app():
    assert awkward.sqrt is math.sqrt
    assert 4.0 == awkward.sqrt(16.0)
    with pytest.raises(ValueError, match="math domain error"):
        awkward.sqrt(-1.0)


def test_a_function_that_mutates_its_argument_returns_the_same_list():
    items = [1]
    result = awkward.append_to(items, 2)
    assert result is items
    assert [1, 2] == items
    assert awkward.append_to(items, items) is items  # now it contains itself
    assert 3 == len(items)
    assert items[2] is items


def test_a_recursive_function():
    assert 2432902008176640000 == awkward.factorial(20)


def test_a_returned_iterator_is_not_consumed():
    numbers = awkward.numbers()
    assert 1 == next(numbers)
    assert [2, 3] == list(numbers)


def test_a_returned_context_manager_is_not_entered_and_works_as_usual():
    manager = awkward.opened("idle")
    assert [] == awkward.LOG
    with awkward.opened("a") as handle:
        assert {"name": "a"} == handle
        assert ["enter a"] == awkward.LOG
    assert ["enter a", "exit a"] == awkward.LOG
    error = RuntimeError("inside")
    with pytest.raises(RuntimeError) as raised, awkward.opened("b"):
        raise error
    assert raised.value is error
    assert ["enter a", "exit a", "enter b", "exit b"] == awkward.LOG
    assert manager is not None


def test_a_class_with_getattr_is_only_asked_what_the_test_asks():
    lenient = awkward.make_lenient("x")
    assert "x" == awkward.name_of(lenient)
    assert [] == awkward.LOG
    assert "dynamic color" == lenient.lookup("color")
    assert "x" == lenient.name
    assert ["getattr color"] == awkward.LOG


def test_a_generator_driven_by_send_throw_and_close():
    gen = awkward.accumulator()
    assert 0 == next(gen)
    assert 5 == gen.send(5)
    assert 7 == gen.send(2)
    assert 7 == gen.throw(ValueError("odd"))
    assert ["thrown odd"] == awkward.LOG
    gen.close()
    assert ["thrown odd", "closed"] == awkward.LOG
    with pytest.raises(StopIteration):
        next(gen)

    unhandled = awkward.accumulator()
    assert 0 == next(unhandled)
    error = KeyError("k")
    with pytest.raises(KeyError) as raised:
        unhandled.throw(error)
    assert raised.value is error
    assert ["thrown odd", "closed", "closed"] == awkward.LOG

    never_started = awkward.accumulator()
    never_started.close()
    assert ["thrown odd", "closed", "closed"] == awkward.LOG

    down = awkward.countdown(2)
    assert [2, 1] == [next(down), next(down)]
    with pytest.raises(StopIteration) as stop:
        next(down)
    assert "liftoff" == stop.value.value

    def delegate():
        result = yield from awkward.countdown(3)
        yield result

    assert [3, 2, 1, "liftoff"] == list(delegate())


def test_an_async_function_awaited_via_asyncio_run():
    assert {"key": "k"} == asyncio.run(awkward.fetch("k"))
    with pytest.raises(LookupError) as raised:
        asyncio.run(awkward.fail_later())
    assert raised.value is awkward.ERROR
    assert inspect.iscoroutinefunction(awkward.fetch)
    never_awaited = awkward.fetch("x")
    assert inspect.iscoroutine(never_awaited)
    never_awaited.close()


def test_classmethods_and_staticmethods():
    made = awkward.Factory.create(2)
    assert (type(made), made.size) == (awkward.Factory, 2)
    special = Special.create(3)
    assert (type(special), special.size) == (Special, 3)
    assert 4 == made.create(4).size
    assert "hello" == awkward.Factory.normalize("  HeLLo ")
    assert "x" == made.normalize(" X")


def test_an_inherited_method_called_on_a_subclass_from_another_module():
    derived = Derived("x")
    assert "Derived:x" == derived.describe()
    assert "<X>" == derived.label()
    assert "Derived:x <X>" == derived.summary()
    assert "X" == Base("x").label()
    assert isinstance(derived, Base)


def test_a_function_decorated_with_functools_wraps():
    assert 3 == awkward.add(1, 2)
    assert "add" == awkward.add.__name__
    assert "(a, b)" == str(inspect.signature(awkward.add))
    assert ["call add"] == awkward.LOG


def test_a_function_decorated_with_lru_cache():
    assert 16 == awkward.square(4)
    assert 16 == awkward.square(4)
    assert [4] == awkward.SQUARED
    info = awkward.square.cache_info()
    assert (1, 1) == (info.hits, info.misses)


def test_copies_and_pickles_of_wrapped_functions():
    assert copy.copy(awkward.factorial) is awkward.factorial
    assert copy.deepcopy(awkward.factorial) is awkward.factorial
    assert pickle.loads(pickle.dumps(awkward.factorial)) is awkward.factorial
    assert 5 == pickle.loads(pickle.dumps(awkward.add))(2, 3)
    assert 9 == pickle.loads(pickle.dumps(awkward.square))(3)


def test_copies_and_pickles_of_bound_methods():
    tally = awkward.Tally()
    shallow = copy.copy(tally.bump)
    assert shallow.__self__ is tally
    assert 1 == shallow()
    assert 1 == tally.count
    revived = pickle.loads(pickle.dumps(tally.bump))  # bound to a copy of the instance
    assert revived.__self__ is not tally
    assert 3 == revived(2)
    assert 1 == tally.count
    assert 2 == pickle.loads(pickle.dumps(awkward.Factory.create))(2).size


def test_a_deep_copy_of_a_bound_method_is_bound_to_a_deep_copy_of_its_instance():
    tally = awkward.Tally()
    deep = copy.deepcopy(tally.bump)
    assert deep.__self__ is not tally
    assert 5 == deep(5)
    assert 0 == tally.count


def test_a_staticmethod_taken_from_its_class_pickles():
    assert "x" == pickle.loads(pickle.dumps(awkward.Factory.normalize))(" X ")
    assert "y" == copy.deepcopy(awkward.Factory.normalize)(" Y ")


def test_a_spawned_process_pool_maps_wrapped_functions():
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert [1, 8, 27] == pool.map(awkward.cube, [1, 2, 3])
        assert [4, 9] == pool.map(awkward.square, [2, 3])


def test_exceptions_are_the_same_objects_and_their_properties_are_not_read():
    with pytest.raises(LookupError) as raised:
        awkward.find("k")
    assert raised.value is awkward.ERROR
    with pytest.raises(awkward.Rejected) as rejected:
        awkward.reject("late")
    assert ("late",) == rejected.value.args
    assert "late" == rejected.value.reason
    with pytest.raises(awkward.Rejected) as chained:
        awkward.parse("x1")
    assert isinstance(chained.value.__cause__, ValueError)
    assert 12 == awkward.parse("12")
    assert [] == awkward.LOG
    assert "rejected: late" == rejected.value.explanation
    assert ["explanation read"] == awkward.LOG
"""

MODES = {"no flag": (), "record": ("--record-seams",), "check": ("--check-seams",)}


@pytest.fixture
def awkward_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """A project whose boundary is the awkward app, with its tests (nothing recorded)."""
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/awkward.py": AWKWARD,
        "app/base.py": BASE,
        "app/derived.py": DERIVED,
        "tests/conftest.py": CONFTEST,
        "tests/test_awkward.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def failed_tests(result: pytest.RunResult) -> list[str]:
    """The inner tests reported as failed or in error (from the short summary)."""
    return [
        line.split(" ")[1] for line in result.outlines if re.match(r"(FAILED|ERROR) tests/", line)
    ]


def test_the_awkward_callees_behave_the_same_without_seamrec_recording_and_checking(
    awkward_app: LayeredApp,
) -> None:
    tests = re.findall(r"^def (test_\w+)", TESTS, flags=re.MULTILINE)
    results = {mode: awkward_app.run("-rfE", *options) for mode, options in MODES.items()}

    problems: list[str] = []
    for mode, result in results.items():
        problems += [f"{mode}: {nodeid} failed" for nodeid in failed_tests(result)]
        outcomes = result.parseoutcomes()
        if outcomes != {"passed": len(tests)}:  # no failure, error or warning either
            problems.append(f"{mode}: {outcomes}")
        output = result.stdout.str() + result.stderr.str()
        if "seamrec internal error" in output:
            problems.append(f"{mode}: a seamrec internal error was reported")
        if "Warning" in output:
            problems.append(f"{mode}: a warning was shown")
    assert not problems, "\n".join(problems)

    assert [] == seamrec_summary(results["no flag"])
    cassettes = sorted(path.stem for path in awkward_app.cassettes.rglob("*.msgpack"))
    crossing_nothing = [
        "test_a_c_function_re_exported_by_the_app",
        "test_a_spawned_process_pool_maps_wrapped_functions",
        "test_a_subclass_can_tell_inherited_methods_from_overridden_ones",
    ]
    assert sorted(set(tests) - set(crossing_nothing)) == cassettes
    assert [
        f"cassettes: {len(cassettes)} written, 0 unchanged, 0 kept because the test failed",
        "contracts: 3 written, 0 unchanged, 0 removed",
    ] == seamrec_summary(results["record"])[1:]
    assert [
        "0 tests drifted, 0 unrecorded, 0 with unusable cassettes",
    ] == seamrec_summary(results["check"])[1:]
    # Recursion inside the module crosses no seam: one call, the test's own.
    recursion = awkward_app.cassettes / "tests/test_awkward/test_a_recursive_function.msgpack"
    assert 1 == load(recursion).call_count()
