"""Inbound HTTP seams: requests a test sends to the app through a test client.

Werkzeug's `Client.open` (Flask's `app.test_client()` and any WSGI app), Starlette's
`TestClient` transport and httpx's `ASGITransport` (FastAPI) are wrapped for the run. The
seam is the method and the route rule the app matched (`http:GET /api/orders/<int:id>`,
`http:GET /items/{item_id}`); without one, numeric and UUID segments are normalized.
The request is recorded after the app answered it, so its queries come first.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from seamrec.runtime.adapters.httpseams import (
    INBOUND,
    HttpSeams,
    body_part,
    cookie_names,
    is_json,
    mimetype,
    names,
    normalized_path,
    query_dict,
    request_value,
    response_value,
    set_cookie_names,
)

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


def install(seams: HttpSeams) -> None:
    """Wrap werkzeug's test client and the ASGI transport of httpx once they are imported
    (now if they are); Starlette's and Django's test clients once imported (see
    `catch_up`)."""
    seams.when_imported("werkzeug.test", (("Client", "open", _werkzeug_open),))
    seams.when_imported("httpx", (("ASGITransport", "handle_async_request", _asgi_handle),))
    catch_up(seams)


def catch_up(seams: HttpSeams) -> None:
    """Wrap Starlette's `TestClient` and Django's test client if the tests imported them
    (seamrec never imports them: Django's is heavy, Starlette's warns)."""
    starlette = sys.modules.get("starlette.testclient")
    if starlette is not None:
        transport = vars(starlette).get("_TestClientTransport")
        if type(transport) is type:
            seams.patch(transport, "handle_request", _starlette_handle)
    django = sys.modules.get("django.test.client")
    if django is not None:
        client = vars(django).get("Client")
        if type(client) is type:
            seams.patch(client, "request", _django_request)
        client = vars(django).get("AsyncClient")
        if type(client) is type:
            seams.patch(client, "request", _django_async_request)


# ---------------------------------------------------------------- Django


def _django_request(original: Callable[..., Any], seams: HttpSeams) -> Callable[..., Any]:
    @functools.wraps(original)
    def request(client: Any, **environ: Any) -> Any:
        if not seams.recorder.event_wanted():
            return original(client, **environ)
        caller = seams.test_caller(sys._getframe(1))
        response = original(client, **environ)
        try:
            _django_event(seams, response, caller)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            seams.recorder.internal_error(exc, "a request sent through Django's test client")
        return response

    return request


def _django_async_request(original: Callable[..., Any], seams: HttpSeams) -> Callable[..., Any]:
    @functools.wraps(original)
    async def request(client: Any, **scope: Any) -> Any:
        if not seams.recorder.event_wanted():
            return await original(client, **scope)
        caller = seams.test_caller(sys._getframe(1))
        response = await original(client, **scope)
        try:
            _django_event(seams, response, caller)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            seams.recorder.internal_error(exc, "a request sent through Django's AsyncClient")
        return response

    return request


def _django_event(seams: HttpSeams, response: Any, caller: str) -> None:
    """Record one request of Django's test client (DRF's `APIClient` included) or of its
    `AsyncClient` (the request is the response's `wsgi_request` or `asgi_request`)."""
    from django.http import HttpResponseBase  # type: ignore[import-untyped]
    from django.urls import Resolver404  # type: ignore[import-untyped]

    if not isinstance(response, HttpResponseBase):
        return
    held_by_response = vars(response)
    wsgi = held_by_response.get("wsgi_request", held_by_response.get("asgi_request"))
    if wsgi is None:
        return
    meta = wsgi.META
    try:
        route = "/" + str(response.resolver_match.route).lstrip("^").rstrip("$")
    except Resolver404:
        route = normalized_path(str(meta.get("PATH_INFO", "/")))
    held = vars(wsgi)
    raw = held.get("_body")
    size = _int(meta.get("CONTENT_LENGTH"))
    body = body_part(meta.get("CONTENT_TYPE"), raw if type(raw) is bytes else None, size)
    posted = held.get("_post")
    if "form" not in body and posted is not None:
        fields = list(posted.keys())
        if fields:
            body = {"form": dict.fromkeys(sorted(fields))}
    headers = [k[5:].replace("_", "-") for k in meta if type(k) is str and k.startswith("HTTP_")]
    value = request_value(
        query_dict(wsgi.GET.items()),
        body,
        names(headers),
        cookie_names(meta.get("HTTP_COOKIE")),
    )
    content_type = response.get("Content-Type")
    streaming = bool(vars(response).get("streaming", False)) or type(response).__name__.startswith(
        "Streaming"
    )
    raw_body = response.content if not streaming and is_json(mimetype(content_type)) else None
    result = response_value(
        response.status_code,
        body_part(content_type, raw_body, _int(response.get("Content-Length"))),
        names(k for k in response.headers),
        set_cookie_names(f"{name}=" for name in response.cookies),
    )
    method = str(meta.get("REQUEST_METHOD", "GET"))
    seams.record(seams.seam(INBOUND, method, route), caller, value, result)


# ---------------------------------------------------------------- werkzeug


def _werkzeug_open(original: Callable[..., Any], seams: HttpSeams) -> Callable[..., Any]:
    @functools.wraps(original)
    def open(client: Any, *args: Any, **kwargs: Any) -> Any:
        if not seams.recorder.event_wanted():
            return original(client, *args, **kwargs)
        caller = seams.test_caller(sys._getframe(1))
        response = original(client, *args, **kwargs)
        try:
            _werkzeug_event(seams, client, response, caller)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            seams.recorder.internal_error(exc, "a request sent through a WSGI test client")
        return response

    return open


def _werkzeug_event(seams: HttpSeams, client: Any, response: Any, caller: str) -> None:
    from werkzeug.test import TestResponse
    from werkzeug.wrappers import Request

    if not isinstance(response, TestResponse) or not isinstance(response.request, Request):
        return
    request = response.request
    environ = request.environ
    method = str(environ.get("REQUEST_METHOD", "GET"))
    route = _flask_rule(client, environ) or normalized_path(str(environ.get("PATH_INFO", "/")))
    stream = environ.get("wsgi.input")
    raw = stream.getvalue() if type(stream) is io.BytesIO else None
    size = _int(environ.get("CONTENT_LENGTH"))
    value = request_value(
        query_dict(request.args.items(multi=True)),
        body_part(environ.get("CONTENT_TYPE"), raw, size),
        names(k for k, _ in request.headers.items()),
        cookie_names(environ.get("HTTP_COOKIE")),
    )
    media = mimetype(response.content_type)
    body = response.get_data() if is_json(media) else None
    size = response.content_length if body is None else None
    result = response_value(
        response.status_code,
        body_part(response.content_type, body, size),
        names(k for k, _ in response.headers.items()),
        set_cookie_names(response.headers.getlist("Set-Cookie")),
    )
    seams.record(seams.seam(INBOUND, method, route), caller, value, result)


def _flask_rule(client: Any, environ: dict[str, Any]) -> str | None:
    """The rule of the app's URL map the request matched (Flask, or any app with a
    werkzeug `url_map`), read from the app's own attributes without evaluating it."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import Map

    app = vars(client).get("application")
    namespace = getattr(app, "__dict__", None) if app is not None else None
    if type(namespace) is not dict:
        return None
    url_map = namespace.get("url_map")
    if not isinstance(url_map, Map):
        return None
    try:
        rule, _ = url_map.bind_to_environ(environ).match(return_rule=True)
    except HTTPException:  # 404, 405, a redirect: no rule of the app
        return None
    return str(rule.rule)


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


# ---------------------------------------------------------------- ASGI


def _starlette_handle(original: Callable[..., Any], seams: HttpSeams) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_request(transport: Any, request: Any) -> Any:
        if not seams.recorder.event_wanted():
            return original(transport, request)
        caller = seams.test_caller(sys._getframe(1))
        scopes: list[MutableMapping[str, Any]] = []
        app = vars(transport).get("app")
        if app is not None:
            transport.app = _capturing(app, scopes)
        try:
            response = original(transport, request)
        finally:
            if app is not None:
                transport.app = app
        try:
            if is_json(mimetype(response.headers.get("content-type"))):
                response.read()
            _httpx_event(seams, request, response, scopes, caller)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            seams.recorder.internal_error(exc, "a request sent through Starlette's TestClient")
        return response

    return handle_request


def _asgi_handle(original: Callable[..., Any], seams: HttpSeams) -> Callable[..., Any]:
    @functools.wraps(original)
    async def handle_async_request(transport: Any, request: Any) -> Any:
        if not seams.recorder.event_wanted():
            return await original(transport, request)
        caller = seams.test_caller(sys._getframe(1))
        scopes: list[MutableMapping[str, Any]] = []
        app = vars(transport).get("app")
        if app is not None:
            transport.app = _capturing(app, scopes)
        try:
            response = await original(transport, request)
        finally:
            if app is not None:
                transport.app = app
        try:
            if is_json(mimetype(response.headers.get("content-type"))):
                await response.aread()
            _httpx_event(seams, request, response, scopes, caller)
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            seams.recorder.internal_error(exc, "a request sent through httpx's ASGITransport")
        return response

    return handle_async_request


def _capturing(app: ASGIApp, scopes: list[MutableMapping[str, Any]]) -> ASGIApp:
    """`app`, keeping the scope it was called with (the router notes its route there)."""

    async def capture(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if not scopes:
            scopes.append(scope)
        await app(scope, receive, send)

    return capture


def _asgi_rule(scopes: list[MutableMapping[str, Any]]) -> str | None:
    """The path of the route Starlette's router matched (FastAPI's included)."""
    if not scopes:
        return None
    scope = scopes[0]
    route = scope.get("route")
    namespace = getattr(route, "__dict__", None) if route is not None else None
    if type(namespace) is not dict or type(namespace.get("path")) is not str:
        return None
    root = scope.get("root_path", "")
    app_root = scope.get("app_root_path", "")
    prefix = root[len(app_root) :] if type(root) is str and type(app_root) is str else ""
    return prefix + str(namespace["path"])


def _httpx_event(
    seams: HttpSeams,
    request: Any,
    response: Any,
    scopes: list[MutableMapping[str, Any]],
    caller: str,
) -> None:
    """Record one request of an httpx client answered by an ASGI app."""
    route = _asgi_rule(scopes) or normalized_path(request.url.path)
    value = httpx_request_value(request)
    result = httpx_response_value(response)
    seams.record(seams.seam(INBOUND, request.method, route), caller, value, result)


def httpx_request_value(request: Any) -> dict[str, object]:
    """The recorded argument of an `httpx.Request`."""
    raw = request.content if "_content" in vars(request) else None
    size = _int(request.headers.get("content-length"))
    return request_value(
        query_dict(request.url.params.multi_items()),
        body_part(request.headers.get("content-type"), raw, size),
        names(request.headers.keys()),
        cookie_names(request.headers.get("cookie")),
    )


def httpx_response_value(response: Any) -> dict[str, object]:
    """The recorded return of an `httpx.Response` (its body only when already read)."""
    raw = response.content if "_content" in vars(response) else None
    return response_value(
        response.status_code,
        body_part(
            response.headers.get("content-type"),
            raw,
            _int(response.headers.get("content-length")),
        ),
        names(response.headers.keys()),
        set_cookie_names(response.headers.get_list("set-cookie")),
    )
