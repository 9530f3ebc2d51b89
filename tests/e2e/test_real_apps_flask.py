"""A Flask app written the way Flask's tutorial writes it: an app factory, blueprints with
`@bp.get(...)` routes behind a `@login_required` decorator, `flask.g`, `current_app` and
`request` imported into every module, a route added with `app.route` in the factory, a
property of a boundary class read by a view. Every route is a seam, recorded with flask
as its caller; re-recording settles; a drift in a view's return or a property's value is
caught; the proxies are named, never evaluated."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, crossings, fresh_project, seamrec_summary

pytest.importorskip("flask")

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.seamrec]
boundaries = ["shopapp"]
"""

INIT = '''\
"""The app factory."""

from flask import Flask


def health():
    return {"ok": True}


def create_app(database=":memory:"):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dev", DATABASE=database)
    from shopapp import api, auth, db

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    app.route("/health")(health)
    return app
'''

DB = '''\
"""One sqlite3 connection per request, kept in flask.g."""

import sqlite3

from flask import current_app, g

SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, password TEXT);
CREATE TABLE items (id INTEGER PRIMARY KEY, user_id INTEGER, price INTEGER, qty INTEGER);
INSERT INTO users VALUES (1, 'ada', 'pw');
INSERT INTO items VALUES (1, 1, 250, 2), (2, 1, 40, 1);
"""


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
        g.db.executescript(SCHEMA)
    return g.db


def close_db(error=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    app.teardown_appcontext(close_db)
'''

AUTH = '''\
"""Login, and the decorator that guards views."""

import functools

from flask import Blueprint, g, request, session

from shopapp.db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_required(view):
    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return {"error": "login required"}, 401
        return view(**kwargs)

    return wrapped_view


@bp.before_app_request
def load_logged_in_user():
    user_id = session.get("user_id")
    g.user = None if user_id is None else {"id": user_id}


@bp.route("/login", methods=["POST"])
def login():
    name = request.form["name"]
    row = get_db().execute("SELECT id, password FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or row["password"] != request.form["password"]:
        return {"error": "bad credentials"}, 403
    session["user_id"] = row["id"]
    return {"user": name}
'''

SERVICES = '''\
"""Orders: totals computed from the items."""

from collections import namedtuple

from shopapp.db import get_db

Totals = namedtuple("Totals", "count total")


class Basket:
    def __init__(self, user_id):
        self.user_id = user_id

    @property
    def totals(self):
        rows = get_db().execute(
            "SELECT price, qty FROM items WHERE user_id = ?", (self.user_id,)
        ).fetchall()
        return Totals(len(rows), sum(r["price"] * r["qty"] for r in rows))


def basket_for(user_id):
    return Basket(user_id)
'''

API = '''\
"""The JSON API blueprint."""

from flask import Blueprint, current_app, g, request

from shopapp import services
from shopapp.auth import login_required

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/orders")
@login_required
def list_orders():
    totals = services.basket_for(g.user["id"]).totals
    return {"count": totals.count, "total": totals.total, "status": "pending"}


@bp.route("/echo", methods=["POST"])
def echo():
    return {"debug": current_app.debug, "body": request.get_json()}
'''

CONFTEST = """\
import pytest

from shopapp import create_app


@pytest.fixture
def client():
    return create_app().test_client()


@pytest.fixture
def logged_in(client):
    client.post("/auth/login", data={"name": "ada", "password": "pw"})
    return client
"""

TESTS = """\
def test_orders(logged_in):
    assert logged_in.get("/api/orders").get_json() == {
        "count": 2, "total": 540, "status": "pending"
    }


def test_orders_need_a_login(client):
    assert client.get("/api/orders").status_code == 401


def test_echo(client):
    assert client.post("/api/echo", json={"a": 1}).get_json()["body"] == {"a": 1}


def test_health(client):
    assert client.get("/health").get_json() == {"ok": True}
"""


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """The Flask shop with its tests, nothing recorded yet."""
    files = {
        "pyproject.toml": PYPROJECT,
        "shopapp/__init__.py": INIT,
        "shopapp/db.py": DB,
        "shopapp/auth.py": AUTH,
        "shopapp/services.py": SERVICES,
        "shopapp/api.py": API,
        "tests/conftest.py": CONFTEST,
        "tests/test_shop.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def cassette(shop: LayeredApp, test: str) -> list[tuple[str, str, str]]:
    return crossings(shop.cassettes / f"tests/test_shop/{test}.msgpack")


def test_every_route_of_a_flask_app_is_a_seam_called_by_flask(shop: LayeredApp) -> None:
    record = shop.record()

    record.assert_outcomes(passed=4)
    assert 0 == record.ret
    summary = seamrec_summary(record)
    assert [] == [line for line in summary if "internal error" in line or "warning" in line]
    assert [] == [line for line in summary if line.startswith("not recorded")]
    orders = cassette(shop, "test_orders")
    for seam in ("auth:login", "auth:load_logged_in_user", "api:list_orders"):
        assert (f"shopapp.{seam}", "flask.app", "return") in orders
    assert ("shopapp.api:echo", "flask.app", "return") in cassette(shop, "test_echo")
    assert ("shopapp:health", "flask.app", "return") in cassette(shop, "test_health")
    # The view reads a property of a boundary class: a seam of its own.
    assert ("shopapp.services:Basket.totals", "shopapp.api", "return") in cassette(
        shop, "test_orders"
    )


def test_the_flask_proxies_are_named_and_never_evaluated(shop: LayeredApp) -> None:
    record = shop.record()

    record.assert_outcomes(passed=4)
    [line] = [line for line in seamrec_summary(record) if line.startswith("not inspected")]
    assert line.startswith(
        "not inspected: current_app, g, request, session in shopapp.api, shopapp.auth, "
        "shopapp.db (a werkzeug.local.LocalProxy; "
    )
    assert "Working outside of application context" not in record.stdout.str()


def test_re_recording_a_flask_app_settles_and_a_view_drift_is_caught(shop: LayeredApp) -> None:
    shop.record().assert_outcomes(passed=4)
    first = shop.recorded()

    again = shop.record()
    assert "cassettes: 0 written, 4 unchanged, 0 kept because the test failed" in (
        seamrec_summary(again)
    )
    assert first == shop.recorded()
    shop.check().assert_outcomes(passed=4)

    shop.edit("shopapp/api.py", '"status": "pending"', '"status": ["pending"]')
    shop.edit("tests/test_shop.py", '"status": "pending"', '"status": ["pending"]')
    check = shop.check()

    check.assert_outcomes(passed=3, failed=1)
    check.stdout.fnmatch_lines(
        ["*seam drift in tests/test_shop.py::test_orders*", "*shopapp.api:list_orders*return*"]
    )


def test_a_namedtuple_field_read_through_a_property_drifting_int_to_bool_is_caught(
    shop: LayeredApp,
) -> None:
    shop.record().assert_outcomes(passed=4)
    shop.edit(
        "shopapp/services.py",
        "return Totals(len(rows), sum(",
        "return Totals(len(rows) > 0, sum(",
    )
    shop.edit("tests/test_shop.py", '"count": 2', '"count": True')

    check = shop.check()

    check.assert_outcomes(passed=3, failed=1)
    check.stdout.fnmatch_lines(["*shopapp.services:Basket.totals*return*", "*int*bool*"])


def test_a_library_seam_named_in_seams_is_recorded_when_the_app_calls_it(
    shop: LayeredApp,
) -> None:
    shop.edit(
        "pyproject.toml",
        'boundaries = ["shopapp"]',
        'boundaries = ["shopapp"]\nseams = ["flask:render_template_string"]',
    )
    shop.edit(
        "shopapp/api.py",
        "from flask import Blueprint, current_app, g, request",
        "from flask import Blueprint, current_app, g, render_template_string, request",
    )
    shop.write(
        "shopapp/api.py",
        (shop.root / "shopapp/api.py").read_text()
        + """

@bp.get("/hello/<name>")
def hello(name):
    return render_template_string("Hello {{ name }}!", name=name)
""",
    )
    shop.write(
        "tests/test_hello.py",
        """
        from flask import render_template_string


        def test_hello(client):
            assert client.get("/api/hello/ada").get_data(as_text=True) == "Hello ada!"


        def test_rendered_by_the_test_itself(client):
            with client.application.app_context():
                assert render_template_string("{{ 1 }}") == "1"
        """,
    )

    record = shop.record("tests/test_hello.py")

    record.assert_outcomes(passed=2)
    watched = {"shopapp.api:hello", "flask:render_template_string"}
    hello = crossings(shop.cassettes / "tests/test_hello/test_hello.msgpack")
    assert [
        ("shopapp.api:hello", "flask.app", "return"),
        ("flask:render_template_string", "shopapp.api", "return"),
    ] == [c for c in hello if c[0] in watched]
    own = crossings(shop.cassettes / "tests/test_hello/test_rendered_by_the_test_itself.msgpack")
    assert [] == [c for c in own if c[0] in watched]  # the test's own call is no app seam


def test_under_xdist_the_proxies_are_named_once_and_every_route_recorded(
    shop: LayeredApp,
) -> None:
    record = shop.record("-n", "2")

    record.assert_outcomes(passed=4)
    summary = seamrec_summary(record)
    assert 1 == sum(line.startswith("not inspected: current_app, g, request") for line in summary)
    assert [] == [line for line in summary if "warning" in line or "not recorded when" in line]
    orders = cassette(shop, "test_orders")
    assert ("shopapp.api:list_orders", "flask.app", "return") in orders
    shop.check("-n", "2").assert_outcomes(passed=4)
