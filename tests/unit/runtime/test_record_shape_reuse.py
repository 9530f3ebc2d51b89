"""Record mode walks a seam's arguments only when their shape may have changed: a seam
taking objects (a service, a data object) reuses the last call's shape, and a seam
alternating between a few shapes reuses each (counted by a walker that counts its
calls; the cassette is the one a walk of every call writes)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from seamrec.cassette.store import cassette_path
from seamrec.config import settings_from_table
from seamrec.model import accel
from seamrec.model.shape import Shape
from seamrec.runtime.instrument import Report, Seam
from seamrec.runtime.recording import KEPT_SHAPES, RecordStrategy
from seamrec.runtime.stats import Stats

NODE = "tests/test_app.py::test_reuse"
HANDLE = Seam("app.views:handle", "app.views", "handle", "function", False, ("request",), None)


class Request:
    """The app's service: recorded by type and its plain fields."""

    __module__ = "app.http"

    def __init__(self, method: str, user: object) -> None:
        self.method = method
        self.user = user
        self.parsers = [Parser()]


class Parser:
    __module__ = "library.parsers"


@dataclasses.dataclass
class User:
    id: Any
    name: str


def record(root: Path, requests: list[Any], counted: bool) -> tuple[bytes, list[object]]:
    """Record one test calling `handle` with each request; the cassette and the values
    the walker was asked to walk (when not `counted`, every call is walked: the seam's
    kept shapes are forgotten before each call)."""
    settings = settings_from_table({"boundaries": ["app"]}, rootdir=root)
    strategy = RecordStrategy(settings, Stats(), Report())
    walked: list[object] = []
    walker = strategy.shape_of

    def counting(value: object) -> Shape:
        walked.append(value)
        return walker(value)

    for name in ("kind_of_class", "max_depth", "pure"):
        if hasattr(walker, name):
            setattr(counting, name, getattr(walker, name))
    strategy.shape_of = counting
    strategy.begin(NODE, ())
    for request in requests:
        tape = strategy.tape
        state = None if tape is None else tape.states.get(HANDLE.id)
        if state is not None and not counted:
            last = state.last
            last.args, last.result, last.earlier_args, last.earlier_result = (
                ((), None),
                ((), None),
                (),
                (),
            )
        strategy.crossing(HANDLE, "tests.test_app", lambda request: None, None, (request,), {})
    strategy.finish("passed")
    return cassette_path(settings.cassette_dir, NODE).read_bytes(), walked


@pytest.mark.skipif(accel.compiled is None, reason="the compiled strict checks take objects")
def test_a_seam_taking_objects_walks_its_first_call_only(tmp_path: Path) -> None:
    requests = [Request("GET", User(number, "ann")) for number in range(6)]

    data, walked = record(tmp_path / "a", requests, counted=True)

    assert walked == [requests[0], None]  # the first call's request and result
    assert data == record(tmp_path / "b", requests, counted=False)[0]


@pytest.mark.skipif(accel.compiled is None, reason="the compiled strict checks take objects")
def test_a_seam_alternating_between_shapes_walks_each_shape_once(tmp_path: Path) -> None:
    shapes = [User(1, "a"), User("x", "b"), User(None, "c")]
    assert len(shapes) < KEPT_SHAPES
    requests = [shapes[n % len(shapes)] for n in range(12)]

    data, walked = record(tmp_path / "a", requests, counted=True)

    assert [v for v in walked if v is not None] == shapes
    assert data == record(tmp_path / "b", requests, counted=False)[0]


def test_a_seam_alternating_between_leaf_shapes_walks_each_once(tmp_path: Path) -> None:
    """Pure Python too: a leaf's strict check needs no compiled code."""
    shapes: list[Any] = [1, "x", None]
    requests = [shapes[n % len(shapes)] for n in range(12)]

    data, walked = record(tmp_path / "a", requests, counted=True)

    assert [v for v in walked if v is not None] == [1, "x"]
    assert walked.count(None) == 2  # the results (None), then the argument None
    assert data == record(tmp_path / "b", requests, counted=False)[0]
