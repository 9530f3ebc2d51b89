"""Wrap the seams of the configured modules in place, and put everything back at the end.

Modules are instrumented right after they execute, through an import hook installed
before conftest.py is imported; modules imported earlier are instrumented on install.
Candidates are found statically (`seamrec.runtime.candidates`): a proxy such as `flask.g` is
never evaluated, only named. Each candidate is wrapped on its own (`seamrec.runtime.wrappers`),
so one failure loses one seam, and that seam is named. References taken before wrapping
are redirected by `seamrec.runtime.aliases`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from threading import get_ident
from typing import Any, Protocol, cast

from seamrec.config import SeamPattern, Settings, in_packages
from seamrec.runtime import statics
from seamrec.runtime.aliases import Redirector, Restore
from seamrec.runtime.callproxy import make_call
from seamrec.runtime.candidates import (
    Candidate,
    describe,
    func_of,
    global_candidates,
    home_globals,
    is_dunder,
    library_candidates,
)
from seamrec.runtime.wrappers import (
    Seam,
    SeamCachedProperty,
    SeamProperty,
    SeamWrapper,
    is_seam_wrapper,
)
from seamrec.runtime.wraptimport import wrapt

__tracebackhide__ = True  # pytest shows no frame of the seam wrappers in a traceback

__all__ = ["Dispatcher", "Instrumenter", "Report", "Seam", "SeamWrapper", "caller_frame_depth"]


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


# No __eq__ or __repr__ (unused): dataclasses compiles each method it generates on import.
@dataclass(eq=False, repr=False)
class Report:
    """What instrumentation did, for the terminal summary."""

    seams: dict[str, Seam] = field(default_factory=dict)
    unredirected: dict[str, set[str]] = field(default_factory=dict)
    redirected: int = 0
    walks_skipped: int = 0  # walks over the heap that reference counts proved useless
    errors: list[str] = field(default_factory=list)
    considered: set[tuple[str, str]] = field(default_factory=set)
    # type path -> "module.name" of each value never evaluated (proxies, lazy objects)
    skipped: dict[str, set[str]] = field(default_factory=dict)
    # seam id (or module name) -> why seamrec could not wrap it: its calls are not recorded
    lost: dict[str, str] = field(default_factory=dict)


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
        self._scope: dict[str, bool] = {}  # module name -> `settings.module_in_scope`
        self._depth = caller_frame_depth()
        self._in_boundaries = functools.lru_cache(maxsize=4096)(self._boundary_module)
        # per thread (its id): the modules whose references wait for a walk, and how many
        # batches it has open (see `batch`); one thread's import never waits for another's
        self._pending: dict[int, list[_Pending]] = {}
        self._deferring: dict[int, int] = {}
        self._collecting: int | None = None  # the thread whose batch `hold` keeps open
        self._held: list[int] = []  # the threads of the batches `defer` keeps open

    def _boundary_module(self, module: str) -> bool:
        return in_packages(module, self.boundaries)

    def in_scope(self, module: str) -> bool:
        """`settings.module_in_scope`, judged once per module name (each import, and every
        module of `sys.modules` at each catch-up, asks again)."""
        scope = self._scope
        inside = scope.get(module)
        if inside is None:
            inside = scope[module] = self.settings.module_in_scope(module)
        return inside

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
        self._scope = {}  # the scope grew with the settings
        with self.batch():
            for name, module in list(sys.modules.items()):
                if issubclass(type(module), types.ModuleType) and self.in_scope(name):
                    self.instrument_module(module)

    def hold(self) -> None:
        """Keep a batch of this thread open until `catch_up` (a pytest run holds from its
        start to the end of collection): the modules its collection imports are redirected
        in one walk over the heap instead of one walk per import. Their seams are wrapped at
        once as before; calls made meanwhile belong to no test."""
        if self._collecting is None:
            self._collecting = get_ident()
            self._enter(self._collecting)

    def defer(self) -> None:
        """Open a batch of this thread until the matching `settle` (a shared fixture's
        setup or teardown, whose calls belong to no test): what it imports is redirected
        in one walk when it settles."""
        ident = get_ident()
        self._held.append(ident)
        self._enter(ident)

    def settle(self) -> None:
        """Close the latest `defer`'s batch (nothing to do if `uninstall` closed it)."""
        if self._held:
            self._leave(self._held.pop())

    def uninstall(self) -> None:
        """Remove the import hook and restore every original callable and alias."""
        if self._finder is not None and self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        self._finder = None
        held = self._held + ([] if self._collecting is None else [self._collecting])
        self._held, self._collecting = [], None
        for ident in held:  # nothing left to redirect: the aliases are given back
            self._pending.pop(ident, None)
            self._leave(ident)
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def catch_up(self) -> None:
        """Instrument modules in scope that were imported without passing our hook, and
        redirect the references to everything `hold` kept waiting, in one walk."""
        with self.batch():
            for name in self.unseen_modules():
                self.instrument_module(sys.modules[name])
            holding, self._collecting = self._collecting, None
            if holding is not None:
                self._leave(holding)  # its modules join this batch's walk (or their own)

    def unseen_modules(self) -> list[str]:
        """Modules in scope that are imported but were never instrumented."""
        return sorted(
            name
            for name, module in list(sys.modules.items())
            if issubclass(type(module), types.ModuleType)
            and name not in self._seen
            and self.in_scope(name)
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
        restores: list[Restore] = []
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
                    restore = Restore(
                        candidate.owner, candidate.how, candidate.name, candidate.value
                    )
                    self._undo.append(restore)
                    restores.append(restore)
            except Exception as exc:  # this seam is lost, the others are wrapped
                self.report.seams.pop(seam_id, None)
                self.report.lost[seam_id] = f"could not be wrapped: {exc!r}"
        callables = [(c.value, w) for c, w in replaced if c.kind == "callable"]
        library = self.is_library(name)  # no local holds the namespace: its count is exact
        if callables or not library:
            item = _Pending(
                module, candidates, replaced, callables, None if library else vars(module)
            )
            item.restores = restores
            ident = get_ident()
            if self._deferring.get(ident):
                self._pending.setdefault(ident, []).append(item)
            else:
                self._redirect_pending([item])

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Modules this thread instruments inside (nested imports, the modules of a
        catch-up) have the references to their seams redirected together when its
        outermost batch ends: one walk over the heap instead of one per module (another
        thread's batches are its own). Their seams are wrapped
        at once as before, so a module importing them meanwhile takes the wrappers."""
        ident = get_ident()
        self._enter(ident)
        try:
            yield
        finally:
            self._leave(ident)

    def _enter(self, ident: int) -> None:
        self._deferring[ident] = self._deferring.get(ident, 0) + 1

    def _leave(self, ident: int) -> None:
        """Close one batch of thread `ident`; the last one redirects what it deferred."""
        left = self._deferring.pop(ident) - 1
        if left:
            self._deferring[ident] = left
        else:
            pending = self._pending.pop(ident, None)
            if pending:
                self._redirect_pending(pending)

    def _redirect_pending(self, pending: list[_Pending]) -> None:
        """Redirect the references to the seams of the pending modules (one walk), then
        wrap the functions of theirs that only a registry holds."""
        try:
            callables = [pair for item in pending for pair in item.callables]
            namespaces = [item.namespace for item in pending if item.namespace is not None]
            ours = {id(pending), id(callables)}
            own: list[object] = [pending, callables]
            for item in pending:
                ours |= item.ours()
                own += item.own()
            functions = self._redirect_aliases(callables, ours | {id(own)}, namespaces, own)
        except Exception as exc:  # never break the import of the user's module
            for item in pending:
                self.report.lost[item.module.__name__] = (
                    f"references to its seams could not be redirected: {exc!r}"
                )
            return
        hidden: list[types.FunctionType] = []
        for item in pending:
            if item.namespace is not None:
                taken = {c.qualname for c in item.candidates}
                found = functions.get(id(item.namespace), [])
                hidden += self._hidden(item.module, found, taken)
        self._wrap_hidden(hidden, {id(functions), *map(id, functions.values())})

    def _hidden(
        self, module: types.ModuleType, functions: list[types.FunctionType], taken: set[str]
    ) -> list[types.FunctionType]:
        """The public functions of `module` that no global or class attribute holds, only
        a registry (DRF's `@api_view` keeps the view in a closure of the class it builds)."""
        namespace = vars(module)
        home = module.__name__
        return [
            referrer
            for referrer in functions
            if referrer.__globals__ is namespace
            and referrer.__module__ == home
            and "<" not in referrer.__qualname__
            and referrer.__qualname__ not in taken
            and self.settings.is_seam(home, referrer.__qualname__)
        ]

    def _wrap_hidden(self, hidden: list[types.FunctionType], ours: set[int]) -> None:
        """Wrap the `hidden` functions, their holders redirected in one walk over the heap;
        each is kept only if a holder could be pointed at its wrapper. A second function
        of the same seam id (rare: a qualname defined twice) waits for the first's verdict
        in a walk of its own, as when each had its own walk."""
        batch: list[tuple[types.FunctionType, Seam, Any]] = []
        later: list[types.FunctionType] = []
        ids: set[str] = set()
        for function in hidden:
            seam_id = f"{function.__module__}:{function.__qualname__}"
            if seam_id in ids:
                later.append(function)
                continue
            try:
                held = self._held_wrapper(function, seam_id)
            except Exception as exc:  # this seam is lost, the others are wrapped
                self.report.seams.pop(seam_id, None)
                self.report.lost[seam_id] = f"could not be wrapped: {exc!r}"
                continue
            if held is not None:
                batch.append(held)
                ids.add(seam_id)
        if batch:
            self._wrap_held(batch, ours | {id(hidden), id(later)})
        for function in later:
            self._wrap_hidden([function], ours | {id(hidden), id(later)})

    def _held_wrapper(
        self, function: types.FunctionType, seam_id: str
    ) -> tuple[types.FunctionType, Seam, Any] | None:
        """The seam of a hidden function and its wrapper (None: not a seam, or wrapped)."""
        seam = describe(function.__module__, function.__qualname__, function, function, False)
        if seam is None or seam_id in self.report.seams:
            return None
        return function, seam, self._wrapper_of(function, seam, function.__globals__, False)

    def _wrap_held(self, batch: list[tuple[types.FunctionType, Seam, Any]], ours: set[int]) -> None:
        wrapped: dict[int, tuple[object, Any]] = {
            id(function): (function, wrapper) for function, _, wrapper in batch
        }
        ours = ours | {id(batch), *map(id, batch)}
        redirector = Redirector(wrapped, ours)
        try:
            redirector.run()
        except Exception as exc:  # the seams of this walk are lost, the others are wrapped
            for _, seam, _ in batch:
                self.report.lost[seam.id] = f"could not be wrapped: {exc!r}"
            return
        finally:
            self._undo.extend(redirector.undo)
        for function, seam, _ in batch:
            redirected = redirector.credited.get(id(function), 0)
            if not redirected:
                continue  # nothing reaches it through seamrec's wrapper: not counted as a seam
            self.report.seams[seam.id] = seam
            self.report.redirected += redirected
            holders = redirector.holders.get(id(function), set())
            if holders:
                self.report.unredirected.setdefault(seam.id, set()).update(holders)

    def _candidates(self, module: types.ModuleType) -> Iterator[Candidate]:
        home = module.__name__
        namespace = list(vars(module).items())
        if self.is_library(home):
            yield from library_candidates(module, namespace, self.settings.seams)
            return
        for attr, value in namespace:
            if type(attr) is not str or is_dunder(attr):
                continue  # dunders are never seams (`__loader__`, `__builtins__`...)
            try:
                yield from global_candidates(module, attr, value, self.report.skipped)
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
                return SeamProperty(cast(property, candidate.value), seam, route)
            return SeamCachedProperty(cast(Any, candidate.value), seam, route)
        original = candidate.value
        kind = type(original)
        function = func_of(original) if issubclass(kind, classmethod | staticmethod) else original
        if is_seam_wrapper(function):
            return None  # already wrapped
        described = describe(module, qualname, function, original, library)
        if described is None:
            return None
        self.report.seams[described.id] = described
        home = home_globals(function)
        if statics.is_class(candidate.owner):
            if type(original) is types.FunctionType and not library and described.has_self:
                # a plain method: the call proxy, bound by Python as a function is
                return make_call(original, cast(dict[str, Any], home), described, self.dispatcher)
            return SeamWrapper(original, self._wrapper_for(described, home, library), described)
        return self._wrapper_of(original, described, home, library)

    def _wrapper_of(self, original: Any, seam: Seam, home: Any, library: bool) -> Any:
        """The call proxy for a plain function of the app held by a module or a registry
        (no binding to get right, and no Python frame on a call that crosses nothing);
        wrapt's FunctionWrapper for anything else."""
        if type(original) is types.FunctionType and not library and not seam.has_self:
            return make_call(original, home, seam, self.dispatcher)
        return SeamWrapper(original, self._wrapper_for(seam, home, library), seam)

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
        namespaces: list[dict[str, Any]],
        own: list[object],
    ) -> dict[int, list[types.FunctionType]]:
        """Point the aliases of the originals at their wrappers; the functions defined in
        each of `namespaces` (by its id) come back from the same walk over the heap, or
        from reference counts that prove it useless (`own`: seamrec's objects holding
        the originals or the namespaces, see `Redirector.own`)."""
        wrapped = {id(original): (original, wrapper) for original, wrapper in replaced}
        redirector = Redirector(wrapped, ours, namespaces=namespaces, own=own)
        try:
            redirector.run()
        finally:
            self.report.walks_skipped += redirector.walk_skipped
            self._undo.extend(redirector.undo)
            self.report.redirected += redirector.redirected
            for key, holders in redirector.holders.items():
                seam = wrapped[key][1].seam
                self.report.unredirected.setdefault(seam.id, set()).update(holders)
        return redirector.functions


# No __eq__ or __repr__ (unused): dataclasses compiles each method it generates on import.
@dataclass(eq=False, repr=False)
class _Pending:
    """A module whose seams are wrapped, waiting for the walk that redirects references
    to them. It holds the lists whose ids the walk must skip (kept alive until then, so
    their ids are not reused)."""

    module: types.ModuleType
    candidates: list[Candidate]
    replaced: list[tuple[Candidate, Any]]
    callables: list[tuple[object, Any]]
    namespace: dict[str, Any] | None
    restores: list[Restore] = field(default_factory=list)  # the undo steps of `replaced`

    def ours(self) -> set[int]:
        """The ids of seamrec's own objects that hold the originals."""
        ours = {id(self), id(self.candidates), id(self.replaced), id(self.callables)}
        ours |= {id(c) for c in self.candidates} | {id(self.restores)}
        ours |= {id(pair) for pair in self.replaced} | {id(pair) for pair in self.callables}
        return ours

    def own(self) -> list[object]:
        """seamrec's own objects that hold the originals or the namespace (the module
        too): the holders a reference count of them accounts for."""
        return [
            self,
            self.module,
            self.candidates,
            *self.candidates,
            self.replaced,
            *self.replaced,
            self.callables,
            *self.callables,
            self.restores,
            *self.restores,
        ]


class _SeamFinder(importlib.abc.MetaPathFinder):
    """Finds modules in scope with the other finders and instruments them once executed."""

    def __init__(self, instrumenter: Instrumenter) -> None:
        self._instrumenter = instrumenter

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not self._instrumenter.in_scope(fullname):
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
        instrumenter = self._instrumenter
        with instrumenter.batch():  # modules it imports are redirected with it
            with instrumenter.dispatcher.importing():  # import-time calls: no test's
                self._loader.exec_module(module)
            instrumenter.instrument_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
