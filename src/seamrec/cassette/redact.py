"""Keep secrets out of cassettes: redaction of payload trees when a cassette is written.

Three rules, applied to every payload of a cassette before it is written (never on the
per-call path):

1. **By name.** A string under a key that names a credential — dict keys, argument
   names, dataclass/object fields and row columns whose last words are ``password``,
   ``secret``, ``token``, ``api_key``, ``access_key``, ``client_secret``, ``passphrase``,
   ``credentials``, ``authorization``, ``cookie``, ``session``... — is replaced by a
   typed placeholder (``RedactedView``): a redacted ``str`` is still a ``str``. Only
   scalar values are redacted: booleans and numbers stay readable, and an object or dict
   under such a name is walked, not swallowed. Names from the `redact` setting match as
   parts of keys and also cover numbers. A URL or DSN under a name ending with ``url``,
   ``uri``, ``dsn`` or ``connection_string`` loses its userinfo, password or not.
2. **By seam.** `redact_paths` rules (``"shop.auth:*:args.password"``) redact one part of
   one seam, whatever its type.
3. **By value.** Strings anywhere (values, dict keys, exception messages, bytes) lose the
   secret part of every credential `seamrec.cassette.secrets` recognises, of every `redact_patterns`
   match, and of every value rules 1-2 found in the same cassette that is secret-like by
   itself (`secrets.secret_like`): ``postgresql://app:<redacted>@db:5432/app``.

Shapes are computed from the live values, so drift checking is unaffected. `redactions`
lists what was replaced (seam, path, kind) without the secrets: `seamrec audit` and
`seamrec redact` report it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

from seamrec.cassette.secrets import Detector, detector, secret_like
from seamrec.cassette.store import Call, Cassette, Run
from seamrec.config import SeamPattern, Settings
from seamrec.model.codec import pack
from seamrec.model.paths import PARTS, REDACTED, render_path
from seamrec.model.payload import (
    TYPED_NODES,
    CollectionNode,
    CutNode,
    EnumNode,
    ExceptionNode,
    Ext,
    NamedTupleNode,
    ObjectNode,
    RowNode,
    ext,
    ext_code,
    inner,
    read,
)

# Words that make a key a credential when the key ends with them (qualifiers such as
# `_id`, `_value`, `_hash` may follow): `db_password`, `X-Api-Key`, `SessionId`.
DEFAULT_NAMES = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "secrets",
    "token",
    "tokens",
    "api_key",
    "apikey",
    "access_key",
    "secret_key",
    "private_key",
    "client_secret",
    "credential",
    "credentials",
    "creds",
    "authorization",
    "cookie",
    "cookies",
    "session",
    "sessionid",
)
# Names of connection strings and URLs: their values keep what is readable, but lose any
# userinfo (`https://<redacted>@host`), a password or not; other secrets go by value.
CONNECTION_NAMES = ("dsn", "url", "uri", "connectionstring", "connstr")
_USERINFO = re.compile(r"(?<=://)[^\s/?#@:<>]+(?=@)")
NAME = 1  # a default credential name: strings are redacted
USER_NAME = 2  # a configured name: strings and numbers are redacted
CONNECTION = 3  # a URL or DSN: the userinfo of a string is redacted
_QUALIFIERS = frozenset(
    {"id", "value", "values", "hash", "b64", "base64", "hex", "raw", "plain", "text", "data"}
    | {"str", "string", "enc", "encrypted", "old", "new", "current", "confirm", "header"}
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_NATIVE_TYPES = {str: "str", bytes: "bytes", int: "int", float: "float", bool: "bool"}
_USER_SCALARS = (str, bytes, int, float)
MIN_KNOWN_SECRET = 4  # a value named by the user shorter than this is not scrubbed in text


class Redaction(NamedTuple):
    """One secret replaced (or, for `seamrec audit`, to replace): where and what kind."""

    seam: str
    path: str
    kind: str


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
        if steps[0] not in PARTS:
            raise ValueError(f"{text!r}: the part must start with args, return, raise or yield")
        return cls(SeamPattern(f"{module}:{qualname}", module, qualname), steps)


def key_words(key: str) -> list[str]:
    """`X-Api-Key` → ["x", "api", "key"], `passwordResetToken` → [..., "reset", "token"]."""
    return [w for w in _SEPARATORS.split(_CAMEL.sub("_", key).lower()) if w]


_CLEAN_SHAPES: dict[Detector | None, set[Any]] = {}  # shapes with no secret, per detector
_CLEAN_SHAPES_MAX = 20_000
_CLEAN_SHAPE_IDS: dict[Detector | None, dict[int, Any]] = {}  # the same, by id: id -> shape
_CLEAN_SHAPE_IDS_MAX = 4_096


class _TextMemo(dict[str, tuple[str, tuple[str, ...]]]):
    """What the detector made of each text (see `Redactor._detect`), with the characters
    of the texts it holds counted, to bound its memory."""

    chars = 0


_TEXTS: dict[Detector | None, _TextMemo] = {}  # per detector
_TEXT_MEMO_MAX = 20_000
_TEXT_MEMO_CHARS = 100_000  # longer texts are searched each time
_TEXT_MEMO_TOTAL = 4_000_000
_MEMO_MAX = 4_096  # scrubbed ext values a writer's memo holds (see `Redactor.redact`)
_MEMO_BYTES = 8_192  # larger ext values are scrubbed each time (bounds the memory held)


class CleanCalls(set[bytes]):
    """The msgpack bytes of calls (args and result) found clean by a full walk: no secret
    to collect, nothing scrubbed. Such a call is quiet wherever it recurs in the run (the
    verdict depends on its bytes and the rules alone), unless its cassette holds a secret.
    Kept by the caller across the cassettes of a run, with the same rules."""

    size = 0

    def __init__(self) -> None:
        super().__init__()
        # the payload trees (args, result) of calls `Redactor._quiet` found quiet, by
        # identity: a record run's writer decodes the same bytes into the same trees
        # (`writer.SharedTrees`), so a recurring call is judged without being packed; each
        # pair is held here, so its ids are not reused meanwhile (trees are never changed)
        self._quiet: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._quiet_bytes = 0

    def remember(self, packed: bytes) -> None:
        if len(packed) > _CLEAN_CALL_BYTES:
            return
        if len(self) >= _CLEAN_CALLS_MAX or self.size > _CLEAN_CALLS_TOTAL:
            self.clear()
            self.size = 0
        self.add(packed)
        self.size += len(packed)

    def quiet_trees(self, args: Any, result: Any) -> bool:
        """Whether `Redactor._quiet` found these very payload trees quiet before."""
        known = self._quiet.get((id(args), id(result)))
        return known is not None and known[0] is args and known[1] is result

    def remember_quiet(self, args: Any, result: Any, size: int) -> None:
        """Note that the call of these trees (`size` bytes packed) was found quiet."""
        if size > _QUIET_TREE_BYTES:
            return
        if len(self._quiet) >= _CLEAN_CALLS_MAX or self._quiet_bytes > _QUIET_TREES_TOTAL:
            self._quiet.clear()
            self._quiet_bytes = 0
        self._quiet[id(args), id(result)] = (args, result)
        self._quiet_bytes += size


_CLEAN_CALLS_MAX = 20_000
_CLEAN_CALL_BYTES = 65_536  # larger calls are walked each time
_CLEAN_CALLS_TOTAL = 16_000_000
_QUIET_TREE_BYTES = 16_384  # (the writer shares the trees of small payloads only)
_QUIET_TREES_TOTAL = 1_000_000  # (the trees held take ~10x their bytes)


class Redactor:
    """Scrubs the payload trees of one cassette (collect every call, then scrub each)."""

    def __init__(
        self,
        names: Iterable[str] = (),
        paths: Iterable[PathRule] = (),
        values: bool = True,
        patterns: Iterable[str] = (),
    ) -> None:
        self._user_names = tuple(n.lower().replace("-", "_") for n in names)
        self._paths = tuple(paths)
        self._detector = detector(tuple(patterns)) if values else None
        self._names = _NameBytes.of(self._user_names)
        self._texts = _TEXTS.setdefault(self._detector, _TextMemo())  # see `_detect`
        self._clean_shape_ids = _CLEAN_SHAPE_IDS.setdefault(self._detector, {})
        self._start()

    def _start(self) -> None:
        """What one cassette's redaction collects and reports: nothing yet."""
        self._secrets: set[str] = set()
        self._ordered: list[str] | None = []
        self._shapes: dict[Any, Any] = {}
        self.redactions: list[Redaction] = []
        self._where: list[Any] = []
        self._seam = ""
        self._memo: dict[msgpack.ExtType, msgpack.ExtType] | None = None  # see `redact`

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        """A fresh redactor with the project's rules (one per cassette)."""
        rules = [PathRule.parse(text) for text in settings.redact_paths]
        return cls(settings.redact, rules, settings.redact_values, settings.redact_patterns)

    def fresh(self) -> Redactor:
        """A redactor with this one's rules and nothing collected: what `from_settings`
        gives, without reading the settings again (a record run's writer makes one per
        cassette)."""
        new = _new_object(type(self))
        new._user_names = self._user_names
        new._paths = self._paths
        new._detector = self._detector
        new._names = self._names
        new._texts = self._texts
        new._clean_shape_ids = self._clean_shape_ids
        new._start()
        return new

    # ------------------------------------------------------------------ names

    def sensitive(self, key: object) -> bool:
        """Whether a key or name looks like a credential."""
        return self._rule(key) != 0

    def _rule(self, key: object) -> int:
        """0 for an ordinary name, else NAME, USER_NAME or CONNECTION."""
        if type(key) is not str:
            return 0
        return _name_rule(key, self._user_names)

    # --------------------------------------------------------- first pass: collect

    def collect(self, seam: str, args: Any, result: Any, outcome: str) -> None:
        """First pass: remember the secrets of one call, to scrub them everywhere."""
        self._collect(args)
        self._collect(result)
        for rule in self._matching(seam):
            root = args if rule.part[0] == "args" else result if rule.part[0] == outcome else None
            for found in _at_path(root, rule.part[1:]):
                self._remember_all(found)

    def _collect(self, tree: Any) -> None:
        for rule, value in _named_values(tree, self._rule):
            if rule != CONNECTION:
                self._remember(value, rule)

    def _remember(self, value: Any, rule: int) -> None:
        """A value under a credential name: remember it if it can be found in text."""
        if isinstance(value, msgpack.ExtType) and value.code == Ext.LEAF_SUBCLASS:
            value = read(value).value
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif _items(value) is not None:  # a list, tuple or set of tokens under the name
            for item in _items(value) or ():
                if isinstance(item, str | bytes):
                    self._remember(item, rule)
            return
        elif rule == USER_NAME and type(value) in (int, float):
            value = str(value)
        if not isinstance(value, str):
            return
        if secret_like(value) if rule == NAME else len(value) >= MIN_KNOWN_SECRET:
            self._add_secret(value)

    def _remember_all(self, tree: Any) -> None:
        """Everything a `redact_paths` rule names (any type, containers included)."""
        if isinstance(tree, str | bytes) and len(tree) >= MIN_KNOWN_SECRET:
            self._add_secret(tree if isinstance(tree, str) else tree.decode("utf-8", "replace"))
        elif isinstance(tree, list):
            for item in tree:
                self._remember_all(item)
        elif isinstance(tree, dict):
            for value in tree.values():
                self._remember_all(value)
        elif isinstance(tree, msgpack.ExtType) and tree.code in _CONTAINERS:
            self._remember_all(_held_values(read(tree)))

    def _add_secret(self, value: str) -> None:
        if value != REDACTED and value not in self._secrets:
            self._secrets.add(value)
            self._ordered = None

    # ----------------------------------------------------------- second pass: scrub

    def scrub_call(self, seam: str, args: Any, result: Any, outcome: str) -> tuple[Any, Any]:
        """Second pass: the call's args and result with every secret replaced."""
        self._seam = seam
        for rule in self._matching(seam):
            if rule.part[0] == "args":
                args = _replace_at(args, rule.part[1:], self._by_rule(rule))
            elif rule.part[0] == outcome:
                result = _replace_at(result, rule.part[1:], self._by_rule(rule))
        self._where = ["args"]
        args = self.scrub(args)
        self._where = [outcome]
        result = self.scrub(result)
        self._where = []
        return args, result

    def scrub(self, tree: Any) -> Any:
        """A tree with secrets replaced (under credential keys, and inside strings)."""
        if isinstance(tree, str):
            return self._scrub_text(tree)
        if isinstance(tree, bytes):
            return self._scrub_bytes(tree)
        if isinstance(tree, list):
            return [self._step(index, item) for index, item in enumerate(tree)]
        if isinstance(tree, dict):
            return dict(self._scrub_pairs(tree.items()))
        if isinstance(tree, msgpack.ExtType):
            return self._scrub_ext(tree)
        return tree

    def scrub_shape(self, shape: Any) -> Any:
        """A shape whose key names hold a secret (a token used as a dict key) get the
        placeholder instead; `shape.fits` treats it as matching any key."""
        # With no secret collected, a shape's verdict depends on the detector only:
        # shapes found clean once are not walked again in later cassettes of the run
        # (the very same tuple is found by its id, without hashing it all).
        clean_ids = None if self._secrets else self._clean_shape_ids
        if clean_ids is not None and clean_ids.get(id(shape)) is shape:
            return shape
        known = self._shapes.get(shape)
        if known is None:
            clean = None if self._secrets else _CLEAN_SHAPES.setdefault(self._detector, set())
            if clean is not None and shape in clean:
                known = self._shapes[shape] = shape
            else:
                cleared = clean is not None and self._clears(shape)
                known = self._shapes[shape] = shape if cleared else self._scrub_shape(shape)
                if clean is not None and known == shape:
                    if len(clean) >= _CLEAN_SHAPES_MAX:
                        clean.clear()
                    clean.add(shape)
        if clean_ids is not None and known == shape:
            if len(clean_ids) >= _CLEAN_SHAPE_IDS_MAX:
                clean_ids.clear()
            clean_ids[id(shape)] = shape  # held here, so its id is not reused meanwhile
        return known

    def _clears(self, shape: Any) -> bool:
        """With no secret collected, whether no string of `shape` can be changed by the
        detector, judged on its repr at once (every string is in it verbatim) instead of
        walking it string by string; unsure is False."""
        detector = self._detector
        return detector is None or detector.clears_text(repr(shape))

    def _scrub_shape(self, shape: Any) -> Any:
        """`shape` with each string a secret changed replaced by the placeholder: the
        same object when none is (then the cassette keeps its shapes, and the shape is
        found clean by identity in later cassettes)."""
        if isinstance(shape, str):
            if shape != REDACTED and self._scrub_text(shape, report=False) != shape:
                self._report("a secret used as a key (in the shapes)", "shapes")
                return REDACTED
            return shape
        if isinstance(shape, tuple):
            parts = [self._scrub_shape(part) for part in shape]
            for new, old in zip(parts, shape, strict=True):
                if new is not old:
                    return tuple(parts)
            return shape
        return shape

    def _step(self, segment: Any, tree: Any) -> Any:
        self._where.append(segment)
        try:
            return self.scrub(tree)
        finally:
            self._where.pop()

    def _scrub_pairs(self, pairs: Iterable[Any], dotted: bool = False) -> Iterable[list[Any]]:
        for key, value in pairs:
            new_key = self._scrub_text(key, key=True) if isinstance(key, str) else key
            segment = f".{new_key}" if dotted else new_key
            rule = self._rule(key)
            if rule == CONNECTION and type(value) is str:
                self._where.append(segment)
                value = _USERINFO.sub(self._userinfo, value)
                self._where.pop()
                yield [new_key, self._step(segment, value)]
            elif rule and rule != CONNECTION and _redactable(value, rule):
                yield [new_key, self._redact(segment, value, "credential name")]
            elif rule and rule != CONNECTION and _items(value) is not None:  # strings under it
                self._where.append(segment)
                items = [
                    self._redact(i, v, "credential name")
                    if _redactable(v, rule)
                    else self._step(i, v)
                    for i, v in enumerate(_items(value) or ())
                ]
                self._where.pop()
                if isinstance(value, msgpack.ExtType):  # a tuple or set keeps its type
                    yield [new_key, ext(value.code, items)]
                else:
                    yield [new_key, items]
            else:
                yield [new_key, self._step(segment, value)]

    def _userinfo(self, match: re.Match[str]) -> str:
        if match[0].startswith(REDACTED[:-1]):
            return match[0]
        self._report("URL userinfo")
        return REDACTED

    def _redact(self, segment: Any, value: Any, kind: str) -> Any:
        placeholder = self._placeholder(value)
        if placeholder is not value:
            self._where.append(segment)
            self._report(kind)
            self._where.pop()
        return placeholder

    def _by_rule(self, rule: PathRule) -> Any:
        def replace(tree: Any) -> Any:
            placeholder = self._placeholder(tree)
            if placeholder is not tree:
                self._report("redact_paths rule", ".".join(rule.part))
            return placeholder

        return replace

    def _scrub_text(self, text: str, key: bool = False, report: bool = True) -> str:
        if self._ordered is None:
            self._ordered = sorted(self._secrets, key=len, reverse=True)
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
                if report:
                    self._report("value of a credential name" + (" in a key" if key else ""))
        if self._detector is not None:
            found = self._texts.get(text)
            if found is None:
                found = self._detect(self._detector, text)
            scrubbed, kinds = found
            if report:
                for kind in kinds:
                    self._report(kind + (" in a key" if key else ""))
            text = scrubbed
        return text

    def _detect(self, detector: Detector, text: str) -> tuple[str, tuple[str, ...]]:
        """(the text with the secrets the detector finds replaced, their kinds),
        remembered for the run: the detector's verdict depends on the text alone."""
        hits, scrubbed = detector.find_and_scrub(text)
        found = (scrubbed, tuple(hit.kind for hit in hits))
        texts = self._texts
        if len(text) <= _TEXT_MEMO_CHARS:
            if len(texts) >= _TEXT_MEMO_MAX or texts.chars > _TEXT_MEMO_TOTAL:
                texts.clear()
                texts.chars = 0
            texts[text] = found
            texts.chars += len(text)
        return found

    def _scrub_bytes(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")
        scrubbed = self._scrub_text(text)
        return data if scrubbed == text else scrubbed.encode("utf-8", "surrogateescape")

    def _report(self, kind: str, path: str | None = None) -> None:
        where = render_path(str(self._where[0]), self._where[1:]) if self._where else ""
        self.redactions.append(Redaction(self._seam, path or where, kind))

    def _placeholder(self, tree: Any) -> Any:
        if isinstance(tree, msgpack.ExtType) and tree.code == Ext.REDACTED:
            return tree
        if isinstance(tree, msgpack.ExtType):
            name = _EXT_NAMES.get(ext_code(tree.code)) or _type_of_ext(tree)
        else:
            name = _NATIVE_TYPES.get(type(tree), type(tree).__name__)
        return ext(Ext.REDACTED, name)

    def _scrub_ext(self, tree: msgpack.ExtType) -> msgpack.ExtType:
        if tree.code not in _WALKED:
            return tree
        memo = self._memo
        if memo is not None:
            known = memo.get(tree)
            if known is None:
                known = self._scrub_ext_walk(tree)
                if len(tree.data) <= _MEMO_BYTES:
                    if len(memo) >= _MEMO_MAX:
                        memo.clear()
                    memo[tree] = known
            return known
        return self._scrub_ext_walk(tree)

    def _scrub_ext_walk(self, tree: msgpack.ExtType) -> msgpack.ExtType:
        found = read(tree)
        new: Any
        if tree.code in (Ext.TUPLE, Ext.SET, Ext.FROZENSET):
            new = self.scrub(found)
        elif tree.code == Ext.BYTEARRAY:
            new = self._scrub_bytes(found)
        elif tree.code == Ext.MAP:
            new = list(self._scrub_pairs(found))
        elif isinstance(found, ObjectNode):
            new = found._replace(fields=self._scrub_fields(found.fields))
        elif isinstance(found, RowNode):
            new = found._replace(values=self._scrub_columns(found.columns, found.values))
        elif isinstance(found, NamedTupleNode):
            new = found._replace(items=self._scrub_columns(found.names, found.items))
        elif isinstance(found, CollectionNode):
            mapping = found.layout == "dict"
            items = list(self._scrub_pairs(found.items)) if mapping else self.scrub(found.items)
            new = found._replace(items=items)
        elif isinstance(found, ExceptionNode):
            args = self._step(".args", found.args)
            message = self._step(".message", found.message)
            fields = None if found.fields is None else self._scrub_fields(found.fields)
            new = found._replace(args=args, message=message, fields=fields)
        elif isinstance(found, EnumNode):
            new = found._replace(value=self._step(".value", found.value))
        else:  # LeafSubclassNode
            new = found._replace(value=self.scrub(found.value))
        return tree if new == found else ext(tree.code, new)

    def _scrub_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._scrub_pairs(fields.items(), dotted=True))

    def _scrub_columns(self, names: list[str], values: list[Any]) -> list[Any]:
        pairs = list(self._scrub_pairs(zip(names, values, strict=False), dotted=True))
        return [value for _, value in pairs]

    def redact(
        self,
        cassette: Cassette,
        memo: dict[msgpack.ExtType, msgpack.ExtType] | None = None,
        clean: CleanCalls | None = None,
    ) -> Cassette:
        """The cassette with every secret replaced by a placeholder, shapes unchanged (but
        for key names that are secrets); `redactions` says what was replaced. A call whose
        payload bytes hold no credential name and nothing a secret needs is not walked.

        `memo` (kept by the caller across the cassettes of a run, with the same rules):
        the scrubbed form of each object, row, tuple... value seen before, reused while
        this cassette holds no secret by name (scrubbing then depends on the value and
        the rules alone). `redactions` then leaves out what those values held.

        `clean` (kept like `memo`): the calls a walk found clean, quiet when they recur."""
        judged = self._collect_calls(cassette, clean)
        quiet = [skip for skip, _, _ in judged]
        if self._secrets:  # a secret found in one call is scrubbed from every other one
            quiet = [False] * len(quiet)
        else:
            self._memo = memo
        scrubbed = self._shape_scrubber()
        for index, call in enumerate(cassette.calls):
            if quiet[index]:
                self._seam = call.seam
                args, result = call.args, call.result
            else:
                reported = len(self.redactions)
                args, result = self.scrub_call(call.seam, call.args, call.result, call.outcome)
                packed = judged[index][1]
                if (
                    packed is not None
                    and clean is not None
                    and not self._secrets
                    and len(self.redactions) == reported
                    and args == call.args
                    and result == call.result
                ):
                    clean.remember(packed)
            args_shape = scrubbed(call.args_shape)
            result_shape = scrubbed(call.result_shape)
            if (
                args is not call.args
                or result is not call.result
                or args_shape is not call.args_shape
                or result_shape is not call.result_shape
            ):
                cassette.calls[index] = dataclasses.replace(
                    call,
                    args=args,
                    result=result,
                    args_shape=args_shape,
                    result_shape=result_shape,
                )
        for seam, runs in cassette.runs.items():
            self._seam = seam
            for index, run in enumerate(runs):
                args_shape = scrubbed(run.args_shape)
                result_shape = scrubbed(run.result_shape)
                if args_shape is not run.args_shape or result_shape is not run.result_shape:
                    runs[index] = dataclasses.replace(
                        run, args_shape=args_shape, result_shape=result_shape
                    )
        return cassette

    def shapes_redacted(self, cassette: Cassette, clean: CleanCalls | None = None) -> Cassette:
        """A copy of `cassette` whose shapes are those `redact` gives (the same secrets of
        its payloads collected first) and whose payloads are left as they are: what a
        re-record compares with the file on disk, by everything but the payloads, before
        it scrubs a payload (`cassette` itself is not changed; it is the answer when
        redaction changes none of its shapes, as for most cassettes)."""
        for call in cassette.calls:
            if not self._unnamed(call.seam, call.args, call.result, clean):
                self.collect(call.seam, call.args, call.result, call.outcome)
        scrubbed = self._shape_scrubber()

        calls = cassette.calls
        changed_calls: list[Call] | None = None  # a copy, made at the first change
        for index, call in enumerate(calls):
            self._seam = call.seam
            args_shape = scrubbed(call.args_shape)
            result_shape = scrubbed(call.result_shape)
            if args_shape is not call.args_shape or result_shape is not call.result_shape:
                if changed_calls is None:
                    changed_calls = list(calls)
                changed_calls[index] = dataclasses.replace(
                    call, args_shape=args_shape, result_shape=result_shape
                )
        changed_runs: dict[str, list[Run]] | None = None  # likewise
        for seam, seam_runs in cassette.runs.items():
            self._seam = seam
            copied: list[Run] | None = None
            for index, run in enumerate(seam_runs):
                args_shape = scrubbed(run.args_shape)
                result_shape = scrubbed(run.result_shape)
                if args_shape is not run.args_shape or result_shape is not run.result_shape:
                    if copied is None:
                        copied = list(seam_runs)
                        if changed_runs is None:
                            changed_runs = dict(cassette.runs)
                        changed_runs[seam] = copied
                    copied[index] = dataclasses.replace(
                        run, args_shape=args_shape, result_shape=result_shape
                    )
        if changed_calls is None and changed_runs is None:
            return cassette
        runs = changed_runs or cassette.runs
        return Cassette(
            test=cassette.test,
            calls=list(calls) if changed_calls is None else changed_calls,
            runs={
                seam: list(seam_runs) if seam_runs is cassette.runs[seam] else seam_runs
                for seam, seam_runs in runs.items()
            },
            nesting=cassette.nesting,
        )

    def _shape_scrubber(self) -> Any:
        """`scrub_shape` for the shapes of one cassette: a shape object met before in it is
        answered by its id (a seam's runs repeat a few tuples; each is held with its
        answer, so its id is not reused meanwhile), then a shape found clean before in
        the run, by id (what `scrub_shape` looks up first). The answers are
        `scrub_shape`'s: it memoises each shape's."""
        clean_ids = None if self._secrets else self._clean_shape_ids
        done: dict[int, tuple[Any, Any]] = {}

        def scrubbed(shape: Any) -> Any:
            known = done.get(id(shape))
            if known is not None and known[0] is shape:
                return known[1]
            if clean_ids is not None and clean_ids.get(id(shape)) is shape:
                found = shape
            else:
                found = self.scrub_shape(shape)
            done[id(shape)] = (shape, found)
            return found

        return scrubbed

    def _unnamed(self, seam: str, args: Any, result: Any, clean: CleanCalls | None) -> bool:
        """Whether collecting this call's secrets would find none: what `_quiet` says of
        it without asking the detector (a `redact` collects from every call `_quiet` finds
        neither quiet nor unnamed: the same calls)."""
        if self._matching(seam):
            return False
        names = self._names
        if names is not None and names.cleared_trees(args, result):
            return True  # these very trees were found so before (see `cleared_trees`)
        try:
            packed = pack([args, result])
        except Exception:  # not plain msgpack data: collected the full way
            return False
        if clean is not None and packed in clean:
            return True  # a walk found it clean: nothing to collect
        if names is not None and names.clears(packed):
            names.remember_trees(args, result, len(packed))
            return True
        return False

    def _collect_calls(
        self, cassette: Cassette, clean: CleanCalls | None
    ) -> list[tuple[bool, bytes | None, bool]]:
        """First pass over a cassette: each call judged (`_quiet`), the secrets of every
        call that may name one collected."""
        judged = [self._quiet(call.seam, call.args, call.result, clean) for call in cassette.calls]
        for call, (skip, _, unnamed) in zip(cassette.calls, judged, strict=True):
            if not skip and not unnamed:  # an unnamed call has no secret to collect
                self.collect(call.seam, call.args, call.result, call.outcome)
        return judged

    def _quiet(
        self, seam: str, args: Any, result: Any, clean: CleanCalls | None
    ) -> tuple[bool, bytes | None, bool]:
        """Whether scrubbing this call could change nothing, judged on its msgpack bytes
        (every key and string of a payload is in them): no `redact_paths` rule for its
        seam, and either the same bytes found clean before in the run, or no credential
        or configured name in its letters and no string the detector could match. Unsure
        (custom patterns, non-ASCII names) is False. With the verdict, the bytes to
        remember as clean once a walk finds them so (None: not to remember), and whether
        the call is unnamed: no rule for its seam and no credential or configured name
        in its letters, so collecting its secrets would find none."""
        if self._matching(seam):
            return False, None, False
        if clean is not None and clean.quiet_trees(args, result):
            return True, None, True  # these very trees were found quiet before
        try:
            packed = pack([args, result])
        except Exception:  # not plain msgpack data: the full walk judges it
            return False, None, False
        if clean is not None and packed in clean:
            clean.remember_quiet(args, result, len(packed))
            return True, None, True
        if self._names is None or not self._names.clears(packed):
            return False, packed, False
        if self._detector is not None and not self._detector.clears(packed):
            return False, packed, True
        if clean is not None:
            clean.remember_quiet(args, result, len(packed))
        return True, packed, True

    def _matching(self, seam: str) -> list[PathRule]:
        if not self._paths:
            return []  # no `redact_paths` rule (the usual case): nothing to match
        module, _, qualname = seam.partition(":")
        return [rule for rule in self._paths if rule.seam.matches(module, qualname)]


_new_object = object.__new__

_DEFAULT_WORDS = tuple(
    "".join(key_words(name)) for name in sorted(DEFAULT_NAMES, key=len, reverse=True)
)


class _NameBytes:
    """Finds, in msgpack bytes, any place where a credential or connection name (or a
    configured one) could be a key: a superset of what `_name_rule` says of each key."""

    # bytes that `key_words` drops; and the two characters whose lower case is ASCII
    _NOT_LETTERS = bytes(b for b in range(256) if not (48 <= b <= 57 or 97 <= b <= 122))
    _ASCII_LOWER = ((b"\xc4\xb0", b"i"), (b"\xe2\x84\xaa", b"k"))  # İ, Kelvin sign

    def __init__(self, user_names: tuple[str, ...]) -> None:
        words = {*_DEFAULT_WORDS, *CONNECTION_NAMES}
        self._words = re.compile(b"|".join(re.escape(w.encode()) for w in sorted(words)))
        self._user = (
            re.compile(b"|".join(re.escape(n.encode()) for n in user_names)) if user_names else None
        )
        # the verdicts on bytes judged before: a suite's tests pass the same payloads to
        # the same seams test after test (one finder per set of names, for the run)
        self._known: dict[bytes, bool] = {}
        self._known_bytes = 0
        # the payload trees (args, result) of calls cleared before, by identity: a record
        # run's writer decodes the same bytes into the same trees (`writer.SharedTrees`),
        # so a recurring call is known without being packed; each pair is held here, so
        # its ids are not reused meanwhile (trees are read, never changed)
        self._trees: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._trees_bytes = 0

    @classmethod
    @functools.lru_cache(maxsize=8)
    def of(cls, user_names: tuple[str, ...]) -> _NameBytes | None:
        """The finder for these configured names; None if one is not ASCII."""
        return cls(user_names) if all(n.isascii() for n in user_names) else None

    def cleared_trees(self, args: Any, result: Any) -> bool:
        """Whether `clears` said True of these very payload trees (`remember_trees`)."""
        known = self._trees.get((id(args), id(result)))
        return known is not None and known[0] is args and known[1] is result

    def remember_trees(self, args: Any, result: Any, size: int) -> None:
        """Note that `clears` said True of the bytes of these trees (`size` long)."""
        if size > _NAMES_MEMO_ONE:
            return
        if len(self._trees) >= _NAMES_MEMO_MAX or self._trees_bytes > _TREES_MEMO_TOTAL:
            self._trees.clear()
            self._trees_bytes = 0
        self._trees[id(args), id(result)] = (args, result)
        self._trees_bytes += size

    def clears(self, packed: bytes) -> bool:
        """True when no key in `packed` can fall under a name rule."""
        known = self._known.get(packed)
        if known is None:
            known = self._clears(packed)
            size = len(packed)
            if size <= _NAMES_MEMO_ONE:
                if len(self._known) >= _NAMES_MEMO_MAX or self._known_bytes > _NAMES_MEMO_TOTAL:
                    self._known.clear()
                    self._known_bytes = 0
                self._known[packed] = known
                self._known_bytes += size
        return known

    def _clears(self, packed: bytes) -> bool:
        lowered = packed.lower()
        for text, ascii_lower in self._ASCII_LOWER:
            lowered = lowered.replace(text, ascii_lower)
        if self._user is not None and self._user.search(lowered.replace(b"-", b"_")):
            return False
        return self._words.search(lowered.translate(None, self._NOT_LETTERS)) is None


_NAMES_MEMO_MAX = 20_000
_NAMES_MEMO_ONE = 65_536  # larger bytes are searched each time
_NAMES_MEMO_TOTAL = 16_000_000
_TREES_MEMO_TOTAL = 1_000_000  # (the trees held take ~10x their bytes)


@functools.lru_cache(maxsize=65536)
def _name_rule(key: str, user_names: tuple[str, ...]) -> int:
    """The rule a key falls under (cached: the same keys recur in every cassette)."""
    folded = key.lower().replace("-", "_")
    if any(name in folded for name in user_names):
        return USER_NAME
    words = key_words(key)
    while len(words) > 1 and words[-1] in _QUALIFIERS:
        words.pop()
    joined = "".join(words)
    singular = joined[:-1] if joined.endswith("s") else joined  # api_keys, passwords
    if any(joined.endswith(name) or singular.endswith(name) for name in _DEFAULT_WORDS):
        return NAME
    if any(joined.endswith(name) for name in CONNECTION_NAMES):
        return CONNECTION
    return 0


def _items(value: Any) -> list[Any] | None:
    """The items of a list, tuple, set or frozenset (None for anything else)."""
    if type(value) is list:
        return value
    if isinstance(value, msgpack.ExtType) and value.code in _SEQUENCES:
        items: list[Any] = inner(value)
        return items
    return None


def _redactable(value: Any, rule: int) -> bool:
    """Whether a name rule replaces this value: strings (and, for configured names,
    numbers); never booleans, None, containers or objects."""
    if isinstance(value, msgpack.ExtType):
        if value.code == Ext.LEAF_SUBCLASS:
            return _redactable(read(value).value, rule)
        return value.code == Ext.BYTEARRAY or (rule == USER_NAME and value.code == Ext.BIGINT)
    kind = type(value)
    return kind is str or kind is bytes or (rule == USER_NAME and kind in (int, float))


def _named_values(tree: Any, rule_of: Any) -> Iterable[tuple[int, Any]]:
    """(rule, value) of every value under a credential name inside a raw tree."""
    pending = [tree]
    while pending:
        item = pending.pop()
        pairs: Iterable[Any] = ()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pairs = item.items()
        elif isinstance(item, msgpack.ExtType) and item.code in _CONTAINERS:
            found = read(item)
            if item.code == Ext.MAP:
                pairs = found
            elif isinstance(found, RowNode):
                pairs = zip(found.columns, found.values, strict=False)
            elif isinstance(found, NamedTupleNode):
                pairs = zip(found.names, found.items, strict=False)
            elif isinstance(found, ObjectNode):
                pairs = found.fields.items()
            elif isinstance(found, CollectionNode):
                if found.layout == "dict":
                    pairs = found.items
                else:
                    pending.extend(found.items)
            elif isinstance(found, ExceptionNode):
                pending.append(found.args)
                pairs = list((found.fields or {}).items())
            elif isinstance(found, EnumNode):
                pending.append(found.value)
            else:
                pending.extend(found)
        for key, value in pairs:
            rule = rule_of(key)
            if (
                rule
                and rule != CONNECTION
                and (_redactable(value, rule) or _items(value) is not None)
            ):
                yield rule, value
            else:
                pending.append(value)


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
_SEQUENCES = frozenset({Ext.TUPLE, Ext.SET, Ext.FROZENSET})
_WALKED = _CONTAINERS | {Ext.BYTEARRAY, Ext.LEAF_SUBCLASS}
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
    found = read(tree)
    if isinstance(found, TYPED_NODES):
        return found.type_path
    return found.reason if isinstance(found, CutNode) else "value"


def _held_values(found: Any) -> Any:
    """What a container node holds as values (not keys, names or type paths)."""
    if isinstance(found, CollectionNode):
        if found.layout == "dict":
            return [value for _, value in found.items]  # a mapping's values, not its keys
        return found.items
    if isinstance(found, ObjectNode):
        return found.fields
    if isinstance(found, RowNode):
        return found.values
    if isinstance(found, NamedTupleNode):
        return found.items
    if isinstance(found, EnumNode):
        return found.value
    if isinstance(found, ExceptionNode):
        return [found.args]
    return found  # the items of a tuple, set or map


def _at_path(tree: Any, steps: tuple[str, ...]) -> list[Any]:
    """The values a `redact_paths` part names inside a raw tree."""
    if not steps:
        return [tree]
    head, rest = steps[0], steps[1:]
    if isinstance(tree, dict) and head in tree:
        return _at_path(tree[head], rest)
    if isinstance(tree, msgpack.ExtType) and tree.code == Ext.OBJECT:
        fields = read(tree).fields
        return _at_path(fields.get(head), rest) if head in fields else []
    return []


def _replace_at(tree: Any, steps: tuple[str, ...], replace: Any) -> Any:
    if not steps:
        return replace(tree)
    head, rest = steps[0], steps[1:]
    if isinstance(tree, dict) and head in tree:
        return {k: _replace_at(v, rest, replace) if k == head else v for k, v in tree.items()}
    if isinstance(tree, msgpack.ExtType) and tree.code == Ext.OBJECT:
        found: ObjectNode = read(tree)
        if head in found.fields:
            fields = {
                k: _replace_at(v, rest, replace) if k == head else v
                for k, v in found.fields.items()
            }
            return ext(tree.code, found._replace(fields=fields))
    return tree
