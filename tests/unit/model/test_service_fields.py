"""A service object (a boundary class that is not data) is recorded by its type and its
plain fields (issue 10, item 2): a field holding another service or a foreign object
anywhere inside is its type only, in the shape and in the payload alike, so a DRF-style
request holding its parsers, authenticators and a context with the view is a few lines."""

from __future__ import annotations

import dataclasses
from typing import Any

from seamrec.config import Limits
from seamrec.model.classify import Classifier
from seamrec.model.codec import OpaqueView, make_encoder, make_packer, pack, unpack
from seamrec.model.shape import Shape, args_shape, holds_objects, make_shape_function
from seamrec.review.contract import SeamContract

HERE = __name__
APP = Classifier(boundaries=(HERE,))  # this module plays the app


class Foreign:
    """Stands for a library's object: this module is not in its boundaries."""

    __module__ = "library.parsers"


class Negotiator:
    def __init__(self) -> None:
        self.strict = True


@dataclasses.dataclass
class Page:
    number: int
    size: int


class Request:
    """A service holding other services, foreign objects and plain data."""

    def __init__(self) -> None:
        self.method = "GET"
        self.version: str | None = None
        self.parsers = [Foreign(), Foreign()]
        self.negotiator = Negotiator()
        self.context: dict[str, Any] = {"request": self, "view": Negotiator(), "kwargs": {}}
        self.tags = ["a", "b"]
        self.page = Page(1, 20)
        self.query = {"q": "mug", "limit": 5}


def fields_of(shape: Shape) -> dict[str, Shape]:
    return dict(zip(shape[2], shape[3], strict=True))


def test_fields_holding_services_or_foreign_objects_are_their_type_only() -> None:
    fields = fields_of(make_shape_function(classifier=APP)(Request()))

    assert (("opaque", "list"),) == fields["parsers"]
    assert (("opaque", "dict"),) == fields["context"]
    assert (("opaque", f"{HERE}.Negotiator"),) == fields["negotiator"]


def test_plain_fields_of_a_service_are_walked_as_before() -> None:
    fields = fields_of(make_shape_function(classifier=APP)(Request()))

    assert (("str",),) == fields["method"]
    assert (("None",),) == fields["version"]
    assert (("coll", "list", (("str",),)),) == fields["tags"]
    assert "obj" == fields["page"][0][0]  # data inside a service is walked
    assert ("dict", "dict", ("q", "limit")) == fields["query"][0][:3]


def test_the_payload_records_the_same_fields_by_type_only() -> None:
    for encoded in (
        make_encoder(Limits(), APP)(Request()),
        make_encoder(Limits(), APP)({"request": Request()})["request"],
    ):
        view = unpack(pack(encoded))

        assert OpaqueView("list") == view.get("parsers")
        assert OpaqueView("dict") == view.get("context")
        assert OpaqueView(f"{HERE}.Negotiator") == view.get("negotiator")
        assert ["a", "b"] == view.get("tags")
        assert {"q": "mug", "limit": 5} == view.get("query")


def test_the_fast_packer_agrees() -> None:
    view = unpack(make_packer(Limits(), APP)({"request": Request()}))["request"]

    assert OpaqueView("list") == view.get("parsers")
    assert OpaqueView("dict") == view.get("context")
    assert ["a", "b"] == view.get("tags")


def test_a_field_holding_objects_in_some_calls_only_is_its_type_in_those() -> None:
    plain, holding = Request(), Request()
    plain.parsers = []  # an empty list holds nothing: walked
    shape_of = make_shape_function(classifier=APP)

    assert (("coll", "list", ()),) == fields_of(shape_of(plain))["parsers"]
    assert (("opaque", "list"),) == fields_of(shape_of(holding))["parsers"]


def test_holds_objects_looks_at_every_depth_and_not_at_the_shape_itself() -> None:
    shape_of = make_shape_function(classifier=APP)

    assert holds_objects(shape_of({"a": [{"b": Foreign()}]}))
    assert not holds_objects(shape_of({"a": [{"b": 1}]}))
    assert not holds_objects(("opaque", "library.parsers.Foreign"))
    assert not holds_objects(shape_of({"opaque": 1, "x": 2}))  # a key named "opaque" is data


def test_a_request_passed_to_a_view_is_a_few_contract_lines() -> None:
    contract = SeamContract("app.views:ListView.get")
    shape = make_shape_function(classifier=APP)(Request())
    contract.add_shape("args", args_shape(("request",), [shape]))

    lines = [line.strip() for line in contract.path_lines()]

    assert [
        f"args.request: {HERE}.Request",
        "args.request.context: dict (opaque)",
        "args.request.method: str",
        f"args.request.negotiator: {HERE}.Negotiator (opaque)",
        f"args.request.page: {HERE}.Page",
        "args.request.page.number: int",
        "args.request.page.size: int",
        "args.request.parsers: list (opaque)",
        "args.request.query: dict",
        "args.request.query['limit']: int",
        "args.request.query['q']: str",
        "args.request.tags: list",
        "args.request.tags[*]: str",
        "args.request.version: None",
    ] == lines
