"""Keep secrets out of cassettes: redaction of payload trees at write time.

Three rules, applied to every payload of a cassette before it is written:

1. A value under a key that looks like a credential (password, secret, token, api key,
   authorization, cookie, session, private key, and the `redact` names from config) —
   dict keys, argument names, dataclass and object fields, at any depth — is replaced by
   a typed placeholder (``RedactedView``): a redacted ``str`` is still a ``str``.
2. `redact_paths` rules (``"shop.auth:*:args.password"``) redact one part of one seam.
3. Strings anywhere (values, dict keys, exception messages) lose every secret found by
   rules 1-2 in the same cassette, and every value that looks like a credential by itself
   (``Bearer …`` headers, JWTs, PEM private keys).

Shapes are computed from the live values, so drift checking is unaffected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgpack

from seamrec.codec import Ext, pack
from seamrec.config import SeamPattern

DEFAULT_NAMES = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "private_key",
)
VALUE_PATTERNS = (
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
    r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
)
PLACEHOLDER = "<redacted>"
_NATIVE_TYPES = {str: "str", bytes: "bytes", int: "int", float: "float", bool: "bool"}


@dataclass(frozen=True)
class PathRule:
    """`module:Qualname:part`, where part is `args.<name>`, `return` or `raise`, optionally
    followed by `.key` steps into dicts and objects."""

    seam: SeamPattern
    part: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> PathRule:
        """Parse a `redact_paths` entry (ValueError on bad syntax)."""
        module, _, rest = text.partition(":")
        qualname, _, part = rest.partition(":")
        if not (module and qualname and part):
            raise ValueError(
                f"{text!r} is not of the form 'module:Qualname:part', e.g. "
                "'shop.auth:*:args.password'"
            )
        steps = tuple(part.split("."))
        if steps[0] not in ("args", "return", "raise", "yield"):
            raise ValueError(f"{text!r}: the part must start with args, return, raise or yield")
        return cls(SeamPattern(f"{module}:{qualname}", module, qualname), steps)


class Redactor:
    """Scrubs the payload trees of one cassette."""

    def __init__(
        self, names: Iterable[str] = (), paths: Iterable[PathRule] = (), values: bool = True
    ) -> None:
        self._names = tuple(n.lower() for n in (*DEFAULT_NAMES, *names))
        self._paths = tuple(paths)
        self._patterns = [re.compile(p) for p in VALUE_PATTERNS] if values else []
        self._secrets: set[str] = set()

    def sensitive(self, key: object) -> bool:
        """Whether a key or name looks like a credential."""
        if not isinstance(key, str):
            return False
        folded = key.lower().replace("-", "_")
        return any(name in folded for name in self._names)

    def collect(self, seam: str, args: Any, result: Any, outcome: str) -> None:
        """First pass: remember the secrets of one call, to scrub them everywhere."""
        self._collect(args)
        self._collect(result)
        for rule in self._matching(seam):
            root = args if rule.part[0] == "args" else result if rule.part[0] == outcome else None
            for found in _at_path(root, rule.part[1:]):
                self._remember(found)

    def scrub_call(self, seam: str, args: Any, result: Any, outcome: str) -> tuple[Any, Any]:
        """Second pass: the call's args and result with every secret replaced."""
        for rule in self._matching(seam):
            if rule.part[0] == "args":
                args = _replace_at(args, rule.part[1:], self._placeholder)
            elif rule.part[0] == outcome:
                result = _replace_at(result, rule.part[1:], self._placeholder)
        return self.scrub(args), self.scrub(result)

    def scrub(self, tree: Any) -> Any:
        """A tree with secrets replaced (under credential keys, and inside strings)."""
        if isinstance(tree, str):
            return self._scrub_text(tree)
        if isinstance(tree, list):
            return [self.scrub(item) for item in tree]
        if isinstance(tree, dict):
            return {
                self.scrub(k): self._placeholder(v) if self.sensitive(k) else self.scrub(v)
                for k, v in tree.items()
            }
        if isinstance(tree, msgpack.ExtType):
            return self._scrub_ext(tree)
        return tree

    def scrub_shape(self, shape: Any) -> Any:
        """A shape whose key names that are secrets (a token used as a dict key) are
        replaced by the placeholder; `shape.fits` treats it as matching any key."""
        if isinstance(shape, str):
            return PLACEHOLDER if shape in self._secrets else shape
        if isinstance(shape, tuple):
            return tuple(self.scrub_shape(part) for part in shape)
        return shape

    def _matching(self, seam: str) -> list[PathRule]:
        module, _, qualname = seam.partition(":")
        return [rule for rule in self._paths if rule.seam.matches(module, qualname)]

    def _collect(self, tree: Any) -> None:
        if isinstance(tree, list):
            for item in tree:
                self._collect(item)
        elif isinstance(tree, dict):
            for key, value in tree.items():
                if self.sensitive(key):
                    self._remember(value)
                else:
                    self._collect(value)
        elif isinstance(tree, msgpack.ExtType) and tree.code in (Ext.ROW, Ext.NAMEDTUPLE):
            _, columns, values = _inner(tree)
            self._collect_pairs(zip(columns, values, strict=False))
        elif isinstance(tree, msgpack.ExtType) and tree.code == Ext.MAP:
            self._collect_pairs(_inner(tree))
        elif isinstance(tree, msgpack.ExtType) and tree.code == Ext.TYPED_COLLECTION:
            _, kind, items = _inner(tree)
            if kind == "dict":
                self._collect_pairs(items)
            else:
                self._collect(items)
        elif isinstance(tree, msgpack.ExtType) and tree.code == Ext.OBJECT:
            self._collect(_inner(tree)[1])
        elif isinstance(tree, msgpack.ExtType) and tree.code in _CONTAINERS:
            self._collect(_inner(tree))

    def _collect_pairs(self, pairs: Iterable[Any]) -> None:
        for pair in pairs:
            key, value = pair
            if self.sensitive(key):
                self._remember(value)
            else:
                self._collect(value)

    def _remember(self, tree: Any) -> None:
        if isinstance(tree, str | bytes) and len(tree) >= 4:
            self._secrets.add(tree if isinstance(tree, str) else tree.decode("utf-8", "replace"))
        elif isinstance(tree, list):
            for item in tree:
                self._remember(item)
        elif isinstance(tree, dict):
            for value in tree.values():
                self._remember(value)
        elif isinstance(tree, msgpack.ExtType) and tree.code in _CONTAINERS:
            inner = _inner(tree)
            if tree.code == Ext.TYPED_COLLECTION and inner[1] == "dict":
                inner = [value for _, value in inner[2]]  # a mapping's values, not its keys
            elif tree.code in _NAMED:  # [type path, (names,) values...]: only the values
                inner = inner[-1] if tree.code != Ext.EXCEPTION else inner[1:2]
            self._remember(inner)

    def _scrub_text(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, PLACEHOLDER)
        for pattern in self._patterns:
            text = pattern.sub(PLACEHOLDER, text)
        return text

    def _placeholder(self, tree: Any) -> msgpack.ExtType:
        if isinstance(tree, msgpack.ExtType) and tree.code == Ext.REDACTED:
            return tree
        if isinstance(tree, msgpack.ExtType):
            name = _EXT_NAMES.get(Ext(tree.code)) or _type_of_ext(tree)
        else:
            name = _NATIVE_TYPES.get(type(tree), type(tree).__name__)
        return msgpack.ExtType(int(Ext.REDACTED), pack(name))

    def _scrub_ext(self, tree: msgpack.ExtType) -> msgpack.ExtType:
        if tree.code in (Ext.REDACTED, Ext.OPAQUE, Ext.SELF, Ext.UUID, Ext.BIGINT):
            return tree
        inner = _inner(tree)
        if tree.code == Ext.OBJECT:
            inner = [inner[0], self.scrub(inner[1])]
        elif tree.code in (Ext.ENUM, Ext.ROW, Ext.NAMEDTUPLE, Ext.TYPED_COLLECTION):
            inner = [inner[0], *self._scrub_named(tree.code, inner[1:])]
        elif tree.code == Ext.EXCEPTION:
            inner = [inner[0], self.scrub(inner[1]), *self.scrub(inner[2:])]
        elif tree.code == Ext.MAP:
            inner = [
                [self.scrub(k), self._placeholder(v) if self.sensitive(k) else self.scrub(v)]
                for k, v in inner
            ]
        else:
            inner = self.scrub(inner)
        return msgpack.ExtType(tree.code, pack(inner))

    def _scrub_named(self, code: int, rest: list[Any]) -> list[Any]:
        if code in (Ext.ROW, Ext.NAMEDTUPLE):  # [columns, values]: values by column name
            columns, values = rest
            return [
                columns,
                [
                    self._placeholder(v) if self.sensitive(c) else self.scrub(v)
                    for c, v in zip(columns, values, strict=False)
                ],
            ]
        if code == Ext.TYPED_COLLECTION and rest[0] == "dict":
            return [
                "dict",
                [
                    [self.scrub(k), self._placeholder(v) if self.sensitive(k) else self.scrub(v)]
                    for k, v in rest[1]
                ],
            ]
        return [rest[0], *self.scrub(rest[1:])]


_CONTAINERS = frozenset(
    {
        Ext.TUPLE,
        Ext.SET,
        Ext.FROZENSET,
        Ext.MAP,
        Ext.TYPED_COLLECTION,
        Ext.NAMEDTUPLE,
        Ext.ROW,
        Ext.OBJECT,
        Ext.EXCEPTION,
        Ext.ENUM,
    }
)
_NAMED = frozenset(
    {Ext.OBJECT, Ext.ROW, Ext.NAMEDTUPLE, Ext.ENUM, Ext.TYPED_COLLECTION, Ext.EXCEPTION}
)
_EXT_NAMES = {
    Ext.TUPLE: "tuple",
    Ext.SET: "set",
    Ext.FROZENSET: "frozenset",
    Ext.BIGINT: "int",
    Ext.DECIMAL: "decimal.Decimal",
    Ext.DATETIME: "datetime.datetime",
    Ext.DATE: "datetime.date",
    Ext.TIME: "datetime.time",
    Ext.TIMEDELTA: "datetime.timedelta",
    Ext.UUID: "uuid.UUID",
    Ext.BYTEARRAY: "bytearray",
}


def _type_of_ext(tree: msgpack.ExtType) -> str:
    inner = _inner(tree)
    if isinstance(inner, list) and inner and isinstance(inner[0], str):
        return inner[0]
    return "value"


def _inner(tree: msgpack.ExtType) -> Any:
    return msgpack.unpackb(tree.data, raw=False, strict_map_key=False)


def _at_path(tree: Any, steps: tuple[str, ...]) -> list[Any]:
    """The values a `redact_paths` part names inside a raw tree."""
    if not steps:
        return [tree]
    head, rest = steps[0], steps[1:]
    if isinstance(tree, dict) and head in tree:
        return _at_path(tree[head], rest)
    if isinstance(tree, msgpack.ExtType) and tree.code == Ext.OBJECT:
        fields = _inner(tree)[1]
        return _at_path(fields.get(head), rest) if head in fields else []
    return []


def _replace_at(tree: Any, steps: tuple[str, ...], replace: Any) -> Any:
    if not steps:
        return replace(tree)
    head, rest = steps[0], steps[1:]
    if isinstance(tree, dict) and head in tree:
        return {k: _replace_at(v, rest, replace) if k == head else v for k, v in tree.items()}
    if isinstance(tree, msgpack.ExtType) and tree.code == Ext.OBJECT:
        name, fields = _inner(tree)
        if head in fields:
            fields = {
                k: _replace_at(v, rest, replace) if k == head else v for k, v in fields.items()
            }
            return msgpack.ExtType(tree.code, pack([name, fields]))
    return tree
