"""HTTP seams: the requests a test sends to the app through a framework's test client
(inbound, ``http:GET /api/orders/<int:order_id>``) and the requests boundary code sends to
other services through `requests` or `httpx` (outbound, ``http-out:GET host/v1/users/<id>``).

Both are fed into the session like database queries (`SeamSession.open_event`): one
crossing per request, whose only argument is the request and whose return is the
response, as plain dicts so that shapes, drift messages, contracts and `seamrec diff`
work as for any seam. Literal parts of the contract (status, content type) are dict keys,
so that a change of them is a changed key. Keys are identifiers (`x-request-id` is
`x_request_id`, `text/html` is `text_html`) so that shapes keep them as keys::

    request  = {"query": {name: value}, "json": body | "form": {name: None}
                | "<content type>": "<length class>", "headers": {name: None},
                "cookies": {name: None}}
    response = {"status_<code>": {"json": body | "<content type>": "<length class>",
                "headers": {name: None}, "cookies": {name: None}}}

Header and cookie values are never stored, only their names. This module holds what
both sides share; `http_inbound` and `http_outbound` (next to it) hold the hooks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

from seamrec.config import in_packages
from seamrec.model.shape import compatible
from seamrec.model.shape_types import CollShape, RecordShape, shape_kind, view
from seamrec.runtime.adapters.imports import PendingPatch, after_import
from seamrec.runtime.wrappers import Seam

if TYPE_CHECKING:
    from seamrec.model.shape import Shape
    from seamrec.runtime.tape import LiveCall

INBOUND = "http"
OUTBOUND = "http-out"
PREFIXES = (INBOUND + ":", OUTBOUND + ":")
JSON_KEY = "json"
STATUS = "status_"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
# headers every client sends or every server answers: names without contract value
_SKIP_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "cookie",
        "set-cookie",
        "date",
        "server",
        "transfer-encoding",
    }
)
_NUMBER = re.compile(r"^-?\d+$")
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_NOT_WORD = re.compile(r"\W")
_MAX_FRAMES = 200
_MAX_SEAMS = 4096


class Recorder(Protocol):
    """What the HTTP seams need from the session."""

    def event_wanted(self) -> bool: ...

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None: ...

    def close_event(
        self, call: LiveCall, outcome: str, value: object, shape: Shape | None = None
    ) -> None: ...

    def replay_event(self, seam: Seam, caller: str, value: object) -> tuple[bool, object]: ...

    def internal_error(self, exc: Exception, lost: str) -> None: ...

    def shape(self, value: object) -> Shape: ...


class HttpSeams:
    """Installs the inbound and outbound hooks for the run and turns requests into events."""

    def __init__(
        self, recorder: Recorder, sides: tuple[str, ...], boundaries: tuple[str, ...]
    ) -> None:
        self.recorder = recorder
        self.sides = sides
        self.boundaries = boundaries
        self._patched: list[tuple[type, str, Any]] = []
        self._seams: dict[str, Seam] = {}
        self._modules: dict[str, bool | None] = {}
        self._pending: list[PendingPatch] = []  # patches waiting for their client

    def install(self) -> None:
        """Patch the test clients (inbound) and `requests`/`httpx` (outbound), now if
        imported, else when they are."""
        if "inbound" in self.sides:
            from seamrec.runtime.adapters.http_inbound import install

            install(self)
        if "outbound" in self.sides:
            from seamrec.runtime.adapters.http_outbound import install as install_outbound

            install_outbound(self)

    def catch_up(self) -> None:
        """Wrap the test clients imported since the last call (at each test's start)."""
        if "inbound" in self.sides:
            from seamrec.runtime.adapters.http_inbound import catch_up

            catch_up(self)

    def when_imported(self, module: str, patches: tuple[tuple[str, str, Any], ...]) -> None:
        """Make each `(class, method, make)` of `patches` on `module` (see `patch`) once
        the module is imported, now if it is (`adapters.imports`): a run never imports an
        HTTP client the tests do not use. After `uninstall` it patches nothing."""

        def patch_classes(loaded: ModuleType) -> None:
            for class_name, method, make in patches:
                owner = vars(loaded).get(class_name)
                if type(owner) is type:
                    self.patch(owner, method, make)

        report, lost = self.recorder.internal_error, f"requests sent through {module}"
        self._pending.append(after_import(module, patch_classes, report, lost))

    def patch(self, owner: type, name: str, make: Any) -> None:
        """Replace `owner.name` by `make(original, self)` until `uninstall`."""
        original = vars(owner).get(name)
        if original is None or "__seamrec__" in getattr(original, "__dict__", {}):
            return
        replacement = make(original, self)
        replacement.__seamrec__ = True
        self._patched.append((owner, name, original))
        setattr(owner, name, replacement)

    def uninstall(self) -> None:
        """Give the clients their own methods back."""
        while self._pending:
            self._pending.pop().cancel()
        while self._patched:
            owner, name, original = self._patched.pop()
            setattr(owner, name, original)

    def seam(self, side: str, method: str, route: str) -> Seam:
        """The seam of `method route` on `side` ("http" or "http-out")."""
        qualname = f"{method.upper()} {route}"
        key = f"{side}:{qualname}"
        seam = self._seams.get(key)
        if seam is None:
            if len(self._seams) >= _MAX_SEAMS:
                self._seams.clear()
            seam = Seam(key, side, qualname, "function", False, ("request",), None)
            self._seams[key] = seam
        return seam

    def record(self, seam: Seam, caller: str, request: object, response: object) -> None:
        """One request that happened: its crossing, started and ended."""
        call = self.recorder.open_event(seam, caller, request)
        if call is None:
            return
        expected = call.expected
        if expected is None:
            self.recorder.close_event(call, "return", response)
            return
        live = self.recorder.shape(response)
        pruned = without_added_keys(live, expected.result_shape, 0)
        # new keys alone are no drift; with other changes they stay, so renames show
        shape = pruned if compatible(expected.result_shape, pruned) else live
        self.recorder.close_event(call, "return", response, shape)

    def test_caller(self, frame: FrameType | None) -> str:
        """The module of the nearest frame outside seamrec, the clients and frameworks."""
        depth = 0
        while frame is not None and depth < _MAX_FRAMES:
            name = frame.f_globals.get("__name__")
            if type(name) is str and name.partition(".")[0] not in _CLIENT_LAYERS:
                return name
            frame = frame.f_back
            depth += 1
        return "?"

    def boundary_caller(self, frame: FrameType | None) -> str | None:
        """The boundary module that sent an outbound request (through HTTP libraries
        only), or None when a test, a fixture or another library sent it."""
        depth = 0
        while frame is not None and depth < _MAX_FRAMES:
            name = frame.f_globals.get("__name__")
            if type(name) is str:
                kind = self._modules.get(name, 0)
                if kind == 0:
                    kind = None if name.partition(".")[0] in _CLIENT_LAYERS else False
                    if in_packages(name, self.boundaries):
                        kind = True
                    self._modules[name] = kind
                if kind is True:
                    return name
                if kind is False:
                    return None
            frame = frame.f_back
            depth += 1
        return None


_CLIENT_LAYERS = frozenset(
    {
        "seamrec",
        "werkzeug",
        "flask",
        "starlette",
        "fastapi",
        "httpx",
        "httpcore",
        "requests",
        "urllib3",
        "anyio",
        "asyncio",
        "contextlib",
        "concurrent",
        "threading",
        "functools",
        "django",
        "rest_framework",
    }
)


def without_added_keys(live: Shape, recorded: Shape, depth: int) -> Shape:
    """`live` without the keys of response dicts that `recorded` did not have: a new key
    in a response is additive, not drift (clients ignore keys they do not know). The
    status and content type levels (`depth` 0 and 1) are kept whole."""
    if not live or not recorded or shape_kind(live) != shape_kind(recorded):
        return live
    new, old = view(live), view(recorded)
    if isinstance(new, RecordShape) and isinstance(old, RecordShape) and new.kind == "dict":
        known = dict(zip(old.names, old.unions, strict=True))
        keys, unions = [], []
        for name, union in zip(new.names, new.unions, strict=True):
            if depth >= 2 and name not in known:
                continue
            keys.append(name)
            unions.append(_pruned_union(union, known.get(name, ()), depth + 1))
        return RecordShape.build(new.kind, new.type_name, tuple(keys), tuple(unions))
    if isinstance(new, CollShape) and isinstance(old, CollShape):
        return CollShape.build(new.type_name, _pruned_union(new.items, old.items, depth + 1))
    return live


def _pruned_union(
    live: tuple[Shape, ...], recorded: tuple[Shape, ...], depth: int
) -> tuple[Shape, ...]:
    by_kind = {shape_kind(shape): shape for shape in recorded if shape}
    return tuple(
        without_added_keys(shape, by_kind[shape_kind(shape)], depth)
        if shape and shape_kind(shape) in by_kind
        else shape
        for shape in live
    )


# ---------------------------------------------------------------- values


def key(name: str) -> str:
    """`name` as an identifier, so that a shape keeps it as a key."""
    name = _NOT_WORD.sub("_", name)
    return name if name.isidentifier() else f"_{name}"


def normalized_path(path: str) -> str:
    """`path` with numeric segments as `<id>` and UUID segments as `<uuid>`."""
    parts = []
    for part in path.split("/"):
        if _NUMBER.match(part):
            part = "<id>"
        elif _UUID.match(part):
            part = "<uuid>"
        parts.append(part)
    return "/".join(parts) or "/"


def length_class(size: int | None) -> str:
    """How long a body is, in classes that do not change with every value."""
    if size is None:
        return "unknown length"
    if size == 0:
        return "empty"
    if size < 1024:
        return "<1KiB"
    if size < 65536:
        return "<64KiB"
    return ">=64KiB"


def mimetype(content_type: str | None) -> str:
    """`application/json` of `application/json; charset=utf-8`."""
    return (content_type or "").partition(";")[0].strip().lower()


def is_json(media: str) -> bool:
    return media == JSON_TYPE or media.endswith("+json")


def query_value(value: str) -> object:
    """A query parameter's value as the app would read it: digits are an int."""
    return int(value) if _NUMBER.match(value) and len(value) < 19 else value


def query_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, object]:
    """Query parameters by name; a repeated name holds a list."""
    found: dict[str, object] = {}
    for raw_name, raw in pairs:
        name, value = key(raw_name), query_value(raw)
        if name in found:
            held = found[name]
            found[name] = [*held, value] if type(held) is list else [held, value]
        else:
            found[name] = value
    return found


def names(items: Iterable[str], skip: frozenset[str] = _SKIP_HEADERS) -> dict[str, None]:
    """Header or cookie names (lowercased headers), sorted, without values."""
    return dict.fromkeys(sorted({key(n.lower()) for n in items if n.lower() not in skip}))


def cookie_names(header: str | None) -> dict[str, None]:
    """The cookie names of a `Cookie` header."""
    if not header:
        return {}
    found = {p.partition("=")[0].strip() for p in header.split(";")} - {""}
    return dict.fromkeys(sorted(map(key, found)))


def set_cookie_names(headers: Iterable[str]) -> dict[str, None]:
    """The cookie names of `Set-Cookie` headers."""
    found = {h.partition("=")[0].strip() for h in headers} - {""}
    return dict.fromkeys(sorted(map(key, found)))


def body_part(content_type: str | None, body: bytes | None, size: int | None) -> dict[str, object]:
    """The body of a request or response: `{"json": value}`, `{"form": {name: None}}` or
    `{"<content type>": "<length class>"}`; nothing for no body."""
    media = mimetype(content_type)
    if body is not None:
        size = len(body)
    if not size and not media:
        return {}
    if body is not None and is_json(media):
        try:
            value = json.loads(body)
        except ValueError:
            pass
        else:
            return {JSON_KEY if media == JSON_TYPE else key(media): value}
    if body is not None and media == FORM_TYPE:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return {"form": dict.fromkeys(sorted({key(n) for n, _ in pairs}))}
    return {key(media) if media else "unknown": length_class(size)}


def request_value(
    query: dict[str, object],
    body: dict[str, object],
    headers: dict[str, None],
    cookies: dict[str, None],
) -> dict[str, object]:
    """The argument of one HTTP crossing."""
    return {"query": query, **body, "headers": headers, "cookies": cookies}


def response_value(
    status: int, body: dict[str, object], headers: dict[str, None], cookies: dict[str, None]
) -> dict[str, object]:
    """The return of one HTTP crossing."""
    return {f"{STATUS}{status}": {**body, "headers": headers, "cookies": cookies}}


def replayed_response(value: object) -> tuple[int, str, bytes, list[tuple[str, str]]]:
    """Status, content type, body and headers of a recorded response (for replay)."""
    if type(value) is not dict or len(value) != 1:
        raise ValueError(f"not a recorded HTTP response: {value!r}")
    ((status_key, detail),) = value.items()
    status = str(status_key).removeprefix(STATUS)
    content_type, body = "", b""
    headers: list[tuple[str, str]] = []
    if type(detail) is dict:
        for name, part in detail.items():
            if name in ("headers", "cookies"):
                continue
            if name == JSON_KEY or name.endswith("_json"):
                content_type = media_type(name)
                body = json.dumps(part).encode()
            elif name == "form":
                content_type = FORM_TYPE
            else:
                content_type = media_type(name)
        headers = [(name.replace("_", "-"), "") for name in detail.get("headers", {})]
    if content_type:
        headers.append(("content-type", content_type))
    return int(status), content_type, body, headers


# ---------------------------------------------------------------- reports


def is_http(seam: str) -> bool:
    """True for an HTTP seam id (inbound or outbound)."""
    return seam.startswith(PREFIXES)


def media_type(name: object) -> str:
    """The content type a body key stands for (`text_html` is `text/html`)."""
    if name == JSON_KEY:
        return JSON_TYPE
    return str(name).replace("_", "/", 1)
