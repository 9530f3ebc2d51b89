"""An OpenAPI 3.1 document of the app's HTTP API, inferred from the recorded inbound seams.

Every recorded call of an `http:` seam adds its shapes: the query parameters, the JSON
request body and, per status code, the JSON response body. Shapes merge into JSON Schemas
(a key some calls lacked is not `required`; `int | None` is `["integer", "null"]`). The
output depends only on the shapes, sorted, so the same cassettes give the same document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seamrec.cassette.store import Cassette
from seamrec.model.shape_types import (
    ArgsShape,
    CollShape,
    FormatShape,
    MapShape,
    PositionalShape,
    RecordShape,
    Shape,
    shape_kind,
    view,
    view_as,
)
from seamrec.runtime.adapters.httpseams import INBOUND, JSON_KEY, STATUS

Schema = dict[str, Any]
_LEAVES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "None": "null",
}
_FORMATS = {
    "date": ("string", "date"),
    "datetime": ("string", "date-time"),
    "datetime+tz": ("string", "date-time"),
    "UUID": ("string", "uuid"),
    "Decimal": ("string", None),
}
_STANDARD_FORMATS = {
    "iso-date": "date",
    "uuid": "uuid",
    "email": "email",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
}


def json_schema_format(label: str | None) -> str | None:
    """The JSON Schema `format` of a recorded format class, where one says the same:
    RFC 3339 date-times and times need the `T` and an offset; a URL of any scheme is
    a `uri`. Other classes (hex tokens, epoch numbers...) only get `x-seamrec-format`."""
    if label is None or label.startswith("~"):
        return None
    if label.startswith("iso-datetime T ") and not label.endswith("naive"):
        return "date-time"
    if label.startswith("iso-time") and label != "iso-time" and not label.endswith("naive"):
        return "time"
    if label.startswith("url("):
        return "uri"
    return _STANDARD_FORMATS.get(label)


_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # werkzeug `<int:order_id>`
_BRACE_PARAM = re.compile(r"\{([^{}:]+)(?::[^{}]+)?\}")  # starlette `{item_id:int}`


@dataclass
class Endpoint:
    """The shapes recorded for one method and path."""

    requests: list[Shape] = field(default_factory=list)
    responses: dict[str, list[Shape]] = field(default_factory=dict)
    tests: set[str] = field(default_factory=set)
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> JSON type


def collect(cassettes: Iterable[Cassette]) -> dict[tuple[str, str], Endpoint]:
    """The recorded inbound endpoints, by (OpenAPI path, method)."""
    endpoints: dict[tuple[str, str], Endpoint] = {}
    for cassette in cassettes:
        for seam, runs in cassette.runs.items():
            module, _, qualname = seam.partition(":")
            if module != INBOUND:
                continue
            method, _, route = qualname.partition(" ")
            endpoint = endpoints.setdefault((openapi_path(route), method.lower()), Endpoint())
            endpoint.tests.add(cassette.test)
            endpoint.params.update(path_parameter_types(route))
            for run in runs:
                for request in _request_shapes(run.args_shape):
                    endpoint.requests.append(request)
                for status, response in _response_shapes(run.result_shape):
                    endpoint.responses.setdefault(status, []).append(response)
    return endpoints


def openapi_path(route: str) -> str:
    """`/api/orders/{order_id}` of `/api/orders/<int:order_id>` or `{order_id:int}`."""
    route = _RULE_PARAM.sub(lambda m: "{" + m.group(1) + "}", route)
    return _BRACE_PARAM.sub(lambda m: "{" + m.group(1) + "}", route)


def path_parameter_types(route: str) -> dict[str, str]:
    """The JSON type of each path parameter, from the rule's converter."""
    found = {}
    for match in re.finditer(r"<(?:([^:<>]+):)?([^<>]+)>|\{([^{}:]+)(?::([^{}]+))?\}", route):
        converter = match.group(1) or match.group(4) or ""
        name = match.group(2) or match.group(3)
        found[name] = _CONVERTERS.get(converter, "string")
    return found


_CONVERTERS = {"int": "integer", "float": "number"}


def _is_dict(shape: Shape) -> bool:
    return bool(shape) and shape_kind(shape) == "dict"


def _request_shapes(args: Shape) -> list[Shape]:
    found = view(args) if args else None
    if not isinstance(found, ArgsShape) or not found.unions:
        return []
    return [s for s in found.unions[0] if _is_dict(s)]


def _response_shapes(result: Shape) -> list[tuple[str, Shape]]:
    if not _is_dict(result):
        return []
    record = _record(result)
    found = []
    for key, union in zip(record.names, record.unions, strict=True):
        if str(key).startswith(STATUS):
            found += [(str(key)[len(STATUS) :], s) for s in union if _is_dict(s)]
    return found


def _record(shape: Shape) -> RecordShape:
    """The named view of a dict shape."""
    return view_as(RecordShape, shape)


def _member(shapes: Iterable[Shape], name: str) -> tuple[list[Shape], int, int]:
    """The shapes under key `name` of dict shapes, in how many of how many it was."""
    found: list[Shape] = []
    present = total = 0
    for shape in shapes:
        total += 1
        record = _record(shape)
        if name in record.names:
            present += 1
            found += record.unions[record.names.index(name)]
    return found, present, total


def schema(shapes: Iterable[Shape]) -> Schema:
    """The JSON Schema of values of any of `shapes`."""
    types: set[str] = set()
    objects: list[RecordShape] = []
    items: list[Shape] = []
    maps: list[MapShape] = []
    formats: set[str | None] = set()
    classes: set[str | None] = set()
    for shape in dict.fromkeys(shapes):
        named = view(shape)
        kind = named.kind
        if kind in _LEAVES:
            types.add(_LEAVES[kind])
            label = named.label if isinstance(named, FormatShape) else None
            classes.add(label)
            formats.add(json_schema_format(label))
        elif kind in _FORMATS:
            json_type, fmt = _FORMATS[kind]
            types.add(json_type)
            formats.add(fmt)
        elif isinstance(named, RecordShape) and kind == "dict":
            types.add("object")
            objects.append(named)
        elif isinstance(named, MapShape):
            types.add("object")
            maps.append(named)
        elif isinstance(named, CollShape):
            types.add("array")
            items += named.items
        elif isinstance(named, PositionalShape) and kind == "tuple":
            types.add("array")
            for union in named.unions:
                items += union
        else:
            return {}  # an object, an enum, a cut walk: any value
    result: Schema = {}
    if types:
        ordered = sorted(types)
        result["type"] = ordered[0] if len(ordered) == 1 else ordered
    if len(formats) == 1 and None not in formats:
        result["format"] = next(iter(formats))
    if len(classes) == 1 and None not in classes:
        result["x-seamrec-format"] = next(iter(classes))  # the recorded format class
    if objects:
        names = sorted({name for record in objects for name in record.names})
        properties: Schema = {}
        required = []
        for name in names:
            found, present, total = _member(objects, name)
            properties[name] = schema(found)
            if present == total:
                required.append(name)
        result["properties"] = properties
        if required:
            result["required"] = required
    if maps:
        values = [s for mapping in maps for s in mapping.values]
        result["additionalProperties"] = schema(values)
    if "array" in types:
        result["items"] = schema(items)
    return result


def document(cassettes: Iterable[Cassette], title: str = "recorded API") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the inbound endpoints the cassettes recorded."""
    paths: dict[str, Any] = {}
    for (path, method), endpoint in sorted(collect(cassettes).items()):
        operation: dict[str, Any] = {"summary": f"{method.upper()} {path}"}
        parameters = _path_parameters(path, endpoint.params)
        parameters += _query_parameters(endpoint.requests)
        if parameters:
            operation["parameters"] = parameters
        body, present, total = _member(endpoint.requests, JSON_KEY)
        if body:
            operation["requestBody"] = {
                "required": present == total,
                "content": {"application/json": {"schema": schema(body)}},
            }
        responses: dict[str, Any] = {}
        for status in sorted(endpoint.responses):
            shapes = endpoint.responses[status]
            response: dict[str, Any] = {"description": f"status {status}"}
            content: dict[str, Any] = {}
            json_body, _, _ = _member(shapes, JSON_KEY)
            if json_body:
                content["application/json"] = {"schema": schema(json_body)}
            for media in sorted(
                {n for s in shapes for n in _record(s).names} - {JSON_KEY, "headers", "cookies"}
            ):
                content[media.replace("_", "/", 1)] = {}
            if content:
                response["content"] = content
            responses[status] = response
        operation["responses"] = responses or {"default": {"description": "not recorded"}}
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "recorded"},
        "paths": paths,
    }


def _path_parameters(path: str, types: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": types.get(name, "string")},
        }
        for name in re.findall(r"\{([^{}]+)\}", path)
    ]


def _query_parameters(requests: list[Shape]) -> list[dict[str, Any]]:
    queries, _, _ = _member(requests, "query")
    queries = [q for q in queries if _is_dict(q)]
    parameters = []
    for name in sorted({n for q in queries for n in _record(q).names}):
        found, present, total = _member(queries, name)
        parameters.append(
            {"name": name, "in": "query", "required": present == total, "schema": schema(found)}
        )
    return parameters


def dumps(doc: dict[str, Any]) -> str:
    """The document as deterministic JSON text."""
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
