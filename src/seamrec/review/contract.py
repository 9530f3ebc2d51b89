"""Contracts: what each seam accepts, returns and raises, merged over every recorded call.

A contract flattens shapes into one line per path, in the path syntax of the drift
messages (``return['user']['email']: str``). Merging many shapes keeps every type seen
at a path (``str | None``) and marks a key ``?`` when some recorded value at its parent
did not have it. Contracts hold no values, call counts or callers, so their text changes
only when a shape changes (or when the set of tests of a seam changes): committed next to
the cassettes, their diff in a pull request *is* the format change.

A contract file stays short on suites of hundreds of tests and wide tables: a seam's
tests are one line, each test file with the number of its tests that cross the seam
(``tests: tests/test_a.py (12), tests/test_b.py (1)``; ``seamrec show <seam>`` lists
every id), and
leaves that differ only by a number are one line: tuple positions of one type
``args.params[0..9]: int``, numbered keys of one type
``args.record['c0'..'c999', 1000 keys]?: int``. Which file holds a seam:
`contract_layout` (database seams one file per table).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamrec.cassette.store import Cassette, write_atomic
from seamrec.frozen import FrozenRecord
from seamrec.model.formats import FORMAT_KINDS
from seamrec.model.paths import ARGS_KEY, PARTS, render_path
from seamrec.model.shape_types import (
    POSITIONAL_KINDS,
    RECORD_KINDS,
    TYPED_KINDS,
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
    view,
)
from seamrec.review.contract_layout import HEADER as HEADER
from seamrec.review.contract_layout import HTTP_NOTE, SQL_DIR, file_of, is_http, title_of
from seamrec.review.contract_unions import MIN_UNION, readable_types
from seamrec.review.http_text import http_contract_line
from seamrec.review.paths import PathKey, leaf_text, shown_types

CONTRACTS_DIR = "contracts"
CONTRACT_SUFFIX = ".txt"


class PathStat:
    """What was seen at one path: its types, and how often it was there when it could be.
    A plain class (a dataclass compiles its methods on import; a run end makes one per
    path of every seam)."""

    __slots__ = ("present", "records", "types")

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.present = 0  # record values at the parent that had this key or field
        self.records = 0  # record values (dict, object, row...) seen at this path


@dataclass(init=False, repr=False, eq=False)  # frozen: see seamrec.frozen
class Entry(FrozenRecord):
    """One line of a contract."""

    key: PathKey
    types: tuple[str, ...]
    optional: bool

    def __init__(self, key: PathKey, types: tuple[str, ...], optional: bool) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "optional", optional)

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
        return [_new_entry(key, types, optional) for key, types, optional in self.rows(ordered)]

    def rows(self, ordered: bool = True) -> list[_Row]:
        """What `entries` holds, as plain (key, types, optional) tuples: the run's end
        renders every contract from them without making an `Entry` per line."""
        paths = self.paths
        rows: list[_Row] = []
        for key, stat in paths.items():
            if not stat.types or key == ("args",):
                continue  # argument names are the lines below; an empty list has no items
            present = stat.present
            optional = False
            if present > 0 and len(key) > 1:  # a key or field, not `[*]` or `[0]`
                parent = paths.get(key[:-1])
                optional = parent is not None and present < parent.records
            types = stat.types if len(stat.types) < 2 else consistent_types(stat.types)
            rows.append((key, _sorted_types(types), optional))
        if ordered:
            rows.sort(key=_row_order)
        return rows

    def lines(self, *, every_test: bool = True) -> list[str]:
        """The contract as text lines (a block of a contract file). Callers are left out:
        they are known from the first `payload_calls` calls only, which may vary.
        `every_test=False`: the tests on one line, by test file (see `line_of_tests`)."""
        if not every_test:
            return [f"## {self.seam}", *self.path_lines(), line_of_tests(self.tests)]
        tests = [f"  {t}" for t in sorted(self.tests)]
        return [f"## {self.seam}", *self.path_lines(), "tests:", *tests]

    def path_lines(self) -> list[str]:
        """One indented line per path, numbered siblings of one type folded (`[0..9]`),
        long unions of class names shortened (`contract_unions`)."""
        seam = self.seam
        rows = [
            (key, types if len(types) < MIN_UNION else readable_types(types, seam), optional)
            for key, types, optional in self.rows()
        ]
        return [f"  {line}" for line in _folded(rows)]


_Row = tuple[PathKey, tuple[str, ...], bool]  # an `Entry`'s key, types and optional mark
_new_object = object.__new__


def _new_entry(key: PathKey, types: tuple[str, ...], optional: bool) -> Entry:
    """`Entry(key, types, optional)` without the frozen dataclass's `__init__` (three
    `object.__setattr__` calls): the same object."""
    entry = _new_object(Entry)
    object.__setattr__(entry, "__dict__", {"key": key, "types": types, "optional": optional})
    return entry


def _row_order(row: _Row) -> tuple[Any, ...]:
    return _order(row[0])


def line_of_tests(tests: Iterable[str]) -> str:
    """The tests of a seam as one line of a contract file: each test file with the number
    of its tests that cross the seam, sorted by file (`seamrec show <seam>` lists them)."""
    counts: dict[str, int] = {}
    for test in tests:
        file = test.partition("::")[0]
        counts[file] = counts.get(file, 0) + 1
    return "tests: " + ", ".join(f"{file} ({n})" for file, n in sorted(counts.items()))


MIN_FOLD = 4  # numbered siblings of one type written as one line from this many on
_NUMBERED = re.compile(r"(.*?)(0|[1-9][0-9]*)")


def folded_lines(entries: list[Entry]) -> list[str]:
    """The entries' lines, where at least `MIN_FOLD` leaves under one parent with the
    same types and `?` that differ only by a number are one line: consecutive tuple
    positions (or int keys) `[0..9]`, string keys `prefix<n>` `['c0'..'c999', 1000 keys]`
    (written where the first of them was)."""
    return _folded([(e.key, e.types, e.optional) for e in entries])


def _folded(rows: list[_Row]) -> list[str]:
    """`folded_lines` of the entries' (key, types, optional)."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    last = len(rows) - 1
    for i, (key, types, optional) in enumerate(rows):
        if i < last and rows[i + 1][0][: len(key)] == key:
            continue  # a parent: never folded
        family = _family(key)
        if family is not None:
            groups.setdefault((key[:-1], family, types, optional), []).append(i)
    folded: dict[int, str] = {}  # first member -> its line
    skipped: set[int] = set()
    for (_, family, _, _), members in groups.items():
        if len(members) < MIN_FOLD:
            continue  # no run of them can be long enough
        for run in _runs(rows, members) if family == "" else [members]:
            if len(run) >= MIN_FOLD:
                folded[run[0]] = _folded_line(rows, run, family)
                skipped.update(run[1:])
    return [
        folded.get(i) or _line(key, types, optional)
        for i, (key, types, optional) in enumerate(rows)
        if i not in skipped
    ]


def _line(key: PathKey, types: tuple[str, ...], optional: bool) -> str:
    """`Entry.line` of a row."""
    mark = "?" if optional else ""
    return f"{render_path(key[0], key[1:])}{mark}: {shown_types(' | '.join(types))}"


def _family(key: PathKey) -> str | None:
    """ "" for an int position or key, the prefix of a numbered string key, else None."""
    segment = key[-1]
    if key[0] == "args" and len(key) == 2:
        return None  # an argument's name
    if isinstance(segment, int) and not isinstance(segment, bool):
        return ""
    if isinstance(segment, str) and not segment.startswith("."):
        match = _NUMBERED.fullmatch(segment)
        if match and match.group(1):
            return match.group(1)
    return None


def _number(row: _Row) -> int:
    segment = row[0][-1]
    return segment if isinstance(segment, int) else int(_NUMBERED.fullmatch(segment)[2])  # type: ignore[index]


def _runs(rows: list[_Row], members: list[int]) -> list[list[int]]:
    """`members` (int positions, in order) split where their numbers are not consecutive."""
    runs: list[list[int]] = []
    for i in members:
        if runs and _number(rows[runs[-1][-1]]) + 1 == _number(rows[i]):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _folded_line(rows: list[_Row], run: list[int], family: str) -> str:
    key, types, optional = rows[run[0]]
    numbers = sorted(_number(rows[i]) for i in run)
    if family == "":
        span = f"[{numbers[0]}..{numbers[-1]}]"
    else:
        span = f"[{family + str(numbers[0])!r}..{family + str(numbers[-1])!r}, {len(run)} keys]"
    parent = render_path(key[0], key[1:-1])
    return f"{parent}{span}{'?' if optional else ''}: {shown_types(' | '.join(types))}"


def contracts_of(cassette: Cassette) -> dict[str, SeamContract]:
    """The contract of every seam one test's cassette recorded."""
    return _fold_in({}, {}, cassette)


def merged(cassettes: Iterable[Cassette]) -> dict[str, SeamContract]:
    """Every seam's contract over all the given cassettes. Each distinct shape of a seam
    is folded in once: its lines are the same however often a shape was seen (a key is
    optional when some shape lacked it), and a suite's tests share most shapes."""
    contracts: dict[str, SeamContract] = {}
    seen: dict[str, set[tuple[str, Shape]]] = {}
    folded: dict[tuple[str, str, int], Shape] = {}  # shapes folded in, by object: see below
    for cassette in cassettes:
        _fold_in(contracts, seen, cassette, folded)
    return contracts


def _fold_in(
    contracts: dict[str, SeamContract],
    seen: dict[str, set[tuple[str, Shape]]],
    cassette: Cassette,
    folded: dict[tuple[str, str, int], Shape] | None = None,
) -> dict[str, SeamContract]:
    """Fold one cassette's seams into `contracts`; `seen`: the shapes already added.
    `folded` (kept across the cassettes of one `merged`): (seam, root, id) of each shape
    object met before, held, so a shape object that recurs in later cassettes (the
    record run's cassettes share theirs) is passed by without being hashed again."""
    met: dict[tuple[str, str, int], Shape] = {} if folded is None else folded
    for seam, runs in cassette.runs.items():
        contract = contracts.get(seam)
        if contract is None:
            contract = contracts[seam] = SeamContract(seam)
        contract.tests.add(cassette.test)
        shapes = seen.setdefault(seam, set())
        for run in runs:
            contract.calls += run.count
            # outcomes are named like the roots: return, raise, yield
            for root, shape in (("args", run.args_shape), (run.outcome, run.result_shape)):
                if met.get((seam, root, id(shape))) is shape:
                    continue  # the same object again: looked up (hashed all through) once
                met[seam, root, id(shape)] = shape
                if (root, shape) not in shapes:
                    shapes.add((root, shape))
                    contract.add_shape(root, shape)
    for call in cassette.calls:
        if call.seam in cassette.runs and call.seam in contracts:
            contracts[call.seam].callers.add(call.caller)
    return contracts


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
    """The text of every contract file, by its path under `contracts/` without the suffix
    (`shop.repository`, `http`, `sql/orders`: see `contract_layout`)."""
    by_file: dict[str, list[SeamContract]] = {}
    for seam in sorted(contracts):
        by_file.setdefault(file_of(seam), []).append(contracts[seam])
    files = {}
    for name, seams in sorted(by_file.items()):
        lines = [
            title_of(name),
            "# Written by `pytest --record-seams` from the cassettes next to it; do not edit.",
            "# One line per path, `path: types`; `?` marks a key that some calls lacked.",
        ]
        if is_http(name):
            lines.append(HTTP_NOTE)
        for contract in seams:
            block = contract.lines(every_test=False)
            if is_http(name):
                block = [text for text in map(http_contract_line, block) if text is not None]
            lines += ["", *block]
        files[name] = "\n".join(lines) + "\n"
    return files


def contracts_dir(cassette_dir: Path) -> Path:
    return cassette_dir / CONTRACTS_DIR


def contract_file(cassette_dir: Path, name: str) -> Path:
    """The path of a contract file (`name` as `render_files` keys it)."""
    return contracts_dir(cassette_dir) / f"{name}{CONTRACT_SUFFIX}"


def is_contract_path(path: Path) -> bool:
    """Whether `path` lies where contract files are written (`contracts/*.txt` or
    `contracts/sql/*.txt`), whatever its text."""
    folder = path.parent
    if folder.name == SQL_DIR:
        folder = folder.parent
    return path.name.endswith(CONTRACT_SUFFIX) and folder.name == CONTRACTS_DIR


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
    for name, text in texts.items():
        path = contract_file(cassette_dir, name)
        if _read_text(path) == text:
            update.unchanged += 1
            continue
        if not dry_run:
            write_atomic(path, text.encode())
        update.written.append(path)
    folder = contracts_dir(cassette_dir)
    for path in _contract_files(cassette_dir):
        name = path.relative_to(folder).as_posix()[: -len(CONTRACT_SUFFIX)]
        if name not in texts:
            if not dry_run:
                path.unlink()
            update.removed.append(path)
    if not dry_run and update.removed:
        _remove_if_empty(folder / SQL_DIR)
    return update


def _contract_files(cassette_dir: Path) -> Iterator[Path]:
    """The contract files seamrec wrote, the database's in `sql/` included (a file
    without the header is someone else's)."""
    folder = contracts_dir(cassette_dir)
    for place in (folder, folder / SQL_DIR):
        if place.is_dir():
            for path in sorted(place.glob(f"*{CONTRACT_SUFFIX}")):
                if (_read_text(path) or "").startswith(HEADER):
                    yield path


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # absent, or holds other files
        folder.rmdir()


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _walk(shape: Shape, key: PathKey, paths: dict[PathKey, PathStat]) -> None:
    stat = paths[key]
    stat.types.add(type_name(shape))
    if len(shape) < 3:
        return  # a leaf, a typed value or a cut: no child position
    kind = shape[0]
    steps: list[tuple[PathKey, ShapeUnion]]
    if kind in RECORD_KINDS or kind == "args":  # names and a union for each
        stat.records += 1
        dotted = kind in ("obj", "ntuple")
        steps = []
        for name, union in children(shape):
            child = (*key, f".{name}" if dotted else name)
            found = paths.get(child)
            if found is None:
                found = paths[child] = PathStat()
            found.present += 1
            steps.append((child, union))
        for child, union in steps:  # each child's stat is there: made above
            for member in union:
                _walk(member, child, paths)
        return
    if kind == "exc":
        steps = [((*key, ARGS_KEY, i), u) for i, u in children(shape)]
    else:
        steps = [((*key, step), union) for step, union in children(shape)]
    for child, union in steps:
        if child not in paths:
            paths[child] = PathStat()
        for member in union:
            _walk(member, child, paths)


def consistent_types(types: set[str]) -> set[str]:
    """The types of a path where a format class is kept only if every value merged there
    had it: ``{"str<uuid>", "str"}`` is ``{"str"}`` (across the tests of a suite)."""
    if len(types) < 2:
        return types  # one type cannot disagree with itself
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
    leaf with its format class. Read by kind and size (what `view` goes by), without
    building the view; anything else the view's way."""
    size = len(shape)
    kind = shape[0] if size else None
    if size == 1:
        return str(kind)
    if size == 2:
        if kind in FORMAT_KINDS:
            return leaf_text(shape)
        if kind == "cut":
            return f"<cut: {shape[1]}>"
        if kind in TYPED_KINDS:
            return f"{shape[1]} ({kind})"
    elif size == 3:
        if kind == "args":
            return "args"
        if kind == "coll":
            return "generator" if shape[1] == "yield" else str(shape[1])
        if kind in POSITIONAL_KINDS:
            return str(shape[1])
    elif size == 4:
        if kind == "map":
            return f"{shape[1]} (map)"
        if kind in RECORD_KINDS:
            return str(shape[1])
    return _viewed_type_name(shape)


def _viewed_type_name(shape: Shape) -> str:
    """`type_name` through the view (which raises for what is not a shape)."""
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
    if len(types) == 1:
        return tuple(types)
    return tuple(sorted(types, key=lambda t: (t == "None", t)))


_PART_ORDER = {part: i for i, part in enumerate(PARTS)}


def _order(key: PathKey) -> tuple[Any, ...]:
    head = _PART_ORDER.get(key[0], len(PARTS))
    if len(key) == 1:
        return (head,)
    return (head, *[(0, s, "") if isinstance(s, int) else (1, 0, str(s)) for s in key[1:]])
