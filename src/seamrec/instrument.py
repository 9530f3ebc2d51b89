"""Find the seams of the configured modules and wrap them with wrapt (the only wrapt import).

Modules are instrumented right after they execute, through an import hook installed
before conftest.py is imported; modules imported earlier are instrumented on install.
References taken before wrapping (``from m import f`` in another module, registries and
handler maps filled at import time, plugin hooks) are redirected to the wrapper when they
live in a dict or a list; anything else that still holds the original (a tuple, a
closure cell, a bound method, a partial) is reported by name, never silently unrecorded.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import importlib.abc
import importlib.machinery
import inspect
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

import wrapt

from seamrec.config import SeamPattern, Settings

__tracebackhide__ = True  # pytest shows no frame of the seam wrappers in a traceback


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

    def importing(self) -> AbstractContextManager[None]:
        """Entered while a module in scope executes its module-level code."""
        ...


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

    def __init__(self, settings: Settings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.report = Report()
        self._undo: list[Callable[[], None]] = []
        self._finder: _SeamFinder | None = None
        self._seen: set[str] = set()
        self._depth = caller_frame_depth()

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
            if isinstance(module, types.ModuleType) and self.settings.module_in_scope(name):
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
            if isinstance(module, types.ModuleType)
            and name not in self._seen
            and self.settings.module_in_scope(name)
        )

    def instrument_module(self, module: types.ModuleType) -> None:
        """Wrap the seams defined in `module`, then redirect aliases to them."""
        self._seen.add(module.__name__)
        try:
            candidates = list(_candidates(module))
            replaced: list[tuple[object, str, object, SeamWrapper]] = []
            for owner, name, original in candidates:
                wrapper = self._wrap(module.__name__, original)
                if wrapper is not None:
                    setattr(owner, name, wrapper)
                    replaced.append((owner, name, original, wrapper))
            if replaced:
                ours = {id(candidates), id(replaced), *map(id, candidates), *map(id, replaced)}
                self._redirect_aliases(replaced, ours)
            for owner, name, original, _ in replaced:
                self._undo.append(_restore_attribute(owner, name, original))
        except Exception as exc:  # never break the import of the user's module
            self.report.errors.append(f"instrumenting {module.__name__}: {exc!r}")

    def _wrap(self, module: str, original: object) -> SeamWrapper | None:
        function = (
            original.__func__ if isinstance(original, classmethod | staticmethod) else original
        )
        qualname = getattr(function, "__qualname__", "")
        self.report.considered.add((module, qualname))
        if "<locals>" in qualname or not self.settings.is_seam(module, qualname):
            return None
        if isinstance(function, SeamWrapper):
            return None
        seam = _describe(module, qualname, function, original)
        if seam is None:
            return None
        self.report.seams[seam.id] = seam
        home_globals = getattr(inspect.unwrap(cast(Any, function)), "__globals__", None)
        return SeamWrapper(original, self._wrapper_for(seam, home_globals), seam)

    def _wrapper_for(self, seam: Seam, home_globals: object) -> Callable[..., Any]:
        home = seam.module
        dispatcher = self.dispatcher
        getframe = sys._getframe
        depth = self._depth

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
        self, replaced: list[tuple[object, str, object, SeamWrapper]], ours: set[int]
    ) -> None:
        wrapped = {id(original): (original, wrapper) for _, _, original, wrapper in replaced}
        originals = [original for original, _ in wrapped.values()]
        ours |= {id(wrapped), id(originals), *map(id, wrapped.values())}
        for referrer in gc.get_referrers(*originals):
            if id(referrer) in ours or isinstance(referrer, types.FrameType):
                continue
            if isinstance(referrer, dict):
                self._redirect_in_dict(referrer, wrapped)
                self._report_holder(referrer, wrapped)
            elif isinstance(referrer, list):
                self._redirect_in_list(referrer, wrapped)
            elif not _is_benign(referrer):
                self._report_holder(referrer, wrapped)

    def _report_holder(
        self, referrer: object, wrapped: dict[int, tuple[object, SeamWrapper]]
    ) -> None:
        """Name the seams that `referrer` still reaches without the wrapper."""
        for original, wrapper in wrapped.values():
            if _holds(referrer, original):
                holder = _describe_holder(referrer)
                self.report.unredirected.setdefault(wrapper.seam.id, set()).add(holder)

    def _redirect_in_dict(
        self, mapping: dict[Any, Any], wrapped: dict[int, tuple[object, SeamWrapper]]
    ) -> None:
        for key, value in list(mapping.items()):
            hit = wrapped.get(id(value))
            if hit is None or hit[0] is not value or key == "__wrapped__":
                continue
            if isinstance(value, classmethod | staticmethod):
                continue  # only ever held by the class dict we already replaced
            owner = _class_owning(mapping)
            if owner is not None:
                setattr(owner, key, hit[1])  # keeps the type's method cache right
                self._undo.append(_restore_attribute(owner, key, value))
            else:
                mapping[key] = hit[1]
                self._undo.append(_restore_item(mapping, key, value))
            self.report.redirected += 1

    def _redirect_in_list(
        self, items: list[Any], wrapped: dict[int, tuple[object, SeamWrapper]]
    ) -> None:
        for index, value in enumerate(items):
            hit = wrapped.get(id(value))
            if hit is not None and hit[0] is value:
                items[index] = hit[1]
                self.report.redirected += 1
                self._undo.append(_restore_item(items, index, value))


def _class_owning(mapping: dict[Any, Any]) -> type | None:
    """The class whose `__dict__` this is, if any (those must be changed via setattr)."""
    if "__module__" not in mapping:
        return None
    for referrer in gc.get_referrers(mapping):
        if isinstance(referrer, type) and vars(referrer).get("__module__") is mapping["__module__"]:
            return referrer
    return None


def _restore_attribute(owner: object, name: str, value: object) -> Callable[[], None]:
    def restore() -> None:
        setattr(owner, name, value)

    return restore


def _restore_item(container: Any, key: Any, value: object) -> Callable[[], None]:
    def restore() -> None:
        with contextlib.suppress(IndexError, KeyError, TypeError):
            container[key] = value

    return restore


def _candidates(module: types.ModuleType) -> Iterable[tuple[object, str, object]]:
    """(owner, attribute name, value) of every callable defined in `module`."""
    name = module.__name__
    for attr, value in list(vars(module).items()):
        if isinstance(value, type):
            if value.__module__ == name and "<locals>" not in value.__qualname__:
                yield from _class_candidates(value, name, set())
        elif _is_function_like(value) and getattr(value, "__module__", None) == name:
            yield module, attr, value


def _class_candidates(
    cls: type, module: str, seen: set[int]
) -> Iterable[tuple[object, str, object]]:
    if id(cls) in seen:
        return
    seen.add(id(cls))
    for attr, value in list(vars(cls).items()):
        if type(value) is SeamWrapper:
            continue  # already wrapped (a proxy passes isinstance checks for what it wraps)
        if isinstance(value, type) and value.__module__ == module:
            if value.__qualname__.startswith(cls.__qualname__ + "."):
                yield from _class_candidates(value, module, seen)
        elif isinstance(value, classmethod | staticmethod) or _is_function_like(value):
            yield cls, attr, value


def _is_function_like(value: object) -> bool:
    if type(value) is SeamWrapper:
        return False
    if isinstance(value, types.FunctionType):
        return True
    return callable(value) and hasattr(value, "__wrapped__") and hasattr(value, "__qualname__")


def _describe(module: str, qualname: str, function: Any, original: object) -> Seam | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    positional: list[str] = []
    var_positional = None
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional.append(parameter.name)
        elif parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = parameter.name
    in_class = "." in qualname
    has_self = in_class and not isinstance(original, staticmethod) and bool(positional)
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


_PROXY_TYPES = (wrapt.ObjectProxy, wrapt.FunctionWrapper, wrapt.BoundFunctionWrapper)


def _is_benign(referrer: object) -> bool:
    """Referrers that hold an original without being a way to call it behind our back."""
    if isinstance(referrer, classmethod | staticmethod | types.ModuleType):
        return True
    if issubclass(type(referrer), _PROXY_TYPES):
        return True  # our own wrappers (and other wrapt proxies) call through to it
    if isinstance(referrer, types.FunctionType | type):
        return True  # `__wrapped__` chains and class bodies we already rewrote
    return isinstance(referrer, tuple) and _is_mro_or_signature(referrer)


def _is_mro_or_signature(value: tuple[Any, ...]) -> bool:
    return all(isinstance(item, type) for item in value)


def _holds(referrer: object, original: object) -> bool:
    """Whether `referrer` itself (not something it contains) refers to `original`."""
    if isinstance(referrer, dict):
        return any(key is original for key in referrer)  # values were redirected
    return any(item is original for item in gc.get_referents(referrer))


def _describe_holder(referrer: object) -> str:
    if isinstance(referrer, dict):
        return "a dict key"
    if isinstance(referrer, types.CellType):
        return "a closure variable"
    if isinstance(referrer, types.MethodType):
        return f"a bound method of {type(referrer.__self__).__qualname__}"
    cls = type(referrer)
    return (
        f"a {cls.__module__}.{cls.__qualname__}"
        if cls.__module__ != "builtins"
        else (f"a {cls.__qualname__}")
    )


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
        with self._instrumenter.dispatcher.importing():  # import-time calls: no test's
            self._loader.exec_module(module)
        self._instrumenter.instrument_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
