"""The holders of the weak references to the originals are found by the walk for the
originals, and those of the tuples holding originals with those of the tuples holding
weak references: two walks over the heap where there were four, with the same holders
redirected. A tuple or `functools.partial` that holds an original and a weak reference
(its copy holds the weak reference too) still has the copy's holders found after it is
made."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from seamrec.runtime import heapwalk
from seamrec.runtime.aliases import Redirector


def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of groups of each walk over the heap from now on."""
    seen: list[int] = []
    real, real_groups = heapwalk.referrers, heapwalk.referrers_by_group

    def counting(targets: list[Any], *, pure: bool = False) -> list[Any]:
        seen.append(1)
        return real(targets, pure=pure)

    def counting_groups(groups: list[list[Any]], *, pure: bool = False) -> list[list[Any]]:
        seen.append(len(groups))
        return real_groups(groups, pure=pure)

    monkeypatch.setattr(heapwalk, "referrers", counting)
    monkeypatch.setattr(heapwalk, "referrers_by_group", counting_groups)
    return seen


def pair() -> tuple[Callable[..., str], Callable[..., str]]:
    """An original and its wrapper, held by no module (a module would be redirected)."""

    def original(**_: object) -> str:
        return "original"

    def wrapper(**_: object) -> str:
        return "wrapper"

    return original, wrapper


@pytest.fixture
def redirected() -> Iterator[list[Redirector]]:
    """The redirectors of the test, undone after it."""
    done: list[Redirector] = []
    yield done
    for redirector in done:
        undo(redirector)


def redirect(
    done: list[Redirector], target: Callable[..., str], substitute: Callable[..., str]
) -> Redirector:
    redirector = Redirector({id(target): (target, substitute)}, set())
    done.append(redirector)
    redirector.run()
    return redirector


def undo(redirector: Redirector) -> None:
    for step in reversed(redirector.undo):
        step()
    redirector.undo.clear()


def test_weak_references_and_tuples_are_redirected_in_two_walks(
    monkeypatch: pytest.MonkeyPatch, redirected: list[Redirector]
) -> None:
    original, wrapper = pair()
    registry = {"view": original}
    receivers = [(("key", 1), weakref.ref(original), False)]  # Django's signal receivers
    direct = [weakref.ref(original, lambda _: None)]
    cache = {"key": (original, "args")}
    seen = walks(monkeypatch)

    redirector = redirect(redirected, original, wrapper)

    assert [2, 2] == seen
    assert registry["view"] is wrapper
    assert receivers[0][1]() is wrapper
    assert receivers[0][0] == ("key", 1)
    assert direct[0]() is wrapper
    assert cache["key"] == (wrapper, "args")
    assert {} == redirector.holders
    undo(redirector)
    assert registry["view"] is original
    assert receivers[0][1]() is original
    assert direct[0]() is original
    assert cache["key"] == (original, "args")


def test_weak_references_alone_take_one_walk(
    monkeypatch: pytest.MonkeyPatch, redirected: list[Redirector]
) -> None:
    original, wrapper = pair()
    direct = [weakref.ref(original, lambda _: None)]
    seen = walks(monkeypatch)

    redirect(redirected, original, wrapper)

    assert [2] == seen
    assert direct[0]() is wrapper


def test_a_tuple_holding_an_original_and_its_weak_reference_is_redirected_in_both(
    redirected: list[Redirector],
) -> None:
    original, wrapper = pair()
    ref = weakref.ref(original, lambda _: None)
    mixed = [(original, ref)]

    redirector = redirect(redirected, original, wrapper)

    assert mixed[0][0] is wrapper
    assert mixed[0][1]() is wrapper  # the copy's holder was found after the copy was made
    undo(redirector)
    assert mixed[0] == (original, ref)


def test_a_partial_holding_a_tuple_of_weak_references_in_its_keywords_is_redirected_in_both(
    redirected: list[Redirector],
) -> None:
    original, wrapper = pair()
    receiver = (weakref.ref(original, lambda _: None), "receiver")
    held = [functools.partial(original, receiver=receiver)]

    redirect(redirected, original, wrapper)

    assert held[0].func is wrapper
    assert held[0].keywords["receiver"][0]() is wrapper  # the copy's keywords: a new holder


def test_a_tuple_holding_an_original_and_a_tuple_of_weak_references(
    redirected: list[Redirector],
) -> None:
    original, wrapper = pair()
    inner = (weakref.ref(original, lambda _: None), "receiver")
    outer = [(original, inner)]
    receivers = [inner]

    redirect(redirected, original, wrapper)

    assert outer[0][0] is wrapper
    assert receivers[0][0]() is wrapper
    assert receivers[0][1] == "receiver"
