"""Outbound HTTP seams: requests boundary code sends through `requests` or `httpx`.

`requests.Session.send`, `httpx.Client.send` and `httpx.AsyncClient.send` are wrapped for
the run. A request is a seam crossing when boundary code sent it (the nearest frame outside
the HTTP libraries is in a boundary module); its seam is the method, the host (without
port) and the path with numeric and UUID segments normalized:
`http-out:GET api.example.com/v1/users/<id>`. A replayed seam (`http-out:*`,
`http-out:GET api.example.com/*`) is answered from the cassette without the network.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from seamrec.runtime.adapters.http_inbound import httpx_request_value, httpx_response_value
from seamrec.runtime.adapters.httpseams import (
    OUTBOUND,
    HttpSeams,
    body_part,
    cookie_names,
    is_json,
    mimetype,
    names,
    normalized_path,
    query_dict,
    replayed_response,
    request_value,
    response_value,
    set_cookie_names,
)
from seamrec.runtime.wrappers import Seam

_ASGI_TRANSPORTS = ("starlette.testclient", "httpx._transports.asgi", "httpx._transports.wsgi")
_HTTPX_IN_PROCESS = ("ASGITransport", "WSGITransport")  # as httpx names them (module httpx)


def install(seams: HttpSeams) -> None:
    """Wrap `requests` and `httpx` once they are imported (now if they are)."""
    seams.when_imported("requests", (("Session", "send", _requests_send),))
    seams.when_imported(
        "httpx", (("Client", "send", _httpx_send), ("AsyncClient", "send", _httpx_async_send))
    )


def outbound_seam(seams: HttpSeams, method: str, url: str) -> Seam:
    """The seam of a request to `url`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return seams.seam(OUTBOUND, method, host + normalized_path(parts.path or "/"))


# ---------------------------------------------------------------- one exchange

Exchange = tuple[Seam, str, dict[str, object]]  # the seam, the caller, the request's value


def _exchange(
    seams: HttpSeams, frame: Any, request: Any, describe: Callable[[Any], dict[str, object]]
) -> Exchange | None:
    """The seam crossing of a request boundary code sends, or None to pass it through
    (not sent by boundary code, or seamrec could not describe it: counted as lost)."""
    caller = seams.boundary_caller(frame)
    if caller is None:
        return None
    try:
        seam = outbound_seam(seams, str(request.method), str(request.url))
        return seam, caller, describe(request)
    except Exception as exc:  # seamrec's own failure: report it, never raise it
        seams.recorder.internal_error(exc, f"a request to {request.url!s}")
        return None


def _finish(seams: HttpSeams, exchange: Exchange, response: Callable[[], object]) -> None:
    """Record the response of a request that went to the network."""
    seam, caller, value = exchange
    try:
        seams.record(seam, caller, value, response())
    except Exception as exc:  # seamrec's own failure: report it, never raise it
        seams.recorder.internal_error(exc, f"a request of {seam.id}")


# ---------------------------------------------------------------- requests


def _requests_send(original: Any, seams: HttpSeams) -> Any:
    @functools.wraps(original)
    def send(session: Any, request: Any, **kwargs: Any) -> Any:
        exchange = _exchange(seams, sys._getframe(1), request, _requests_request_value)
        if exchange is None:
            return original(session, request, **kwargs)
        replayed, recorded = seams.recorder.replay_event(*exchange)
        if replayed:
            return _requests_response(request, recorded)
        if not seams.recorder.event_wanted():
            return original(session, request, **kwargs)
        response = original(session, request, **kwargs)
        stream = bool(kwargs.get("stream"))
        _finish(seams, exchange, lambda: _requests_response_value(response, stream))
        return response

    return send


def _requests_request_value(request: Any) -> dict[str, object]:
    body = request.body
    raw = body.encode() if type(body) is str else body if type(body) is bytes else None
    return request_value(
        query_dict(_query_pairs(str(request.url))),
        body_part(request.headers.get("Content-Type"), raw, None),
        names(request.headers.keys()),
        cookie_names(request.headers.get("Cookie")),
    )


def _query_pairs(url: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _requests_response_value(response: Any, stream: bool) -> dict[str, object]:
    media = mimetype(response.headers.get("Content-Type"))
    raw = response.content if is_json(media) and not stream else None
    length = response.headers.get("Content-Length")
    return response_value(
        response.status_code,
        body_part(media, raw, int(length) if length and length.isdigit() else None),
        names(response.headers.keys()),
        set_cookie_names(_set_cookies(response)),
    )


def _set_cookies(response: Any) -> list[str]:
    raw = vars(response).get("raw")
    headers = getattr(raw, "headers", None)
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        return [str(h) for h in getlist("Set-Cookie")]
    found = response.headers.get("Set-Cookie")
    return [found] if found else []


def _requests_response(request: Any, recorded: object) -> Any:
    import requests
    from requests.structures import CaseInsensitiveDict

    status, _, body, headers = replayed_response(recorded)
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict(dict(headers))
    response.url = str(request.url)
    response.request = request
    response.encoding = "utf-8"
    response.reason = "replayed by seamrec"
    return response


# ---------------------------------------------------------------- httpx


def _in_process(client: Any) -> bool:
    """True for an httpx client that talks to an app in this process (a test client, or
    an app's own client of itself such as datasette's `DatasetteClient`): the inbound
    seam (`http_inbound`) records that exchange, so it is not recorded a second time as
    outbound. httpx names its transports' module `httpx`, so their classes are compared
    (statically: the transport's type and its bases, never its attributes)."""
    transport = vars(client).get("_transport")
    for kind in type(transport).__mro__:
        if kind.__module__.startswith(_ASGI_TRANSPORTS):
            return True
        if kind.__module__ == "httpx" and kind.__qualname__ in _HTTPX_IN_PROCESS:
            return True
    return False


def _httpx_send(original: Any, seams: HttpSeams) -> Any:
    @functools.wraps(original)
    def send(client: Any, request: Any, **kwargs: Any) -> Any:
        exchange = None
        if not _in_process(client):
            exchange = _exchange(seams, sys._getframe(1), request, httpx_request_value)
        if exchange is None:
            return original(client, request, **kwargs)
        replayed, recorded = seams.recorder.replay_event(*exchange)
        if replayed:
            return _httpx_response(request, recorded)
        if not seams.recorder.event_wanted():
            return original(client, request, **kwargs)
        response = original(client, request, **kwargs)
        _finish(seams, exchange, lambda: httpx_response_value(response))
        return response

    return send


def _httpx_async_send(original: Any, seams: HttpSeams) -> Any:
    @functools.wraps(original)
    async def send(client: Any, request: Any, **kwargs: Any) -> Any:
        exchange = None
        if not _in_process(client):
            exchange = _exchange(seams, sys._getframe(1), request, httpx_request_value)
        if exchange is None:
            return await original(client, request, **kwargs)
        replayed, recorded = seams.recorder.replay_event(*exchange)
        if replayed:
            return _httpx_response(request, recorded)
        if not seams.recorder.event_wanted():
            return await original(client, request, **kwargs)
        response = await original(client, request, **kwargs)
        _finish(seams, exchange, lambda: httpx_response_value(response))
        return response

    return send


def _httpx_response(request: Any, recorded: object) -> Any:
    import httpx

    status, _, body, headers = replayed_response(recorded)
    return httpx.Response(status, headers=headers, content=body, request=request)
