"""A `FrozenRecord` dataclass behaves as `dataclass(frozen=True)` would: equality and
hash by field values, the same repr, assignment refused with the same error, and
`dataclasses.replace`/`fields` working; the records seamrec imports in every run use it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from seamrec.config import Limits, SeamPattern, Settings
from seamrec.frozen import FrozenRecord
from seamrec.model.views import CutView, ObjectView, OpaqueView, TypedCollectionView


@dataclasses.dataclass(frozen=True)
class Generated:
    name: str
    items: tuple[int, ...] = ()
    note: str = dataclasses.field(default="", compare=False)


@dataclasses.dataclass(init=False, repr=False, eq=False)
class Written(FrozenRecord):
    name: str
    items: tuple[int, ...] = ()
    note: str = dataclasses.field(default="", compare=False)

    def __init__(self, name: str, items: tuple[int, ...] = (), note: str = "") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "note", note)


@dataclasses.dataclass(init=False, repr=False, eq=False)
class Single(FrozenRecord):
    name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)


def error_of(action: Any) -> str:
    with pytest.raises(dataclasses.FrozenInstanceError) as caught:
        action()
    return str(caught.value)


def test_equality_hash_and_repr_are_the_generated_ones() -> None:
    generated, written = Generated("a", (1, 2), "x"), Written("a", (1, 2), "x")

    assert repr(generated).replace("Generated", "Written") == repr(written)
    assert hash(generated) == hash(written)
    assert Written("a", (1, 2), "other note") == written  # `note` is not compared
    assert Written("b", (1, 2)) != written
    assert generated != written  # another class: never equal, as dataclasses has it
    assert hash(Single("a")) == hash(("a",))


def test_assignment_and_deletion_are_refused_with_the_generated_errors() -> None:
    generated, written = Generated("a"), Written("a")

    assert error_of(lambda: setattr(generated, "name", "b")) == error_of(
        lambda: setattr(written, "name", "b")
    )
    assert error_of(lambda: delattr(generated, "name")) == error_of(
        lambda: delattr(written, "name")
    )
    assert "a" == written.name


def test_replace_and_fields_work_as_on_any_dataclass() -> None:
    written = Written("a", (1,), "x")

    assert Written("b", (1,), "x") == dataclasses.replace(written, name="b")
    assert ["name", "items", "note"] == [f.name for f in dataclasses.fields(written)]


def test_seamrecs_records_compare_hash_and_show_by_value() -> None:
    settings = Settings(rootdir=Path("."), cassette_dir=Path("c"), boundaries=("app",))

    assert Limits() == settings.limits
    assert Settings(rootdir=Path("."), cassette_dir=Path("c"), boundaries=("app",)) == settings
    assert hash(SeamPattern("a:b", "a", "b")) == hash(SeamPattern("a:b", "a", "b"))
    assert "SeamPattern(text='a:b', module='a', qualname='b')" == repr(SeamPattern("a:b", "a", "b"))
    assert "Limits(payload_calls=1, max_depth=32, max_items=100, max_str=2048)" == repr(
        Limits(payload_calls=1)
    )
    assert dataclasses.replace(settings, boundaries=()).boundaries == ()


def test_views_keep_their_own_hash_and_repr() -> None:
    view = ObjectView("shop.Order", (("id", [1]),))

    assert {view} == {ObjectView("shop.Order", (("id", [1]),))}  # hashed deeply
    assert "shop.Order(id=[1])" == repr(view)
    assert TypedCollectionView("c.D", (), mapping=True) == TypedCollectionView("c.D", ())
    assert hash(OpaqueView("x.Y")) == hash(("x.Y",))
    assert "<cut: depth>" == repr(CutView("depth"))
