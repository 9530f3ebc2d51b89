"""`pytest --replay-seams` and `@pytest.mark.seams(replay=...)`: answer seams from the cassette.

Each test records a small store app (a repository on a real SQLite file) with
`--record-seams`, then replays its repository seams in a later run in which the database
is deliberately unavailable: the inner `repo` fixture hands the repository a *closed*
connection unless the run records, so any call that reaches the real callee and queries
raises `sqlite3.ProgrammingError`. The real repository methods also note their names in
`store.repo.REAL_CALLS`, which the inner conftest writes to `real_calls.json` at the end
of each run, so a test can tell a replayed call from a real one.

Every run is a real `pytest` subprocess (see tests/conftest.py).
"""

from __future__ import annotations

import json
import re

import pytest

from helpers import LayeredApp, crossings, isolate_inner_run, seamrec_summary

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["store"]
replay = ["store.repo:Repo.*"]
databases = []  # these runs count module seams; the database seam has test_database_seam.py
"""

MODELS = '''\
"""The store's value types."""

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple


class Status(enum.Enum):
    OPEN = "open"
    SHIPPED = "shipped"


class Point(NamedTuple):
    x: int
    y: int


@dataclass
class Item:
    id: int
    name: str
    price: Decimal
    status: Status


class OutOfStock(Exception):
    def __init__(self, item_id: int, wanted: int) -> None:
        super().__init__(item_id, wanted)
        self.item_id = item_id
        self.wanted = wanted
'''

EXTMODELS = '''\
"""A module outside the configured boundaries."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str
'''

REPO = '''\
"""Storage on SQLite; every real query notes the method's name in REAL_CALLS."""

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from extmodels import Money
from store.models import Item, OutOfStock, Point, Status

REAL_CALLS: list[str] = []
BERLIN = ZoneInfo("Europe/Berlin")
TAX_RATES = {"DE": Decimal("0.19"), "FR": Decimal("0.20")}


class Repo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _one(self, method: str, columns: str, item_id: int) -> sqlite3.Row:
        REAL_CALLS.append(method)
        return self.conn.execute(
            f"SELECT {columns} FROM items WHERE id = ?", (item_id,)
        ).fetchone()

    def pair(self, item_id: int) -> tuple[int, str]:
        return tuple(self._one("pair", "id, name", item_id))

    def created(self, item_id: int) -> datetime:
        (text,) = self._one("created", "created", item_id)
        return datetime.fromisoformat(text).replace(tzinfo=BERLIN)

    def price(self, item_id: int) -> Decimal:
        (text,) = self._one("price", "price", item_id)
        return Decimal(text)

    def item(self, item_id: int) -> Item:
        id_, name, price, status = self._one("item", "id, name, price, status", item_id)
        return Item(id_, name, Decimal(price), Status(status))

    def location(self, item_id: int) -> Point:
        x, y = self._one("location", "x, y", item_id)
        return Point(x, y)

    def status(self, item_id: int) -> Status:
        (status,) = self._one("status", "status", item_id)
        return Status(status)

    def row(self, item_id: int) -> sqlite3.Row:
        return self._one("row", "id, name, stock", item_id)

    def reserve(self, item_id: int, wanted: int) -> int:
        row = self._one("reserve", "stock", item_id)
        if row is None:
            raise KeyError(item_id)
        if row["stock"] < wanted:
            raise OutOfStock(item_id, wanted)
        return row["stock"] - wanted

    async def fetch(self, item_id: int) -> Item:
        await asyncio.sleep(0)
        row = self._one("fetch", "id, name, price, status", item_id)
        if row is None:
            raise KeyError(item_id)
        id_, name, price, status = row
        return Item(id_, name, Decimal(price), Status(status))

    def iter_items(self) -> Iterator[Item]:
        REAL_CALLS.append("iter_items")
        rows = self.conn.execute("SELECT id, name, price, status FROM items ORDER BY id")
        for id_, name, price, status in rows:
            yield Item(id_, name, Decimal(price), Status(status))

    def connection(self) -> sqlite3.Connection:
        REAL_CALLS.append("connection")
        return self.conn

    def money(self, item_id: int) -> Money:
        (price,) = self._one("money", "price", item_id)
        return Money(Decimal(price), "EUR")

    def tax_rate(self, country: str) -> Decimal:
        REAL_CALLS.append("tax_rate")  # no query: works on the closed database too
        return TAX_RATES[country]
'''

CONFTEST = '''\
import json
import re
import sqlite3

import pytest

import store.repo
from store.repo import Repo

SCHEMA = """
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price TEXT, status TEXT,
                        x INTEGER, y INTEGER, created TEXT, stock INTEGER);
    INSERT INTO items VALUES (1, 'tea', '3.50', 'open', 4, 2, '2024-05-01T09:30:00', 5),
                             (2, 'cup', '12.00', 'shipped', 7, 1, '2024-06-02T18:00:00', 0);
"""


@pytest.fixture
def repo(request, tmp_path):
    conn = sqlite3.connect(tmp_path / "store.db")
    conn.row_factory = sqlite3.Row
    conn.executescript(SCHEMA)
    if not request.config.getoption("--record-seams"):
        conn.close()  # the database is unavailable: only replay can answer
    yield Repo(conn)
    conn.close()


def pytest_sessionfinish(session):
    path = session.config.rootpath / "real_calls.json"
    path.write_text(json.dumps(store.repo.REAL_CALLS))
'''

TEST_VALUES = """\
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from store.models import Item, Point, Status


def test_values(repo):
    pair = repo.pair(1)
    assert isinstance(pair, tuple) and type(pair) is tuple
    assert pair == (1, "tea")

    created = repo.created(1)
    assert isinstance(created, datetime) and created.tzinfo is not None
    assert created.tzinfo == ZoneInfo("Europe/Berlin")
    assert created.utcoffset() == timedelta(hours=2)
    assert created == datetime(2024, 5, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))

    price = repo.price(1)
    assert isinstance(price, Decimal) and str(price) == "3.50"

    item = repo.item(1)
    assert isinstance(item, Item) and type(item.price) is Decimal
    assert item == Item(1, "tea", Decimal("3.50"), Status.OPEN)

    location = repo.location(1)
    assert isinstance(location, Point) and (location.x, location.y) == (4, 2)

    status = repo.status(2)
    assert isinstance(status, Status) and status is Status.SHIPPED

    row = repo.row(1)
    assert isinstance(row, sqlite3.Row)
    assert row.keys() == ["id", "name", "stock"]
    assert tuple(row) == (1, "tea", 5) and row["name"] == "tea"
"""

TEST_ERRORS = """\
import pytest

from store.models import OutOfStock


def test_errors(repo):
    assert repo.reserve(1, 2) == 3

    with pytest.raises(OutOfStock) as out_of_stock:
        repo.reserve(2, 3)
    assert type(out_of_stock.value) is OutOfStock
    assert out_of_stock.value.args == (2, 3)
    assert (out_of_stock.value.item_id, out_of_stock.value.wanted) == (2, 3)

    with pytest.raises(KeyError) as missing:
        repo.reserve(99, 1)
    assert type(missing.value) is KeyError and missing.value.args == (99,)
"""

TEST_KINDS = """\
import asyncio
import inspect
from decimal import Decimal

from store.models import Item, Status

TEA = Item(1, "tea", Decimal("3.50"), Status.OPEN)
CUP = Item(2, "cup", Decimal("12.00"), Status.SHIPPED)


def test_async(repo):
    item = asyncio.run(repo.fetch(1))
    assert type(item) is Item and item == TEA


def test_generator(repo):
    items = repo.iter_items()
    assert inspect.isgenerator(items)
    assert next(items) == TEA
    assert list(items) == [CUP]
"""

TEST_ASYNC_ERROR = """\
import asyncio
import inspect

import pytest


def test_async_error(repo):
    coroutine = repo.fetch(99)  # an async function raises when awaited, not when called
    assert inspect.isawaitable(coroutine)
    with pytest.raises(KeyError) as missing:
        asyncio.run(coroutine)
    assert missing.value.args == (99,)
"""

TEST_UNREPLAYABLE = """\
from decimal import Decimal

from extmodels import Money


def test_connection(repo):
    assert repo.connection() is not None


def test_money(repo):
    money = repo.money(1)
    assert type(money) is Money and money == Money(Decimal("3.50"), "EUR")
"""

TEST_RATES = """\
from decimal import Decimal

CALLS = 1


def test_rates(repo):
    rates = [repo.tax_rate("DE") for _ in range(CALLS)]
    assert rates == [Decimal("0.19")] * CALLS
"""

TEST_ITEM = """\
from decimal import Decimal

from store.models import Item, Status

ITEM_ID = 1


def test_item(repo):
    assert repo.item(ITEM_ID) == Item(1, "tea", Decimal("3.50"), Status.OPEN)
"""

TEST_PRICED = """\
from decimal import Decimal


def test_priced(repo):
    assert repo.tax_rate("FR") * repo.price(1) == Decimal("0.7000")
"""

TEST_MARKED = """\
from decimal import Decimal

import pytest

from store.models import Item, Status

pytestmark = pytest.mark.seams(replay=["store.repo:Repo.item"])


def test_marked(repo):
    assert repo.item(1) == Item(1, "tea", Decimal("3.50"), Status.OPEN)
"""


class StoreApp(LayeredApp):
    """The store app and its tests; `replay` puts the test paths before the option."""

    def replay(self, *args: str, patterns: str | None = None) -> pytest.RunResult:
        option = "--replay-seams" if patterns is None else f"--replay-seams={patterns}"
        return self.run(*args, option)

    def real_calls(self) -> list[str]:
        """The repository methods whose real code ran in the last run, in order."""
        calls: list[str] = json.loads((self.root / "real_calls.json").read_text())
        return calls

    def configure(self, line: str) -> None:
        """Add one line to [tool.seamrec]."""
        self.edit("pyproject.toml", 'boundaries = ["store"]\n', f'boundaries = ["store"]\n{line}\n')


@pytest.fixture
def store_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> StoreApp:
    """The store app with one test module per scenario, nothing recorded yet."""
    # As in the `layered_app` fixture: edited modules must be re-read from source, and the
    # inner run is a fresh invocation, not part of the xdist run this test may be in.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    isolate_inner_run(monkeypatch)
    app = StoreApp(pytester)
    app.write("pyproject.toml", PYPROJECT)
    app.write("store/__init__.py", "")
    app.write("store/models.py", MODELS)
    app.write("store/repo.py", REPO)
    app.write("extmodels.py", EXTMODELS)
    app.write("tests/conftest.py", CONFTEST)
    app.write("tests/test_values.py", TEST_VALUES)
    app.write("tests/test_errors.py", TEST_ERRORS)
    app.write("tests/test_kinds.py", TEST_KINDS)
    app.write("tests/test_async_error.py", TEST_ASYNC_ERROR)
    app.write("tests/test_unreplayable.py", TEST_UNREPLAYABLE)
    app.write("tests/test_rates.py", TEST_RATES)
    app.write("tests/test_item.py", TEST_ITEM)
    app.write("tests/test_priced.py", TEST_PRICED)
    app.write("tests/test_marked.py", TEST_MARKED)
    return app


def counts(result: pytest.RunResult) -> dict[str, int]:
    """The counts of the summary's first line, e.g. {"seams wrapped": 14, "calls replayed": 7}
    (nouns in the plural whatever the number)."""
    first = seamrec_summary(result)[0]
    return {
        f"{noun}s {verb}": int(number)
        for number, noun, verb in re.findall(r"(\d+) (seam|call)s? (\w+)", first)
    }


def replay_failure(nodeid: str, seam: str, *message: str) -> list[str]:
    """The seamrec section of a test whose replayed seam could not answer."""
    return [
        f"seam replay failed in {nodeid}",
        f"  {seam}  replay failed",
        *message,
        f'  re-record: pytest --record-seams "{nodeid}"',
    ]


def test_replayed_values_equal_the_recorded_ones_in_type_and_value(store_app: StoreApp) -> None:
    store_app.record("tests/test_values.py").assert_outcomes(passed=1)
    assert 7 == len(store_app.real_calls())

    result = store_app.replay("tests/test_values.py")

    # The app's own test asserts the types and values (tuple, aware datetime, Decimal,
    # dataclass, namedtuple, Enum, sqlite3.Row); the database was closed, so they came
    # from the cassette.
    result.assert_outcomes(passed=1)
    assert [] == store_app.real_calls()
    assert 7 == counts(result)["calls replayed"]
    summary = seamrec_summary(result)
    assert summary[0].endswith(", 7 calls replayed")
    assert summary[1].startswith("0 tests drifted")


def test_a_recorded_exception_is_raised_again_with_its_class_args_and_attributes(
    store_app: StoreApp,
) -> None:
    store_app.record("tests/test_errors.py").assert_outcomes(passed=1)

    result = store_app.replay("tests/test_errors.py")

    result.assert_outcomes(passed=1)
    assert [] == store_app.real_calls()
    assert 3 == counts(result)["calls replayed"]


def test_async_and_generator_seams_are_replayed(store_app: StoreApp) -> None:
    store_app.record("tests/test_kinds.py").assert_outcomes(passed=2)

    result = store_app.replay("tests/test_kinds.py")

    result.assert_outcomes(passed=2)
    assert [] == store_app.real_calls()
    assert 2 == counts(result)["calls replayed"]


def test_an_async_seam_that_raised_gives_back_an_awaitable_that_raises(
    store_app: StoreApp,
) -> None:
    store_app.record("tests/test_async_error.py").assert_outcomes(passed=1)

    result = store_app.replay("tests/test_async_error.py")

    # Calling the async seam must return an awaitable, as the real coroutine function
    # does; the recorded KeyError belongs to the await.
    assert [] == store_app.real_calls()
    result.assert_outcomes(passed=1)


def test_values_that_cannot_be_rebuilt_fail_the_test_and_say_how_to_fix_it(
    store_app: StoreApp,
) -> None:
    store_app.record("tests/test_unreplayable.py").assert_outcomes(passed=2)

    result = store_app.replay("tests/test_unreplayable.py")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        replay_failure(
            "tests/test_unreplayable.py::test_connection",
            "store.repo:Repo.connection",
            "    return: a recorded sqlite3.Connection cannot be rebuilt (only its type was "
            "recorded)",
            "    fix: narrow the replay patterns so that this seam runs for real",
        ),
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        replay_failure(
            "tests/test_unreplayable.py::test_money",
            "store.repo:Repo.money",
            "    return: cannot rebuild a recorded extmodels.Money: only standard types and "
            "classes of the configured boundaries are built",
            '    fix: allow it with replay_types = [[]"extmodels.Money"] in [[]tool.seamrec]',
        ),
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED tests/test_unreplayable.py::test_connection - seam replay failed in*",
            "FAILED tests/test_unreplayable.py::test_money - seam replay failed in tests*",
        ]
    )
    assert [] == store_app.real_calls()

    store_app.configure('replay_types = ["extmodels.Money"]')
    allowed = store_app.replay("tests/test_unreplayable.py", "-rf")

    allowed.assert_outcomes(passed=1, failed=1)
    allowed.stdout.fnmatch_lines(
        ["FAILED tests/test_unreplayable.py::test_connection - seam replay failed in*"]
    )
    assert [] == store_app.real_calls()
    # Neither call could be replayed in the first run: the count must not include them.
    assert 0 == counts(result)["calls replayed"]


def test_a_call_beyond_the_recording_fails_unless_replay_missing_is_call(
    store_app: StoreApp,
) -> None:
    store_app.record("tests/test_rates.py").assert_outcomes(passed=1)
    store_app.edit("tests/test_rates.py", "CALLS = 1", "CALLS = 2")

    result = store_app.replay("tests/test_rates.py")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        replay_failure(
            "tests/test_rates.py::test_rates",
            "store.repo:Repo.tax_rate",
            "    store.repo:Repo.tax_rate call 2 was not recorded (1 recorded): the code now "
            'makes more calls; re-record, or set replay_missing = "call" to let such calls '
            "reach the real callee",
        ),
        consecutive=True,
    )
    assert [] == store_app.real_calls()  # no silent fallback to the real callee
    assert 1 == counts(result)["calls replayed"]

    store_app.configure('replay_missing = "call"')
    allowed = store_app.replay("tests/test_rates.py")

    allowed.assert_outcomes(passed=1)
    assert ["tax_rate"] == store_app.real_calls()  # call 1 replayed, call 2 ran for real
    assert 1 == counts(allowed)["calls replayed"]


def test_a_call_whose_payload_was_not_kept_fails_clearly(store_app: StoreApp) -> None:
    store_app.configure("payload_calls = 1")
    store_app.edit("tests/test_rates.py", "CALLS = 1", "CALLS = 2")
    store_app.record("tests/test_rates.py").assert_outcomes(passed=1)

    result = store_app.replay("tests/test_rates.py")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        replay_failure(
            "tests/test_rates.py::test_rates",
            "store.repo:Repo.tax_rate",
            "    store.repo:Repo.tax_rate call 2 kept no payload (only the first 1 calls of a "
            "seam do); raise payload_calls in [[]tool.seamrec] and re-record",
        ),
        consecutive=True,
    )
    assert [] == store_app.real_calls()


def test_drifted_arguments_of_a_replayed_seam_fail_the_test(store_app: StoreApp) -> None:
    store_app.record("tests/test_item.py").assert_outcomes(passed=1)
    store_app.edit("tests/test_item.py", "ITEM_ID = 1", 'ITEM_ID = "1"')

    result = store_app.replay("tests/test_item.py")

    # The app's test itself passes (the recorded item is given back); the drift fails it.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_item _*",
            "seam drift in tests/test_item.py::test_item",
            "  store.repo:Repo.item  args  (call 1 of 1)",
            "    type changed  args.item_id  int → str   1 → '1'",
            '  re-record: pytest --record-seams "tests/test_item.py::test_item"',
        ],
        consecutive=True,
    )
    assert [] == store_app.real_calls()
    assert 1 == counts(result)["calls replayed"]
    summary = seamrec_summary(result)
    assert "  drifted: tests/test_item.py::test_item" in summary


def test_replay_seams_patterns_override_the_configured_replay(store_app: StoreApp) -> None:
    store_app.record("tests/test_item.py", "tests/test_priced.py").assert_outcomes(passed=2)

    result = store_app.replay(
        "tests/test_item.py",
        "tests/test_priced.py",
        "-rf",
        patterns="store.repo:Repo.tax_*, store.repo:Repo.price",
    )

    # tax_rate and price are answered from the cassette; item, which only the configured
    # `replay` names, runs for real against the closed database.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED tests/test_item.py::test_item - sqlite3.ProgrammingError: Cannot oper*"]
    )
    assert ["item"] == store_app.real_calls()
    assert {"seams wrapped": 2, "calls replayed": 2} == counts(result)


def test_recording_and_replaying_at_once_is_a_usage_error(store_app: StoreApp) -> None:
    result = store_app.run("--record-seams", "--replay-seams")

    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(
        [
            "ERROR: --record-seams and --replay-seams cannot be used together: record first, "
            "then check or replay in a later run"
        ]
    )


def test_replay_seams_without_patterns_needs_a_configured_replay(store_app: StoreApp) -> None:
    store_app.edit("pyproject.toml", 'replay = ["store.repo:Repo.*"]\n', "")

    result = store_app.replay()

    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(
        [
            "ERROR: */pyproject.toml: [[]tool.seamrec] replay: is empty, so --replay-seams has "
            "nothing to replay: *--replay-seams=PATTERNS"
        ]
    )


def test_the_marker_replays_in_a_plain_run_and_is_ignored_while_recording(
    store_app: StoreApp,
) -> None:
    nodeid = "tests/test_marked.py::test_marked"

    unrecorded = store_app.run("tests/test_marked.py")

    unrecorded.assert_outcomes(failed=1)
    unrecorded.stdout.fnmatch_lines(
        replay_failure(
            nodeid,
            "store.repo:Repo.item",
            f"    store.repo:Repo.item cannot be replayed: {nodeid} has no cassette; record it "
            f'first with pytest --record-seams "{nodeid}"',
        ),
        consecutive=True,
    )

    recorded = store_app.record("tests/test_marked.py")

    recorded.assert_outcomes(passed=1)
    assert ["item"] == store_app.real_calls()  # the marker does not replay while recording
    assert [("store.repo:Repo.item", "test_marked", "return")] == crossings(
        store_app.cassettes / "tests" / "test_marked" / "test_marked.msgpack"
    )
    assert 1 == counts(recorded)["calls recorded"]
    summary = seamrec_summary(recorded)
    assert summary[1].startswith("cassettes: 1 written, ")

    result = store_app.run("tests/test_marked.py")

    result.assert_outcomes(passed=1)
    assert [] == store_app.real_calls()
    assert {"seams wrapped": 1, "calls replayed": 1} == counts(result)
    summary = seamrec_summary(result)
    assert summary[1].startswith("0 tests drifted")
