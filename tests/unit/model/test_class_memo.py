"""Facts cached per class keep no class alive: a class its module holds is kept in a
plain dict, any other (a test's model made in a function, a factory's class) weakly,
so a suite that makes classes per test does not keep them, and all they refer to,
alive for the rest of the run."""

from __future__ import annotations

import gc
import types
import weakref
from collections.abc import Callable
from typing import Any

from seamrec.config import Limits
from seamrec.model.classify import Classifier, ClassMemo, Kind, held_by_module, per_type
from seamrec.model.codec import make_packer, unpack


class Outer:
    class Inner:
        pass


def made_in_a_function() -> type:
    class Local:
        def __init__(self) -> None:
            self.n = 1

    return Local


def collected(reference: weakref.ref[type]) -> bool:
    gc.collect()
    return reference() is None


def test_classes_their_module_holds_and_static_types_are_held() -> None:
    assert held_by_module(Outer)
    assert held_by_module(Outer.Inner)
    assert held_by_module(int)
    assert held_by_module(type(None))  # a static type, by no name in builtins
    assert held_by_module(types.GeneratorType)


def test_classes_made_in_a_function_or_by_a_factory_are_not_held() -> None:
    assert not held_by_module(made_in_a_function())
    assert not held_by_module(type("Made", (), {}))
    assert not held_by_module(type("Outer", (), {"__module__": __name__}))  # not that one


def test_a_memo_computes_once_per_class_and_keeps_no_class_alive() -> None:
    memo: ClassMemo[str] = ClassMemo()
    calls: list[type] = []

    def compute(cls: type) -> str:
        calls.append(cls)
        return cls.__name__

    local = made_in_a_function()
    found = [memo.missed(local, compute), memo.missed(local, compute)]
    found += [memo.missed(Outer, compute), memo.held.get(Outer, "")]
    reference = weakref.ref(local)
    del local, calls[:]

    assert ["Local", "Local", "Outer", "Outer"] == found
    assert [Outer] == list(memo.held)
    assert collected(reference)
    assert 1 == len(memo)


def test_a_fact_per_type_keeps_no_class_alive() -> None:
    computed: list[str] = []

    @per_type
    def name_of(cls: type) -> str:
        computed.append(cls.__name__)
        return cls.__name__

    local = made_in_a_function()
    found = [name_of(local), name_of(local), name_of(Outer), name_of(Outer)]
    reference = weakref.ref(local)
    del local

    assert ["Local", "Local", "Outer", "Outer"] == found
    assert ["Local", "Outer"] == computed
    assert collected(reference)


def test_the_classifier_keeps_no_class_alive() -> None:
    classifier = Classifier()  # every class the app's own
    local = made_in_a_function()
    kinds = [classifier.kind(local), classifier.kind(local)]
    reference = weakref.ref(local)
    del local

    assert [Kind.SERVICE, Kind.SERVICE] == kinds
    assert collected(reference)


def test_a_packer_keeps_no_opaque_class_alive() -> None:
    pack_payload = make_packer(Limits(), Classifier(("app",)))  # the class is foreign
    local = made_in_a_function()
    payloads = [pack_payload(local()) for _ in range(2)]
    reference = weakref.ref(local)
    del local

    assert payloads[0] == payloads[1]
    assert "Local" in str(unpack(payloads[0]))
    assert collected(reference)


def test_a_dropped_class_is_computed_again_if_it_comes_back_by_name() -> None:
    memo: ClassMemo[int] = ClassMemo()
    counter = iter(range(10))
    compute: Callable[[Any], int] = lambda cls: next(counter)  # noqa: E731

    first, again = made_in_a_function(), made_in_a_function()

    assert [0, 1, 0, 1] == [
        memo.missed(first, compute),
        memo.missed(again, compute),
        memo.missed(first, compute),
        memo.missed(again, compute),
    ]


def test_a_memo_never_asks_a_class_whether_it_equals_another() -> None:
    """A class made by a factory is found by identity: its metaclass's `__eq__` (app
    code, which may raise) is never run by a lookup."""
    asked: list[object] = []

    class Meta(type):
        def __eq__(cls, other: object) -> bool:
            asked.append(other)
            raise RuntimeError("a metaclass that refuses comparisons")

        __hash__ = type.__hash__

    def factory() -> type:
        return Meta("Made", (), {})

    made = factory()
    memo: ClassMemo[str] = ClassMemo()
    assert memo.missed(made, lambda cls: "computed") == "computed"
    assert memo.missed(made, lambda cls: "again") == "computed"
    assert memo.missed(made, lambda cls: "again") == "computed"
    assert asked == []


class _NoDict:
    __slots__ = ()


class _RefusesClass:
    """A module attribute that runs code when asked for its class (a LocalProxy's way)."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("Working outside of application context.")


def test_held_by_module_reads_module_namespaces_only() -> None:
    """A stand-in without `__dict__` in sys.modules, or a proxy on the way to a nested
    class, answers False (not held) without an error and without running the proxy."""
    import sys

    stand_in = types.new_class("Stand", (), {})
    stand_in.__module__ = "seamrec_test_stand_in"
    sys.modules["seamrec_test_stand_in"] = _NoDict()  # type: ignore[assignment]
    proxied = types.new_class("Inner", (), {})
    proxied.__module__ = "seamrec_test_proxied"
    proxied.__qualname__ = "outer.Inner"
    module = types.ModuleType("seamrec_test_proxied")
    module.outer = _RefusesClass()  # type: ignore[attr-defined]
    sys.modules["seamrec_test_proxied"] = module
    try:
        assert held_by_module(stand_in) is False
        assert held_by_module(proxied) is False
    finally:
        del sys.modules["seamrec_test_stand_in"], sys.modules["seamrec_test_proxied"]
