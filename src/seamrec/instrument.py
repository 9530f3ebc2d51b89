"""Find the seams of the configured modules and wrap them with wrapt (the only wrapt import).

Modules are instrumented right after they execute, through an import hook installed
before conftest.py is imported; modules imported earlier are instrumented on install.
Module globals and class attributes are classified statically (`seamrec.statics`): a
proxy such as `flask.g` is never evaluated, only named. Each candidate is wrapped on its
own, so one failure loses one seam, and that seam is named. References taken before
wrapping are redirected by `seamrec.aliases`.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import functools
import gc
import importlib.abc
import importlib.machinery
import inspect
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

import wrapt

from seamrec import statics
from seamrec.aliases import Redirector, Restore
from seamrec.config import SeamPattern, Settings


@dataclass(frozen=True)
class Seam:
    """One wrapped callable and how to bind its arguments to parameter names."""

    id: str
    module: str
    qualname: str
    kind: str  # "function" | "async" | "generator"
    has_self: bool
    positional: tuple[str, ...]
    var_positional: str | None

    def bind(
        self, instance: object, args: Sequence[object], kwargs: dict[str, object]
    ) -> tuple[tuple[str, ...], list[object]]:
        """Names and values of the arguments, as `f(1, 2)` and `f(a=1, b=2)` agree on."""
        positional = self.positional
        if self.has_self:
            names: tuple[str, ...] = positional[:1]
            values: list[object] = [instance]
            positional = positional[1:]
        else:
            names, values = (), []
        count = len(args)
        if count <= len(positional):
            names += positional[:count]
            values.extend(args)
        else:
            names += positional
            values.extend(args[: len(positional)])
            names += (self.var_positional or "*args",)
            values.append(tuple(args[len(positional) :]))
        if kwargs:
            names += tuple(kwargs)
            values.extend(kwargs.values())
        return names, values


class Dispatcher(Protocol):
    """What the wrappers hand a crossing call to (the session implements it)."""

    def crossing(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any: ...


if TYPE_CHECKING:
    _FunctionWrapper = wrapt.FunctionWrapper[..., Any]
    _BoundFunctionWrapper = wrapt.BoundFunctionWrapper[..., Any]
else:
    _FunctionWrapper = wrapt.FunctionWrapper
    _BoundFunctionWrapper = wrapt.BoundFunctionWrapper


class SeamBoundWrapper(_BoundFunctionWrapper):
    """A wrapped method bound to its instance; pickles and copies like a bound method."""

    def __copy__(self) -> SeamBoundWrapper:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Any:
        """Like a bound method: the copy is bound to a deep copy of the instance."""
        owner = self._receiver()
        if owner is None or isinstance(owner, type):
            return self
        return getattr(copy.deepcopy(owner, memo), self.__name__)

    def __reduce_ex__(self, protocol: Any) -> Any:
        owner = self._receiver()
        if owner is None:
            owner = getattr(self, "_self_owner", None)  # a staticmethod read from its class
        return getattr, (owner, self.__name__)

    def _receiver(self) -> Any:
        """The instance or class the method is bound to (None for a staticmethod)."""
        return getattr(self.__wrapped__, "__self__", None)


class SeamWrapper(_FunctionWrapper):
    """A wrapt FunctionWrapper that knows its seam and survives copy and pickle."""

    __bound_function_wrapper__ = SeamBoundWrapper

    def __init__(self, wrapped: Any, wrapper: Any, seam: Seam) -> None:
        super().__init__(wrapped, wrapper)
        self._self_seam = seam

    @property
    def seam(self) -> Seam:
        """The seam this wrapper records."""
        seam: Seam = self._self_seam
        return seam

    def __copy__(self) -> SeamWrapper:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> SeamWrapper:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickled by reference, like the function itself: unpickling finds the wrapper.
        return self._self_seam.qualname


@dataclass
class Report:
    """What instrumentation did, for the terminal summary."""

    seams: dict[str, Seam] = field(default_factory=dict)
    unredirected: dict[str, set[str]] = field(default_factory=dict)
    redirected: int = 0
    errors: list[str] = field(default_factory=list)
    considered: set[tuple[str, str]] = field(default_factory=set)
    # type path -> "module.name" of each value never evaluated (proxies, lazy objects)
    skipped: dict[str, set[str]] = field(default_factory=dict)
    # seam id (or module name) -> why seamrec could not wrap it: its calls are not recorded
    lost: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A callable or property found in a module: where it lives and what it is."""

    owner: object  # the module or class holding it
    name: str  # the attribute name there
    value: object  # what is stored: function, classmethod, property, callable object
    qualname: str  # the seam's qualname
    kind: str  # "callable" | "property" | "cached_property"
    how: str = "attr"  # "attr": an attribute of owner; "item": a key of owner (a dict)


def caller_frame_depth() -> int:
    """How many frames above a wrapt wrapper the caller sits (1 with wrapt's C extension)."""
    seen: list[int] = []

    def probe(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        for depth in range(1, 6):
            if sys._getframe(depth).f_code is caller_frame_depth.__code__:
                seen.append(depth)
                break
        return wrapped(*args, **kwargs)

    wrapt.FunctionWrapper(lambda: None, probe)()
    return seen[0] if seen else 1


class Instrumenter:
    """Wraps seams in place and puts everything back on `uninstall`."""

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        boundaries: tuple[str, ...] | None = None,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        # The app's packages: library seams (`seams` patterns naming callables outside
        # them) are recorded only when called from these. Replay wraps with no boundaries.
        self.boundaries = settings.boundaries if boundaries is None else boundaries
        self.report = Report()
        self._undo: list[Callable[[], None]] = []
        self._finder: _SeamFinder | None = None
        self._seen: set[str] = set()
        self._depth = caller_frame_depth()
        self._in_boundaries = functools.lru_cache(maxsize=4096)(self._boundary_module)

    def _boundary_module(self, module: str) -> bool:
        return any(module == b or module.startswith(b + ".") for b in self.boundaries)

    def is_library(self, module: str) -> bool:
        """Whether seams of `module` are library seams (there are boundaries, and the
        module is outside them): found by exposed name, recorded only from the app."""
        return bool(self.boundaries) and not self._in_boundaries(module)

    def install(self) -> None:
        """Instrument imported modules in scope and hook future imports."""
        self._finder = _SeamFinder(self)
        sys.meta_path.insert(0, self._finder)
        self.catch_up()

    def extend(self, patterns: tuple[SeamPattern, ...]) -> None:
        """Also wrap the seams named by `patterns` (for markers found at collection)."""
        fresh = tuple(p for p in patterns if p not in self.settings.seams)
        if not fresh:
            return
        self.settings = dataclasses.replace(self.settings, seams=self.settings.seams + fresh)
        for name, module in list(sys.modules.items()):
            if issubclass(type(module), types.ModuleType) and self.settings.module_in_scope(name):
                self.instrument_module(module)

    def uninstall(self) -> None:
        """Remove the import hook and restore every original callable and alias."""
        if self._finder is not None and self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        self._finder = None
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def catch_up(self) -> None:
        """Instrument modules in scope that were imported without passing our hook."""
        for name in self.unseen_modules():
            self.instrument_module(sys.modules[name])

    def unseen_modules(self) -> list[str]:
        """Modules in scope that are imported but were never instrumented."""
        return sorted(
            name
            for name, module in list(sys.modules.items())
            if issubclass(type(module), types.ModuleType)
            and name not in self._seen
            and self.settings.module_in_scope(name)
        )

    def instrument_module(self, module: types.ModuleType) -> None:
        """Wrap the seams defined in `module`, then redirect aliases to them. A failure
        loses the one seam it happened on, and names it."""
        name = module.__name__
        self._seen.add(name)
        try:
            candidates = list(self._candidates(module))
        except Exception as exc:  # never break the import of the user's module
            self.report.lost[name] = f"the module could not be searched for seams: {exc!r}"
            return
        replaced: list[tuple[Candidate, Any]] = []
        taken: set[int] = set()
        candidates.sort(key=lambda c: c.how != "attr")  # a registry entry may be a global too
        for candidate in candidates:
            seam_id = f"{name}:{candidate.qualname}"
            if id(candidate.value) in taken:
                continue  # wrapped where it is a global; aliases are redirected below
            taken.add(id(candidate.value))
            try:
                wrapper = self._wrap(name, candidate)
                if wrapper is not None:
                    if candidate.how == "item":
                        cast(dict[str, Any], candidate.owner)[candidate.name] = wrapper
                    else:
                        setattr(candidate.owner, candidate.name, wrapper)
                    replaced.append((candidate, wrapper))
                    self._undo.append(
                        Restore(candidate.owner, candidate.how, candidate.name, candidate.value)
                    )
            except Exception as exc:  # this seam is lost, the others are wrapped
                self.report.seams.pop(seam_id, None)
                self.report.lost[seam_id] = f"could not be wrapped: {exc!r}"
        callables = [(c.value, w) for c, w in replaced if c.kind == "callable"]
        namespace = None if self.is_library(name) else vars(module)
        functions: list[types.FunctionType] | None = None
        if callables:
            ours = {id(candidates), id(replaced), id(callables), *map(id, candidates)}
            ours |= {id(pair) for pair in replaced} | {id(pair) for pair in callables}
            functions = self._redirect_aliases(callables, ours, namespace)
        if namespace is not None:
            if functions is None:
                functions = [
                    f for f in gc.get_referrers(namespace) if type(f) is types.FunctionType
                ]
            self._wrap_hidden(module, functions, {c.qualname for c in candidates})

    def _wrap_hidden(
        self, module: types.ModuleType, functions: list[types.FunctionType], taken: set[str]
    ) -> None:
        """Wrap the public functions of `module` that no global or class attribute holds,
        only a registry (DRF's `@api_view` keeps the view in a closure of the class it
        builds). Each is kept only if a holder could be pointed at its wrapper."""
        namespace = vars(module)
        home = module.__name__
        hidden = [
            referrer
            for referrer in functions
            if referrer.__globals__ is namespace
            and referrer.__module__ == home
            and "<" not in referrer.__qualname__
            and referrer.__qualname__ not in taken
            and self.settings.is_seam(home, referrer.__qualname__)
        ]
        for function in hidden:
            seam_id = f"{home}:{function.__qualname__}"
            try:
                self._wrap_held(function, seam_id, {id(hidden), id(functions)})
            except Exception as exc:  # this seam is lost, the others are wrapped
                self.report.seams.pop(seam_id, None)
                self.report.lost[seam_id] = f"could not be wrapped: {exc!r}"

    def _wrap_held(self, function: types.FunctionType, seam_id: str, ours: set[int]) -> None:
        seam = _describe(function.__module__, function.__qualname__, function, function, False)
        if seam is None or seam_id in self.report.seams:
            return
        wrapper = SeamWrapper(function, self._wrapper_for(seam, function.__globals__, False), seam)
        redirector = Redirector({id(function): (function, wrapper)}, ours)
        try:
            redirector.run()
        finally:
            self._undo.extend(redirector.undo)
        if not redirector.redirected:
            return  # nothing reaches it through seamrec's wrapper: not counted as a seam
        self.report.seams[seam.id] = seam
        self.report.redirected += redirector.redirected
        for holders in redirector.holders.values():
            self.report.unredirected.setdefault(seam.id, set()).update(holders)

    def _candidates(self, module: types.ModuleType) -> Iterator[Candidate]:
        home = module.__name__
        namespace = list(vars(module).items())
        if self.is_library(home):
            yield from _library_candidates(module, namespace, self.settings.seams)
            return
        for attr, value in namespace:
            if type(attr) is not str or _is_dunder(attr):
                continue  # dunders are never seams (`__loader__`, `__builtins__`...)
            try:
                yield from _global_candidates(module, attr, value, self.report)
            except Exception as exc:  # classified statically, yet something refused
                self._skip(value, f"{home}.{attr}", exc)

    def _skip(self, value: object, where: str, exc: Exception | None = None) -> None:
        path = statics.type_path(type(value))
        label = path if exc is None else f"{path}, {type(exc).__name__}"
        self.report.skipped.setdefault(label, set()).add(where)

    def _wrap(self, module: str, candidate: Candidate) -> Any:
        qualname = candidate.qualname
        self.report.considered.add((module, qualname))
        if "<" in qualname or not self.settings.is_seam(module, qualname):
            return None
        seam_id = f"{module}:{qualname}"
        library = self.is_library(module)
        if candidate.kind != "callable":
            seam = Seam(seam_id, module, qualname, "function", True, ("self", "value"), None)
            self.report.seams[seam.id] = seam
            route = self._route(seam, None, library)
            if candidate.kind == "property":
                return _SeamProperty(cast(property, candidate.value), seam, route)
            return _SeamCachedProperty(cast(Any, candidate.value), seam, route)
        original = candidate.value
        kind = type(original)
        function = _func_of(original) if issubclass(kind, classmethod | staticmethod) else original
        if type(function) is SeamWrapper:
            return None  # already wrapped
        described = _describe(module, qualname, function, original, library)
        if described is None:
            return None
        self.report.seams[described.id] = described
        home = _home_globals(function)
        return SeamWrapper(original, self._wrapper_for(described, home, library), described)

    def _route(
        self, seam: Seam, home_globals: object, library: bool
    ) -> Callable[[Any, Callable[..., Any], object, tuple[Any, ...]], Any]:
        """`route(scope, call, instance, args)`: `call(*args)` directly, or through the
        dispatcher when the caller whose globals are `scope` crosses the seam."""
        home = seam.module
        dispatcher = self.dispatcher
        in_boundaries = self._in_boundaries

        def route(
            scope: Any, call: Callable[..., Any], instance: object, args: tuple[Any, ...]
        ) -> Any:
            if scope is home_globals:
                return call(*args)
            caller = scope.get("__name__", "?")
            if library:
                if not in_boundaries(caller):
                    return call(*args)
            elif caller == home or caller.startswith("seamrec."):  # seamrec reading a value
                return call(*args)
            return dispatcher.crossing(seam, caller, call, instance, args, {})

        return route

    def _wrapper_for(self, seam: Seam, home_globals: object, library: bool) -> Callable[..., Any]:
        home = seam.module
        dispatcher = self.dispatcher
        getframe = sys._getframe
        depth = self._depth
        in_boundaries = self._in_boundaries

        if library:

            def library_wrapper(
                wrapped: Callable[..., Any],
                instance: object,
                args: tuple[Any, ...],
                kwargs: dict[str, Any],
            ) -> Any:
                caller = getframe(depth).f_globals.get("__name__", "?")
                if not in_boundaries(caller):  # only the app's own calls are its seams
                    return wrapped(*args, **kwargs)
                return dispatcher.crossing(seam, caller, wrapped, instance, args, kwargs)

            return library_wrapper

        def seam_wrapper(
            wrapped: Callable[..., Any],
            instance: object,
            args: tuple[Any, ...],
            kwargs: dict[str, Any],
        ) -> Any:
            scope = getframe(depth).f_globals
            if scope is home_globals:  # a call inside the module: the cheapest check first
                return wrapped(*args, **kwargs)
            caller = scope.get("__name__", "?")
            if caller == home or caller.startswith("seamrec."):  # seamrec reading a value
                return wrapped(*args, **kwargs)
            return dispatcher.crossing(seam, caller, wrapped, instance, args, kwargs)

        return seam_wrapper

    def _redirect_aliases(
        self,
        replaced: list[tuple[object, Any]],
        ours: set[int],
        namespace: dict[str, Any] | None,
    ) -> list[types.FunctionType]:
        """Point the aliases of the originals at their wrappers; the functions defined in
        `namespace` come back from the same walk over the heap."""
        wrapped = {id(original): (original, wrapper) for original, wrapper in replaced}
        redirector = Redirector(wrapped, ours, namespace=namespace)
        try:
            redirector.run()
        finally:
            self._undo.extend(redirector.undo)
            self.report.redirected += redirector.redirected
            for key, holders in redirector.holders.items():
                seam = wrapped[key][1].seam
                self.report.unredirected.setdefault(seam.id, set()).update(holders)
        return redirector.functions


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _func_of(method: object) -> Any:
    """The function inside a classmethod or staticmethod (its C member, read statically)."""
    owner = classmethod if issubclass(type(method), classmethod) else staticmethod
    return vars(owner)["__func__"].__get__(method)


def _home_globals(function: object) -> object:
    """The globals of the innermost plain function behind `function` (None if none)."""
    for _ in range(100):
        kind = type(function)
        if kind is types.FunctionType:
            return function.__globals__  # type: ignore[attr-defined]
        if issubclass(kind, wrapt.ObjectProxy):
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
        if issubclass(kind, wrapt.ObjectProxy):
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
    if module != home or not isinstance(qualname, str):
        return None
    return qualname


def _global_candidates(
    module: types.ModuleType, attr: str, value: object, report: Report
) -> Iterator[Candidate]:
    home = module.__name__
    kind = type(value)
    if kind is SeamWrapper:
        return
    if statics.is_class(value):
        cls: type = value  # type: ignore[assignment]
        qualname = statics.class_qualname(cls)
        if statics.class_module(cls) == home and "<locals>" not in qualname:
            yield from _class_candidates(cls, home, set(), report)
        return
    if statics.is_proxy_type(kind) and not issubclass(kind, wrapt.ObjectProxy):
        where = f"{home}.{attr}"
        report.skipped.setdefault(statics.type_path(kind), set()).add(where)
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


def _class_candidates(
    cls: type, module: str, seen: set[int], report: Report
) -> Iterator[Candidate]:
    if id(cls) in seen:
        return
    seen.add(id(cls))
    prefix = statics.class_qualname(cls)
    for attr, value in list(statics.class_dict(cls).items()):
        if _is_dunder(attr):
            continue
        kind = type(value)
        if kind is SeamWrapper or kind is _SeamProperty or kind is _SeamCachedProperty:
            continue  # already wrapped (a proxy passes isinstance checks for what it wraps)
        qualname = f"{prefix}.{attr}"
        if statics.is_class(value):
            inner: type = value
            if statics.class_module(inner) == module and statics.class_qualname(inner).startswith(
                prefix + "."
            ):
                yield from _class_candidates(inner, module, seen, report)
        elif kind is property:
            yield Candidate(cls, attr, value, qualname, "property")
        elif kind is _CACHED_PROPERTY:
            yield Candidate(cls, attr, value, qualname, "cached_property")
        elif issubclass(kind, classmethod | staticmethod):
            function = _func_of(value)
            if type(function) is types.FunctionType:
                yield Candidate(cls, attr, value, function.__qualname__, "callable")
        elif kind is types.FunctionType:
            yield Candidate(cls, attr, value, value.__qualname__, "callable")
        elif statics.is_proxy_type(kind) and not issubclass(kind, wrapt.ObjectProxy):
            report.skipped.setdefault(statics.type_path(kind), set()).add(f"{module}.{qualname}")
        else:
            inner_qualname = _qualname_of(value, module)
            if inner_qualname is not None:
                yield Candidate(cls, attr, value, inner_qualname, "callable")


def _library_candidates(
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


def _describe(
    module: str, qualname: str, function: Any, original: object, library: bool
) -> Seam | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        if not library:
            return None
        # A C function without a signature: arguments recorded as `args` and by keyword.
        return Seam(f"{module}:{qualname}", module, qualname, "function", False, (), "args")
    positional: list[str] = []
    var_positional = None
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append(parameter.name)
        elif parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = parameter.name
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


_CACHED_PROPERTY: type = functools.cached_property
_WRAPT_FUNCTION: type = wrapt.FunctionWrapper
_Route = Callable[[Any, Callable[..., Any], object, tuple[Any, ...]], Any]


class _SeamProperty(property):
    """A boundary class's property: reads and writes from another module are calls of its
    seam (a read records `return`, a write `args.value`); the class reads the original."""

    def __init__(self, original: property, seam: Seam, route: _Route) -> None:
        super().__init__(original.fget, original.fset, original.fdel, original.__doc__)
        self._seamrec_original = original
        self._seamrec_seam = seam
        self._seamrec_route = route

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        original = self._seamrec_original
        if instance is None:
            return original
        read = functools.partial(original.__get__, instance, owner)
        return self._seamrec_route(sys._getframe(1).f_globals, read, instance, ())

    def __set__(self, instance: Any, value: Any) -> None:
        original = self._seamrec_original
        if original.fset is None:
            original.__set__(instance, value)  # raises as the original does
            return
        write = functools.partial(original.__set__, instance)
        self._seamrec_route(sys._getframe(1).f_globals, write, instance, (value,))

    def __delete__(self, instance: Any) -> None:
        self._seamrec_original.__delete__(instance)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return _identity, (self._seamrec_original,)


class _SeamCachedProperty(functools.cached_property[Any]):
    """A boundary class's `functools.cached_property`: the read that computes the value,
    from another module, is a call of its seam (later reads hit the instance `__dict__`)."""

    def __init__(self, original: functools.cached_property[Any], seam: Seam, route: _Route) -> None:
        super().__init__(original.func)
        self.attrname = original.attrname
        self.__doc__ = original.__doc__
        self._seamrec_original = original
        self._seamrec_seam = seam
        self._seamrec_route = route

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        original = self._seamrec_original
        if instance is None:
            return original
        read = functools.partial(original.__get__, instance, owner)
        return self._seamrec_route(sys._getframe(1).f_globals, read, instance, ())


def _identity(value: object) -> object:
    return value


class _SeamFinder(importlib.abc.MetaPathFinder):
    """Finds modules in scope with the other finders and instruments them once executed."""

    def __init__(self, instrumenter: Instrumenter) -> None:
        self._instrumenter = instrumenter

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not self._instrumenter.settings.module_in_scope(fullname):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _InstrumentingLoader(spec.loader, self._instrumenter)
                return spec
        return None


class _InstrumentingLoader(importlib.abc.Loader):
    """Delegates to the real loader, then wraps the seams of the fresh module."""

    def __init__(self, loader: Any, instrumenter: Instrumenter) -> None:
        self._loader = loader
        self._instrumenter = instrumenter

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._instrumenter.instrument_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
