"""Record mode reuses the last shape of a seam taking objects (`strictobjects`): a
strict check compiled with `objects=True` passes a value only when the walker gives it
exactly the recorded shape, and passes the values whose shape did not change, so the
second call of such a seam walks nothing."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, NamedTuple

import pytest

from seamrec.model import accel
from seamrec.model.classify import Classifier
from seamrec.model.conform import compile_args, compile_value
from seamrec.model.shape import Shape, args_shape, make_shape_function

pytestmark = pytest.mark.skipif(accel.compiled is None, reason="the compiled checks take objects")

HERE = __name__
APP = Classifier(boundaries=(HERE,))  # this module plays the app


class Foreign:
    """A library's object: this module's name is not its module."""

    __module__ = "library.things"


class Negotiator:
    def __init__(self) -> None:
        self.strict = True


class Request:
    """A service: fields holding services and foreign objects are their type only."""

    def __init__(self, method: Any = "GET", parsers: Any = None, version: Any = None) -> None:
        self.method = method
        self.version = version
        self.parsers = [Foreign()] if parsers is None else parsers
        self.negotiator = Negotiator()
        self.context: dict[str, Any] = {"view": Negotiator()}
        self.empty = ()


@dataclasses.dataclass
class Point:
    x: Any
    y: Any


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a: Any, b: Any) -> None:
        self.a = a
        self.b = b


class Plain:
    def __init__(self, a: Any, **more: Any) -> None:
        self.a = a
        self.__dict__.update(more)

    @property
    def computed(self) -> int:  # never read: a property is not a field
        raise AssertionError("a property was evaluated")


class Sku(str):
    pass


class Column(NamedTuple):
    name: str
    default: Any


class Refused(Exception):
    pass


class Shouting(Exception):
    """An exception whose `args` is its own property: never read by a check."""

    @property
    def args(self) -> tuple[Any, ...]:  # type: ignore[override]
        return ("LOUD",)


class Tags(collections.UserDict[str, Any]):
    pass


class Items(list[Any]):
    pass


class Parent:
    """Data objects pointing back at each other (a cycle the walker cuts)."""

    def __init__(self) -> None:
        self.child = Plain(1)
        self.child.parent = self  # type: ignore[attr-defined]


def chain_of(depth: int, cyclic: bool = False) -> Point:
    """Data objects nested `depth` deep (walked all the way: not services); the last
    one points back at the first when `cyclic` (the walker cuts the cycle deep down)."""
    top = node = Point(0, None)
    for _ in range(depth):
        node.y = Point(0, None)
        node = node.y
    node.y = top if cyclic else None
    return top


class Service:
    """A service whose field names a service: by its type only, unless it is itself
    and deep enough for the walker's cycle check, which cuts it."""

    def __init__(self, other: Any = None) -> None:
        self.other = self if other is None else other


def nested_service(cyclic: bool) -> Point:
    """A service four data objects deep: the walker checks it for cycles."""
    return Point(Point(Point(Point(Service() if cyclic else Service(Service()), 1), 1), 1), 1)


def values() -> list[Any]:
    """Values of object kinds, several of each shape and several shapes of each kind."""
    return [
        Point(1, 2),
        Point(3, 4),
        Point(1, "x"),
        Point(None, 2),
        Point(Point(1, 2), 3),
        Point(Point(1, "y"), 3),
        Point([1, 2], {"k": 1}),
        Point([], {}),
        Point([1], {"k": "v"}),
        Slotted(1, "a"),
        Slotted(2, "b"),
        Slotted(2, 3.5),
        Plain(1),
        Plain(2),
        Plain("a"),
        Plain(1, b=2),
        Plain(1, b=Foreign()),
        Plain(1, b=Foreign()),
        Plain(1, b=Negotiator()),
        Request(),
        Request(),
        Request("POST"),
        Request(version="1.0"),
        Request(parsers=[]),
        Request(parsers=["json"]),
        Request(parsers=[Negotiator()]),
        Request(parsers=(Foreign(),)),
        Request(parsers={"a": Foreign()}),
        Request(parsers=Foreign()),
        Request(parsers=Negotiator()),
        Request(parsers=[[Foreign()]]),
        Request(method=Point(1, 2)),
        Request(version=Point(1, 2)),
        Request(version=Point(3, 4)),
        Request(version=Point("a", 2)),
        Request(version=Point(Negotiator(), 2)),
        Request(version=Point(Foreign(), 2)),
        Request(version=Point([Foreign()], 2)),
        Request(version=Point(Point(1, 2), 2)),
        Parent(),
        Parent(),
        chain_of(5, cyclic=True),
        chain_of(6, cyclic=True),
        chain_of(2, cyclic=True),
        chain_of(5),
        chain_of(6),
        chain_of(2),
        chain_of(2),
        nested_service(cyclic=True),
        nested_service(cyclic=False),
        Service(),
        Service(Service()),
        Sku("a"),
        Sku("b"),
        Column("a", None),
        Column("b", None),
        Column("c", 1),
        [Column("a", None), Column("b", None)],
        [Column("a", None), Column("b", 2)],
        [Column("a", Point(1, 2))],
        Refused("no"),
        Refused("still no"),
        Refused(1),
        Refused("no", 2),
        Refused(),
        ValueError("no"),
        Shouting("a"),
        Shouting(1),
        "plain",
        Tags({"a": 1}),
        Tags({"a": 2}),
        Tags({"a": "x"}),
        Tags({"b": 1}),
        Tags({"not an identifier": 1}),
        Items([1, 2]),
        Items([3]),
        Items([]),
        Items(["x"]),
        Items([Point(1, 2)]),
        [Point(1, 2), Point(3, 4)],
        [Point(1, 2), Point(3, "z")],
        [Point(1, 2), Slotted(1, 2)],
        {"p": Point(1, 2)},
        {"p": Point("a", 2)},
        frozenset({1, 2}),
        {1, "a"},
        {"a", 1},
        collections.Counter({"a": 1}),
        collections.deque([1, 2]),
        collections.deque(),
        Negotiator(),
        Foreign(),
    ]


SHAPE_OF = make_shape_function(classifier=APP)
VALUES = values()


def test_a_value_passes_the_strict_check_of_a_shape_only_when_it_has_that_shape() -> None:
    reused = 0
    for recorded in VALUES:
        shape = SHAPE_OF(recorded)
        check = compile_value(shape, SHAPE_OF, strict=True, objects=True)
        if check is None:
            continue
        for live in VALUES:
            if check([live]):
                reused += live is not recorded
                assert SHAPE_OF(live) == shape, (recorded, live)
    assert reused > 20  # the checks were made and passed other values


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(Point(1, 2), Point(3, 4), id="dataclass"),
        pytest.param(Slotted(1, "a"), Slotted(2, "b"), id="slots"),
        pytest.param(Plain(1, b=Foreign()), Plain(2, b=Foreign()), id="plain-holding-foreign"),
        pytest.param(Request(), Request(), id="service"),
        pytest.param(Request(parsers=(Foreign(),)), Request(parsers=(Foreign(),)), id="tuple"),
        pytest.param(Sku("a"), Sku("b"), id="leaf-subclass"),
        pytest.param(Column("a", None), Column("b", None), id="named-tuple"),
        pytest.param(Refused("no"), Refused("still no"), id="exception"),
        pytest.param(Tags({"a": 1}), Tags({"a": 2}), id="mapping"),
        pytest.param(Items([1]), Items([2, 3]), id="collection"),
        pytest.param([Point(1, 2)], [Point(5, 6), Point(7, 8)], id="list-of-objects"),
        pytest.param(chain_of(2), chain_of(2), id="nested-objects"),
    ],
)
def test_a_value_of_an_unchanged_object_shape_is_reused(first: object, second: object) -> None:
    shape = SHAPE_OF(first)
    check = compile_value(shape, SHAPE_OF, strict=True, objects=True)

    assert check is not None
    assert check([second])
    assert check([first])


@pytest.mark.parametrize(
    ("recorded", "live"),
    [
        pytest.param(nested_service(cyclic=False), nested_service(cyclic=True), id="cycle-cut"),
        pytest.param(chain_of(6), chain_of(6, cyclic=True), id="deep-cycle"),
        pytest.param(Parent(), Parent(), id="cycle"),
    ],
)
def test_no_strict_check_where_the_walk_could_differ(recorded: object, live: object) -> None:
    shape = SHAPE_OF(recorded)
    check = compile_value(shape, SHAPE_OF, strict=True, objects=True)

    assert SHAPE_OF(live) != shape or isinstance(live, Parent)
    assert check is None or not check([live]) or SHAPE_OF(live) == shape


def test_a_service_naming_itself_is_its_type_where_no_cycle_check_runs() -> None:
    check = compile_value(SHAPE_OF(Service(Service())), SHAPE_OF, strict=True, objects=True)

    assert SHAPE_OF(Service()) == SHAPE_OF(Service(Service()))
    assert check is not None
    assert check([Service()])


def test_an_exception_with_its_own_args_is_walked() -> None:
    check = compile_value(SHAPE_OF(Shouting("a")), SHAPE_OF, strict=True, objects=True)

    assert check is not None
    assert not check([Shouting("b")])


def test_without_objects_the_strict_check_of_an_object_is_undecided_as_before() -> None:
    assert compile_value(SHAPE_OF(Point(1, 2)), SHAPE_OF, strict=True) is None


def test_a_second_call_with_an_object_argument_is_not_walked() -> None:
    """The args check of a recorded call passes the next call's arguments: the walker
    is asked nothing (counted by a walker that counts its calls)."""
    walked: list[object] = []

    def counting(value: object) -> Shape:
        walked.append(value)
        return SHAPE_OF(value)

    counting.kind_of_class = SHAPE_OF.kind_of_class  # type: ignore[attr-defined]
    counting.max_depth = SHAPE_OF.max_depth  # type: ignore[attr-defined]
    names = ("request", "point")
    first = [Request(), Point(1, 2)]
    shape = args_shape(names, [counting(v) for v in first])
    check = compile_args(shape, counting, strict=True, objects=True)
    walked.clear()

    assert check is not None
    assert check(names, [Request(), Point(3, 4)])
    assert not check(names, [Request("POST", version=2), Point(3, 4)])
    assert walked == []
