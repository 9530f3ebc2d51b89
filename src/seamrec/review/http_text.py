"""HTTP seams in HTTP words, for failure messages, contracts and `seamrec diff`: drift
paths as `response[201].json['orders']` / `request.query['page']`, and a changed status
or content type said as such. In a contract file, a header or cookie is its name alone
(`response[302]['headers']['location']`: its value is never recorded) and the lines
every request and response has (`request.query: dict`) are left out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from seamrec.runtime.adapters.httpseams import STATUS, media_type

if TYPE_CHECKING:
    from seamrec.review.change_model import Change  # contracts import this module

_REQUEST = re.compile(r"args\.request(?:\['([^']*)'\])?")
_ROOT = re.compile(r"^(\s*)return(?=[?:])")
_RESPONSE = re.compile(r"return\['status_(\d{3})'\](?:\['json'\])?")


def http_path(text: str) -> str:
    """A drift path in HTTP terms: `response[201].json['orders']`, `request.query['page']`."""
    text = _REQUEST.sub(lambda m: f"request.{m.group(1)}" if m.group(1) else "request", text)

    def response(match: re.Match[str]) -> str:
        json_part = ".json" if match.group(0).endswith("['json']") else ""
        return f"response[{match.group(1)}]{json_part}"

    return _ROOT.sub(r"\1response", _RESPONSE.sub(response, text))


# lines every request and response has: the dicts that hold the query, headers, cookies
_FIXED = re.compile(
    r"^\s*(?:request|response|request\.(?:query|headers|cookies)"
    r"|response\[\d{3}\]\['(?:headers|cookies)'\]): dict$"
)
_STATUS_LINE = re.compile(r"^(\s*response\[\d{3}\]\??): dict$")
_NAME_ONLY = re.compile(
    r"^(\s*\S*?(?:\.headers|\.cookies|\['headers'\]|\['cookies'\])\[[^\]]*\]\??): None$"
)


def http_contract_line(line: str) -> str | None:
    """A line of an HTTP seam's contract section in HTTP words; None for a line every
    request or response has. A status is the status alone (`response[404]?`: some calls
    had another), a header or cookie its name alone."""
    text = http_path(line)
    if _FIXED.match(text):
        return None
    found = _STATUS_LINE.match(text) or _NAME_ONLY.match(text)
    return found.group(1) if found else text


def part_name(part: str) -> str:
    """`request` for args, `response` for return."""
    return {"args": "request", "return": "response"}.get(part, part)


def http_change_lines(changes: list[Change], part: str) -> list[str]:
    """The drift lines of an HTTP seam: a changed status or content type said in those
    words, every other change with its path in HTTP terms."""
    lines: list[str] = []
    removed = [c for c in changes if c.kind == "key removed" and len(c.segments) == 1]
    added = [c for c in changes if c.kind == "key added" and len(c.segments) == 1]
    rest = list(changes)
    if part == "return":
        for change in changes:
            if change.kind == "key renamed?" and len(change.segments) == 1:
                old, new = _status(change.segments[0]), _status(change.renamed_to[0])
                lines.append(f"status changed  {old} → {new}")
                rest.remove(change)
            elif change.kind == "key renamed?" and len(change.segments) == 2:
                old, new = media_type(change.segments[1]), media_type(change.renamed_to[1])
                where = _status(change.segments[0])
                lines.append(f"content type changed  response[{where}]  {old} → {new}")
                rest.remove(change)
        if removed and added:
            old = ", ".join(_status(c.segments[0]) for c in removed)
            new = ", ".join(_status(c.segments[0]) for c in added)
            lines.append(f"status changed  {old} → {new}")
            rest = [c for c in rest if c not in removed and c not in added]
    return lines + [http_path(change.render(part)) for change in rest]


_STATUS_PATH = re.compile(r"^return\['status_(\d{3})'\]$")


def status_change(path: str, to_path: str) -> str | None:
    """`201 → 200` when `path` → `to_path` is a response's status key renamed."""
    old, new = _STATUS_PATH.match(path), _STATUS_PATH.match(to_path)
    if old is None or new is None:
        return None
    return f"{old.group(1)} → {new.group(1)}"


def _status(name: object) -> str:
    return str(name).removeprefix(STATUS)
