"""Fit checks of the members a plain dict, list or tuple check does not cover: class
instances, mappings of other classes, named tuples, exceptions, sets and other named
collections, and subclasses of leaf types.

Before, ``conform._per_value_check`` shaped every such value and compared the shapes
(``shape.compatible``): a DRF ``Request`` or a sqlite-utils ``Table`` walked on every
call of a check run. A check here reads the value the way the walker reads it (its
class's kind, its fields through ``classify``, never a property) and checks each field
against the recorded union with the usual compiled checks, so a fitting value is never
shaped. Like every fit check it says True only where the comparison of shapes would
(up to the walker's node budget, which no fit check counts); False leaves the value to
that comparison, so a check here can only spare work, never change a verdict.

A service object's fields were walked shallowly and any field holding an object was
recorded by its type only (``shape.plain_fields``), so its fields are checked the same
way: a field recorded by type fits a service or foreign object of that type, or a
builtin container of that type holding one directly; any other field is checked only
when its recorded shape holds no object, no cut and no empty collection (a live value
that fits it then holds no object either, so it was not recorded by type). A field
that cannot be decided so leaves the whole value to the comparison.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from itertools import chain
from typing import Any

from seamrec.model.classify import (
    ClassMemo,
    Kind,
    instance_fields,
    lazy_description,
    mapping_items,
    orm_fields,
    read_fields,
    type_path,
)
from seamrec.model.shape import FORMAT_CLASSIFIERS, LEAF_SHAPES, dataclass_fields
from seamrec.model.shape_types import FORMAT_KINDS, Shape

Check = Callable[[list[Any]], bool]
CompileUnion = Callable[[Shape], Check]
KindOf = Callable[[type], Kind]
FieldFit = Callable[[list[Any]], bool]  # a service's field, as a one-value column

_OBJECT_KINDS = frozenset({Kind.OBJECT, Kind.SLOTS, Kind.SERVICE, Kind.DATACLASS, Kind.ORM})
_BY_TYPE = (Kind.SERVICE, Kind.OPAQUE, Kind.LAZY)  # ("opaque", ...) in a service's field
_CONTAINERS = (list, tuple, set, frozenset, dict)  # recorded by type when holding an object
_MISSING = object()


def kind_function(shape_of: Callable[[object], Shape]) -> KindOf | None:
    """The classifier's kind of a class that `shape_of` walks with (None: unknown, so no
    value is read here)."""
    found: KindOf | None = getattr(shape_of, "kind_of_class", None)
    return found


def member_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check | None:
    """The fit check of one union member of a kind named above (None: none here), made
    once per member shape and `compile_union` (a walker's: the same object for every
    check of a run), however many recorded shapes hold the member."""
    if not _handled(member):
        return None
    key = (member, compile_union)
    try:
        return _made[key]
    except KeyError:
        pass
    except TypeError:  # a member that cannot be a key: made each time
        return _tiered(member, kind_of, compile_union)
    found = _tiered(member, kind_of, compile_union)
    if len(_made) >= _MADE_MAX:
        _made.clear()
    _made[key] = found
    return found


_made: dict[tuple[Shape, CompileUnion], Check | None] = {}
_MADE_MAX = 2048  # member checks kept
HOT_CALLS = 3  # values compared by shape before the member's own check is built


def _tiered(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check:
    """The member's check, built at its `HOT_CALLS`-th value: until then it says False
    (the value is shaped and compared, as before). Building it compiles a check of
    every field, which costs more than shaping one value: a member met once or twice
    in a run (a response whose data only one test returns) is never built."""
    built: list[Check] = []
    calls = [0]

    def check(column: list[Any]) -> bool:
        if built:
            return built[0](column)
        calls[0] += 1
        if calls[0] < HOT_CALLS:
            return False
        made = _member_check(member, kind_of, compile_union)
        assert made is not None  # `_handled` said there is one
        built.append(made)
        return made(column)

    return check


def _handled(member: Shape) -> bool:
    """Whether `_member_check` makes a check of `member` (without making it)."""
    kind, size = member[0], len(member)
    if kind in ("obj", "ntuple", "map"):
        return size == 4
    if kind == "dict":
        return size == 4 and member[1] != "dict"
    if kind == "coll":
        return size == 3 and member[1] != "list"
    if kind in ("tuple", "exc"):
        return size == 3 and member[:2] != ("tuple", "tuple")
    return size == 1 and ":" in kind


def forget() -> None:
    """Drop the kept member checks (a run's end: see `CheckStrategy.release`)."""
    _made.clear()


def _member_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check | None:
    kind = member[0]
    if kind == "obj" and len(member) == 4:
        return _object_check(member, kind_of, compile_union)
    if kind == "dict" and len(member) == 4:
        return _mapping_check(member, kind_of, compile_union)
    if kind == "map" and len(member) == 4:
        return _map_check(member, kind_of, compile_union)
    if kind == "coll" and len(member) == 3:
        return _collection_check(member, kind_of, compile_union)
    if kind in ("tuple", "exc") and len(member) == 3:
        return _positional_check(member, kind_of, compile_union)
    if kind == "ntuple" and len(member) == 4:
        return _named_tuple_check(member, kind_of, compile_union)
    if len(member) == 1 and ":" in kind:
        return _leaf_subclass_check(member, kind_of)
    return None


def classes_named(
    name: str, kind_of: KindOf, kinds: frozenset[Kind]
) -> Callable[[type], Kind | None]:
    """The kind of a class named `name` (by `type_path`) whose kind is one of `kinds`;
    None for any other class. Decided once per class."""
    memo: ClassMemo[Kind | None] = ClassMemo()  # keeps no class alive
    known = memo.held

    def decide(cls: type) -> Kind | None:
        kind = kind_of(cls)
        return kind if kind in kinds and type_path(cls) == name else None

    def kind_for(cls: type) -> Kind | None:
        found = known.get(cls, _MISSING)
        if found is _MISSING:
            found = memo.missed(cls, decide)
        return found  # type: ignore[return-value]

    return kind_for


def _object_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check:
    """("obj", type, names, unions): the instance's fields in order, each fitting its
    union (a service's fields as the walker records them: see the module docstring)."""
    names: tuple[str, ...] = member[2]
    unions: tuple[Shape, ...] = member[3]
    kind_for = classes_named(member[1], kind_of, _OBJECT_KINDS)
    compiled: dict[bool, list[Check] | None] = {}  # service? -> the field checks

    def field_checks(service: bool) -> list[Check] | None:
        if service not in compiled:
            if service:
                fields = [_service_field(u, kind_of, compile_union) for u in unions]
                compiled[service] = None if None in fields else fields  # type: ignore[assignment]
            else:
                compiled[service] = [compile_union(u) for u in unions]
        return compiled[service]

    def check(column: list[Any]) -> bool:
        for value in column:
            cls = type(value)
            kind = kind_for(cls)
            if kind is None:
                return False
            if kind is Kind.DATACLASS:
                declared = dataclass_fields(cls)
                if declared != names:
                    return False
                values = read_fields(value, declared)
            else:
                fields = orm_fields(value) if kind is Kind.ORM else instance_fields(value, kind)
                if tuple(fields) != names:
                    return False
                values = list(fields.values())
            checks = field_checks(kind is Kind.SERVICE)
            if checks is None:
                return False
            for field_check, field in zip(checks, values, strict=True):
                if not field_check([field]):
                    return False
        return True

    return check


def _mapping_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check | None:
    """("dict", type, keys, unions) of a class other than dict: the mapping read as the
    walker reads it (a dict copy, or its items), checked as a plain dict of these keys."""
    if member[1] == "dict":
        return None  # a plain dict has its own check
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.DICT, Kind.MAPPING}))
    plain = compile_union((("dict", "dict", member[2], member[3]),))

    def check(column: list[Any]) -> bool:
        for value in column:
            cls = type(value)
            kind = kind_for(cls)
            if kind is None:
                return False
            if kind is Kind.DICT and issubclass(cls, collections.Counter):
                return False  # a Counter is always a map
            read = _read_mapping(value, kind)
            if read is None or not plain([read]):
                return False
        return True

    return check


def _read_mapping(value: Any, kind: Kind) -> dict[Any, Any] | None:
    """The mapping's content as the walker reads it (None: it cannot be read)."""
    if kind is Kind.DICT:
        return dict(value)
    try:
        return dict(mapping_items(value))
    except Exception:  # a mapping that cannot be read is recorded by type
        return None


def _map_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check:
    """("map", type, keys, values): a mapping whose keys are not all identifiers (or a
    Counter, or the environment): its keys and its values each fit their union."""
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.DICT, Kind.MAPPING, Kind.ENVIRON}))
    keys_fit = compile_union(member[2]) if member[2] else None
    values_fit = compile_union(member[3]) if member[3] else None
    plain_dict = member[1] == "dict"

    def check(column: list[Any]) -> bool:
        for value in column:
            cls = type(value)
            if cls is dict:
                if not plain_dict:
                    return False
                read: dict[Any, Any] = value
                always_map = False
            else:
                kind = kind_for(cls)
                if kind is None:
                    return False
                always_map = kind is Kind.ENVIRON or (
                    kind is Kind.DICT and issubclass(cls, collections.Counter)
                )
                found = _read_mapping(value, kind)
                if found is None:
                    return False
                read = found
            keys = list(read)
            if not always_map and _identifiers(keys):
                return False  # walked as a dict of fields
            if not keys:
                continue  # empty columns fit any recorded union
            if keys_fit is not None and not keys_fit(keys):
                return False
            if values_fit is not None and not values_fit(list(read.values())):
                return False
        return True

    return check


def _identifiers(keys: list[Any]) -> bool:
    """The walker's test of a record's keys: str (a subclass too) and identifiers."""
    try:
        "".join(keys)
    except TypeError:
        return False
    return all(map(str.isidentifier, keys))


def _collection_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check | None:
    """("coll", type, items) of a class other than list: a set, deque or list subclass
    whose items fit the union (an empty one fits)."""
    if member[1] == "list":
        return None  # a plain list has its own check
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.COLL}))
    items_fit = compile_union(member[2]) if member[2] else None

    def check(column: list[Any]) -> bool:
        for value in column:
            if kind_for(type(value)) is None:
                return False
            if items_fit is not None:
                items = list(value)
                if items and not items_fit(items):
                    return False
        return True

    return check


def _positional_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check | None:
    """("tuple", type, unions) of a tuple subclass, or ("exc", type, unions) of an
    exception: the items (its `args`) checked as a plain tuple of these positions."""
    if member[0] == "tuple" and member[1] == "tuple":
        return None  # a plain tuple has its own check
    exception = member[0] == "exc"
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.EXC if exception else Kind.TUPLE}))
    plain = compile_union((("tuple", "tuple", member[2]),))

    def check(column: list[Any]) -> bool:
        for value in column:
            if kind_for(type(value)) is None:
                return False
            items = value.args if exception else tuple(value)
            if type(items) is not tuple or not plain([items]):
                return False
        return True

    return check


def _named_tuple_check(member: Shape, kind_of: KindOf, compile_union: CompileUnion) -> Check:
    """("ntuple", type, fields, unions): a named tuple of these fields, its items checked
    as a plain tuple of these positions."""
    names: tuple[str, ...] = member[2]
    kind_for = classes_named(member[1], kind_of, frozenset({Kind.NTUPLE}))
    plain = compile_union((("tuple", "tuple", member[3]),))

    def check(column: list[Any]) -> bool:
        for value in column:
            cls = type(value)
            if kind_for(cls) is None or tuple(cls._fields) != names:
                return False
            if not plain([tuple(value)]):
                return False
        return True

    return check


def _leaf_subclass_check(member: Shape, kind_of: KindOf) -> Check | None:
    """("str:app.Sku",): a value of that subclass of a leaf type."""
    base, _, name = member[0].partition(":")
    kind_for = classes_named(name, kind_of, frozenset({Kind.LEAF}))

    def check(column: list[Any]) -> bool:
        for value in column:
            cls = type(value)
            if kind_for(cls) is None or _leaf_name(cls) != base:
                return False
        return True

    return check


def _leaf_name(cls: type) -> str | None:
    """The leaf kind a subclass of a leaf type is recorded under (`leaf_of_subclass`)."""
    for base in cls.__mro__:
        if base in LEAF_SHAPES:
            kind: str = LEAF_SHAPES[base][0]
            return kind
    return None


# ---------------------------------------------------------------- a service's fields


def _service_field(union: Shape, kind_of: KindOf, compile_union: CompileUnion) -> FieldFit | None:
    """The fit of one field of a service object, as `shape.plain_fields` recorded it:
    a value fits when one member's test accepts it (None: a member no test here
    decides, so the field, and the service, is left to the comparison of shapes)."""
    if any(member[0] == "cut" for member in union):
        return _any_field
    tests: list[FieldFit] = []
    for member in union:
        if len(member) == 2 and member[0] == "opaque":
            tests.append(_by_type(member[1], kind_of))
        elif holds_no_object(member):
            tests.append(compile_union((member,)))
        elif not _names_objects(member):
            tests.append(_without_objects(compile_union((member,))))
        else:
            return None
    if len(tests) == 1:
        return tests[0]

    def fits(column: list[Any]) -> bool:
        return any(test(column) for test in tests)

    return fits


def _any_field(column: list[Any]) -> bool:
    return True


def _by_type(name: str, kind_of: KindOf) -> FieldFit:
    """A field recorded as ("opaque", `name`): a service or foreign object of that type
    (or a lazy query so described), which the walker never walks into there, or a
    builtin container of that type with such an object among its items, keys or values
    (its shape held an object, so the field was recorded by type)."""
    never = frozenset(LEAF_SHAPES) | frozenset(FORMAT_CLASSIFIERS) | frozenset(_CONTAINERS)
    memo: ClassMemo[Kind | None] = ClassMemo()  # keeps no class alive
    kinds = memo.held

    def decide(cls: type) -> Kind | None:
        kind = None if cls in never else kind_of(cls)
        return kind if kind in _BY_TYPE else None

    def kind_by_type(cls: type) -> Kind | None:
        found = kinds.get(cls, _MISSING)
        if found is _MISSING:
            found = memo.missed(cls, decide)
        return found  # type: ignore[return-value]

    def fits(column: list[Any]) -> bool:
        value = column[0]
        cls = type(value)
        if cls in _CONTAINERS:
            if cls.__name__ != name:
                return False
            items = chain(value, value.values()) if cls is dict else value
            return any(kind_by_type(type(item)) is not None for item in items)
        kind = kind_by_type(cls)
        if kind is Kind.LAZY:
            return lazy_description(value) == name
        return kind is not None and type_path(cls) == name

    return fits


def _without_objects(check: Check) -> FieldFit:
    """`check`, for a recorded shape where a fitting value may hold more than its shape
    says (an empty collection, a cut): the value must also hold builtin data only."""

    def fits(column: list[Any]) -> bool:
        return check(column) and _builtin_data(column[0], _SCAN_DEPTH)

    return fits


_SCAN_DEPTH = 32  # deeper than this, a value is not known to hold builtin data only


def _builtin_data(value: Any, depth: int) -> bool:
    """Exact builtin containers and leaf types all the way down."""
    cls = type(value)
    if cls in LEAF_SHAPES or cls in FORMAT_CLASSIFIERS:
        return True
    if cls not in _CONTAINERS or depth <= 0:
        return False
    items = chain(value, value.values()) if cls is dict else value
    return all(_builtin_data(item, depth - 1) for item in items)


def _names_objects(shape: Shape) -> bool:
    """A shape naming an object anywhere: a value fitting it holds one."""
    kind = shape[0]
    if kind in ("obj", "opaque", "self"):
        return True
    return any(_names_objects(member) for _, union in _children(shape) for member in union)


def _children(shape: Shape) -> list[tuple[int, Shape]]:
    kind = shape[0]
    if len(shape) < 3:
        return []
    if kind in ("dict", "obj", "ntuple", "row"):
        return list(enumerate(shape[3]))
    if kind == "map":
        return [(0, shape[2]), (1, shape[3])]
    if kind == "coll":
        return [(0, shape[2])]
    if kind in ("tuple", "exc"):
        return list(enumerate(shape[2]))
    return []


def holds_no_object(shape: Shape) -> bool:
    """A recorded shape any fitting value of which holds no object, no cut and no empty
    collection: leaves, clocks, enums, subclasses of leaf types, and records, maps,
    collections and tuples of such, each position with at least one member."""
    kind = shape[0]
    if len(shape) == 1 or kind in FORMAT_KINDS:
        return True
    if kind == "enum":
        return True
    if kind not in ("dict", "ntuple", "map", "coll", "tuple", "exc"):
        return False  # opaque, cut, self; an object is walked differently in a service
    return all(union and all(map(holds_no_object, union)) for _, union in _children(shape))
