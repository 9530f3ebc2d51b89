"""Contracts: what each seam accepts, returns and raises, merged over every recorded call.

A contract flattens shapes into one line per path, in the path syntax of the drift
messages (``return['user']['email']: str``). Merging many shapes keeps every type seen
at a path (``str | None``) and marks a key ``?`` when some recorded value at its parent
did not have it. Contracts hold no values, call counts or callers, so their text changes
only when a shape changes (or when the set of tests of a seam changes): committed next to
the cassettes, their diff in a pull request *is* the format change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamrec.cassette.store import Cassette, write_atomic
from seamrec.model.formats import FORMAT_KINDS
from seamrec.model.paths import ARGS_KEY, PARTS, render_path
from seamrec.model.shape_types import (
    RECORD_KINDS,
    ArgsShape,
    CollShape,
    CutShape,
    FormatShape,
    LeafShape,
    MapShape,
    Shape,
    ShapeUnion,
    TypedShape,
    children,
    shape_kind,
    view,
)
from seamrec.review.http_text import http_path
from seamrec.review.paths import PathKey, leaf_text, shown_types

CONTRACTS_DIR = "contracts"
CONTRACT_SUFFIX = ".txt"
HEADER = "# seamrec contract"
SQL_MODULE = "sql"  # database seams (`sql:<statement>`) share one file, sql.txt
SQL_TITLE = f"{HEADER} of the database: one section per statement its boundary code ran"
_TITLES = {
    SQL_MODULE: SQL_TITLE,
    "http": f"{HEADER} of the HTTP API: one section per endpoint the tests called",
    "http-out": f"{HEADER} of external services: one section per endpoint boundary code called",
}


@dataclass
class PathStat:
    """What was seen at one path: its types, and how often it was there when it could be."""

    types: set[str] = field(default_factory=set)
    present: int = 0  # record values at the parent that had this key or field
    records: int = 0  # record values (dict, object, row...) seen at this path


@dataclass(frozen=True)
class Entry:
    """One line of a contract."""

    key: PathKey
    types: tuple[str, ...]
    optional: bool

    @property
    def path(self) -> str:
        return render_path(self.key[0], self.key[1:])

    @property
    def parent(self) -> PathKey:
        return self.key[:-1]

    @property
    def type_text(self) -> str:
        return " | ".join(self.types)

    def line(self) -> str:
        return f"{self.path}{'?' if self.optional else ''}: {shown_types(self.type_text)}"


@dataclass
class SeamContract:
    """One seam's contract, merged over the calls of one or more tests."""

    seam: str
    paths: dict[PathKey, PathStat] = field(default_factory=dict)
    callers: set[str] = field(default_factory=set)
    tests: set[str] = field(default_factory=set)
    calls: int = 0

    def add_shape(self, root: str, shape: Shape) -> None:
        """Fold one recorded shape of `root` ("args", "return", "raise", "yield") in."""
        self.paths.setdefault((root,), PathStat()).present += 1
        _walk(shape, (root,), self.paths)

    def merge(self, other: SeamContract) -> None:
        """Fold another contract of the same seam in."""
        for key, stat in other.paths.items():
            mine = self.paths.setdefault(key, PathStat())
            mine.types |= stat.types
            mine.present += stat.present
            mine.records += stat.records
        self.callers |= other.callers
        self.tests |= other.tests
        self.calls += other.calls

    def entries(self, *, ordered: bool = True) -> list[Entry]:
        """The contract's lines, parents before children, in a stable order (`ordered`)."""
        entries = []
        for key, stat in self.paths.items():
            if key == ("args",) or not stat.types:
                continue  # argument names are the lines below; an empty list has no items
            parent = self.paths.get(key[:-1])
            keyed = len(key) > 1 and stat.present > 0  # a key or field, not `[*]` or `[0]`
            optional = keyed and parent is not None and stat.present < parent.records
            types = consistent_types(stat.types)
            entries.append(Entry(key, _sorted_types(types), optional))
        return sorted(entries, key=lambda e: _order(e.key)) if ordered else entries

    def lines(self) -> list[str]:
        """The contract as text lines (a block of a contract file). Callers are left out:
        they are known from the first `payload_calls` calls only, which may vary."""
        lines = [f"## {self.seam}", *self.path_lines(), "tests:"]
        lines += [f"  {test}" for test in sorted(self.tests)]
        return lines

    def path_lines(self) -> list[str]:
        """One indented line per path."""
        return [f"  {entry.line()}" for entry in self.entries()]


def contracts_of(cassette: Cassette) -> dict[str, SeamContract]:
    """The contract of every seam one test's cassette recorded."""
    contracts: dict[str, SeamContract] = {}
    for seam, runs in cassette.runs.items():
        contract = SeamContract(seam, tests={cassette.test})
        seen: set[tuple[str, Shape]] = set()
        for run in runs:
            contract.calls += run.count
            # outcomes are named like the roots: return, raise, yield
            for root, shape in (("args", run.args_shape), (run.outcome, run.result_shape)):
                if (root, shape) not in seen:
                    seen.add((root, shape))
                    contract.add_shape(root, shape)
        contracts[seam] = contract
    for call in cassette.calls:
        if call.seam in contracts:
            contracts[call.seam].callers.add(call.caller)
    return contracts


def merged(cassettes: Iterable[Cassette]) -> dict[str, SeamContract]:
    """Every seam's contract over all the given cassettes."""
    return merge_all(contracts_of(cassette) for cassette in cassettes)


def merge_all(per_test: Iterable[dict[str, SeamContract]]) -> dict[str, SeamContract]:
    """Every seam's contract over the contracts of several tests."""
    total: dict[str, SeamContract] = {}
    for contracts in per_test:
        for seam, contract in contracts.items():
            total.setdefault(seam, SeamContract(seam)).merge(contract)
    return total


def module_of(seam: str) -> str:
    """The callee module of a seam id `pkg.mod:Qual.name`."""
    return seam.partition(":")[0]


def render_files(contracts: dict[str, SeamContract]) -> dict[str, str]:
    """The text of every contract file, by callee module."""
    by_module: dict[str, list[SeamContract]] = {}
    for seam in sorted(contracts):
        by_module.setdefault(module_of(seam), []).append(contracts[seam])
    files = {}
    for module, seams in by_module.items():
        lines = [
            _TITLES.get(module, f"{HEADER} of module {module}"),
            "# Written by `pytest --record-seams` from the cassettes next to it; do not edit.",
            "# One line per path, `path: types`; `?` marks a key that some calls lacked.",
        ]
        for contract in seams:
            block = contract.lines()
            if module in _TITLES and module != SQL_MODULE:
                block = [http_path(line) for line in block]
            lines += ["", *block]
        files[module] = "\n".join(lines) + "\n"
    return files


def contracts_dir(cassette_dir: Path) -> Path:
    return cassette_dir / CONTRACTS_DIR


def contract_file(cassette_dir: Path, module: str) -> Path:
    return contracts_dir(cassette_dir) / f"{module}{CONTRACT_SUFFIX}"


@dataclass
class ContractUpdate:
    """What writing the contract files did."""

    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)


def write_contracts(
    cassette_dir: Path, cassettes: Iterable[Cassette], *, dry_run: bool = False
) -> ContractUpdate:
    """Bring the contract files in line with `cassettes` (all of `cassette_dir`'s);
    files whose text is unchanged stay byte-identical. `dry_run`: only say what would
    be written or removed (are the committed contracts up to date?)."""
    update = ContractUpdate()
    texts = render_files(merged(cassettes))
    for module, text in texts.items():
        path = contract_file(cassette_dir, module)
        if _read_text(path) == text:
            update.unchanged += 1
            continue
        if not dry_run:
            write_atomic(path, text.encode())
        update.written.append(path)
    for path in _contract_files(cassette_dir):
        if path.name[: -len(CONTRACT_SUFFIX)] not in texts:
            if not dry_run:
                path.unlink()
            update.removed.append(path)
    return update


def _contract_files(cassette_dir: Path) -> Iterator[Path]:
    """The contract files seamrec wrote (a file without the header is someone else's)."""
    folder = contracts_dir(cassette_dir)
    if folder.is_dir():
        for path in sorted(folder.glob(f"*{CONTRACT_SUFFIX}")):
            if (_read_text(path) or "").startswith(HEADER):
                yield path


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _walk(shape: Shape, key: PathKey, paths: dict[PathKey, PathStat]) -> None:
    stat = paths[key]
    stat.types.add(type_name(shape))
    kind = shape_kind(shape)
    steps: list[tuple[PathKey, ShapeUnion]]
    if kind in RECORD_KINDS or kind == "args":  # names and a union for each
        stat.records += 1
        dotted = kind in ("obj", "ntuple")
        steps = []
        for name, union in children(shape):
            child = (*key, f".{name}" if dotted else name)
            paths.setdefault(child, PathStat()).present += 1
            steps.append((child, union))
    elif kind == "exc":
        steps = [((*key, ARGS_KEY, i), u) for i, u in children(shape)]
    else:
        steps = [((*key, step), union) for step, union in children(shape)]
    for child, union in steps:
        paths.setdefault(child, PathStat())
        for member in union:
            _walk(member, child, paths)


def consistent_types(types: set[str]) -> set[str]:
    """The types of a path where a format class is kept only if every value merged there
    had it: ``{"str<uuid>", "str"}`` is ``{"str"}`` (across the tests of a suite)."""
    bases: dict[str, set[str]] = {}
    for text in types:
        kind, _, label = text.partition("<")
        if kind in FORMAT_KINDS and (not label or label.endswith(">")):
            bases.setdefault(kind, set()).add(text)
    mixed = {kind for kind, variants in bases.items() if len(variants) > 1}
    if not mixed:
        return types
    return {t for t in types if t.partition("<")[0] not in mixed} | mixed


def type_name(shape: Shape) -> str:
    """The name a contract shows for one shape: ``str<iso-datetime T +hh:mm>`` for a
    leaf with its format class."""
    found = view(shape)
    if isinstance(found, LeafShape):
        return found.kind
    if isinstance(found, FormatShape):
        return leaf_text(shape)
    if isinstance(found, CutShape):
        return f"<cut: {found.reason}>"
    if isinstance(found, ArgsShape):
        return "args"
    if isinstance(found, CollShape) and found.type_name == "yield":
        return "generator"  # the items it yielded are the `yield[*]` lines
    if isinstance(found, TypedShape | MapShape):
        return f"{found.type_name} ({found.kind})"  # self, enum, opaque, map
    return found.type_name


def _sorted_types(types: set[str]) -> tuple[str, ...]:
    return tuple(sorted(types, key=lambda t: (t == "None", t)))


def _order(key: PathKey) -> tuple[Any, ...]:
    head = PARTS.index(key[0]) if key[0] in PARTS else len(PARTS)
    return (head, *((0, s, "") if isinstance(s, int) else (1, 0, str(s)) for s in key[1:]))
