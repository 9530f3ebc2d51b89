"""The database seam: queries sent through DB-API drivers (sqlite3, psycopg), SQLAlchemy's
included, recorded as crossings of one seam per normalized statement.

``sqlite3.Connection`` and ``Cursor`` are C types whose methods cannot be patched, so the
drivers' ``connect`` functions are wrapped for the run and hand back proxies
(`dbproxy`) that report here. A query is recorded only when boundary code caused
it, directly or through SQLAlchemy, while a test runs; the nearest boundary frame is its
caller. Its return (result columns, row shapes) is completed from the rows the caller
fetched — seamrec never fetches, and never consumes an iterator the caller did not — once
the cursor is exhausted, re-executed, closed, or the test ends.
"""

from __future__ import annotations

import difflib
import sqlite3
import sys
from types import CodeType, FrameType, ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, cast

from seamrec.config import in_packages
from seamrec.model.shape import LEAF_SHAPES, Shape, compatible
from seamrec.model.shape_types import (
    CollShape,
    PositionalShape,
    RecordShape,
    ShapeUnion,
    ShapeView,
    view,
    view_as,
)
from seamrec.runtime.adapters.dbproxy import AsyncConnect, Connect, ConnectMethod, CursorProxy
from seamrec.runtime.adapters.imports import PendingPatch, after_import
from seamrec.runtime.adapters.sqlstatement import (
    DATA_KEYWORDS,
    SEAM_PREFIX,
    Statement,
    keyword_of,
    parse,
)
from seamrec.runtime.instrument import Seam
from seamrec.runtime.tape import Finding

if TYPE_CHECKING:
    from seamrec.runtime.expected import Expected
    from seamrec.runtime.tape import LiveCall

DRIVERS = ("sqlite3", "psycopg")
COLUMN: Shape = ("column",)
RESULT_TYPE = "sql.Result"  # what a query returns: its columns and the rows fetched
PAYLOAD_ROWS = 10  # rows kept as the example payload of one query
_LAYERS = (
    "seamrec",
    "sqlalchemy",
    "flask_sqlalchemy",
    "sqlmodel",
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "contextlib",
)
# Database layers named by a dotted prefix: Django's ORM and backends (its views, forms
# and templates are not), so a query the ORM sends is the boundary code's above it
_LAYER_PACKAGES = ("django.db.", "django.utils.asyncio")
# SQLAlchemy's own queries when a connection is first made or checked (version, schema,
# isolation level): they run in whichever test connects first, so they are no seam
_SETUP_FUNCTIONS = frozenset(
    {
        "initialize",
        "first_connect",
        "on_connect",
        "do_ping",
        "get_isolation_level",
        "get_default_isolation_level",
        "_get_server_version_info",
        "_get_default_schema_name",
        "_check_unicode_returns",
    }
)
# ...and its reflection (`has_table` before `create_all`, `inspect(engine)`): the
# dialect's catalog queries, not the app's
_SETUP_PREFIXES = ("has_", "get_", "_get_", "_load_", "_check", "_set_", "reflect")
_SETUP_MODULES = ("sqlalchemy.dialects.", "sqlalchemy.engine.reflection")
_MAX_FRAMES = 400
_UNKNOWN = object()
_LAYER = object()  # a frame's verdict: a database layer's, look further up
# ...a layer's frame awaiting sync code run in a greenlet of its own (SQLAlchemy's
# `greenlet_spawn`): that greenlet's frames first, then further up
_BRIDGE = object()
_MAX_VERDICTS = 8192  # frames' verdicts kept (code objects of a run: a few thousand)
_LEAF_UNIONS = {cls: (shape,) for cls, shape in LEAF_SHAPES.items()}
SIMILAR = 0.6  # how alike two statements' texts are to be one query that was edited
WAS = "statement changed, was: "
_MAX_STATEMENTS = 4096


def _greenlet_frame(frame: FrameType) -> FrameType | None:
    """The frame where the greenlet that SQLAlchemy's `greenlet_spawn` runs (its local
    `context`) is suspended, read through the greenlet type's own descriptor."""
    module = sys.modules.get("greenlet")
    greenlet_type = vars(module).get("greenlet") if module is not None else None
    context = frame.f_locals.get("context")
    if not isinstance(greenlet_type, type) or not issubclass(type(context), greenlet_type):
        return None
    found = vars(greenlet_type)["gr_frame"].__get__(context, greenlet_type)
    return found if type(found) is FrameType else None


class Events(Protocol):
    """Where a query is recorded or checked once the session said it is wanted."""

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None: ...

    def close_event(self, call: LiveCall, outcome: str, value: object, shape: Shape) -> None: ...


class Recorder(Protocol):
    """What the database seam needs from the session."""

    @property
    def events(self) -> Events: ...

    def event_wanted(self) -> bool: ...

    def open_event(self, seam: Seam, caller: str, value: object) -> LiveCall | None: ...

    def close_event(
        self, call: LiveCall, outcome: str, value: object, shape: Shape | None = None
    ) -> None: ...

    def shape(self, value: object) -> Shape: ...

    def internal_error(self, exc: Exception, lost: str) -> None: ...


class DatabaseSeams:
    """Wraps the drivers' `connect` for the run and records the queries of boundary code."""

    def __init__(
        self, recorder: Recorder, drivers: tuple[str, ...], boundaries: tuple[str, ...]
    ) -> None:
        self.recorder = recorder
        self._events = recorder.events  # the run's strategy: chosen once, at start
        self.drivers = drivers
        self.boundaries = boundaries
        self._patched: list[tuple[ModuleType, str, Any]] = []
        self._modules: dict[str, object] = {}  # True boundary, None layer, False other
        # id(code) -> (code, globals, verdict): what a frame running that code with those
        # globals says in `caller` (the boundary module, None, or _LAYER: look further up)
        self._verdicts: dict[int, tuple[CodeType, dict[str, Any], object]] = {}
        self._single: dict[str, StatementSeam] = {}  # statement text -> its seam
        self._many: dict[str, StatementSeam] = {}  # the same, for `executemany`
        self._open: dict[Query, None] = {}  # the queries not finished, in order
        self.cursor_classes: dict[type, type[CursorProxy]] = {}  # see `cursor_proxy`
        self.proxy_classes: dict[tuple[type, type], type] = {}  # see `dbproxy.dressed`
        self.unmatched: list[LiveCall] = []  # checked queries whose statement is new
        self._names: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._results: dict[tuple[Any, ...], Shape] = {}
        self._rows: dict[tuple[Any, ...], Shape] = {}
        # id(known), id(row shape) -> (known, row shape, merged): see `_merged`
        self._merges: dict[tuple[int, int], tuple[Shape, Shape, Shape]] = {}
        self._pending: list[PendingPatch] = []  # patches waiting for their driver

    # ---------------------------------------------------------------- install

    def install(self) -> None:
        """Wrap `sqlite3.connect` and psycopg's `connect`, `Connection.connect` (pools)
        and `AsyncConnection.connect` (the drivers chosen and installed)."""
        if "sqlite3" in self.drivers:
            import sqlite3.dbapi2

            for module in (sqlite3, sqlite3.dbapi2):
                self._patch(module, "connect")
        if "psycopg" in self.drivers:  # once the suite imports it (adapters.imports)
            pending = after_import(
                "psycopg", self._patch_psycopg, self.recorder.internal_error, "psycopg's queries"
            )
            self._pending.append(pending)

    def _patch_psycopg(self, psycopg: ModuleType) -> None:
        self._patch(psycopg, "connect")
        self._patch_class(vars(psycopg).get("Connection"), Connect)
        self._patch_class(vars(psycopg).get("AsyncConnection"), AsyncConnect)

    def _patch(self, module: ModuleType, name: str) -> None:
        original = vars(module).get(name)
        if original is None or isinstance(original, Connect):
            return
        self._patched.append((module, name, original))
        setattr(module, name, Connect(original, self))

    def _patch_class(self, cls: Any, kind: type[Connect]) -> None:
        """Wrap the `connect` classmethod of a driver's connection class (read from the
        class's own `__dict__`; a subclass of the driver's inherits it)."""
        original = vars(cls).get("connect") if isinstance(cls, type) else None
        if type(original) is not classmethod:
            return
        self._patched.append((cls, "connect", original))
        cls.connect = ConnectMethod(original, self, kind)

    def uninstall(self) -> None:
        """Give the drivers their own `connect` back (connections made stay proxies)."""
        while self._pending:
            self._pending.pop().cancel()
        while self._patched:
            module, name, original = self._patched.pop()
            setattr(module, name, original)

    # ---------------------------------------------------------------- queries

    def start(self, sql: object, value: object, many: bool) -> Query | None:
        """A query about to be sent, if it is a seam crossing of the running test (called
        by the proxy method the caller called: the frame above it is the caller's). A
        statement known to carry no data is dismissed before the session or the caller is
        asked."""
        found = (self._many if many else self._single).get(sql) if type(sql) is str else None
        if found is not None and not found.carries_data:
            return None  # DDL, PRAGMA, transaction control: never a seam, whoever sent it
        if not self.recorder.event_wanted():
            return None
        frame = sys._getframe(2)  # above start and the proxy method: the caller's
        code = frame.f_code
        entry = self._verdicts.get(id(code))  # the first step of `_walk`, inline
        if entry is not None and entry[0] is code and entry[1] is frame.f_globals:
            caller = entry[2]
            if caller is _LAYER or caller is _BRIDGE:
                caller = self._walk(frame)
        else:
            caller = self._walk(frame)
        if caller is None or caller is _LAYER:
            return None
        if found is None:
            found = self._statement(sql, many)
            if found is None or not found.carries_data:
                return None
        if many:
            args: object = [found.statement.parameters(p) for p in _as_list(value)]
        elif type(value) is tuple and len(value) == found.width:
            args = value  # positional `?` placeholders only: the parameters as they are
        elif type(value) is list and len(value) == found.width:
            args = tuple(value)  # the same from a list (`Statement.parameters` says so)
        elif value is None:
            args = ()  # no parameters (`Statement.parameters` says the same)
        else:
            args = found.statement.parameters(value)
        call = self._events.open_event(found.seam, caller, args)  # type: ignore[arg-type]
        if call is None:
            return None
        query = _new_query(Query)  # `Query(call, found)` without a Python `__init__` call
        query.call, query.statement, query.columns, query.done = call, found, None, False
        query.shapes, query.rows, query.keep = {}, [], call.args_payload is not None
        self._open[query] = None  # one dict operation: atomic across threads
        return query

    def described(self, query: Query, cursor: Any) -> None:
        """The query ran on `cursor`: rows to come under the columns of its description,
        or nothing (no result set). Never raises: a failure is counted."""
        try:
            description = cursor.description
            if description is None:
                self.finish(query)
                return
            found = query.statement
            last = found.last_columns  # one tuple: another thread replaces it whole
            if type(description) is tuple and description == last[0]:
                query.columns = last[1]  # as the statement's last run: the same columns
                return
            names = tuple([column[0] for column in description])
            known = self._names.get(names)
            if known is None:
                if len(self._names) >= _MAX_STATEMENTS:
                    self._names.clear()
                known = self._names[names] = tuple(map(str, names))
            query.columns = known
            if type(description) is tuple:
                found.last_columns = (description, known)
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query.done = True
            self.recorder.internal_error(exc, "the result columns of a query")

    def note_row(self, query: Query, row: Any) -> None:
        """One row the caller fetched (`fetchone`, iteration). Never raises."""
        if query.done:
            return
        try:
            found = query.statement
            columns = query.columns
            cls = type(row)
            last = found.last_row  # one tuple: another thread replaces it whole
            if (
                cls is last[0]
                and columns is last[1]
                and columns is not None
                and tuple(map(type, row)) == last[2]
            ):
                shape, key = last[3], last[4]  # as the statement's last row
            else:
                leaf = self._leaf_row(row, columns)
                if leaf is None:
                    self.note(query, [row])
                    return
                shape, key = leaf
                found.last_row = (cls, columns, tuple(map(type, row)), shape, key)
            shapes = query.shapes
            known = shapes.get(key)
            if known is None or known is shape:
                shapes[key] = shape
            elif known != shape:
                shapes[key] = self._merged(known, shape)
            if query.keep and len(query.rows) < PAYLOAD_ROWS:
                query.rows.append(row)
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query.done = True
            self.recorder.internal_error(exc, "the rows of a query")

    def note(self, query: Query, rows: list[Any]) -> None:
        """Rows the caller fetched."""
        if not rows or query.done:
            return
        single = self._leaf_row(rows[0], query.columns) if len(rows) == 1 else None
        shapes = [single] if single is not None else self._row_shapes(rows, query.columns)
        for shape, key in shapes:
            known = query.shapes.get(key)
            if known is None or known is shape or known == shape:
                query.shapes[key] = shape
            else:
                query.shapes[key] = self._merged(known, shape)
        room = PAYLOAD_ROWS - len(query.rows)
        if query.keep and room > 0:
            query.rows.extend(rows[:room])

    def fetched_all(self, query: Query, rows: Any) -> None:
        """The rows of `fetchall`: noted, and the query finished. Never raises."""
        if query.done:
            return
        try:
            if rows is not None:  # `note` keeps slices of the list, never the list
                self.note(query, rows if type(rows) is list else list(rows))
        except Exception as exc:  # seamrec's own failure: reported, never raised
            query.done = True
            self.recorder.internal_error(exc, "the rows of a query")
            return
        self.finish(query)

    def finish(self, query: Query | None) -> None:
        """The query's return is complete: record or check it. Never raises."""
        if query is None or query.done:
            return
        query.done = True
        try:
            self._open.pop(query, None)
            if query.columns is None:
                self.recorder.close_event(query.call, "return", None)
            else:
                names = query.columns
                row_shapes = tuple(query.shapes.values())
                found = query.statement
                last = found.last_result  # one tuple: another thread replaces it whole
                if names is last[0] and row_shapes == last[1]:
                    shape = last[2]  # as the statement's last result
                else:
                    shape = self._result_shape(names, row_shapes)
                    found.last_result = (names, row_shapes, shape)
                fetched = [_payload_row(row, names) for row in query.rows] if query.keep else []
                value = {"columns": list(names), "rows": fetched}
                self._events.close_event(query.call, "return", value, shape)
            if query.call.expected is None and query.call.args_payload is not None:
                self.unmatched.append(query.call)  # check mode: a statement not recorded
        except Exception as exc:  # seamrec's own failure: reported, never raised
            self.recorder.internal_error(exc, "the rows of a query")

    def _merged(self, known: Shape, shape: Shape) -> Shape:
        """`_merged_rows`, made once per pair of shape objects met: a statement's rows
        alternate between a few value types (a nullable column), so its queries end
        with the same merged object, which `finish` and `note_row` compare by identity."""
        key = (id(known), id(shape))
        found = self._merges.get(key)
        if found is not None and found[0] is known and found[1] is shape:
            return found[2]
        merged = _merged_rows(known, shape)
        if len(self._merges) >= _MAX_STATEMENTS:
            self._merges.clear()
        self._merges[key] = (known, shape, merged)  # holds both: their ids stay theirs
        return merged

    def _result_shape(self, names: tuple[str, ...], row_shapes: tuple[Shape, ...]) -> Shape:
        """A query's return: a record of its columns and the list of its row shapes."""
        key = (names, row_shapes)
        shape = self._results.get(key)
        if shape is None:
            if len(self._results) >= _MAX_STATEMENTS:
                self._results.clear()
            columns = RecordShape.build("row", "columns", names, tuple((COLUMN,) for _ in names))
            rows = CollShape.build("list", row_shapes)
            shape = RecordShape.build(
                "obj", RESULT_TYPE, ("columns", "rows"), ((columns,), (rows,))
            )
            self._results[key] = shape
        return shape

    def fail(self, query: Query | None, error: Exception) -> None:
        """The driver refused the query."""
        if query is None or query.done:
            return
        query.done = True
        self._open.pop(query, None)
        self.recorder.close_event(query.call, "raise", error)

    def flush(self) -> None:
        """Complete every query still open (the test ends)."""
        queries = list(self._open)
        for query in queries:
            self.finish(query)

    def settle(self, findings: list[Finding], expected: Expected) -> list[Finding]:
        """The test's findings in database terms: an edited statement (a recorded one no
        longer run, a new one run instead, their texts alike) is compared as one query —
        its payload drift, or nothing when only the text changed; and in a test that
        replays seams, a recorded query that did not run is no finding (it ran inside a
        replayed seam when recorded)."""
        if expected.replay:
            findings = [
                f for f in findings if not (f.part == "missing" and f.seam.startswith(SEAM_PREFIX))
            ]
        unmatched, self.unmatched = self.unmatched, []
        if not unmatched:
            return findings
        first: dict[str, LiveCall] = {}
        for call in unmatched:
            first.setdefault(call.seam, call)
        new = {f.seam: f for f in findings if f.part == "unrecorded" and f.seam in first}
        gone = {
            f.seam: f
            for f in findings
            if f.part == "missing" and f.index == 0 and f.seam.startswith(SEAM_PREFIX)
        }
        scored = sorted(
            (
                (difflib.SequenceMatcher(None, old, now).ratio(), old, now)
                for old in gone
                for now in new
                if old.split(" ", 1)[0].upper() == now.split(" ", 1)[0].upper()
            ),
            reverse=True,
        )
        kept = list(findings)
        for ratio, old, now in scored:
            if ratio < SIMILAR or old not in gone or now not in new:
                continue
            kept.remove(gone.pop(old))
            kept.remove(new.pop(now))
            kept.extend(_compared(expected, old, first[now]))
        return kept

    # ---------------------------------------------------------------- helpers

    def caller(self, frame: FrameType | None) -> str | None:
        """The boundary module that caused a query (through database layers only), or
        None when a test, a fixture or another library sent it.

        A frame's verdict depends only on its code and its globals, so it is worked out
        once per code object (`_verdict`) and the walk is one lookup a frame."""
        verdict = self._walk(frame)
        return None if verdict is _LAYER else verdict  # type: ignore[return-value]

    def _walk(self, frame: FrameType | None) -> object:
        """The first verdict other than _LAYER up from `frame` (_LAYER if none). Through
        SQLAlchemy's asyncio bridge the sync code that sent the query runs in a greenlet
        of its own: its frames are read first, where `greenlet_spawn` awaits it."""
        depth = 0
        verdicts = self._verdicts
        while frame is not None and depth < _MAX_FRAMES:
            code = frame.f_code
            entry = verdicts.get(id(code))
            if entry is None or entry[0] is not code or entry[1] is not frame.f_globals:
                entry = self._verdict(frame)
            verdict = entry[2]
            if verdict is _BRIDGE:
                inner = _greenlet_frame(frame)
                verdict = _LAYER if inner is None else self._walk(inner)
            if verdict is not _LAYER:
                return verdict  # the module name or None
            frame = frame.f_back
            depth += 1
        return _LAYER

    def _verdict(self, frame: FrameType) -> tuple[CodeType, dict[str, Any], object]:
        """What `frame` says of the query's caller: its boundary module's name, None (a
        test, a fixture, another library, a setup query) or _LAYER; kept per code."""
        code = frame.f_code
        globals_ = frame.f_globals
        name = globals_.get("__name__")
        kind = self._modules.get(name, _UNKNOWN) if type(name) is str else None
        if kind is _UNKNOWN:
            kind = self._kind(name)  # type: ignore[arg-type]  # a str: checked above
        verdict: object = _LAYER
        if kind is True:
            verdict = str(name)
        elif kind is False:
            verdict = None
        else:
            function = code.co_name
            if function in _SETUP_FUNCTIONS or (
                function.startswith(_SETUP_PREFIXES) and str(name).startswith(_SETUP_MODULES)
            ):
                verdict = None
            elif function == "greenlet_spawn":
                verdict = _BRIDGE
        if len(self._verdicts) >= _MAX_VERDICTS:
            self._verdicts.clear()
        entry = self._verdicts[id(code)] = (code, globals_, verdict)
        return entry

    def _kind(self, module: str) -> bool | None:
        known = self._modules.get(module, _UNKNOWN)
        if known is not _UNKNOWN:
            return known if known is None or type(known) is bool else None
        kind: bool | None = False
        if in_packages(module, self.boundaries):
            kind = True
        elif module.partition(".")[0] in _LAYERS or module.startswith(_LAYER_PACKAGES):
            kind = None
        self._modules[module] = kind
        return kind

    def _statement(self, sql: object, many: bool) -> StatementSeam | None:
        """The seam of statement `sql`, parsed once per text; a text whose leading word
        says it carries no data (`keyword_of`) is not parsed: it shares `_NO_DATA`."""
        if type(sql) is bytes:
            sql = sql.decode("utf-8", "replace")
        if type(sql) is not str:
            return None  # a psycopg `sql.Composed`: its text needs a connection to render
        table = self._many if many else self._single
        found = table.get(sql)
        if found is None:
            if len(table) >= _MAX_STATEMENTS:
                table.clear()
            keyword = keyword_of(sql)
            if keyword is not None and keyword not in DATA_KEYWORDS:
                found = table[sql] = _NO_DATA  # DDL, PRAGMA, ...: no seam, nothing to parse
            else:
                found = table[sql] = StatementSeam(parse(sql), many)
        return found

    def _leaf_row(self, row: Any, columns: tuple[str, ...] | None) -> tuple[Shape, Shape] | None:
        """The shape of one tuple or `sqlite3.Row` of plain values (the common case) and
        its merge key, from a cache keyed by the value types; None for anything else."""
        cls = type(row)
        if columns is None or (cls is not tuple and cls is not sqlite3.Row):
            return None
        types = tuple(map(type, row))
        key = (cls, columns, types)
        found = self._rows.get(key)
        if found is None:
            unions = tuple(map(_LEAF_UNIONS.get, types))
            if None in unions or len(unions) != len(columns):
                return None
            if len(self._rows) >= _MAX_STATEMENTS:
                self._rows.clear()
            name = "tuple" if cls is tuple else "sqlite3.Row"
            known = cast("tuple[ShapeUnion, ...]", unions)  # no None: checked above
            shape = RecordShape.build("row", name, columns, known)
            found = self._rows[key] = (shape, _merge_key(shape))
        return found

    def _row_shapes(
        self, rows: list[Any], columns: tuple[str, ...] | None
    ) -> list[tuple[Shape, Shape]]:
        """Each row as a record of its columns (tuples, `sqlite3.Row`, dicts), other row
        types by their own shape; each with its merge key."""
        by_type: dict[type, list[Any]] = {}
        for row in rows:
            by_type.setdefault(type(row), []).append(row)
        shapes: list[Shape] = []
        shape_of = self.recorder.shape
        for cls, group in by_type.items():
            if cls is tuple or cls is sqlite3.Row:
                names = columns if columns is not None else ()
                values = group if cls is tuple else [tuple(row) for row in group]
                type_name = "tuple" if cls is tuple else "sqlite3.Row"
            elif cls is dict and all(type(k) is str for row in group for k in row):
                names = tuple(group[0])
                if any(tuple(row) != names for row in group):
                    shapes.extend(shape_of(row) for row in group)
                    continue
                values = [tuple(row.values()) for row in group]
                type_name = "dict"
            else:
                whole = shape_of(group)
                found = view(whole)
                shapes.extend(found.items if isinstance(found, CollShape) else (whole,))
                continue
            found = view(shape_of(values))
            for member in found.items if isinstance(found, CollShape) else ():
                row = view(member)
                if _is_tuple_of(row, len(names)):
                    shapes.append(RecordShape.build("row", type_name, names, row.unions))
                else:
                    shapes.append(member)
        return [(shape, _merge_key(shape)) for shape in shapes]


def _merge_key(shape: Shape) -> Shape:
    """Rows of one statement with the same type and columns merge into one row shape;
    other shapes are kept apart."""
    found = view(shape)
    if isinstance(found, RecordShape) and found.kind == "row":
        return (found.kind, found.type_name, found.names)
    return shape


def _merged_rows(known: Shape, shape: Shape) -> Shape:
    """One row shape with the column unions of both (first-seen order); `known` itself
    when `shape` adds nothing to it."""
    old, new = view_as(RecordShape, known), view_as(RecordShape, shape)  # by `_merge_key`
    merged = tuple(tuple(dict.fromkeys(a + b)) for a, b in zip(old.unions, new.unions, strict=True))
    if merged == old.unions:
        return known
    return RecordShape.build(new.kind, new.type_name, new.names, merged)


def _is_tuple_of(found: ShapeView, width: int) -> TypeGuard[PositionalShape]:
    """Whether a shape is a plain tuple with `width` positions (a row without names)."""
    return (
        isinstance(found, PositionalShape) and found.kind == "tuple" and len(found.unions) == width
    )


def _compared(recorded: Expected, old: str, call: LiveCall) -> list[Finding]:
    """The drift between the first recorded call of statement `old` and `call`."""
    expected = recorded.at(old, 0)
    if expected is None:
        return []
    args, outcome, result = expected.args_shape, expected.outcome, expected.result_shape
    total = recorded.recorded_count(old)
    was = WAS + old
    found: list[Finding] = []
    if not compatible(args, call.args_shape):
        found.append(
            Finding(
                call.seam,
                0,
                "args",
                args,
                call.args_shape,
                recorded.recorded_payload(old, 0, "args"),
                call.args_payload,
                recorded_total=total,
                message=was,
            )
        )
    if outcome != call.outcome or not compatible(result, call.result_shape):
        found.append(
            Finding(
                call.seam,
                0,
                "outcome" if outcome != call.outcome else outcome,
                result,
                call.result_shape,
                recorded.recorded_payload(old, 0, "result"),
                call.result_payload,
                outcome,
                call.outcome,
                recorded_total=total,
                message=was,
                context=call.args_payload,
            )
        )
    return found


class StatementSeam:
    """One statement text's seam, with what its last run found: a query of it in the
    steady state (the same columns, rows of the same types) re-uses those shapes. Each
    "last" is one tuple, replaced whole, so threads never mix two runs' parts."""

    __slots__ = (
        "carries_data",
        "last_columns",
        "last_result",
        "last_row",
        "seam",
        "statement",
        "width",
    )

    def __init__(self, statement: Statement, many: bool) -> None:
        self.statement = statement
        self.carries_data = statement.carries_data
        name = "seq_of_params" if many else "params"
        self.seam = Seam(
            statement.seam_id, "sql", statement.seam_id[4:], "function", False, (name,), None
        )
        # a tuple of this many parameters is the args as they are (-1: never)
        self.width = len(statement.slots) if statement.plain else -1
        # the last `cursor.description` (a tuple) and its column names
        self.last_columns: tuple[object, tuple[str, ...]] = (None, ())
        # the last row: its type, columns, value types, shape and merge key
        self.last_row: tuple[type | None, tuple[str, ...] | None, tuple[type, ...], Shape, Shape]
        self.last_row = (None, None, (), (), ())
        # the last return: its columns, row shapes and shape
        self.last_result: tuple[tuple[str, ...] | None, tuple[Shape, ...], Shape] = (None, (), ())


# the seam of every statement that carries no data (`carries_data` False: never a seam)
_NO_DATA = StatementSeam(Statement(SEAM_PREFIX, "", (), (), False), False)


class Query:
    """One execution being recorded: its call, its columns, the shapes of fetched rows."""

    __slots__ = ("call", "columns", "done", "keep", "rows", "shapes", "statement")

    def __init__(self, call: LiveCall, statement: StatementSeam) -> None:
        self.call = call
        self.statement = statement
        self.columns: tuple[str, ...] | None = None
        self.shapes: dict[Shape, Shape] = {}
        self.rows: list[Any] = []
        self.keep = call.args_payload is not None  # a kept payload: its first rows too
        self.done = False


_new_query = object.__new__


def _as_list(value: object) -> list[Any]:
    return list(value) if type(value) in (list, tuple) else []  # type: ignore[call-overload]


def _payload_row(row: Any, columns: tuple[str, ...] | None) -> Any:
    cls = type(row)
    if (cls is tuple or cls is sqlite3.Row) and columns is not None and len(row) == len(columns):
        return dict(zip(columns, tuple(row), strict=True))
    return row
