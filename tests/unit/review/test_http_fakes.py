"""seamrec.review.http_fakes: the HTTP parts of `assert_matches`, which recorded answers
each one is compared with, and fake response objects as recorded values. (Fakes judged
against recorded cassettes: tests/unit/pytest_plugin/test_matching_http.py.)"""

from __future__ import annotations

import json

import flask
import httpx
import pytest
import requests

from seamrec.model.shape import make_shape_function
from seamrec.review.http_fakes import (
    HttpPart,
    body_in_envelope,
    drift_lines,
    http_part,
    is_response,
    response_of,
    status_of,
)
from seamrec.runtime.adapters.httpseams import response_value


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("request", HttpPart("request", "")),
        ("response", HttpPart("response", "")),
        ("response[404]", HttpPart("response", "404")),
        ("response[4xx]", HttpPart("response", "4xx")),
        ("responses", None),
        ("response[20]", None),
        ("response[6xx]", None),
        ("response[600]", None),
        ("request[200]", None),
        ("return", None),
        ("args.request", None),
    ],
)
def test_http_part_reads_the_http_forms_only(part: str, expected: HttpPart | None) -> None:
    assert expected == http_part(part)


def test_a_bare_response_part_is_the_2xx_answers_of_a_body_and_any_of_a_response() -> None:
    bare, named = HttpPart("response", ""), HttpPart("response", "404")
    family = HttpPart("response", "4xx")

    assert [True, True, False] == [bare.wants(s, False) for s in ("200", "204", "404")]
    assert [True, True, True] == [bare.wants(s, True) for s in ("200", "204", "404")]
    assert [False, True, False] == [named.wants(s, True) for s in ("200", "404", "409")]
    assert [False, True, True] == [family.wants(s, False) for s in ("200", "404", "409")]


class Haunted:
    """An object that runs code on any attribute access: never to be evaluated."""

    def __getattribute__(self, name: str) -> object:
        raise RuntimeError(f"evaluated .{name}")


def test_a_response_object_is_known_by_its_class_alone() -> None:
    assert is_response(httpx.Response(200))
    assert is_response(requests.Response())
    assert is_response(flask.Response("x"))
    assert not is_response({"status_code": 200})
    assert not is_response(Haunted())


def test_fake_response_objects_read_as_recorded_responses() -> None:
    expected = response_value(201, {"json": {"id": 1}}, {"x_trace": None}, {})
    fake = requests.Response()
    fake.status_code = 201
    fake.headers.update({"Content-Type": "application/json", "X-Trace": "t"})
    fake._content = b'{"id": 1}'

    assert expected == response_of(httpx.Response(201, json={"id": 1}, headers={"X-Trace": "t"}))
    assert expected == response_of(fake)
    assert expected == response_of(
        flask.Response(json.dumps({"id": 1}), 201, {"X-Trace": "t"}, mimetype="application/json")
    )


SHAPE = make_shape_function(20)
RECORDED = SHAPE(response_value(200, {"json": {"id": 1, "name": "Ada"}}, {"x_trace": None}, {}))


def test_a_fake_body_is_set_into_the_recorded_envelope() -> None:
    fake = SHAPE({"id": 2})
    expected = SHAPE(response_value(200, {"json": {"id": 2}}, {"x_trace": None}, {}))

    assert "200" == status_of(RECORDED)
    assert expected == body_in_envelope(HttpPart("response", ""), RECORDED, fake)


def test_drift_lines_are_empty_for_a_fitting_fake_and_in_http_words_otherwise() -> None:
    part = HttpPart("response", "")

    def lines(body: object, complete: bool = False) -> list[str]:
        live = body_in_envelope(part, RECORDED, SHAPE(body))
        return drift_lines(part, RECORDED, live, complete)

    assert [] == lines({"id": 2})
    assert [] == lines({"id": 2, "name": ""}, complete=True)
    assert ["key removed   response[200].json['name']   (was str)"] == lines({"id": 2}, True)
    assert ["type changed  response[200].json['id']  int → float"] == lines({"id": 2.0})


def test_a_fake_list_may_hold_items_of_every_recorded_form_each_with_keys_left_out() -> None:
    events: list[dict[str, object]] = [
        {"type": "paid", "amount": 1},
        {"type": "note", "text": "hi"},
    ]
    recorded = SHAPE(response_value(200, {"json": {"events": events}}, {}, {}))
    part = HttpPart("response", "")

    def lines(fake: object) -> list[str]:
        live = body_in_envelope(part, recorded, SHAPE({"events": fake}))
        return drift_lines(part, recorded, live, False)

    assert [] == lines(events)
    assert [] == lines([{"type": "note"}, {"amount": 5}])
    assert ["type changed  response[200].json['events'][*]['text']  str → int"] == lines(
        [{"type": "paid", "text": 5}]
    )
    assert ["key added     response[200].json['events'][*]['url']   (str)"] == lines(
        [{"type": "paid", "url": "x"}]
    )
