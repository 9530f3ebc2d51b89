"""Shapes: the type skeleton of a value (types, keys, element shapes; no values).

A shape is a hashable tuple. Leaves are 1-tuples such as ``("int",)``. Every child
position of a composite holds a *union*: a tuple of the distinct shapes seen there.

    ("dict", type, keys, unions)         str-keyed mapping; keys in insertion order
    ("map", type, key_union, value_union) mapping with non-str keys (keys are data)
    ("coll", type, item_union)           list, set, frozenset, deque (length is data)
    ("tuple", type, unions)              each position has its own union
    ("ntuple" | "obj" | "row", type, fields, unions)   namedtuple, dataclass/object, db row
    ("exc", type, arg_unions)            exception instance
    ("args", names, unions)              bound arguments of one call
    ("enum", type) / ("opaque", type) / ("self", type) / ("cut", reason)
    ("str" | "bytes" | "int" | "float", format)   a leaf with its format class

A str, bytes, int or float leaf carries the format class of its values
(``("str", "hex(32)")``, see ``seamrec.model.formats``) when they all have the same one; a leaf
without one (``("str",)``) asserts no format, so older cassettes keep their meaning.

What is data is decided per class by ``seamrec.model.classify``: objects of classes outside the
boundaries are ``("opaque", type)``, service objects of the app are walked one level (a
field holding another service or a foreign object is its type only), and
a walk that runs out of its budget is cut with ``("cut", "budget")``.

``make_shape_function`` builds the hot-path walker: it reads only ``type()``,
``__dict__``/slots, items and row columns, never evaluates properties and never consumes
iterators. ``canonical`` sorts keys and unions so that key order is not drift, and
``compatible`` decides whether a live shape fits a recorded one.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import functools
import uuid
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, cast

from seamrec.model.classify import (
    DEFAULT,
    declared_fields,
    instance_fields,
    lazy_description,
    mapping_items,
    orm_fields,
    read_fields,
)

# Re-exported: these lived here before classification got its own module.
from seamrec.model.classify import Classifier as Classifier
from seamrec.model.classify import Kind as Kind
from seamrec.model.classify import object_fields as object_fields
from seamrec.model.classify import per_type as per_type
from seamrec.model.classify import read_row as read_row
from seamrec.model.classify import read_slots as read_slots
from seamrec.model.classify import slot_names as slot_names
from seamrec.model.classify import type_path as type_path
from seamrec.model.formats import (
    FORMAT_KINDS,
    classify,
    classify_bytes,
    classify_number,
    label_fits,
)
from seamrec.model.paths import REDACTED
from seamrec.model.shape_types import (
    KEYED_KINDS,
    POSITIONAL_KINDS,
    children,
    with_children,
)
from seamrec.model.shape_types import Shape as Shape  # the alias lives with the named kinds

ShapeFunction = Callable[[object], Shape]
ServiceColumns = Callable[[str, list[tuple[str, ...]], list[list[Any]], int], Shape]

LEAF_SHAPES: dict[type, Shape] = {
    type(None): ("None",),
    bool: ("bool",),
    int: ("int",),
    float: ("float",),
    complex: ("complex",),
    str: ("str",),
    bytes: ("bytes",),
    bytearray: ("bytearray",),
    decimal.Decimal: ("Decimal",),
    dt.date: ("date",),
    dt.timedelta: ("timedelta",),
    uuid.UUID: ("UUID",),
}
NAIVE_DATETIME: Shape = ("datetime",)
AWARE_DATETIME: Shape = ("datetime+tz",)
NAIVE_TIME: Shape = ("time",)
AWARE_TIME: Shape = ("time+tz",)
CYCLE: Shape = ("cut", "cycle")
TOO_DEEP: Shape = ("cut", "depth")
TOO_LARGE: Shape = ("cut", "budget")
EPOCH_START = 946_684_800  # below it no number has a format (seamrec.model.formats)
CYCLE_CHECK_DEPTH = 4
SHAPE_BUDGET = 200_000  # values visited per call before the walk is cut

kind_of = DEFAULT.kind  # the classification without settings (every class is the app's)

FORMAT_CLASSIFIERS: dict[type, Callable[[Any], str | None]] = {
    str: classify,
    bytes: classify_bytes,
    int: classify_number,
    float: classify_number,
}
_FORMAT_UNIONS: dict[tuple[type, str | None], Shape] = {}


def format_union(cls: type, label: str | None) -> Shape:
    """The (interned) union of one leaf of a format-bearing type with this class."""
    key = (cls, label)
    union = _FORMAT_UNIONS.get(key)
    if union is None:
        plain = LEAF_SHAPES[cls]
        union = _FORMAT_UNIONS[key] = (plain if label is None else (plain[0], label),)
    return union


def value_leaf_union(value: Any) -> Shape:
    """The union of one str, bytes, int or float value, with its format class."""
    cls = type(value)
    return format_union(cls, FORMAT_CLASSIFIERS[cls](value))


def column_leaf_union(cls: type, values: list[Any]) -> Shape:
    """The union of a column of format-bearing values of one type: their class when they
    all share it, else the plain leaf (values that disagree assert no format)."""
    if cls is str:
        distinct = set(values)  # repeated texts ("paid") are classified once
        if len(distinct) == 1:
            return format_union(str, classify(distinct.pop()))
        labels = set(map(classify, distinct))
    elif cls is bytes:
        labels = set(map(classify_bytes, values))
    else:
        try:
            if max(values) < EPOCH_START:  # the common case: small numbers
                return format_union(cls, None)
        except TypeError:
            pass
        labels = set(map(classify_number, values))
    return format_union(cls, labels.pop() if len(labels) == 1 else None)


@per_type
def dataclass_fields(cls: type) -> tuple[str, ...]:
    """The declared field names of a dataclass, attrs class or pydantic model, in order."""
    return declared_fields(cls) or ()


def make_shape_function(
    max_depth: int = 32,
    max_nodes: int = SHAPE_BUDGET,
    classifier: Classifier | None = None,
    on_cut: Callable[[str], None] | None = None,
) -> ShapeFunction:
    """Build the hot-path shape walker.

    The walker is columnar: the elements of a collection are not walked one by one but
    as columns (all the values under one key, all the items of all the lists), using
    C-level ``map``/``zip``. A list of 10,000 rows costs about as much as one row, and a
    field seen with several types becomes a union, e.g. ``(("str",), ("None",))``.

    `classifier` decides what is data (the codec must get the same one); service objects
    are walked one level: inside their fields, other services are opaque. `on_cut` is
    told once per call when the walk ran out of its `max_nodes` budget.
    """
    kind = (classifier or DEFAULT).kind
    budget = [0, False]
    active: set[int] = set()
    service_fields: list[ServiceColumns] = []

    def over_budget() -> Shape:
        if not budget[1]:
            budget[1] = True
            if on_cut is not None:
                on_cut("budget")
        return (TOO_LARGE,)

    deep = _walker(max_depth, max_nodes, kind, budget, active, over_budget, service_fields, False)
    shallow = _walker(max_depth, max_nodes, kind, budget, active, over_budget, service_fields, True)
    service_fields.append(shallow[1])
    single = deep[0]

    def shape_of(value: object) -> Shape:
        budget[0] = 0
        budget[1] = False
        try:
            shape: Shape = single(value, 0)[0]
        finally:
            active.clear()
        return shape

    shape_of.kind_of_class = kind  # type: ignore[attr-defined]  # read by `objectfit`
    from seamrec.model.accel import shape_function  # the compiled walker, when built

    return shape_function(shape_of, max_depth, max_nodes, kind, cuts=on_cut is None)


def _walker(
    max_depth: int,
    max_nodes: int,
    kind_of_class: Callable[[type], Kind],
    budget: list[Any],
    active: set[int],
    over_budget: Callable[[], Shape],
    service_fields: list[ServiceColumns],
    shallow: bool,
) -> tuple[
    Callable[[Any, int], Shape],
    ServiceColumns,
]:
    """The walking functions of one mode: `shallow` inside a service object's fields."""
    leaf_unions: dict[type, Shape] = {
        cls: (shape,) for cls, shape in LEAF_SHAPES.items() if cls not in FORMAT_CLASSIFIERS
    }
    get_leaf_union = leaf_unions.get
    get_classifier = FORMAT_CLASSIFIERS.get
    join = "".join
    is_identifier = str.isidentifier

    def single(value: Any, depth: int) -> Shape:
        """The union (of one shape) of a single value; the common case, kept lean."""
        cls = type(value)
        classify_one = get_classifier(cls)
        if classify_one is not None:
            return format_union(cls, classify_one(value))
        leaf = get_leaf_union(cls)
        if leaf is not None:
            return leaf
        if depth >= max_depth:
            return (TOO_DEEP,)
        budget[0] += 1
        if budget[0] > max_nodes:
            return over_budget()
        if depth < CYCLE_CHECK_DEPTH:
            return container(value, cls, depth)
        key = id(value)
        if key in active:
            return (CYCLE,)
        active.add(key)
        try:
            return container(value, cls, depth)
        finally:
            active.discard(key)

    def container(value: Any, cls: type, depth: int) -> Shape:
        if cls is dict:
            keys = tuple(value)
            try:
                join(keys)
            except TypeError:
                return (key_value_map([value], "dict", depth),)
            if not all(map(is_identifier, keys)):
                return (key_value_map([value], "dict", depth),)  # ids, dates, paths as keys
            return (("dict", "dict", keys, members(value.values(), depth + 1)),)
        if cls is list:
            return (("coll", "list", column(value, depth + 1)),)
        if cls is tuple:
            return (("tuple", "tuple", members(value, depth + 1)),)
        return of_class(cls, [value], depth)

    def members(values: Iterable[Any], depth: int) -> Shape:
        """The union of each value: leaves found by C-level map, the rest walked."""
        unions = tuple(map(get_leaf_union, map(type, values)))
        if None not in unions:
            return unions
        found = list(unions)
        index = 0
        for value in values:
            if found[index] is None:
                found[index] = single(value, depth)
            index += 1
        return tuple(found)

    def columns_of(rows: Iterable[Iterable[Any]], depth: int) -> Shape:
        """The union of each column of `rows` (rows of equal length)."""
        unions: list[Shape] = []
        for values in zip(*rows, strict=True):
            unions.append(column(list(values), depth))
        return tuple(unions)

    def column(values: list[Any], depth: int) -> Shape:
        """The union of the shapes of `values`, in first-seen order."""
        if len(values) == 1:
            return single(values[0], depth)
        if depth >= max_depth:
            return (TOO_DEEP,)
        budget[0] += len(values)
        if budget[0] > max_nodes:
            return over_budget()
        classes = set(map(type, values))
        if len(classes) == 1:
            return of_class(classes.pop(), values, depth)
        union: dict[Shape, None] = {}
        for cls in sorted(classes, key=type_path):
            members = [v for v in values if type(v) is cls]
            union.update(dict.fromkeys(of_class(cls, members, depth)))
        return tuple(union)

    def of_class(cls: type, values: list[Any], depth: int) -> Shape:
        if cls in FORMAT_CLASSIFIERS:
            return column_leaf_union(cls, values)
        leaf = get_leaf_union(cls)
        if leaf is not None:
            return leaf
        if cls is dict:
            return mappings(values, "dict", depth)
        if cls is list:
            return (("coll", "list", column(list(chain.from_iterable(values)), depth + 1)),)
        if cls is tuple:
            return tuples(values, "tuple", depth)
        return others(cls, values, depth)

    def mappings(values: list[Any], name: str, depth: int, is_map: bool = False) -> Shape:
        shapes: list[Shape] = []
        by_keys = set(map(tuple, values))
        for keys in by_keys if len(by_keys) == 1 else sort_keysets(by_keys):
            try:
                join(keys)
            except TypeError:
                return (key_value_map(values, name, depth),)
            if not all(map(is_identifier, keys)) or is_map:
                return (key_value_map(values, name, depth),)
            rows = values if len(by_keys) == 1 else [v for v in values if tuple(v) == keys]
            fields = columns_of(map(dict.values, rows), depth + 1) if keys else ()
            shapes.append(("dict", name, keys, fields))
        return tuple(shapes)

    def key_value_map(values: list[Any], name: str, depth: int) -> Shape:
        keys = list(chain.from_iterable(values))
        items = list(chain.from_iterable(map(dict.values, values)))
        return ("map", name, sort_union(column(keys, depth + 1)), column(items, depth + 1))

    def tuples(values: list[Any], name: str, depth: int) -> Shape:
        by_length = dict.fromkeys(map(len, values))
        shapes: list[Shape] = []
        for length in by_length:
            rows = values if len(by_length) == 1 else [v for v in values if len(v) == length]
            shapes.append(("tuple", name, columns_of(rows, depth + 1) if length else ()))
        return tuple(shapes)

    def named(
        kind: str, name: str, rows: list[tuple[tuple[str, ...], list[Any]]], depth: int
    ) -> Shape:
        return named_columns(kind, name, [f for f, _ in rows], [v for _, v in rows], depth)

    def named_columns(
        kind: str, name: str, fields: list[tuple[str, ...]], rows: list[list[Any]], depth: int
    ) -> Shape:
        by_fields = dict.fromkeys(fields)
        shapes: list[Shape] = []
        for names in by_fields:
            matching = (
                rows
                if len(by_fields) == 1
                else [v for f, v in zip(fields, rows, strict=True) if f == names]
            )
            shapes.append((kind, name, names, columns_of(matching, depth + 1) if names else ()))
        return tuple(shapes)

    def service_columns(
        name: str, fields: list[tuple[str, ...]], rows: list[list[Any]], depth: int
    ) -> Shape:
        return tuple(map(plain_fields, named_columns("obj", name, fields, rows, depth)))

    def others(cls: type, values: list[Any], depth: int) -> Shape:
        kind = kind_of_class(cls)
        if kind is Kind.DATETIME:
            aware = dict.fromkeys(v.tzinfo is not None for v in values)
            return tuple(AWARE_DATETIME if a else NAIVE_DATETIME for a in aware)
        if kind is Kind.TIME:
            aware = dict.fromkeys(v.tzinfo is not None for v in values)
            return tuple(AWARE_TIME if a else NAIVE_TIME for a in aware)
        name = type_path(cls)
        if kind is Kind.DICT:
            counter = issubclass(cls, collections.Counter)  # its keys are always data
            return mappings([dict(v) for v in values], name, depth, counter)
        if kind is Kind.MAPPING or kind is Kind.ENVIRON:
            try:
                rows = [dict(mapping_items(v)) for v in values]
            except Exception:  # a mapping that cannot be read is recorded by type
                return (("opaque", name),)
            return mappings(rows, name, depth, kind is Kind.ENVIRON)
        if kind is Kind.COLL:
            items = column(list(chain.from_iterable(values)), depth + 1)
            if issubclass(cls, set | frozenset):
                items = canonical_union(items)  # set order follows the hash seed
            return (("coll", name, items),)
        if kind is Kind.TUPLE:
            return tuples(values, name, depth)
        if kind is Kind.NTUPLE:
            fields = tuple(cast(Any, cls)._fields)
            return named("ntuple", name, [(fields, list(v)) for v in values], depth)
        if kind is Kind.DATACLASS:
            fields = dataclass_fields(cls)
            return named("obj", name, [(fields, read_fields(v, fields)) for v in values], depth)
        if kind is Kind.ORM:
            found = [orm_fields(v) for v in values]
            return named("obj", name, [(tuple(r), list(r.values())) for r in found], depth)
        if kind is Kind.SERVICE:
            if shallow:
                return (("opaque", name),)  # a service is never walked into from another
            found = [instance_fields(v, kind) for v in values]
            fields_of = service_fields[0]
            return fields_of(
                name, [tuple(r) for r in found], [list(r.values()) for r in found], depth
            )
        if kind is Kind.OBJECT or kind is Kind.SLOTS:
            found = [instance_fields(v, kind) for v in values]
            return named("obj", name, [(tuple(r), list(r.values())) for r in found], depth)
        if kind is Kind.ROW:
            return named("row", name, [read_row(v) for v in values], depth)
        if kind is Kind.EXC:
            return tuple(
                dict.fromkeys(
                    ("exc", name, t[2]) for t in tuples([v.args for v in values], "args", depth)
                )
            )
        if kind is Kind.ENUM:
            return (("enum", name),)
        if kind is Kind.LEAF:
            return (leaf_of_subclass(cls),)
        if kind is Kind.LAZY:
            return tuple(dict.fromkeys(("opaque", lazy_description(v)) for v in values))
        return (("opaque", name),)

    return single, service_columns


def plain_fields(service: Shape) -> Shape:
    """A service object's shape with only its plain fields walked: a field value that
    holds another service or a foreign object anywhere inside (a list of parsers, a dict
    holding the app) is recorded by its type only, as the codec records it."""
    names, unions = service[2], service[3]
    kept = tuple(tuple(map(_type_only_if_holding_objects, union)) for union in unions)
    return service if kept == unions else (service[0], service[1], names, kept)


def _type_only_if_holding_objects(shape: Shape) -> Shape:
    return ("opaque", shape[1]) if holds_objects(shape) else shape


def holds_objects(shape: Shape) -> bool:
    """Whether a composite shape holds, at any depth, a value recorded by its type only
    (a service, a foreign object, a lazy query)."""
    for _, union in children(shape):
        for member in union:
            if (len(member) == 2 and member[0] == "opaque") or holds_objects(member):
                return True
    return False


def sort_keysets(keysets: set[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Key tuples in a hash-seed independent order."""
    return sorted(keysets, key=repr)


def sort_union(union: Shape) -> Shape:
    """A union in sorted order, for unordered containers (set order is hash-dependent)."""
    return tuple(sorted(union)) if len(union) > 1 else union


@per_type
def leaf_of_subclass(cls: type) -> Shape:
    """Subclasses of leaf types keep their own name, e.g. ``("str:shop.Sku",)``."""
    for base in cls.__mro__:
        if base in LEAF_SHAPES:
            return (f"{LEAF_SHAPES[base][0]}:{type_path(cls)}",)
    return ("opaque", type_path(cls))


def self_shape(value: object) -> Shape:
    """`self`/`cls` are recorded as their type name only."""
    # type() only: a lazy object or a proxy runs code to answer `__class__`
    cls: type = value if issubclass(type(value), type) else type(value)  # type: ignore[assignment]
    return ("self", type_path(cls))


def args_shape(names: tuple[str, ...], shapes: list[Shape]) -> Shape:
    """The shape of bound arguments: parameter names, each with a union of one shape."""
    return ("args", names, tuple(zip(shapes)))


_KEYED = KEYED_KINDS
_POSITIONAL = POSITIONAL_KINDS


@functools.lru_cache(maxsize=8192)
def canonical(shape: Shape) -> Shape:
    """The same shape with keys and unions sorted, so key order never counts."""
    kind = shape[0]
    if len(shape) < 3:
        return shape
    if kind in _KEYED:
        pairs = sorted(zip(shape[2], map(canonical_union, shape[3]), strict=True))
        return (kind, shape[1], tuple(k for k, _ in pairs), tuple(u for _, u in pairs))
    if kind == "args":
        pairs = sorted(zip(shape[1], map(canonical_union, shape[2]), strict=True))
        return ("args", tuple(k for k, _ in pairs), tuple(u for _, u in pairs))
    if kind == "ntuple":
        return (kind, shape[1], shape[2], tuple(map(canonical_union, shape[3])))
    if kind == "coll":
        return ("coll", shape[1], canonical_union(shape[2]))
    if kind == "map":
        return ("map", shape[1], canonical_union(shape[2]), canonical_union(shape[3]))
    if kind in _POSITIONAL:
        return (kind, shape[1], tuple(map(canonical_union, shape[2])))
    return shape


def canonical_union(union: Shape) -> Shape:
    """A union with canonical members, deduplicated and sorted."""
    return tuple(sorted(set(map(canonical, union))))


def compatible(recorded: Shape, live: Shape) -> bool:
    """True when `live` fits what was recorded: same shape up to key order, where an empty
    collection fits anything and a union member is fine if it was recorded somewhere."""
    if recorded == live:
        return True
    return fits(canonical(recorded), canonical(live))


def fits(recorded: Shape, live: Shape) -> bool:
    """`compatible` for shapes that are already canonical."""
    if recorded == live:
        return True
    kind = recorded[0]
    if kind in FORMAT_KINDS:
        if live[0] != kind:
            return False
        return len(recorded) == 1 or label_fits(recorded[1], live[1] if len(live) > 1 else None)
    if kind == "cut":
        return True  # a cut (too deep, unfinished...) recorded nothing to compare with
    if kind != live[0] or len(recorded) < 3 or (recorded[1] != live[1] and kind != "args"):
        return False
    if kind in _KEYED or kind == "ntuple":
        if recorded[2] != live[2]:
            return REDACTED in recorded[2] and _fits_redacted(recorded, live)
        return all(map(fits_union, recorded[3], live[3]))
    if kind == "args":
        return recorded[1] == live[1] and all(map(fits_union, recorded[2], live[2]))
    if kind == "coll":
        return fits_union(recorded[2], live[2])
    if kind == "map":
        return fits_union(recorded[2], live[2]) and fits_union(recorded[3], live[3])
    if kind in _POSITIONAL:
        return len(recorded[2]) == len(live[2]) and all(map(fits_union, recorded[2], live[2]))
    return False


def _fits_redacted(recorded: Shape, live: Shape) -> bool:
    """Keys redacted at record time (secrets used as keys) each match one other live key."""
    known: dict[str, Shape] = {}
    wildcards: list[Shape] = []
    for key, union in zip(recorded[2], recorded[3], strict=True):
        if key == REDACTED:
            wildcards.append(union)
        else:
            known[key] = union
    extra: list[Shape] = []
    seen: set[str] = set()
    for key, union in zip(live[2], live[3], strict=True):
        if key in known:
            seen.add(key)
            if not fits_union(known[key], union):
                return False
        else:
            extra.append(union)
    if seen != set(known) or len(extra) != len(wildcards):
        return False
    for union in extra:
        partner = next((w for w in wildcards if fits_union(w, union)), None)
        if partner is None:
            return False
        wildcards.remove(partner)
    return True


def fits_union(recorded: Shape, live: Shape) -> bool:
    """Every live member fits a recorded one; an empty side (an empty collection) fits."""
    if recorded == live or not recorded or not live:
        return True
    return all(any(fits(r, member) for r in recorded) for member in live)


PathFormats = dict[tuple[Any, ...], set[Shape]]


def collect_formats(shape: Shape, path: tuple[Any, ...], found: PathFormats) -> None:
    """Note the format-bearing leaves of `shape` per path (a key, position or a
    marker of `seamrec.model.paths`)."""
    kind = shape[0]
    if kind in FORMAT_KINDS:
        found.setdefault((*path, kind), set()).add(shape)
        return
    for step, union in children(shape):
        for member in union:
            collect_formats(member, (*path, step), found)


def inconsistent_paths(found: PathFormats) -> set[tuple[Any, ...]]:
    """The paths where the recorded values disagree on a format: they are recorded as
    plain leaves."""
    return {path for path, leaves in found.items() if len(leaves) > 1}


def strip_formats(shape: Shape, path: tuple[Any, ...], plain: set[tuple[Any, ...]]) -> Shape:
    """`shape` with the format of every leaf at a path in `plain` dropped (the same
    object when nothing changes)."""
    kind = shape[0]
    if kind in FORMAT_KINDS:
        return (kind,) if len(shape) == 2 and (*path, kind) in plain else shape
    steps = children(shape)
    if not steps:
        return shape
    unions = tuple(
        tuple(dict.fromkeys(strip_formats(m, (*path, step), plain) for m in union))
        for step, union in steps
    )
    if all(new == old for new, (_, old) in zip(unions, steps, strict=True)):
        return shape
    return with_children(shape, unions)
