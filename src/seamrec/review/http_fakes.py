"""Hand-written fakes of HTTP bodies and responses judged against a recorded HTTP seam:
the `request` and `response[...]` parts of ``assert_matches``.

A fake JSON body is set into the envelope of each recorded request or response (its
status, content type, header and cookie names: `seamrec.runtime.adapters.httpseams`), so
the one shape comparison decides, the one change engine explains, and the drift reads in
HTTP words (`response[200].json['id']`). A fake *response* may leave out keys the real one
had, at any depth (Pact's rule: a consumer's fake states what it reads, and the provider
may send more); a key the real service never sent, a changed type or a renamed key fail.
`complete=True` fails on a left-out key too. A fake *request* is compared whole: a service
may require a key the fake leaves out, or reject one it never received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from seamrec.model.shape import Shape, compatible
from seamrec.model.shape_types import CollShape, RecordShape, shape_kind, view
from seamrec.review.change_model import RENAMED, Change
from seamrec.review.explain import explain
from seamrec.review.http_text import http_change_lines
from seamrec.runtime.adapters.httpseams import (
    JSON_KEY,
    STATUS,
    body_part,
    names,
    response_value,
    set_cookie_names,
)

REQUEST = "request"
RESPONSE = "response"
FORMS = '"request", "response" or "response[<status>]" ("response[404]", "response[4xx]")'
_PART = re.compile(r"^(?:request|response(?:\[([1-5]\d\d|[1-5]xx)\])?)$")
_NAMES = frozenset({"headers", "cookies"})
_ENVELOPE_KEYS = _NAMES | {"query"}  # not the body
# the changes a key left out of a fake response reads as (below `{status: {body: ...}}`)
_OMITTED_KINDS = frozenset({"key removed", "now optional"})
# the classes whose instances are fake responses (by module and name: never evaluated)
_RESPONSE_CLASSES = frozenset(
    {
        ("httpx", "Response"),
        ("httpx._models", "Response"),
        ("requests.models", "Response"),
        ("werkzeug.sansio.response", "Response"),
    }
)


@dataclass(frozen=True)
class HttpPart:
    """An HTTP `part`: "request", or "response" with the statuses it is checked against
    (`status` "404", "4xx", or "" when not named: 2xx for a body, any for a response)."""

    side: str
    status: str

    @property
    def recorded_part(self) -> str:
        """Where the recorded envelopes are: the request argument or the return."""
        return "args.request" if self.side == REQUEST else "return"

    @property
    def root(self) -> str:
        """The root the drift paths are written under (`args.request['json']`, which
        `http_text` turns into `request.json`; `return[...]` into `response[...]`)."""
        return "args" if self.side == REQUEST else "return"

    def wants(self, status: str, whole_response: bool) -> bool:
        """Whether a recorded answer with `status` ("200") is one to compare with."""
        wanted = self.status or ("" if whole_response else "2xx")
        if not wanted:
            return True
        if wanted.endswith("xx"):
            return status[:1] == wanted[:1]
        return status == wanted


def http_part(part: str) -> HttpPart | None:
    """The HTTP part `part` names, or None when it is not one of `FORMS`."""
    match = _PART.match(part)
    if match is None:
        return None
    if part == REQUEST:
        return HttpPart(REQUEST, "")
    return HttpPart(RESPONSE, match.group(1) or "")


def is_response(value: object) -> bool:
    """Whether `value` is a whole response (httpx, requests, Flask/Werkzeug), known by its
    class alone."""
    return any((c.__module__, c.__qualname__) in _RESPONSE_CLASSES for c in type(value).__mro__)


def response_of(value: object) -> dict[str, object]:
    """A fake response object as the recorded return of a crossing: status, content type
    and JSON body, header and cookie names."""
    module = type(value).__module__
    if module.startswith("httpx"):
        from seamrec.runtime.adapters.http_inbound import httpx_response_value

        return httpx_response_value(value)
    headers: Any = getattr(value, "headers", {})
    if module.startswith("requests"):
        content = vars(value).get("_content")
        raw = content if type(content) is bytes else None
        cookies = set_cookie_names([headers["Set-Cookie"]] if "Set-Cookie" in headers else [])
    else:  # werkzeug, through its own API
        raw = value.get_data()  # type: ignore[attr-defined]
        cookies = set_cookie_names(headers.getlist("Set-Cookie"))
    return response_value(
        int(getattr(value, "status_code", 0)),
        body_part(headers.get("Content-Type"), raw, None),
        names(headers.keys()),
        cookies,
    )


def status_of(envelope: Shape) -> str:
    """The status of a recorded response ("200"), or "" for a value of another form."""
    record = view(envelope)
    if isinstance(record, RecordShape) and len(record.names) == 1:
        name = str(record.names[0])
        if name.startswith(STATUS):
            return name.removeprefix(STATUS)
    return ""


def body_in_envelope(part: HttpPart, envelope: Shape, body: Shape) -> Shape:
    """`envelope` (a recorded request, or response) with `body` as its JSON body: the
    recorded status, headers and cookies around the fake."""
    if part.side == REQUEST:
        return _with_json(envelope, body)
    record = view(envelope)
    if not isinstance(record, RecordShape) or len(record.names) != 1:
        return envelope
    inner = tuple(_with_json(member, body) for member in record.unions[0])
    return RecordShape.build(record.kind, record.type_name, record.names, (inner,))


def _with_json(envelope: Shape, body: Shape) -> Shape:
    record = view(envelope)
    if not isinstance(record, RecordShape):
        return envelope
    keys: list[str] = []
    unions: list[tuple[Shape, ...]] = []
    json_key = next((n for n in record.names if _is_json_key(n)), JSON_KEY)
    for name, union in zip(record.names, record.unions, strict=True):
        if name in _ENVELOPE_KEYS:
            keys.append(name)
            unions.append(union)
        elif name == json_key:  # the fake replaces the recorded body where it was
            keys.append(name)
            unions.append((body,))
    if json_key not in keys:  # another content type was recorded: a JSON body differs
        keys.append(json_key)
        unions.append((body,))
    return RecordShape.build(record.kind, record.type_name, tuple(keys), tuple(unions))


def _is_json_key(name: object) -> bool:
    return name == JSON_KEY or (isinstance(name, str) and name.endswith("_json"))


def drift_lines(part: HttpPart, recorded: Shape, live: Shape, complete: bool) -> list[str]:
    """Why `live` does not fit the recorded envelope, in HTTP words; [] when it fits."""
    if part.side == REQUEST:
        expected = recorded
    elif complete:
        expected = _names_left_out(recorded, live)
    else:
        expected = restricted(recorded, live, 0)
    if compatible(expected, live):
        return []
    changes = explain(recorded, live, part=part.recorded_part)
    if part.side == RESPONSE:  # what the fake may leave out is no drift; renames stay
        kept = [c for c in changes if not _left_out(c.kind, c.segments, complete)]
        changes = _body_replaced(kept or explain(expected, live, part=part.recorded_part))
    return http_change_lines(changes, part.root)


def restricted(recorded: Shape, live: Shape, depth: int) -> Shape:
    """`recorded` with only the keys `live` has in its dicts below the status and body
    levels (`depth` 0 and 1 are kept whole): what a fake response leaves out is not
    compared. Each member of a union is restricted by each member of the same kind on
    the fake's side, so a list of items of several forms keeps every form."""
    if not recorded or not live or shape_kind(recorded) != shape_kind(live):
        return recorded
    old, new = view(recorded), view(live)
    if isinstance(old, RecordShape) and isinstance(new, RecordShape) and old.kind == "dict":
        given = dict(zip(new.names, new.unions, strict=True))
        keys: list[str] = []
        unions: list[tuple[Shape, ...]] = []
        for name, union in zip(old.names, old.unions, strict=True):
            if depth < 2 or name in given:
                keys.append(name)
                unions.append(_restricted_union(union, given.get(name, ()), depth + 1))
        return RecordShape.build(old.kind, old.type_name, tuple(keys), tuple(unions))
    if isinstance(old, CollShape) and isinstance(new, CollShape):
        return CollShape.build(old.type_name, _restricted_union(old.items, new.items, depth + 1))
    return recorded


def _restricted_union(
    recorded: tuple[Shape, ...], live: tuple[Shape, ...], depth: int
) -> tuple[Shape, ...]:
    found: list[Shape] = []
    for member in recorded:
        kind = shape_kind(member) if member else None
        partners = [shape for shape in live if shape and shape_kind(shape) == kind]
        found += [restricted(member, shape, depth) for shape in partners] or [member]
    return tuple(dict.fromkeys(found))


def _body_replaced(changes: list[Change]) -> list[Change]:
    """A recorded body of another content type removed and the fake's JSON body added, as
    the one rename that `http_text` says as "content type changed"."""
    removed = [c for c in changes if c.kind == "key removed" and _is_body(c.segments)]
    added = [c for c in changes if c.kind == "key added" and _is_body(c.segments)]
    if len(removed) != 1 or len(added) != 1 or removed[0].at[:-1] != added[0].at[:-1]:
        return changes
    rest = [c for c in changes if c is not removed[0] and c is not added[0]]
    return [replace(removed[0], kind=RENAMED, to=added[0].at), *rest]


def _is_body(segments: tuple[object, ...]) -> bool:
    return len(segments) == 2 and segments[1] not in _ENVELOPE_KEYS


def _left_out(kind: str, segments: tuple[object, ...], complete: bool) -> bool:
    """Whether a change is a key a fake response may leave out: below the body, header and
    cookie names (`{status: {"json": {...}, "headers": {...}}}`), only the latter if
    `complete`."""
    if kind == "now required":  # a key the real one sometimes lacked: never the reason
        return True
    if kind not in _OMITTED_KINDS or len(segments) < 3:
        return False
    return not complete or segments[1] in _NAMES


def _names_left_out(recorded: Shape, live: Shape) -> Shape:
    """`recorded` without the header and cookie names `live` does not have."""
    old, new = view(recorded), view(live)
    if not (isinstance(old, RecordShape) and isinstance(new, RecordShape)):
        return recorded
    if old.names != new.names or len(old.names) != 1:
        return recorded
    fake = next((view(m) for m in new.unions[0] if isinstance(view(m), RecordShape)), None)
    if not isinstance(fake, RecordShape):
        return recorded
    given = dict(zip(fake.names, fake.unions, strict=True))
    envelopes = []
    for member in old.unions[0]:
        envelope = view(member)
        if not isinstance(envelope, RecordShape):
            envelopes.append(member)
            continue
        unions = tuple(
            _restricted_union(union, given[name], 2) if name in _NAMES and name in given else union
            for name, union in zip(envelope.names, envelope.unions, strict=True)
        )
        envelopes.append(
            RecordShape.build(envelope.kind, envelope.type_name, envelope.names, unions)
        )
    return RecordShape.build(old.kind, old.type_name, old.names, (tuple(envelopes),))
