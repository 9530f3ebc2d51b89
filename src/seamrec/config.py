"""Read and validate the `[tool.seamrec]` table of the pyproject.toml at pytest's rootdir."""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seamrec.exceptions import ConfigError
from seamrec.frozen import FrozenRecord

GLOB_CHARS = frozenset("*?[")
DATABASES = ("sqlite3", "psycopg")  # DB-API drivers whose queries are seams (`databases`)
HTTP_SIDES = ("inbound", "outbound")  # test-client requests, and requests/httpx calls (`http`)


def in_packages(module: str, packages: tuple[str, ...]) -> bool:
    """True when `module` is one of `packages` or inside one (`shop.api` in `shop`)."""
    return any(module == p or module.startswith(p + ".") for p in packages)


@dataclass(init=False, repr=False, eq=False)  # frozen: see seamrec.frozen
class SeamPattern(FrozenRecord):
    """A `module:Qualname` pattern; both halves may use `*` globs."""

    text: str
    module: str
    qualname: str

    def __init__(self, text: str, module: str, qualname: str) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "module", module)
        object.__setattr__(self, "qualname", qualname)

    @classmethod
    def parse(cls, text: str, *, key: str, path: Path | None = None) -> SeamPattern:
        """Parse `module:Qualname`, raising ConfigError that names `key` on bad syntax."""
        module, sep, qualname = text.partition(":")
        if not sep or not module or not qualname:
            raise ConfigError(
                f"{text!r} is not of the form 'package.module:Qualname' "
                "(use '*' globs, e.g. 'shop.notify:NotificationService.send_*')",
                key=key,
                value=text,
                path=path,
            )
        return cls(text=text, module=module, qualname=qualname)

    def matches_module(self, module: str) -> bool:
        """True when this pattern can name callables defined in `module`."""
        return fnmatch.fnmatchcase(module, self.module)

    def matches(self, module: str, qualname: str) -> bool:
        """True when `module:qualname` is named by this pattern."""
        return fnmatch.fnmatchcase(module, self.module) and fnmatch.fnmatchcase(
            qualname, self.qualname
        )


@dataclass(init=False, repr=False, eq=False)
class Limits(FrozenRecord):
    """How much detail of a payload is stored."""

    payload_calls: int = 10
    max_depth: int = 32
    max_items: int = 100
    max_str: int = 2048

    def __init__(
        self,
        payload_calls: int = 10,
        max_depth: int = 32,
        max_items: int = 100,
        max_str: int = 2048,
    ) -> None:
        object.__setattr__(self, "payload_calls", payload_calls)
        object.__setattr__(self, "max_depth", max_depth)
        object.__setattr__(self, "max_items", max_items)
        object.__setattr__(self, "max_str", max_str)


@dataclass(init=False, repr=False, eq=False)
class Settings(FrozenRecord):
    """Validated `[tool.seamrec]` settings."""

    rootdir: Path
    cassette_dir: Path
    boundaries: tuple[str, ...] = ()
    seams: tuple[SeamPattern, ...] = ()
    exclude: tuple[SeamPattern, ...] = ()
    limits: Limits = field(default_factory=Limits)
    source: Path | None = None
    replay: tuple[SeamPattern, ...] = ()
    replay_types: tuple[str, ...] = ()
    replay_missing: str = "fail"
    redact: tuple[str, ...] = ()
    redact_paths: tuple[str, ...] = ()
    redact_values: bool = True
    record_types: tuple[str, ...] = ()
    opaque_types: tuple[str, ...] = ()
    redact_patterns: tuple[str, ...] = ()
    databases: tuple[str, ...] = DATABASES
    http: tuple[str, ...] = HTTP_SIDES

    def __init__(
        self,
        rootdir: Path,
        cassette_dir: Path,
        boundaries: tuple[str, ...] = (),
        seams: tuple[SeamPattern, ...] = (),
        exclude: tuple[SeamPattern, ...] = (),
        limits: Limits | None = None,
        source: Path | None = None,
        replay: tuple[SeamPattern, ...] = (),
        replay_types: tuple[str, ...] = (),
        replay_missing: str = "fail",
        redact: tuple[str, ...] = (),
        redact_paths: tuple[str, ...] = (),
        redact_values: bool = True,
        record_types: tuple[str, ...] = (),
        opaque_types: tuple[str, ...] = (),
        redact_patterns: tuple[str, ...] = (),
        databases: tuple[str, ...] = DATABASES,
        http: tuple[str, ...] = HTTP_SIDES,
    ) -> None:
        object.__setattr__(self, "rootdir", rootdir)
        object.__setattr__(self, "cassette_dir", cassette_dir)
        object.__setattr__(self, "boundaries", boundaries)
        object.__setattr__(self, "seams", seams)
        object.__setattr__(self, "exclude", exclude)
        object.__setattr__(self, "limits", Limits() if limits is None else limits)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "replay", replay)
        object.__setattr__(self, "replay_types", replay_types)
        object.__setattr__(self, "replay_missing", replay_missing)
        object.__setattr__(self, "redact", redact)
        object.__setattr__(self, "redact_paths", redact_paths)
        object.__setattr__(self, "redact_values", redact_values)
        object.__setattr__(self, "record_types", record_types)
        object.__setattr__(self, "opaque_types", opaque_types)
        object.__setattr__(self, "redact_patterns", redact_patterns)
        object.__setattr__(self, "databases", databases)
        object.__setattr__(self, "http", http)

    def in_boundaries(self, module: str) -> bool:
        """True when `module` is one of the boundaries or inside one (the app's code)."""
        return in_packages(module, self.boundaries)

    def module_in_scope(self, module: str) -> bool:
        """True when callables defined in (or, for library seams, exposed by) `module` may
        be seams."""
        if self.in_boundaries(module):
            return True
        return any(p.matches_module(module) for p in self.seams)

    def is_seam(self, module: str, qualname: str) -> bool:
        """True when the callable `module:qualname` is a seam under these settings."""
        if any(p.matches(module, qualname) for p in self.exclude):
            return False
        if any(part.startswith("__") and part.endswith("__") for part in qualname.split(".")):
            return False  # constructors and other dunders are never seams
        if any(p.matches(module, qualname) for p in self.seams):
            return True
        public = not any(part.startswith("_") for part in qualname.split("."))
        return public and self.in_boundaries(module)


_LIST_KEYS = (
    "boundaries",
    "seams",
    "exclude",
    "replay",
    "replay_types",
    "redact",
    "redact_paths",
    "record_types",
    "opaque_types",
    "redact_patterns",
)
_INT_KEYS = {"payload_calls": 1, "max_depth": 2, "max_items": 1, "max_str": 16}
_OTHER_KEYS = ("cassette_dir", "replay_missing", "redact_values", "databases", "http")
_KNOWN_KEYS = frozenset((*_LIST_KEYS, *_INT_KEYS, *_OTHER_KEYS))
REPLAY_MISSING = ("fail", "call")
PARTS = ("args", "return", "raise", "yield")
# Files that mark a project's root directory, as pytest looks for its own configuration.
PROJECT_FILES = ("pyproject.toml", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg")


def find_project_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` holding a pyproject.toml (or another
    pytest configuration file); None when there is none."""
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return folder
    return None


def load_settings(rootdir: Path) -> Settings:
    """Read `[tool.seamrec]` from `rootdir/pyproject.toml` (defaults when absent)."""
    path = rootdir / "pyproject.toml"
    if not path.is_file():
        return Settings(rootdir=rootdir, cassette_dir=(rootdir / "cassettes").resolve())
    try:
        with path.open("rb") as fh:
            document = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the file is not valid TOML ({exc})", key="*", path=path) from exc
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError("[tool] must be a table", key="*", value=tool, path=path)
    table = tool.get("seamrec", {})
    return settings_from_table(table, rootdir=rootdir, path=path)


def settings_from_table(
    table: Mapping[str, object], *, rootdir: Path, path: Path | None = None
) -> Settings:
    """Validate a `[tool.seamrec]` table; every error names the key and the bad value."""
    if not isinstance(table, Mapping):
        raise ConfigError("must be a table", key="*", value=table, path=path)
    for key in table:
        if key not in _KNOWN_KEYS:
            known = ", ".join(sorted(_KNOWN_KEYS))
            raise ConfigError(f"unknown key (known keys: {known})", key=key, path=path)
    lists = {key: _string_list(table, key, path) for key in _LIST_KEYS}
    for boundary in lists["boundaries"]:
        if not all(part.isidentifier() for part in boundary.split(".")):
            raise ConfigError(
                f"{boundary!r} is not a dotted module or package name",
                key="boundaries",
                value=boundary,
                path=path,
            )
    for key in ("record_types", "opaque_types"):
        for name in lists[key]:
            if not all(part.isidentifier() for part in name.split(".")):
                raise ConfigError(
                    f"{name!r} is not a type path or module prefix (e.g. "
                    '"sqlalchemy.orm.Session" or "flask")',
                    key=key,
                    value=name,
                    path=path,
                )
    seams = tuple(SeamPattern.parse(t, key="seams", path=path) for t in lists["seams"])
    exclude = tuple(SeamPattern.parse(t, key="exclude", path=path) for t in lists["exclude"])
    limits = Limits(**{key: _positive_int(table, key, low, path) for key, low in _INT_KEYS.items()})
    replay = tuple(SeamPattern.parse(t, key="replay", path=path) for t in lists["replay"])
    replay_missing = table.get("replay_missing", "fail")
    if replay_missing not in REPLAY_MISSING:
        raise ConfigError(
            'must be "fail" (a call beyond the recording fails the test) or "call" (it '
            "reaches the real callee)",
            key="replay_missing",
            value=replay_missing,
            path=path,
        )
    redact_values = table.get("redact_values", True)
    if not isinstance(redact_values, bool):
        raise ConfigError(
            "must be true or false", key="redact_values", value=redact_values, path=path
        )
    for rule in lists["redact_paths"]:
        pieces = rule.split(":")
        if len(pieces) != 3 or not all(pieces) or pieces[2].split(".")[0] not in PARTS:
            raise ConfigError(
                f"{rule!r} is not of the form 'module:Qualname:part' with part args.<name>, "
                "return, raise or yield (then .key steps), e.g. 'shop.auth:*:args.password'",
                key="redact_paths",
                value=rule,
                path=path,
            )
    for pattern in lists["redact_patterns"]:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"{pattern!r} is not a regular expression ({exc}); write e.g. "
                r"'acme_[0-9a-f]{32}', or 'pin=(?P<secret>\d+)' to redact only the group",
                key="redact_patterns",
                value=pattern,
                path=path,
            ) from None
    databases = table.get("databases", list(DATABASES))
    if not isinstance(databases, list) or not all(d in DATABASES for d in databases):
        raise ConfigError(
            f"must be a list of DB-API drivers whose queries are seams, out of "
            f"{list(DATABASES)} ([] turns the database seam off)",
            key="databases",
            value=databases,
            path=path,
        )
    http = table.get("http", list(HTTP_SIDES))
    if not isinstance(http, list) or not all(h in HTTP_SIDES for h in http):
        raise ConfigError(
            f"must be a list of HTTP seam sides out of {list(HTTP_SIDES)} (inbound: requests "
            "sent through test clients; outbound: requests/httpx calls of boundary code; [] "
            "turns the HTTP seams off)",
            key="http",
            value=http,
            path=path,
        )
    cassette_dir = table.get("cassette_dir", "cassettes")
    if not isinstance(cassette_dir, str) or not cassette_dir.strip():
        raise ConfigError(
            'must be a non-empty string path relative to the rootdir, e.g. "cassettes"',
            key="cassette_dir",
            value=cassette_dir,
            path=path,
        )
    return Settings(
        rootdir=rootdir,
        cassette_dir=(rootdir / cassette_dir).resolve(),
        boundaries=tuple(lists["boundaries"]),
        seams=seams,
        exclude=exclude,
        limits=limits,
        source=path,
        replay=replay,
        replay_types=tuple(lists["replay_types"]),
        replay_missing=str(replay_missing),
        redact=tuple(lists["redact"]),
        redact_paths=tuple(lists["redact_paths"]),
        redact_values=redact_values,
        record_types=tuple(lists["record_types"]),
        opaque_types=tuple(lists["opaque_types"]),
        redact_patterns=tuple(lists["redact_patterns"]),
        databases=tuple(dict.fromkeys(databases)),
        http=tuple(dict.fromkeys(http)),
    )


def replay_patterns(settings: Settings, option: str | None) -> tuple[SeamPattern, ...]:
    """The seams to replay: `--replay-seams=PATTERNS` if given, else `replay` from config."""
    if option is None:
        return ()
    if not option:
        if not settings.replay:
            raise ConfigError(
                "is empty, so --replay-seams has nothing to replay: list patterns such as "
                '["shop.repository:*Repo.*"] or pass --replay-seams=PATTERNS',
                key="replay",
                path=settings.source,
            )
        return settings.replay
    parts = [p.strip() for p in option.split(",") if p.strip()]
    if not all(":" in p for p in parts):
        raise ConfigError(
            f"--replay-seams got {option!r}, which is not a list of module:Qualname patterns "
            "(write --replay-seams=PATTERNS, or put test paths before --replay-seams)",
            key="replay",
            value=option,
        )
    return tuple(SeamPattern.parse(p, key="replay") for p in parts)


def check_importable(settings: Settings) -> None:
    """Raise ConfigError for a boundary or pattern whose module cannot be imported."""
    named: list[tuple[str, str]] = [("boundaries", b) for b in settings.boundaries]
    named += [("seams", p.module) for p in settings.seams]
    named += [("exclude", p.module) for p in settings.exclude]
    named += [("replay", p.module) for p in settings.replay]
    for key, module in named:
        prefix = _static_prefix(module)
        if not prefix:
            continue
        try:
            found = importlib.util.find_spec(prefix) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise ConfigError(
                f"names module {prefix!r}, which cannot be imported from the rootdir "
                "(check the spelling, or add its folder to pytest's `pythonpath`)",
                key=key,
                value=module,
                path=settings.source,
            )


def _static_prefix(module: str) -> str:
    """The dotted part of `module` before its first glob."""
    parts: list[str] = []
    for part in module.split("."):
        if GLOB_CHARS & set(part):
            break
        parts.append(part)
    return ".".join(parts)


def _string_list(table: Mapping[str, object], key: str, path: Path | None) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(
            'must be a list of non-empty strings, e.g. ["shop"]', key=key, value=value, path=path
        )
    return list(value)


def _positive_int(table: Mapping[str, object], key: str, low: int, path: Path | None) -> int:
    default: int = getattr(Limits(), key)
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"must be an integer >= {low}", key=key, value=value, path=path)
    return value
