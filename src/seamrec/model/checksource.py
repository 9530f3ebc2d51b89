"""The Python source of a shape's check: conform's closures written out node by node.

`Writer` mirrors ``seamrec.model.conform``'s dispatch (the same node kinds, the same
``_Undecidable``) and writes, per shape, one function for the value (or the bound
arguments) with every nested dict, tuple and single-value node inlined as straight-line
code (exact ``type(x) is T`` tests, ``x1, x2 = d.values()`` after the key-order test,
format classes by a direct classifier call), and one function per column a list holds
(one ``for`` loop over its rows). Rare nodes (format unions of several classes, enums,
opaque objects, values walked to decide) call their closure. Nothing of a shape is pasted
into the source: keys, labels and names are constants bound in the namespace the code
runs in, so a key is never code, and shapes of one structure share one code object.
`seamrec.model.checkgen` decides when a check is written.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from itertools import chain
from types import CodeType
from typing import Any

from seamrec.model import conform
from seamrec.model.formats import FORMAT_KINDS, asserted, label_fits
from seamrec.model.shape import (
    FORMAT_CLASSIFIERS,
    LEAF_SHAPES,
    Shape,
    ShapeFunction,
    column_leaf_union,
    compatible,
    type_path,
)

MAX_NODES = 4000  # a larger shape keeps conform's closures (compile cost, code size)
CACHE_SIZE = 2048  # code objects kept by their source text
CODE: dict[str, CodeType] = {}
"""Compiled code by source text (shapes of one structure have one source)."""

_TYPE_NAMES: dict[type, str] = {
    dict: "dict",
    list: "list",
    tuple: "tuple",
    str: "str",
    bytes: "bytes",
    int: "int",
    float: "float",
    bool: "bool",
    complex: "complex",
    bytearray: "bytearray",
    type(None): "NoneType",
    decimal.Decimal: "Decimal",
    dt.date: "date",
    dt.datetime: "datetime",
    dt.time: "time",
    dt.timedelta: "timedelta",
    uuid.UUID: "UUID",
}
_BASE: dict[str, object] = {
    **{name: cls for cls, name in _TYPE_NAMES.items()},
    "type": type,
    "len": len,
    "set": set,
    "map": map,
    "zip": zip,
    "isinstance": isinstance,
    "chain": chain,
    "label_fits": label_fits,
    "type_path": type_path,
    "column_leaf_union": column_leaf_union,
}


class TooLarge(Exception):
    """The shape has more nodes than is worth writing out."""


class Reference:
    """The closure check of a shape, built when first called (a column of other than one
    value, or arguments of another count: never on the hot path)."""

    def __init__(self, build: Callable[[], Callable[..., bool] | None]) -> None:
        self.build = build
        self.check: Callable[..., bool] | None = None

    def __call__(self, *args: Any) -> bool:
        if self.check is None:
            self.check = self.build()
            assert self.check is not None  # the generated check decided it exists
        return self.check(*args)


class _Function:
    """The lines of one generated function."""

    def __init__(self, name: str, parameters: str) -> None:
        self.name = name
        self.lines = [f"def {name}({parameters}):"]

    def add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


class Writer:
    """Writes the checks of one shape as Python source, mirroring conform's dispatch."""

    def __init__(self, shape_of: ShapeFunction, strict: bool, namespace: dict[str, object]) -> None:
        self.shape_of = shape_of
        self.strict = strict
        self.namespace = namespace
        namespace.update(_BASE)
        self.constants: dict[int, str] = {}
        self.functions: list[_Function] = []
        self.columns: dict[int, str] = {}
        self.variables = 0
        self.nodes = 0

    # ------------------------------------------------------------------ plumbing

    def const(self, value: object, prefix: str = "k") -> str:
        """The name a value is bound to in the generated namespace (never its text)."""
        if isinstance(value, type) and value in _TYPE_NAMES:
            return _TYPE_NAMES[value]
        name = self.constants.get(id(value))
        if name is None:
            name = self.constants[id(value)] = f"{prefix}{len(self.constants)}"
            self.namespace[name] = value
        return name

    def fresh(self, prefix: str = "x") -> str:
        self.variables += 1
        return f"{prefix}{self.variables}"

    def node(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise TooLarge

    def build(self, entry: str) -> Any:
        source = "\n".join("\n".join(f.lines) for f in self.functions) + "\n"
        code = CODE.get(source)
        if code is None:
            if len(CODE) >= CACHE_SIZE:
                CODE.clear()
            code = CODE[source] = compile(source, "<seamrec check>", "exec")
        exec(code, self.namespace)
        return self.namespace[entry]

    # ------------------------------------------------------------------ entry points

    def value_check(self, shape: Shape) -> conform.Check:
        shape_of, strict = self.shape_of, self.strict
        root = _Function("generated", "column")
        self.functions.append(root)
        reference = self.namespace.get("reference") or Reference(
            lambda: conform.pure_compile_value(shape, shape_of, strict=strict)
        )
        root.add(1, f"if len(column) != 1: return {self.const(reference, 'ref')}(column)")
        root.add(1, "x0 = column[0]")
        self.one((shape,), "x0", root, 1, None)
        root.add(1, "return True")
        check: conform.Check = self.build("generated")
        return check

    def args_check(self, shape: Shape) -> conform.ArgsCheck:
        shape_of, strict = self.shape_of, self.strict
        names, unions = shape[1], shape[2]
        root = _Function("generated", "live_names, values")
        self.functions.append(root)
        reference = self.namespace.get("reference") or Reference(
            lambda: conform.pure_compile_args(shape, shape_of, strict=strict)
        )
        variables = [self.fresh() for _ in unions]
        root.add(1, f"if live_names != {self.const(names)}: return False")
        root.add(1, f"if len(values) != {len(unions)}:")
        root.add(2, f"return {self.const(reference, 'ref')}(live_names, values)")
        if variables:
            root.add(1, f"{', '.join(variables)}, = values")
        for variable, union in zip(variables, unions, strict=True):
            if union and union[0][0] == "self":
                name = self.const(union[0][1])
                root.add(1, f"if not type_path({variable} if issubclass(type({variable}), type)")
                root.add(2, f"else type({variable})) == {name}: return False")
            else:
                self.one(union, variable, root, 1, None)
        root.add(1, "return True")
        check: conform.ArgsCheck = self.build("generated")
        return check

    # ------------------------------------------------------------------ one value

    def one(self, union: Shape, var: str, out: _Function, indent: int, known: type | None) -> None:
        """Lines that return False where conform's check of `union` says False on [var].
        `known`: the exact type of `var`, already tested."""
        self.node()
        strict = self.strict
        if not union:
            if strict:
                out.add(indent, "return False")
            return
        is_leaf = conform._is_leaf
        leaves = [m for m in union if is_leaf(m)]
        leaf_types = {conform._LEAF_TYPES[m[0]] for m in leaves}
        others = [m for m in union if not is_leaf(m)]
        formatted = any(m[0] in FORMAT_KINDS for m in leaves)
        if not others and formatted and strict:
            self.strict_format_one(leaves, var, out, indent, known)
        elif not others and any(len(m) == 2 for m in leaves):
            self.format_one(leaves, var, out, indent)
        elif not others:
            self.leaf_one(leaf_types, var, out, indent, known)
        elif not leaf_types and len(others) == 1:
            self.shape_one(others[0], var, out, indent, known)
        elif strict:
            raise conform._Undecidable
        else:
            self.per_value_one(union, var, out, indent)

    def per_value_one(self, union: Shape, var: str, out: _Function, indent: int) -> None:
        """conform._per_value_check on one value: the value's shape must fit a member. A
        value of a plain leaf type has the leaf's shape (the walker never walks it), so
        the leaf types that fit a member are accepted without walking them; a union
        holding a cut accepts every value."""
        if conform.fits_anything(union):
            return
        check = self.const(conform._per_value_check(union, self.shape_of), "ref")
        fitting = _fitting_leaf_types(union)
        if not fitting:
            out.add(indent, f"if not {check}([{var}]): return False")
            return
        kind = self.fresh("t")
        accepted = " or ".join(f"{kind} is {self.const(cls)}" for cls in fitting)
        out.add(indent, f"{kind} = type({var})")
        out.add(indent, f"if not ({accepted}) and not {check}([{var}]): return False")

    def per_value_column(self, union: Shape) -> str:
        if conform.fits_anything(union) or not _fitting_leaf_types(union):
            return self.const(conform._per_value_check(union, self.shape_of), "ref")
        function = self.function("v")
        function.add(1, "for x in c:")
        self.per_value_one(union, "x", function, 2)
        function.add(1, "return True")
        return function.name

    def delegate_one(self, check: conform.Check, var: str, out: _Function, indent: int) -> None:
        out.add(indent, f"if not {self.const(check, 'ref')}([{var}]): return False")

    def leaf_one(
        self, types: set[type], var: str, out: _Function, indent: int, known: type | None
    ) -> None:
        if len(types) == 1:
            (only,) = types
            if known is not only:
                out.add(indent, f"if {_is_not(var, only, self)}: return False")
        elif self.strict:
            out.add(indent, "return False")  # one value has one type
        else:
            tests = " and ".join(_is_not(var, cls, self) for cls in sorted(types, key=repr))
            out.add(indent, f"if {tests}: return False")

    def strict_format_one(
        self, leaves: list[Shape], var: str, out: _Function, indent: int, known: type | None
    ) -> None:
        if len(leaves) != 1:
            self.delegate_one(conform._strict_format_check(leaves), var, out, indent)
            return
        (leaf,) = leaves
        cls = conform._LEAF_TYPES[leaf[0]]
        label = leaf[1] if len(leaf) == 2 else None
        found = f"{self.const(FORMAT_CLASSIFIERS[cls], 'classify')}({var})"
        test = _differs(found, label, self)
        if known is not cls:
            test = f"type({var}) is not {self.const(cls)} or {test}"
        out.add(indent, f"if {test}: return False")

    def format_one(self, leaves: list[Shape], var: str, out: _Function, indent: int) -> None:
        """conform._format_check on one value: a plain leaf's type, or a type whose value
        keeps one of its recorded classes."""
        plain = [conform._LEAF_TYPES[m[0]] for m in leaves if len(m) == 1]
        labels: dict[type, list[str]] = {}
        for member in leaves:
            cls = conform._LEAF_TYPES[member[0]]
            if len(member) == 2 and cls not in plain:
                labels.setdefault(cls, []).append(member[1])
        kind = self.fresh("t")
        out.add(indent, f"{kind} = type({var})")
        branch = "if"
        if plain:
            tests = " or ".join(f"{kind} is {self.const(cls)}" for cls in dict.fromkeys(plain))
            out.add(indent, f"if {tests}: pass")
            branch = "elif"
        for cls, found in labels.items():
            out.add(indent, f"{branch} {kind} is {self.const(cls)}:")
            branch = "elif"
            if not all(asserted(label) for label in found):
                out.add(indent + 1, "pass")  # an observation asserts nothing: any value keeps it
                continue
            live = self.fresh("f")
            out.add(
                indent + 1, f"{live} = {self.const(FORMAT_CLASSIFIERS[cls], 'classify')}({var})"
            )
            keeps = " or ".join(
                f"{live} == {(name := self.const(label, 'label'))} or label_fits({name}, {live})"
                for label in found
            )
            out.add(indent + 1, f"if not ({keeps}): return False")
        out.add(indent, "else: return False")

    def shape_one(
        self, shape: Shape, var: str, out: _Function, indent: int, known: type | None
    ) -> None:
        kind = shape[0]
        if kind == "dict" and shape[1] == "dict":
            self.dict_one(shape, var, out, indent, known)
        elif kind == "coll" and shape[1] == "list":
            self.list_one(shape, var, out, indent, known)
        elif kind == "tuple" and shape[1] == "tuple":
            self.tuple_one(shape, var, out, indent, known)
        elif kind in conform._CLOCK_TYPES:
            cls = conform._CLOCK_TYPES[kind]
            test = f"{var}.tzinfo is {'' if kind.endswith('+tz') else 'not '}None"
            if known is not cls:
                test = f"type({var}) is not {self.const(cls)} or {test}"
            out.add(indent, f"if {test}: return False")
        elif kind in ("enum", "opaque"):
            name = self.const(shape[1])
            out.add(indent, f"if not type_path(type({var})) == {name}: return False")
        elif self.strict:
            raise conform._Undecidable
        else:
            self.per_value_one((shape,), var, out, indent)

    def dict_one(
        self, shape: Shape, var: str, out: _Function, indent: int, known: type | None
    ) -> None:
        """conform._dict_check's check_one: keys in order, then the fields' types, their
        format classes and the deeper fields, in that order."""
        plan = _DictPlan(shape, self.strict)
        keys = self.const(shape[2])
        test = f"tuple({var}) != {keys}"
        if known is not dict:
            test = f"type({var}) is not dict or {test}"
        out.add(indent, f"if {test}: return False")
        if not plan.keys:
            return
        values = [self.fresh() for _ in plan.keys]
        out.add(indent, f"{', '.join(values)}, = {var}.values()")
        typed = plan.types if plan.exact else {i: cls for i, cls in plan.plain}
        tests = [_is_not(values[i], cls, self) for i, cls in sorted(typed.items())]
        if tests:
            out.add(indent, f"if {' or '.join(tests)}: return False")
        for index, cls, label in plan.formats:
            found = f"{self.const(FORMAT_CLASSIFIERS[cls], 'classify')}({values[index]})"
            if not plan.exact:
                out.add(indent, f"if type({values[index]}) is not {self.const(cls)}: return False")
            if self.strict:
                out.add(indent, f"if {_differs(found, label, self)}: return False")
            else:
                live = self.fresh("f")
                name = self.const(label, "label")
                out.add(indent, f"{live} = {found}")
                out.add(indent, f"if {live} != {name} and not label_fits({name}, {live}):")
                out.add(indent + 1, "return False")
        for index, union in plan.deeper:
            self.one(union, values[index], out, indent, typed.get(index))

    def list_one(
        self, shape: Shape, var: str, out: _Function, indent: int, known: type | None
    ) -> None:
        items = self.column(shape[2])
        if known is not list:
            out.add(indent, f"if type({var}) is not list: return False")
        if not self.strict or not shape[2]:  # an empty list fits
            out.add(indent, f"if {var} and not {items}({var}): return False")
        else:
            out.add(indent, f"if not {var} or not {items}({var}): return False")

    def tuple_one(
        self, shape: Shape, var: str, out: _Function, indent: int, known: type | None
    ) -> None:
        unions: tuple[Shape, ...] = shape[2]
        test = f"len({var}) != {len(unions)}"
        if known is not tuple:
            test = f"type({var}) is not tuple or {test}"
        out.add(indent, f"if {test}: return False")
        if not unions:
            return
        items = [self.fresh() for _ in unions]
        out.add(indent, f"{', '.join(items)}, = {var}")
        for item, union in zip(items, unions, strict=True):
            self.one(union, item, out, indent, None)

    # ------------------------------------------------------------------ a column

    def column(self, union: Shape) -> str:
        """The name of a check of a column of values (conform's check of `union`)."""
        name = self.columns.get(id(union))
        if name is None:
            name = self.columns[id(union)] = self.column_check(union)
        return name

    def column_check(self, union: Shape) -> str:
        self.node()
        strict, shape_of = self.strict, self.shape_of
        if not union:
            return self.const(conform._empty if strict else conform._always, "ref")
        is_leaf = conform._is_leaf
        leaves = [m for m in union if is_leaf(m)]
        leaf_types = {conform._LEAF_TYPES[m[0]] for m in leaves}
        others = [m for m in union if not is_leaf(m)]
        formatted = any(m[0] in FORMAT_KINDS for m in leaves)
        if not others and formatted and strict:
            return self.const(conform._strict_format_check(leaves), "ref")
        if not others and any(len(m) == 2 for m in leaves):
            function = self.function("c")
            function.add(1, "for x in c:")
            self.format_one(leaves, "x", function, 2)
            function.add(1, "return True")
            return function.name
        if not others:
            return self.const(conform._leaf_check(frozenset(leaf_types), strict), "ref")
        if not leaf_types and len(others) == 1:
            shape = others[0]
            if shape[0] == "dict" and shape[1] == "dict":
                return self.dict_column(shape)
            if shape[0] == "coll" and shape[1] == "list":
                return self.list_column(shape)
            if shape[0] == "tuple" and shape[1] == "tuple":
                return self.tuple_column(shape)
            return self.const(conform._shape(shape, shape_of, strict), "ref")
        if strict:
            raise conform._Undecidable
        return self.per_value_column(union)

    def function(self, prefix: str) -> _Function:
        function = _Function(self.fresh(prefix), "c")
        self.functions.append(function)
        return function

    def dict_column(self, shape: Shape) -> str:
        """conform._dict_check on a column: every row a dict of these keys in order, every
        field's column checked (per row for types and fit classes, per column otherwise)."""
        plan = _DictPlan(shape, self.strict)
        function = self.function("d")
        name = function.name
        add = function.add
        add(1, "if not c: return False")
        add(1, "for r in c:")
        add(2, f"if type(r) is not dict or tuple(r) != {self.const(shape[2])}: return False")
        if not plan.keys:
            add(1, "return True")
            return name
        values = [self.fresh() for _ in plan.keys]
        typed = dict(plan.plain)
        typed.update((index, cls) for index, cls, _ in plan.formats)
        rowwise = not self.strict and plan.formats
        if typed or rowwise:
            add(2, f"{', '.join(values)}, = r.values()")
        tests = [_is_not(values[i], cls, self) for i, cls in sorted(typed.items())]
        if tests:
            add(2, f"if {' or '.join(tests)}: return False")
        if rowwise:
            for index, _, label in plan.formats:
                live = self.fresh("f")
                cls = typed[index]
                found = f"{self.const(FORMAT_CLASSIFIERS[cls], 'classify')}({values[index]})"
                label_name = self.const(label, "label")
                add(2, f"{live} = {found}")
                add(2, f"if {live} != {label_name} and not label_fits({label_name}, {live}):")
                add(3, "return False")
        columns = {index for index, _ in plan.deeper}
        if self.strict:
            columns.update(index for index, _, _ in plan.formats)
        if columns:
            fields = [self.fresh("col") for _ in plan.keys]
            add(1, f"{', '.join(fields)}, = zip(*map(dict.values, c))")
            if self.strict:
                for index, cls, label in plan.formats:
                    leaf = self.const((LEAF_SHAPES[cls][0], *((label,) if label else ())))
                    add(
                        1, f"if column_leaf_union({self.const(cls)}, {fields[index]})[0] != {leaf}:"
                    )
                    add(2, "return False")
            for index, union in plan.deeper:
                add(1, f"if not {self.column(union)}({fields[index]}): return False")
        add(1, "return True")
        return name

    def list_column(self, shape: Shape) -> str:
        items = self.column(shape[2])
        function = self.function("l")
        add = function.add
        add(1, "if not c: return False")
        add(1, "for x in c:")
        add(2, "if type(x) is not list: return False")
        add(1, "flat = list(chain.from_iterable(c))")
        empty_fits = not self.strict or not shape[2]
        add(1, f"return {items}(flat) if flat else {empty_fits}")
        return function.name

    def tuple_column(self, shape: Shape) -> str:
        unions: tuple[Shape, ...] = shape[2]
        positions = [self.column(union) for union in unions]
        function = self.function("p")
        add = function.add
        add(1, "if not c: return False")
        add(1, "for x in c:")
        add(2, f"if type(x) is not tuple or len(x) != {len(unions)}: return False")
        if positions:
            fields = [self.fresh("col") for _ in positions]
            add(1, f"{', '.join(fields)}, = zip(*c)")
            for field, position in zip(fields, positions, strict=True):
                add(1, f"if not {position}({field}): return False")
        add(1, "return True")
        return function.name


class _DictPlan:
    """How conform._dict_check splits the fields of a dict shape: by type only (plain),
    by type and format class, or by a deeper check."""

    def __init__(self, shape: Shape, strict: bool) -> None:
        self.keys: tuple[str, ...] = shape[2]
        unions: tuple[Shape, ...] = shape[3]
        types = tuple(conform._field_type(u) for u in unions)
        self.exact = None not in types
        self.types: dict[int, type] = {i: cls for i, cls in enumerate(types) if cls is not None}
        self.plain: list[tuple[int, type]] = []
        self.formats: list[tuple[int, type, str | None]] = []
        for index, (cls, u) in enumerate(zip(types, unions, strict=True)):
            if cls is None or len(u) != 1 or u[0][0] not in conform._LEAF_TYPES:
                continue
            label = u[0][1] if len(u[0]) == 2 and u[0][0] in FORMAT_KINDS else None
            if cls in FORMAT_CLASSIFIERS and (strict or (label is not None and asserted(label))):
                self.formats.append((index, cls, label))
            elif len(u[0]) == 1 or u[0][0] in FORMAT_KINDS:
                self.plain.append((index, cls))
        done = {index for index, _ in self.plain} | {f[0] for f in self.formats}
        self.deeper = [(index, u) for index, u in enumerate(unions) if index not in done]


def _fitting_leaf_types(union: Shape) -> list[type]:
    """The plain leaf types (no format class) whose leaf shape fits a member of `union`."""
    return [
        cls
        for cls, leaf in LEAF_SHAPES.items()
        if cls not in FORMAT_CLASSIFIERS and any(compatible(m, leaf) for m in union)
    ]


def _is_not(var: str, cls: type, writer: Writer) -> str:
    """The test that `var` is not exactly of type `cls`."""
    if cls is type(None):
        return f"{var} is not None"
    return f"type({var}) is not {writer.const(cls)}"


def _differs(found: str, label: str | None, writer: Writer) -> str:
    """The test that a classified value `found` is not of class `label` (None: none)."""
    if label is None:
        return f"{found} is not None"
    return f"{found} != {writer.const(label, 'label')}"
