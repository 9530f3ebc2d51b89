"""seamrec.model.classify: what part of a value is data, decided once per class and shared by the
shape walker and the codec."""

import collections
import dataclasses
import functools
import os
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import attrs
import flask
import pydantic
import pytest
import sqlalchemy as sa
import sqlalchemy.orm

from seamrec.config import Limits
from seamrec.model.classify import Classifier, Kind
from seamrec.model.codec import ObjectView, OpaqueView, make_encoder, make_packer, pack, unpack
from seamrec.model.shape import Shape, make_shape_function

HERE = __name__
APP = Classifier(boundaries=(HERE,))  # this module plays the app
OTHER = Classifier(boundaries=("shop",))  # this module is foreign


def shape_in(classifier: Classifier, value: object) -> Shape:
    return make_shape_function(classifier=classifier)(value)


def decoded_in(classifier: Classifier, value: object) -> Any:
    return unpack(pack(make_encoder(Limits(), classifier)(value)))


def contains(shape: Any, part: Any) -> bool:
    if shape == part:
        return True
    return isinstance(shape, tuple) and any(contains(child, part) for child in shape)


# ------------------------------------------------------------------ data types


@dataclasses.dataclass
class Point:
    x: int
    y: int

    @property
    def explodes(self) -> int:
        raise RuntimeError("property evaluated")


class Pair(NamedTuple):
    left: str
    right: float


@attrs.define
class AttrsPoint:
    x: int
    label: str


@attrs.frozen
class FrozenAttrs:
    size: int


VALIDATED: list[str] = []


class Customer(pydantic.BaseModel):
    id: int
    email: str

    @pydantic.field_validator("email")
    @classmethod
    def lower(cls, value: str) -> str:
        VALIDATED.append(value)
        return value.lower()

    @property
    def domain(self) -> str:
        raise RuntimeError("property evaluated")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Point(1, 2), ("obj", f"{HERE}.Point", ("x", "y"), ((("int",),), (("int",),)))),
        (
            Pair("a", 1.0),
            ("ntuple", f"{HERE}.Pair", ("left", "right"), ((("str",),), (("float",),))),
        ),
        (
            AttrsPoint(1, "a"),
            ("obj", f"{HERE}.AttrsPoint", ("x", "label"), ((("int",),), (("str",),))),
        ),
        (FrozenAttrs(3), ("obj", f"{HERE}.FrozenAttrs", ("size",), ((("int",),),))),
        (
            collections.OrderedDict(a=1),
            ("dict", "collections.OrderedDict", ("a",), ((("int",),),)),
        ),
    ],
    ids=["dataclass", "namedtuple", "attrs", "attrs-slots", "dict-subclass"],
)
def test_foreign_data_types_are_walked(value: object, expected: Shape) -> None:
    assert expected == shape_in(OTHER, value)
    assert not isinstance(decoded_in(OTHER, value), OpaqueView)


def test_pydantic_model_records_its_declared_fields_without_running_validators() -> None:
    customer = Customer(id=1, email="ANN@EXAMPLE.COM")
    VALIDATED.clear()

    shape = shape_in(OTHER, customer)
    view = decoded_in(OTHER, customer)

    assert ("obj", f"{HERE}.Customer", ("id", "email"), ((("int",),), (("str", "email"),))) == shape
    assert ObjectView(f"{HERE}.Customer", (("id", 1), ("email", "ann@example.com"))) == view
    assert [] == VALIDATED


def test_sqlite_row_is_a_row_with_its_columns() -> None:
    with sqlite3.connect(":memory:") as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT 1 AS id, 'ann' AS name").fetchone()
    connection.close()

    assert ("row", "sqlite3.Row", ("id", "name"), ((("int",),), (("str",),))) == shape_in(
        OTHER, row
    )


def test_sqlalchemy_row_is_read_through_its_fields() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT 1 AS id, 2.5 AS total")).fetchone()
    engine.dispose()

    shape = shape_in(OTHER, row)
    view = decoded_in(OTHER, row)

    assert ("row", "sqlalchemy.engine.row.Row", ("id", "total"), ((("int",),), (("float",),))) == (
        shape
    )
    assert (("id", "total"), (1, 2.5)) == (view.columns, view.values)


def test_sqlalchemy_row_column_turning_decimal_into_float_changes_the_shape() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        as_float = connection.execute(sa.text("SELECT 2.5 AS total")).fetchone()
        as_text = connection.execute(sa.text("SELECT '2.5' AS total")).fetchone()
    engine.dispose()

    assert shape_in(OTHER, as_float) != shape_in(OTHER, as_text)


# ------------------------------------------------------------------ foreign = opaque


class Service:
    def __init__(self) -> None:
        self.name = "svc"
        self.retries = 3
        self.tags = ["a"]
        self.point = Point(1, 2)
        self.peer: object = None


def test_an_object_of_a_foreign_class_is_opaque_in_shape_and_payload() -> None:
    assert ("opaque", f"{HERE}.Service") == shape_in(OTHER, Service())
    assert OpaqueView(f"{HERE}.Service") == decoded_in(OTHER, Service())


def test_a_flask_app_is_one_opaque_type() -> None:
    app = flask.Flask("shop")

    assert ("opaque", "flask.app.Flask") == shape_in(OTHER, app)
    assert OpaqueView("flask.app.Flask") == decoded_in(OTHER, {"app": app})["app"]


def test_a_flask_proxy_outside_a_context_is_opaque_and_not_touched() -> None:
    for proxy in (flask.g, flask.current_app, flask.request):
        assert "opaque" == shape_in(APP, proxy)[0]
        assert isinstance(decoded_in(APP, proxy), OpaqueView)


def test_a_sqlalchemy_session_and_engine_are_opaque() -> None:
    engine = sa.create_engine("sqlite://")
    session = sa.orm.Session(engine)

    assert ("opaque", "sqlalchemy.orm.session.Session") == shape_in(OTHER, session)
    assert ("opaque", "sqlalchemy.engine.base.Engine") == shape_in(OTHER, engine)
    session.close()
    engine.dispose()


def test_record_types_walks_a_foreign_class_and_opaque_types_hides_a_data_type() -> None:
    record = Classifier(boundaries=("shop",), record_types=(f"{HERE}.Service",))
    hide = Classifier(boundaries=("shop",), opaque_types=(HERE,))

    assert "obj" == shape_in(record, Service())[0]
    assert ("opaque", f"{HERE}.Point") == shape_in(hide, Point(1, 2))
    assert OpaqueView(f"{HERE}.Point") == decoded_in(hide, Point(1, 2))


def test_record_types_walks_your_own_plain_class_as_data_into_nested_objects() -> None:
    entities = Classifier(boundaries=(HERE,), record_types=(f"{HERE}.Service",))
    service = Service()
    service.peer = Service()

    fields = dict(zip(*shape_in(entities, service)[2:], strict=True))

    assert "obj" == fields["peer"][0][0]
    assert "svc" == decoded_in(entities, service).get("peer").get("name")


def test_the_longer_override_wins() -> None:
    both = Classifier(("shop",), record_types=(f"{HERE}.Service",), opaque_types=(HERE,))

    assert Kind.OBJECT == both.kind(Service)
    assert Kind.OPAQUE == both.kind(Point)


# ------------------------------------------------------------ boundary services


def test_a_boundary_service_records_its_fields_and_never_walks_into_another_service() -> None:
    service = Service()
    service.peer = Service()

    shape = shape_in(APP, service)

    assert ("obj", f"{HERE}.Service") == shape[:2]
    fields = dict(zip(shape[2], shape[3], strict=True))
    assert (("str",),) == fields["name"]
    assert (("coll", "list", (("str",),)),) == fields["tags"]
    assert "obj" == fields["point"][0][0]  # data inside a service is walked
    assert (("opaque", f"{HERE}.Service"),) == fields["peer"]


def test_a_boundary_service_payload_agrees_with_its_shape() -> None:
    service = Service()
    service.peer = Service()

    view = decoded_in(APP, service)

    assert OpaqueView(f"{HERE}.Service") == view.get("peer")
    assert ["a"] == view.get("tags")


def test_the_fast_packer_walks_services_as_the_shape_does() -> None:
    service = Service()
    service.peer = Service()
    pack_payload = make_packer(Limits(), APP)

    view = unpack(pack_payload({"svc": service, "items": [service]}))

    assert OpaqueView(f"{HERE}.Service") == view["svc"].get("peer")
    assert OpaqueView(f"{HERE}.Service") == view["items"][0].get("peer")
    assert OpaqueView(f"{HERE}.Service") == unpack(make_packer(Limits(), OTHER)(service))


def test_services_inside_data_are_walked_one_level() -> None:
    first, second = Service(), Service()
    first.peer = second

    shape = shape_in(APP, [first])

    assert contains(shape, ("opaque", f"{HERE}.Service"))
    assert not contains(decoded_in(APP, [first])[0].get("peer"), "svc")


class Report:
    def __init__(self) -> None:
        self.title = "t"

    @functools.cached_property
    def total(self) -> int:
        return 42


def test_cached_property_values_are_never_fields() -> None:
    report = Report()
    before = shape_in(APP, report)
    assert 42 == report.total  # now cached in the instance __dict__

    assert before == shape_in(APP, report)
    assert ObjectView(f"{HERE}.Report", (("title", "t"),)) == decoded_in(APP, report)


# ------------------------------------------------------------ stable by construction


def test_os_environ_is_a_map_so_its_keys_are_never_a_schema() -> None:
    shape = shape_in(APP, os.environ)

    assert ("map", "os._Environ", (("str",),), (("str",),)) == shape


def test_environ_with_an_extra_variable_has_the_same_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    before = shape_in(APP, os.environ)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")

    assert before == shape_in(APP, os.environ)


class WeakKeyed:
    pass


def test_a_dict_with_object_keys_is_a_map_and_holds_no_address() -> None:
    value = {(WeakKeyed(), "index.html"): 1}

    shape = shape_in(APP, value)

    assert "map" == shape[0]
    assert "0x" not in repr(shape)


class LRUCache:
    """A mapping-like cache registered as a Mapping, as jinja2's is."""

    def __init__(self) -> None:
        self._data: dict[Any, Any] = {}
        self.reads = 0

    def __getitem__(self, key: Any) -> Any:
        self.reads += 1  # item access reorders a real LRU cache
        return self._data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._data[key] = value

    def keys(self) -> Iterator[Any]:
        return iter(self._data)

    def items(self) -> list[tuple[Any, Any]]:
        return list(self._data.items())

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)


Mapping.register(LRUCache)


def test_a_registered_mapping_with_object_keys_is_a_map_read_without_item_access() -> None:
    cache = LRUCache()
    cache[(WeakKeyed(), "index.html")] = "template"

    shape = shape_in(OTHER, cache)
    decoded_in(OTHER, cache)

    assert "map" == shape[0]
    assert "0x" not in repr(shape)
    assert 0 == cache.reads


def test_shapes_never_hold_a_memory_address() -> None:
    value = {"fn": len, "obj": object(), "keys": {object(): 1}, "svc": Service()}

    assert "0x" not in repr(shape_in(APP, value)) + repr(shape_in(OTHER, value))


# ------------------------------------------------------------------ budget


def test_a_walk_over_its_budget_is_cut_with_a_visible_marker_and_reported_once() -> None:
    cuts: list[str] = []
    walker = make_shape_function(max_nodes=50, on_cut=cuts.append)

    shape = walker([{"a": [i]} for i in range(1000)])

    assert contains(shape, ("cut", "budget"))
    assert ["budget"] == cuts
    assert not contains(walker([1, 2]), ("cut", "budget"))  # the budget is per call
    assert ["budget"] == cuts


def test_an_encoding_over_its_budget_is_cut_with_a_visible_marker() -> None:
    encode = make_encoder(Limits(max_items=10_000), max_nodes=20)

    decoded = unpack(pack(encode([[i] for i in range(100)])))

    assert "budget" == decoded[-1].reason
    assert [0] == decoded[0]


# ------------------------------------------------------------------ lazy results


@pytest.fixture(scope="module")
def book_model() -> Any:
    """A Django model (settings configured once, in memory; no query ever runs)."""
    import django  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]
    from django.db import models  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        )
        django.setup()

    class Book(models.Model):  # type: ignore[misc]
        title = models.CharField(max_length=100)

        class Meta:
            app_label = "contenttypes"

    return Book


def test_a_queryset_is_opaque_with_what_it_will_yield_and_never_runs(book_model: Any) -> None:
    instances = book_model.objects.filter(title="x")
    values = book_model.objects.values("id", "title")
    values_list = book_model.objects.values_list("id", "title")

    shapes = [shape_in(APP, q) for q in (instances, values, values_list)]

    queryset = "django.db.models.query.QuerySet"
    book = f"{HERE}.book_model.<locals>.Book"
    assert [
        ("opaque", f"{queryset}[{book}, ModelIterable]"),
        ("opaque", f"{queryset}[{book}, ValuesIterable: id, title]"),
        ("opaque", f"{queryset}[{book}, ValuesListIterable: id, title]"),
    ] == shapes
    assert OpaqueView(shapes[1][1]) == decoded_in(APP, values)
    assert [None, None, None] == [q._result_cache for q in (instances, values, values_list)]


def test_jinja2s_template_cache_is_a_map_and_keeps_its_order() -> None:
    from jinja2.utils import LRUCache as JinjaCache

    cache = JinjaCache(10)
    cache[(WeakKeyed(), "index.html")] = "index"
    cache[(WeakKeyed(), "base.html")] = "base"
    before = list(cache.keys())

    shape = shape_in(OTHER, cache)
    decoded_in(OTHER, cache)

    assert ("map", "jinja2.utils.LRUCache") == shape[:2]
    assert "0x" not in repr(shape)
    assert before == list(cache.keys())


# ------------------------------------------------------------------ ORM entities


class Base(sqlalchemy.orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: sqlalchemy.orm.Mapped[int] = sqlalchemy.orm.mapped_column(primary_key=True)
    name: sqlalchemy.orm.Mapped[str]
    books: sqlalchemy.orm.Mapped[list["Book"]] = sqlalchemy.orm.relationship()


class Book(Base):
    __tablename__ = "books"
    id: sqlalchemy.orm.Mapped[int] = sqlalchemy.orm.mapped_column(primary_key=True)
    author_id: sqlalchemy.orm.Mapped[int] = sqlalchemy.orm.mapped_column(
        sa.ForeignKey("authors.id")
    )


def test_an_orm_entity_records_its_loaded_columns_and_never_loads_anything() -> None:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with sqlalchemy.orm.Session(engine) as session:
        session.add(Author(id=1, name="Ann", books=[Book(id=1)]))
        session.commit()
        author = session.get(Author, 1)
        assert author is not None
        loaded = shape_in(OTHER, author)
        author.books  # noqa: B018 - loads the relationship into the instance __dict__
        after_reading_books = shape_in(OTHER, author)
        session.expire(author)
        expired = shape_in(OTHER, author)
        assert "name" not in vars(author)  # recording loaded nothing
    engine.dispose()

    author_path = f"{HERE}.Author"
    assert ("obj", author_path, ("id", "name"), ((("int",),), (("str",),))) == loaded
    assert loaded == after_reading_books
    assert ("obj", author_path, (), ()) == expired


class BrokenMapping:
    """A mapping-like class of the app whose keys() fails."""

    def keys(self) -> list[str]:
        raise RuntimeError("not now")

    def __getitem__(self, key: str) -> int:
        return 1


def test_a_mapping_that_cannot_be_read_is_opaque_in_shape_and_payload() -> None:
    assert ("opaque", f"{HERE}.BrokenMapping") == shape_in(APP, BrokenMapping())
    assert OpaqueView(f"{HERE}.BrokenMapping") == decoded_in(APP, BrokenMapping())


def test_a_mapping_like_class_of_the_app_with_name_keys_is_a_record() -> None:
    class Settings:
        def __init__(self) -> None:
            self._values = {"debug": True, "workers": 4}

        def keys(self) -> list[str]:
            return list(self._values)

        def __getitem__(self, key: str) -> object:
            return self._values[key]

    shape = shape_in(APP, Settings())

    assert ("dict", f"{HERE}.{Settings.__qualname__}", ("debug", "workers")) == shape[:3]
