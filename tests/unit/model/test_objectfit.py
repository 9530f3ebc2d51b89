"""Fit checks of objects, mappings of other classes, named tuples, exceptions, sets and
subclasses of leaf types, read field by field (`objectfit`).

The reference is the comparison conform's per-value check made before for such a value:
the value shaped and compared with every member (`shape.compatible`). The checks built by
conform's closures, by the C accelerator and by the generated pure-Python code give its
verdict on arbitrary recorded unions and live columns of such values, service objects
with fields holding other services and foreign objects included; and a value that fits
is not shaped.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples
from seamrec.model import accel, checkgen, conform, objectfit
from seamrec.model.classify import Classifier
from seamrec.model.shape import Shape, ShapeFunction, compatible, make_shape_function

HERE = __name__
APP = Classifier(boundaries=(HERE,), record_types=(f"{HERE}.Record",))


class Foreign:
    """A library's object: outside the boundaries, recorded by its type."""

    __module__ = "library.parsers"


class Service:
    """A boundary object that is not data: its fields, walked shallowly."""

    def __init__(self, *fields: Any) -> None:
        for index, value in enumerate(fields):
            setattr(self, f"f{index}", value)


class Record:
    """A class named in record_types: an object whose fields are data."""

    def __init__(self, *fields: Any) -> None:
        for index, value in enumerate(fields):
            setattr(self, f"f{index}", value)


@dataclasses.dataclass
class Point:
    x: Any
    y: Any


Pair = collections.namedtuple("Pair", ["left", "right"])


class Tag(str):
    pass


class Registry(dict[Any, Any]):
    pass


class Headers(Mapping[Any, Any]):
    """A mapping of the app that is not a dict: read through its items."""

    def __init__(self, content: dict[Any, Any]) -> None:
        self._content = content

    def __getitem__(self, key: Any) -> Any:
        return self._content[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._content)

    def __len__(self) -> int:
        return len(self._content)


class Failure(Exception):
    pass


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.sampled_from(["", "x", "2026-01-01", "deadbeef" * 4]),
        st.sampled_from([Tag("a"), Foreign()]),
    )


# identifiers only: a column mixing records and maps is walked as one map, which a check
# of the column's values one by one (the generated list check) cannot see
KEYS = st.sampled_from(["id", "name", "x"])


def values() -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.lists(children, max_size=3).map(tuple),
            st.lists(st.integers(0, 3), max_size=3).map(set),
            st.dictionaries(KEYS, children, max_size=3),
            st.dictionaries(KEYS, children, max_size=2).map(Registry),
            st.dictionaries(KEYS, children, max_size=2).map(Headers),
            st.dictionaries(KEYS, children, max_size=2).map(collections.Counter),
            st.lists(children, max_size=3).map(lambda f: Service(*f)),
            st.lists(children, max_size=2).map(lambda f: Record(*f)),
            st.tuples(children, children).map(lambda t: Point(*t)),
            st.tuples(children, children).map(lambda t: Pair(*t)),
            st.lists(children, max_size=2).map(lambda a: Failure(*a)),
        ),
        max_leaves=8,
    )


@pytest.fixture(autouse=True, scope="module")
def members_checked_from_the_first_value() -> Iterator[None]:
    """Each member's own check is built at its first value here (a run builds it at its
    `HOT_CALLS`-th: until then the value is shaped, which these tests hold it to)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(objectfit, "HOT_CALLS", 1)
        yield


PROPERTIES = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def walker() -> ShapeFunction:
    return make_shape_function(classifier=APP)


def reference(union: Shape, shape_of: ShapeFunction, column: list[Any]) -> bool:
    """The verdict of the comparison of shapes, value by value."""
    return all(any(compatible(member, shape_of(value)) for member in union) for value in column)


def recorded_union(recorded: list[Any]) -> Shape:
    shape = walker()(recorded)
    return shape[2] if shape[0] == "coll" else (shape,)


def checks(union: Shape, shape_of: ShapeFunction) -> list[tuple[str, conform.Check]]:
    pure_walk = accel.pure_walker(shape_of)
    found = [("closures", conform._per_value_check(union, pure_walk))]
    if accel.compiled is not None:
        found.append(("compiled", accel._per_value(union, shape_of)))
    generated = checkgen.generate_value(("coll", "list", union), pure_walk)
    assert generated is not None
    found.append(("generated", lambda column: generated([column])))
    return found


@PROPERTIES
@given(st.lists(values(), min_size=1, max_size=3), st.lists(values(), max_size=3))
def test_every_path_gives_the_shape_comparisons_verdict(
    recorded: list[Any], live: list[Any]
) -> None:
    union = recorded_union(recorded)
    shape_of = walker()
    pure_walk = accel.pure_walker(shape_of)
    for name, check in checks(union, shape_of):
        assert check(list(live)) == reference(union, pure_walk, live), name
        assert check(list(recorded)) == reference(union, pure_walk, recorded), name


@PROPERTIES
@given(st.lists(values(), min_size=1, max_size=3), st.lists(values(), max_size=3))
def test_the_field_checks_alone_never_accept_what_the_comparison_rejects(
    recorded: list[Any], live: list[Any]
) -> None:
    """Each member's own check says True only where the comparison does (False leaves
    the value to the comparison)."""
    union = recorded_union(recorded)
    shape_of = accel.pure_walker(walker())
    for member in union:
        check = objectfit._member_check(member, APP.kind, conform._pure_union(shape_of))
        if check is None:
            continue
        for value in live + recorded:
            if check([value]):
                assert compatible(member, shape_of(value)), (member, value)


def shaped_while_checking(recorded: object, live: object) -> list[object]:
    """The values the per-value check shapes while checking `live` (it must fit) once
    the member's own check is built (before that, values are shaped)."""
    shape_of = walker()
    union = (shape_of(recorded),)
    shaped: list[object] = []

    def counting(value: object) -> Shape:
        shaped.append(value)
        return shape_of(value)

    counting.kind_of_class = APP.kind  # type: ignore[attr-defined]
    check = conform._per_value_check(union, counting)
    for _ in range(objectfit.HOT_CALLS - 1):
        assert check([live])
    assert shaped == [live] * (objectfit.HOT_CALLS - 1)
    shaped.clear()
    assert check([live])
    assert check([live])
    return shaped


def test_a_member_met_less_often_than_hot_calls_has_no_check_of_its_own() -> None:
    member = walker()(Pair(1, "a"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(objectfit, "HOT_CALLS", 3)
        check = objectfit.member_check(member, APP.kind, conform._pure_union(walker()))
        assert check is not None

        verdicts = [check([Pair(2, "b")]) for _ in range(4)]

    assert [False, False, True, True] == verdicts


def request(parsers: list[Any], name: str) -> Service:
    context: dict[str, Any] = {"view": Service(), "encoding": "utf-8"}
    service = Service(parsers, context, name, (1, "a"))
    context["request"] = service  # the request inside its own context
    return service


def test_a_fitting_service_holding_services_is_not_shaped() -> None:
    assert [] == shaped_while_checking(request([Foreign()], "a"), request([Foreign()], "b"))


def test_fitting_mappings_named_tuples_and_exceptions_are_not_shaped() -> None:
    pairs = [
        (Registry(a=1), Registry(a=2)),
        (Headers({"a": [1]}), Headers({"a": []})),
        (Headers({1: "a"}), Headers({2: "b"})),
        (collections.Counter("ab"), collections.Counter("abc")),
        (Pair(1, "a"), Pair(2, "b")),
        (Failure("x", 1), Failure("y", 2)),
        ({1, 2}, {3}),
        (Tag("a"), Tag("b")),
        (Point(1, [2]), Point(3, [])),
        (Record(Foreign(), 1), Record(Foreign(), 2)),
    ]
    for recorded, live in pairs:
        assert [] == shaped_while_checking(recorded, live), recorded


@pytest.mark.parametrize(
    ("recorded", "live"),
    [
        (Service([Foreign()]), Service([])),  # an empty list holds nothing: not its type
        (Service([]), Service([Foreign()])),  # a list holding an object is its type only
        (Service(Foreign()), Service(Service())),  # another type
        (Service({"a": Foreign()}), Service({"a": 1})),
        (Registry(a=1), Registry(b=1)),
        (Headers({"a": 1}), Headers({"a": "x"})),
        (Pair(1, 2), Pair(1, "2")),
    ],
)
def test_a_value_that_does_not_fit_gets_the_comparisons_verdict(
    recorded: object, live: object
) -> None:
    shape_of = walker()
    union = (shape_of(recorded),)
    expected = compatible(union[0], shape_of(live))
    for name, check in checks(union, shape_of):
        assert check([live]) == expected, name


def test_without_the_classifier_of_the_walk_values_are_compared_by_shape() -> None:
    shape_of = walker()
    union = (shape_of(Registry(a=1)),)

    def plain_walk(value: object) -> Shape:
        return shape_of(value)

    assert objectfit.kind_function(plain_walk) is None
    assert conform._per_value_check(union, plain_walk)([Registry(a=2)])
