"""The pieces of the HTTP seams that need no app: paths, bodies, drift words, JSON Schemas."""

from __future__ import annotations

from typing import Any

import pytest

from seamrec.model.shape import compatible, make_shape_function
from seamrec.review.explain import explain
from seamrec.review.http_text import http_change_lines, http_path, status_change
from seamrec.review.openapi import openapi_path, path_parameter_types, schema
from seamrec.runtime.adapters.httpseams import (
    body_part,
    cookie_names,
    length_class,
    names,
    normalized_path,
    query_dict,
    replayed_response,
    response_value,
    without_added_keys,
)

shape_of = make_shape_function(32)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/users/42", "/api/users/<id>"),
        ("/api/users/42/orders/7", "/api/users/<id>/orders/<id>"),
        ("/o/123e4567-e89b-12d3-a456-426614174000", "/o/<uuid>"),
        ("/api/users/me", "/api/users/me"),
        ("/", "/"),
    ],
)
def test_paths_without_a_rule_are_normalized(path: str, expected: str) -> None:
    assert normalized_path(path) == expected


def test_request_parts_keep_names_not_header_values() -> None:
    assert query_dict([("page", "2"), ("tag", "a"), ("tag", "b"), ("q", "tea")]) == {
        "page": 2,
        "tag": ["a", "b"],
        "q": "tea",
    }
    assert names(["Authorization", "X-Request-Id", "Host", "Content-Length"]) == {
        "authorization": None,
        "x_request_id": None,
    }
    assert cookie_names("session=abc; theme=dark") == {"session": None, "theme": None}


def test_bodies_by_content_type() -> None:
    assert body_part("application/json; charset=utf-8", b'{"a": 1}', None) == {"json": {"a": 1}}
    assert body_part("application/problem+json", b'{"title": "x"}', None) == {
        "application_problem_json": {"title": "x"}
    }
    assert body_part("application/x-www-form-urlencoded", b"name=a&pw=b", None) == {
        "form": {"name": None, "pw": None}
    }
    assert body_part("text/html", b"<p>" * 400, None) == {"text_html": "<64KiB"}
    assert body_part(None, None, None) == {}
    assert [length_class(n) for n in (None, 0, 10, 5000, 10**6)] == [
        "unknown length",
        "empty",
        "<1KiB",
        "<64KiB",
        ">=64KiB",
    ]


def test_a_recorded_response_is_given_back_for_replay() -> None:
    recorded = response_value(201, {"json": {"id": 9}}, {"x_trace": None}, {})
    status, content_type, body, headers = replayed_response(recorded)
    assert (status, content_type, body) == (201, "application/json", b'{"id": 9}')
    assert ("x-trace", "") in headers
    with pytest.raises(ValueError, match="not a recorded HTTP response"):
        replayed_response({"a": 1, "b": 2})


def test_drift_paths_in_http_words() -> None:
    assert http_path("return['status_201']['json']['orders'][*]['id']") == (
        "response[201].json['orders'][*]['id']"
    )
    assert http_path("args.request['query']['page']") == "request.query['page']"
    assert http_path("  return: dict") == "  response: dict"
    assert status_change("return['status_201']", "return['status_200']") == "201 → 200"
    assert status_change("return['status_201']['json']", "return['x']") is None


def _response(status: int, body: Any) -> Any:
    return shape_of(response_value(status, {"json": body}, {}, {}))


def test_a_changed_status_and_a_renamed_key_are_said_in_http_words() -> None:
    old, new = _response(201, {"id": 1}), _response(200, {"id": 1})
    assert http_change_lines(explain(old, new), "return") == ["status changed  201 → 200"]
    old, new = _response(200, {"orders": [1]}), _response(200, {"results": [1]})
    lines = http_change_lines(explain(old, new), "return")
    assert lines == [
        "key renamed?  response[200].json['orders'] → response[200].json['results']   (list[int])"
    ]


def test_a_new_response_key_is_not_drift_but_a_removed_one_is() -> None:
    recorded = _response(200, {"id": 1, "tags": [{"a": 1}]})
    added = _response(200, {"id": 1, "new": "x", "tags": [{"a": 1, "b": 2}]})
    assert not compatible(recorded, added)
    assert compatible(recorded, without_added_keys(added, recorded, 0))
    removed = _response(200, {"tags": [{"a": 1}]})
    assert not compatible(recorded, without_added_keys(removed, recorded, 0))
    other_status = _response(404, {"id": 1})
    assert not compatible(recorded, without_added_keys(other_status, recorded, 0))


def test_openapi_paths_and_schemas() -> None:
    assert openapi_path("/api/orders/<int:order_id>") == "/api/orders/{order_id}"
    assert openapi_path("/items/{item_id:int}/x") == "/items/{item_id}/x"
    assert path_parameter_types("/a/<int:a>/<b>/{c:float}") == {
        "a": "integer",
        "b": "string",
        "c": "number",
    }
    shapes = [shape_of({"id": 1, "note": None}), shape_of({"id": 2, "note": "x", "extra": 1.5})]
    assert schema(shapes) == {
        "type": "object",
        "properties": {
            "extra": {"type": "number"},
            "id": {"type": "integer"},
            "note": {"type": ["null", "string"]},
        },
        "required": ["id", "note"],
    }
    assert schema([shape_of([1, 2]), shape_of(None)]) == {
        "type": ["array", "null"],
        "items": {"type": "integer"},
    }
