"""Replay failures read like the rest of seamrec: one short `replay failed` section naming
the seam, the value and the fix, said once, with no traceback from seamrec's own modules;
SQLAlchemy mapped objects (without relationships) and Django models are rebuilt so that
the ORM accepts them; a mapped object with relationships is refused up front."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

REPO = '''\
"""Users with a secret, and a repository on SQLAlchemy 2."""

from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.orm import selectinload

REAL_CALLS: list[str] = []


def load_user(user_id: int) -> dict[str, object]:
    REAL_CALLS.append("load_user")
    return {"id": user_id, "name": "Ada", "password": "hunter2"}


def broken(user_id: int) -> int:
    raise LookupError(f"no user {user_id}")


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    orders: Mapped[list["Order"]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    total: Mapped[int]
    customer: Mapped[Customer] = relationship(back_populates="orders")


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str]


ENGINE = create_engine("sqlite://")
Base.metadata.create_all(ENGINE)
with Session(ENGINE) as session:
    orders = [Order(id=10, total=250), Order(id=11, total=40)]
    session.add(Customer(id=1, name="Ada", orders=orders))
    session.add(Tag(id=3, label="vip"))
    session.commit()


def find_customer(customer_id: int) -> Customer:
    REAL_CALLS.append("find_customer")
    query = select(Customer).options(selectinload(Customer.orders))
    with Session(ENGINE, expire_on_commit=False) as session:
        return session.scalars(query.where(Customer.id == customer_id)).one()


def find_tag(tag_id: int) -> Tag:
    REAL_CALLS.append("find_tag")
    with Session(ENGINE, expire_on_commit=False) as session:
        return session.scalars(select(Tag).where(Tag.id == tag_id)).one()
'''

SERVICE = '''\
"""Uses the repository."""

from sqlalchemy import inspect

from app import repo


def greeting(user_id: int) -> str:
    return "hi " + str(repo.load_user(user_id)["name"])


def lookup(user_id: int) -> int:
    return repo.broken(user_id)


def customer_summary(customer_id: int) -> dict[str, object]:
    customer = repo.find_customer(customer_id)
    return {
        "name": customer.name,
        "total": sum(order.total for order in customer.orders),
        "state": "transient" if inspect(customer).transient else "detached",
    }
'''

TESTS = """\
from sqlalchemy.orm import Session

from app import repo
from app.service import customer_summary, greeting, lookup


def test_greeting():
    assert greeting(1) == "hi Ada"


def test_lookup():
    assert lookup(1) == 1


def test_customer():
    summary = customer_summary(1)
    assert {"name": "Ada", "total": 290} == {
        k: v for k, v in summary.items() if k != "state"
    }


def test_customer_joins_a_session():
    customer = repo.find_customer(1)
    with Session(repo.ENGINE) as session:
        merged = session.merge(customer)
        assert "Ada" == merged.name
        assert [250, 40] == [order.total for order in merged.orders]


def test_tag_joins_a_session():
    tag = repo.find_tag(3)
    with Session(repo.ENGINE) as session:
        assert "vip" == session.merge(tag).label
"""


@pytest.fixture
def orm_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    """An app with a redacted field and a SQLAlchemy 2 repository, nothing recorded."""
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/repo.py": REPO,
        "app/service.py": SERVICE,
        "tests/test_app.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def test_a_redacted_value_fails_replay_once_with_the_seam_the_value_and_the_fix(
    orm_app: LayeredApp,
) -> None:
    orm_app.record("tests/test_app.py::test_greeting").assert_outcomes(passed=1)

    result = orm_app.run("tests/test_app.py::test_greeting", "--replay-seams=app.repo:load_user")

    result.assert_outcomes(failed=1)
    failures = result.outlines[
        result.outlines.index("=" * 35 + " FAILURES " + "=" * 35) + 1 : next(
            i for i, line in enumerate(result.outlines) if line.endswith(" seamrec " + "=" * 36)
        )
    ]
    assert [
        "_" * 32 + " test_greeting " + "_" * 33,
        "seam replay failed in tests/test_app.py::test_greeting",
        "  app.repo:load_user  replay failed",
        "    return['password']: the recorded str was redacted when it was recorded and "
        "cannot be given back",
        "    fix: narrow the replay patterns so that this seam runs for real, or stop "
        "redacting this field if it holds no secret",
        '  re-record: pytest --record-seams "tests/test_app.py::test_greeting"',
    ] == failures
    assert "seam drift" not in result.stdout.str()


def test_an_exception_through_a_seam_shows_no_frame_of_seamrec(orm_app: LayeredApp) -> None:
    orm_app.record("tests/test_app.py::test_lookup").assert_outcomes(failed=1)

    result = orm_app.check("tests/test_app.py::test_lookup")

    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "LookupError: no user 1" in text
    assert "app/service.py:13: in lookup" in text
    assert "seamrec/" not in text  # no frame of instrument.py, session.py


def test_a_replayed_sqlalchemy_mapped_object_is_one_the_orm_accepts(orm_app: LayeredApp) -> None:
    orm_app.record("tests/test_app.py::test_tag_joins_a_session").assert_outcomes(passed=1)

    result = orm_app.run(
        "tests/test_app.py::test_tag_joins_a_session", "--replay-seams=app.repo:find_tag"
    )

    result.assert_outcomes(passed=1)
    assert "1 calls replayed" in result.stdout.str()


def test_a_mapped_object_with_relationships_is_refused_with_the_fix(orm_app: LayeredApp) -> None:
    orm_app.record("tests/test_app.py::test_customer").assert_outcomes(passed=1)

    result = orm_app.run(
        "tests/test_app.py::test_customer", "--replay-seams=app.repo:find_customer"
    )

    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "replay failed" in text
    assert "leaves out its relationships (orders)" in text
    # said once in the failure section (with CI set, pytest repeats it in its summary)
    assert 1 == text.split("short test summary info")[0].count("narrow the replay patterns")


DJANGO_CONFTEST = """\
import django
import pytest
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["library"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()


@pytest.fixture(scope="session", autouse=True)
def tables():
    from django.db import connection

    from library.models import Author, Book

    with connection.schema_editor() as editor:
        editor.create_model(Author)
        editor.create_model(Book)
    ada = Author.objects.create(id=1, name="Ada")
    Book.objects.create(id=7, title="Notes", author=ada)
"""

DJANGO_MODELS = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    title = models.CharField(max_length=50)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
"""

DJANGO_SELECTORS = """\
from library.models import Book

REAL_CALLS: list[int] = []


def book(book_id: int) -> Book:
    REAL_CALLS.append(book_id)
    return Book.objects.get(id=book_id)
"""

DJANGO_SERVICE = """\
from library.selectors import book


def describe(book_id: int) -> str:
    found = book(book_id)
    found.title = found.title.upper()
    found.save()  # an UPDATE: Django takes it for a row from the database
    return f"{found.pk}: {found.title} by {found.author.name}"
"""

DJANGO_TESTS = """\
from pathlib import Path

from library.models import Book
from library.selectors import REAL_CALLS
from library.service import describe


def test_describe():
    assert "7: NOTES by Ada" == describe(7)
    assert 1 == Book.objects.count()
    Path("real_calls.txt").write_text(str(REAL_CALLS))
"""


@pytest.mark.subprocess_runs  # Django is configured once per process
def test_a_replayed_django_model_with_a_foreign_key_is_one_django_accepts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("django")
    files = {
        "pyproject.toml": PYPROJECT.replace('["app"]', '["library"]'),
        "library/__init__.py": "",
        "library/models.py": DJANGO_MODELS,
        "library/selectors.py": DJANGO_SELECTORS,
        "library/service.py": DJANGO_SERVICE,
        "tests/conftest.py": DJANGO_CONFTEST,
        "tests/test_library.py": DJANGO_TESTS,
    }
    app = fresh_project(pytester, monkeypatch, files)
    app.record().assert_outcomes(passed=1)

    result = app.run("--replay-seams=library.selectors:book")

    result.assert_outcomes(passed=1)
    assert "[]" == (app.root / "real_calls.txt").read_text()  # the selector was not called
    assert "1 calls replayed" in result.stdout.str()


def test_a_failing_shared_fixture_shows_no_frame_of_seamrec(layered_app: LayeredApp) -> None:
    layered_app.write(
        "tests/conftest.py",
        "import pytest\n\n\n@pytest.fixture(scope='module')\ndef broken():\n"
        "    raise RuntimeError('no database here')\n",
    )
    layered_app.write("tests/test_broken.py", "def test_needs_it(broken):\n    pass\n")

    result = layered_app.check("tests/test_broken.py")

    result.assert_outcomes(errors=1)
    text = result.stdout.str()
    assert "RuntimeError: no database here" in text
    assert "seamrec/" not in text  # no frame of the plugin's fixture hook
