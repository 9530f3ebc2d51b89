"""Find a module's seam candidates statically: functions, methods, properties and the
callables a module-level registry object holds, read through `seamrec.runtime.statics` only, so
no proxy, lazy object or mock is ever evaluated. Library modules (outside the
boundaries) offer the callables `seams` patterns name, by the name they have there."""

from __future__ import annotations

import fnmatch
import functools
import inspect
import keyword
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from seamrec.config import SeamPattern
from seamrec.frozen import FrozenRecord
from seamrec.runtime import statics
from seamrec.runtime.callproxy import is_call_proxy
from seamrec.runtime.wrappers import (
    Seam,
    SeamCachedProperty,
    SeamProperty,
    SeamWrapper,
    is_seam_wrapper,
)
from seamrec.runtime.wraptimport import wrapt


@dataclass(init=False, repr=False, eq=False)  # frozen: see seamrec.frozen
class Candidate(FrozenRecord):
    """A callable or property found in a module: where it lives and what it is."""

    owner: object  # the module or class holding it
    name: str  # the attribute name there
    value: object  # what is stored: function, classmethod, property, callable object
    qualname: str  # the seam's qualname
    kind: str  # "callable" | "property" | "cached_property"
    how: str = "attr"  # "attr": an attribute of owner; "item": a key of owner (a dict)

    def __init__(
        self,
        owner: object,
        name: str,
        value: object,
        qualname: str,
        kind: str,
        how: str = "attr",
    ) -> None:
        object.__setattr__(self, "owner", owner)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "qualname", qualname)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "how", how)


_CACHED_PROPERTY: type = functools.cached_property
_WRAPT_FUNCTION: type = wrapt.FunctionWrapper


def is_dunder(name: str) -> bool:
    """`__name__`-style names: never seams, and module plumbing (`__loader__`)."""
    return name.startswith("__") and name.endswith("__")


def func_of(method: object) -> Any:
    """The function inside a classmethod or staticmethod (its C member, read statically)."""
    owner = classmethod if issubclass(type(method), classmethod) else staticmethod
    return vars(owner)["__func__"].__get__(method)


def home_globals(function: object) -> object:
    """The globals of the innermost plain function behind `function` (None if none)."""
    for _ in range(100):
        kind = type(function)
        if kind is types.FunctionType:
            return function.__globals__  # type: ignore[attr-defined]
        if issubclass(kind, wrapt.ObjectProxy) or is_call_proxy(function):
            function = statics.lookup(kind, "__wrapped__").__get__(function)
            continue
        inner = statics.dict_entry(function, "__wrapped__")
        if inner is statics.MISSING:
            return None
        function = inner
    return None


def _innermost_function(value: object) -> types.FunctionType | None:
    """The plain function a decorator result stands for, found without running any code
    of the value: a function, a wrapt proxy (its `__wrapped__` slot), or a callable object
    whose instance `__dict__` holds `__wrapped__` (functools.wraps, lru_cache)."""
    for _ in range(100):
        kind = type(value)
        if kind is types.FunctionType:
            return value  # type: ignore[return-value]
        if issubclass(kind, wrapt.ObjectProxy) or is_call_proxy(value):
            value = statics.lookup(kind, "__wrapped__").__get__(value)
            continue
        if statics.is_proxy_type(kind) or not statics.is_callable_type(kind):
            return None
        inner = statics.dict_entry(value, "__wrapped__")
        if inner is statics.MISSING:
            return None
        value = inner
    return None


def _qualname_of(value: object, home: str) -> str | None:
    """The qualname of a function-like module global defined in `home`, or None."""
    kind = type(value)
    module: object
    qualname: object
    if kind is types.FunctionType:
        module, qualname = value.__module__, value.__qualname__  # type: ignore[attr-defined]
    elif issubclass(kind, _WRAPT_FUNCTION) and kind is not SeamWrapper:
        inner = _innermost_function(value)
        if inner is None:
            return None
        module, qualname = inner.__module__, inner.__qualname__
    elif statics.is_callable_type(kind) and not statics.is_proxy_type(kind):
        namespace = statics.instance_dict(value)  # functools.update_wrapper writes here
        if namespace is None or "__wrapped__" not in namespace:
            return None
        module, qualname = namespace.get("__module__"), namespace.get("__qualname__")
    else:
        return None
    if type(module) is not str or module != home or type(qualname) is not str:
        return None  # type() only: these came from an unknown object's namespace
    return qualname


def global_candidates(
    module: types.ModuleType, attr: str, value: object, skipped: dict[str, set[str]]
) -> Iterator[Candidate]:
    """The candidates a module global stands for: a function-like value defined here, the
    methods and properties of a class defined here, or the functions a registry object
    holds; a proxy is only noted in `skipped` (type path -> places)."""
    home = module.__name__
    kind = type(value)
    if is_seam_wrapper(value):
        return
    if statics.is_class(value):
        cls: type = value  # type: ignore[assignment]
        qualname = statics.class_qualname(cls)
        if statics.class_module(cls) == home and "<locals>" not in qualname:
            yield from class_candidates(cls, home, set(), skipped)
        return
    if statics.is_proxy_type(kind) and not issubclass(kind, wrapt.ObjectProxy):
        where = f"{home}.{attr}"
        skipped.setdefault(statics.type_path(kind), set()).add(where)
        return
    found = _qualname_of(value, home)
    if found is not None:
        yield Candidate(module, attr, value, found, "callable")
    elif not issubclass(kind, types.ModuleType | types.FunctionType):
        yield from _registry_candidates(value, home)


def _registry_candidates(holder: object, home: str) -> Iterator[Candidate]:
    """Functions of `home` that a module-level object keeps in its instance `__dict__`
    and that are no global of their own (Click's `Command.callback`): the object's owner
    calls them from another module, so they are seams, wrapped in place."""
    namespace = statics.instance_dict(holder)
    if not namespace:
        return
    for key, item in list(namespace.items()):
        if type(item) is types.FunctionType and type(key) is str and item.__module__ == home:
            yield Candidate(namespace, key, item, item.__qualname__, "callable", "item")


def class_candidates(
    cls: type, module: str, seen: set[int], skipped: dict[str, set[str]]
) -> Iterator[Candidate]:
    """Methods, class- and staticmethods, properties and nested classes of `cls`, read
    from its own namespace (never through a metaclass)."""
    if id(cls) in seen:
        return
    seen.add(id(cls))
    prefix = statics.class_qualname(cls)
    for attr, value in list(statics.class_dict(cls).items()):
        if is_dunder(attr):
            continue
        kind = type(value)
        if is_seam_wrapper(value) or kind is SeamProperty or kind is SeamCachedProperty:
            continue  # already wrapped (a proxy passes isinstance checks for what it wraps)
        qualname = f"{prefix}.{attr}"
        if statics.is_class(value):
            inner: type = value
            if statics.class_module(inner) == module and statics.class_qualname(inner).startswith(
                prefix + "."
            ):
                yield from class_candidates(inner, module, seen, skipped)
        elif kind is property:
            yield Candidate(cls, attr, value, qualname, "property")
        elif kind is _CACHED_PROPERTY:
            yield Candidate(cls, attr, value, qualname, "cached_property")
        elif issubclass(kind, classmethod | staticmethod):
            function = func_of(value)
            if type(function) is types.FunctionType:
                yield Candidate(cls, attr, value, function.__qualname__, "callable")
        elif kind is types.FunctionType:
            yield Candidate(cls, attr, value, value.__qualname__, "callable")
        elif statics.is_proxy_type(kind) and not issubclass(kind, wrapt.ObjectProxy):
            if not statics.is_data_descriptor_type(kind):  # ORM columns: attributes, not calls
                skipped.setdefault(statics.type_path(kind), set()).add(f"{module}.{qualname}")
        else:
            inner_qualname = _qualname_of(value, module)
            if inner_qualname is not None:
                yield Candidate(cls, attr, value, inner_qualname, "callable")


def library_candidates(
    module: types.ModuleType, namespace: list[tuple[str, Any]], patterns: tuple[SeamPattern, ...]
) -> Iterator[Candidate]:
    """Callables of a module outside the boundaries that `seams` patterns name, by the
    name they have there (`flask:render_template` although it is defined in
    flask.templating); a class's methods as `Class.method`."""
    home = module.__name__
    mine = [p for p in patterns if p.matches_module(home)]
    for attr, value in namespace:
        if type(attr) is not str or attr.startswith("__"):
            continue
        kind = type(value)
        if statics.is_class(value):
            cls: type = value
            for method, member in list(statics.class_dict(cls).items()):
                qualname = f"{attr}.{method}"
                if any(fnmatch.fnmatchcase(qualname, p.qualname) for p in mine):
                    member_kind = type(member)
                    if member_kind is property:
                        yield Candidate(cls, method, member, qualname, "property")
                    elif member_kind is types.FunctionType or issubclass(
                        member_kind, classmethod | staticmethod
                    ):
                        yield Candidate(cls, method, member, qualname, "callable")
        elif any(fnmatch.fnmatchcase(attr, p.qualname) for p in mine) and (
            kind is types.FunctionType
            or kind is types.BuiltinFunctionType
            or _innermost_function(value) is not None
        ):
            yield Candidate(module, attr, value, attr, "callable")


# What makes `inspect.signature` describe a plain function otherwise than its code does.
_SIGNATURE_MARKS = frozenset({"__wrapped__", "__signature__", "_partialmethod"})


def parameters_of(function: Any) -> tuple[list[str], str | None]:
    """The names of the positional parameters of `function` and of its `*args` (None if
    none), as `inspect.signature` gives them: read from the code object of a plain
    function nothing re-describes (no `__wrapped__`, `__signature__` or partialmethod in
    its `__dict__`), which costs a tenth. Raises what `inspect.signature` raises."""
    if type(function) is types.FunctionType and _SIGNATURE_MARKS.isdisjoint(function.__dict__):
        code = function.__code__
        count = code.co_argcount
        varargs = bool(code.co_flags & inspect.CO_VARARGS)
        varkw = bool(code.co_flags & inspect.CO_VARKEYWORDS)
        names = code.co_varnames[: count + code.co_kwonlyargcount + varargs + varkw]
        if all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
            var_positional = code.co_varnames[count + code.co_kwonlyargcount] if varargs else None
            return list(names[:count]), var_positional
        # a comprehension's `.0`: inspect renames it
    positional: list[str] = []
    var_positional = None
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append(parameter.name)
        elif parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = parameter.name
    return positional, var_positional


def describe(
    module: str, qualname: str, function: Any, original: object, library: bool
) -> Seam | None:
    try:
        positional, var_positional = parameters_of(function)
    except (TypeError, ValueError):
        if not library:
            return None
        # A C function without a signature: arguments recorded as `args` and by keyword.
        return Seam(f"{module}:{qualname}", module, qualname, "function", False, (), "args")
    in_class = "." in qualname
    has_self = in_class and type(original) is not staticmethod and bool(positional)
    if inspect.isasyncgenfunction(function):
        return None  # async generators are passed through untouched (documented)
    if inspect.iscoroutinefunction(function):
        kind = "async"
    elif inspect.isgeneratorfunction(function):
        kind = "generator"
    else:
        kind = "function"
    return Seam(
        id=f"{module}:{qualname}",
        module=module,
        qualname=qualname,
        kind=kind,
        has_self=has_self,
        positional=tuple(positional),
        var_positional=var_positional,
    )
