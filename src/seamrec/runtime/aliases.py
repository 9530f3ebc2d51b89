"""Redirect references taken before wrapping to the wrapper, and name those that cannot be.

Registries filled at import time hold the original callable in many places: a module or
class namespace (`from m import f`), a dict or a list (handler maps, plugin hooks), a
closure cell (Flask's deferred blueprint setup, DRF's `@api_view`), an object's instance
`__dict__` or `__slots__` (FastAPI's `Dependant.call`, Click's `Command.callback`), a
tuple held in one of those (FastAPI's `Dependant.cache_key`, `(func, args)` callbacks;
a new tuple replaces it), a weak reference (Django signal receivers, blinker). Each is
pointed at the wrapper, with an undo; a tuple used only as a dict key is a lookup key
(equal to the wrapper's, which compares and hashes as the original), never a way to
call. What still reaches the original afterwards is reported by what holds it, so the
summary's "not recorded when called through X" lines are true. Foreign objects are only
read statically (`seamrec.runtime.statics`).
"""

from __future__ import annotations

import functools
import gc
import types
import weakref
from dataclasses import dataclass, field
from typing import Any

from seamrec.runtime import aliasproof, heapwalk, statics
from seamrec.runtime.callproxy import CALL_TYPES, is_call_proxy
from seamrec.runtime.wraptimport import wrapt

_PROXY_TYPES = (wrapt.ObjectProxy, wrapt.FunctionWrapper, wrapt.BoundFunctionWrapper)


class Restore:
    """One undo step: put `value` back at `key` of `container` (how: "attr", "item", "member",
    "cell" or "slot"). A plain object rather than a closure, so the gc walk that finds
    aliases can tell seamrec's own references from the app's."""

    __slots__ = ("container", "how", "key", "value")

    def __init__(self, container: Any, how: str, key: Any, value: object) -> None:
        self.container = container
        self.how = how
        self.key = key
        self.value = value

    def __call__(self) -> None:
        container, key, value = self.container, self.key, self.value
        try:
            if self.how == "attr":
                setattr(container, key, value)
            elif self.how == "item":
                container[key] = value
            elif self.how == "cell":
                container.cell_contents = value
            elif self.how == "member":  # a set: the wrapper `key` out, the original in
                container.discard(key)
                container.add(value)
            else:
                key.__set__(container, value)
        except (IndexError, KeyError, TypeError, AttributeError):
            pass  # the holder changed shape meanwhile: nothing left to restore


@dataclass
class Redirector:
    """Redirects the references to a batch of originals; `undo` and the report grow."""

    wrapped: dict[int, tuple[object, Any]]  # id(original) -> (original, wrapper)
    ours: set[int]
    undo: list[Restore] = field(default_factory=list)
    holders: dict[int, set[str]] = field(default_factory=dict)  # id(original) -> holders
    redirected: int = 0
    # id(original) -> the holders pointed at its wrapper: what a walk for that original
    # alone would have counted (a tuple holding two originals counts for each)
    credited: dict[int, int] = field(default_factory=dict)
    # Module namespaces: the functions defined in each are collected in `functions` (by
    # id of the namespace) by the same walk over the heap (instrumentation looks for
    # functions only a registry holds).
    namespaces: list[dict[str, Any]] = field(default_factory=list)
    functions: dict[int, list[types.FunctionType]] = field(default_factory=dict)
    tuples: list[Any] = field(default_factory=list)  # tuples and partials holding originals
    # seamrec's own objects that hold originals or namespaces (their ids in `ours`, or
    # undo steps, or modules): with them, reference counts may prove the walk useless
    # (`aliasproof`). None: the walk always runs.
    own: list[Any] | None = None
    walk_skipped: bool = False  # the reference counts proved the walk would find nothing

    def run(self) -> None:
        """Redirect every referrer of the originals, then the tuples holding them, then
        their weak references. The holders of the weak references are found by the walk
        for the originals, and those of the tuples with those of the tuples of weak
        references, unless a tuple to rebuild holds one (its copy is a holder to find)."""
        originals = [original for original, _ in self.wrapped.values()]
        self.ours |= {id(self.wrapped), id(originals), *map(id, self.wrapped.values())}
        namespaces = {id(namespace) for namespace in self.namespaces}
        targets = [*originals, *self.namespaces]
        self.ours |= {id(targets), id(self.functions), id(self.tuples), id(namespaces)}
        self.ours |= {id(self.namespaces)}
        weak = self._weak_replacements()
        refs = [ref for ref, _, _ in weak.values()]
        self.ours |= {id(weak), id(refs), *map(id, weak.values())}
        alone = not refs and self.own is not None and aliasproof.USABLE
        alone = alone and len(targets) <= aliasproof.TRIED_AT_MOST
        if alone and self._proven_alone(originals, targets):
            self.walk_skipped = True
            return
        if refs:
            found, ref_holders = heapwalk.referrers_by_group([targets, refs])
        else:
            found, ref_holders = heapwalk.referrers(targets), []
        self.ours |= {id(found), id(ref_holders)}  # they hold tuples the later walks look for
        for referrer in found:
            if id(referrer) in self.ours:
                continue
            kind = type(referrer)
            if kind is types.FrameType or kind is Restore:
                continue
            if kind is types.FunctionType and id(referrer.__globals__) in namespaces:
                self.functions.setdefault(id(referrer.__globals__), []).append(referrer)
            if (kind is tuple and not _is_benign(referrer, kind)) or kind is functools.partial:
                self.tuples.append(referrer)  # immutable holders: swapped where they are held
                continue
            try:
                self._redirect(referrer, kind)
            except Exception as exc:  # a holder that refused: its seams are named
                self._note(referrer, f"{_describe_holder(referrer)} ({exc!r})")
        if not refs:
            if self.tuples:
                self._redirect_tuples(heapwalk.referrers(self.tuples))
            return
        tuples_left = bool(self.tuples)
        if tuples_left and self._rebuilds_holding(set(weak)):
            self._redirect_tuples(heapwalk.referrers(self.tuples))
            tuples_left = False
            ref_holders = heapwalk.referrers(refs)  # the copies hold them too
            self.ours.add(id(ref_holders))
        seen, weak_tuples = self._swap_weak_holders(weak, ref_holders)
        if tuples_left and weak_tuples and not self._rebuilds_holding(set(map(id, weak_tuples))):
            tuple_holders, outers = heapwalk.referrers_by_group([self.tuples, weak_tuples])
            self._redirect_tuples(tuple_holders)
        else:
            if tuples_left:
                self._redirect_tuples(heapwalk.referrers(self.tuples))
            outers = heapwalk.referrers(weak_tuples) if weak_tuples else []
        seen |= self._swap_weak_tuples(weak, weak_tuples, outers)
        for ref_id, (_, _, original) in weak.items():
            if ref_id not in seen:
                holder = "a weak reference (seamrec could not reach its holder)"
                self.holders.setdefault(id(original), set()).add(holder)

    def _proven_alone(self, originals: list[object], targets: list[Any]) -> bool:
        """Whether reference counts prove that a walk for `targets` would redirect
        nothing and find no function in the namespaces but those reached statically
        (then in `self.functions`, in the order reached)."""
        wrappers = [wrapper for _, wrapper in self.wrapped.values()]
        own = [*(self.own or []), *self.wrapped.values(), originals, targets, self.namespaces]
        for held in [*own, *wrappers]:
            if not (id(held) in self.ours or type(held) is Restore or _is_benign(held, type(held))):
                return False  # a holder the walk would not leave alone
        holders = {id(held): held for held in [*own, *wrappers]}
        counts = aliasproof.references_to(holders, originals)
        if not aliasproof.all_counted(originals, counts):
            return False
        reached = aliasproof.reached_from(self.namespaces, wrappers, _is_wrapper_type)
        if reached is None:
            return False
        holders.update(reached)
        del reached  # it holds the namespaces too
        counts = aliasproof.references_to(holders, self.namespaces)
        if not aliasproof.all_counted(self.namespaces, counts):
            return False
        namespaces = {id(namespace) for namespace in self.namespaces}
        functions: dict[int, list[types.FunctionType]] = {}
        named: set[tuple[int, str]] = set()
        for value in holders.values():
            if type(value) is not types.FunctionType or id(value) in self.ours:
                continue
            home = id(value.__globals__)
            if home not in namespaces:
                continue
            qualname = value.__qualname__
            if "<" not in qualname and (home, qualname) in named:
                return False  # which of two comes first is the walk's order: walk
            named.add((home, qualname))
            functions.setdefault(home, []).append(value)
        self.functions.update(functions)
        return True

    def _rebuilds_holding(self, ids: set[int]) -> bool:
        """Whether a tuple or `functools.partial` to rebuild holds one of `ids`, itself or
        in a partial's arguments, keywords or attributes: its copy holds it too."""
        for held in self.tuples:
            parts = gc.get_referents(held)
            if type(held) is functools.partial:
                parts += [
                    inner
                    for part in parts
                    if type(part) is tuple or type(part) is dict
                    for inner in gc.get_referents(part)
                ]
            if any(id(part) in ids for part in parts):
                return True
        return False

    def _redirect_tuples(self, holders: list[Any]) -> None:
        """Replace each tuple or `functools.partial` holding an original, where a list, a
        dict value or an object's instance `__dict__` holds it, by one holding the
        wrapper; a tuple held as a dict key only is a lookup key. Any other holder is
        named. `holders`: the referrers of `self.tuples`."""
        tuples = {id(t): t for t in self.tuples}
        done: set[int] = set()
        own = self.ours | {id(tuples), id(done)}
        for holder in holders:
            kind = type(holder)
            if kind is types.FrameType or kind is Restore or id(holder) in own:
                continue
            if kind is dict or kind is list:
                done |= self._swap_tuples(holder, tuples)
            elif kind is not tuple and not _is_benign(holder, kind):
                namespace = statics.instance_dict(holder)
                if namespace is not None:
                    done |= self._swap_tuples(namespace, tuples)
        for key, held in tuples.items():
            if key not in done:
                self._note(held)

    def _swap_tuples(self, container: Any, tuples: dict[int, tuple[Any, ...]]) -> set[int]:
        """Swap the `tuples` among a list's items or a dict's values; the ids of those
        swapped, and of those that are the dict's keys."""
        done: set[int] = set()
        if type(container) is dict:
            done |= {id(key) for key in container if tuples.get(id(key)) is key}
        entries = list(enumerate(container)) if type(container) is list else list(container.items())
        for key, value in entries:
            held = tuples.get(id(value))
            if held is None or held is not value:
                continue
            fresh, originals = self._rebuilt(held)
            if not originals:
                continue
            container[key] = fresh
            self.undo.append(Restore(container, "item", key, value))
            self._credit(*originals)
            done.add(id(value))
        return done

    def _rebuilt(self, held: Any) -> tuple[Any, list[object]]:
        """A copy of the tuple or `functools.partial` `held` calling the wrappers, and the
        originals it held (a partial's function is read-only: a new partial replaces it,
        with the same arguments and attributes)."""
        if type(held) is tuple:
            originals = [item for item in held if self._hit(item) is not None]
            fresh = tuple(item if self._hit(item) is None else self._hit(item) for item in held)
            return fresh, originals
        function = held.func
        wrapper = self._hit(function)
        if wrapper is None:
            return held, []
        rebuilt = functools.partial(wrapper, *held.args, **held.keywords)
        rebuilt.__dict__.update(held.__dict__)
        return rebuilt, [function]

    def _redirect(self, referrer: Any, kind: type) -> None:
        if issubclass(kind, dict):
            self._in_dict(referrer)
            self._note(referrer)  # keys cannot be redirected
        elif issubclass(kind, list):
            self._in_list(referrer)
        elif kind is set:
            self._in_set(referrer)
        elif kind is types.CellType:
            self._in_cell(referrer)
        elif not _is_benign(referrer, kind):
            self._in_object(referrer)
            self._note(referrer)

    def _note(self, referrer: object, holder: str | None = None) -> None:
        """Name the originals `referrer` itself still holds."""
        for key, (original, _) in self.wrapped.items():
            if _holds(referrer, original):
                self.holders.setdefault(key, set()).add(holder or _describe_holder(referrer))

    def _credit(self, *originals: object) -> None:
        """One holder more points at wrappers: credited once to each original it held."""
        self.redirected += 1
        for key in {id(original) for original in originals}:
            self.credited[key] = self.credited.get(key, 0) + 1

    def _hit(self, value: object) -> Any:
        hit = self.wrapped.get(id(value))
        return hit[1] if hit is not None and hit[0] is value else None

    def _in_dict(self, mapping: dict[Any, Any]) -> None:
        for key, value in list(mapping.items()):
            wrapper = self._hit(value)
            if wrapper is None or (type(key) is str and key == "__wrapped__"):
                continue
            if issubclass(type(value), classmethod | staticmethod):
                continue  # only ever held by the class dict we already replaced
            owner = _class_owning(mapping)
            if owner is not None:
                setattr(owner, key, wrapper)  # keeps the type's method cache right
                self.undo.append(Restore(owner, "attr", key, value))
            else:
                mapping[key] = wrapper
                self.undo.append(Restore(mapping, "item", key, value))
            self._credit(value)

    def _in_list(self, items: list[Any]) -> None:
        for index, value in enumerate(items):
            wrapper = self._hit(value)
            if wrapper is not None:
                items[index] = wrapper
                self._credit(value)
                self.undo.append(Restore(items, "item", index, value))

    def _in_set(self, items: set[Any]) -> None:
        """A set of callables (Django's check registry): the wrapper replaces the
        original (it hashes and compares as the original)."""
        for value in [value for value in items if self._hit(value) is not None]:
            wrapper = self._hit(value)
            items.discard(value)
            items.add(wrapper)
            self._credit(value)
            self.undo.append(Restore(items, "member", wrapper, value))

    def _in_cell(self, cell: types.CellType) -> None:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            return
        wrapper = self._hit(value)
        if wrapper is not None:
            cell.cell_contents = wrapper
            self._credit(value)
            self.undo.append(Restore(cell, "cell", None, value))

    def _in_object(self, obj: object) -> None:
        """An object holding an original in its instance `__dict__` (kept inline by
        CPython, so the object itself is the referrer) or in a `__slots__` member."""
        namespace = statics.instance_dict(obj)
        if namespace is not None:
            self._in_dict(namespace)
        for descriptor, value in list(statics.slots(obj)):
            wrapper = self._hit(value)
            if wrapper is None:
                continue
            try:
                descriptor.__set__(obj, wrapper)
            except (AttributeError, TypeError):  # a read-only member (functools.partial)
                continue
            self._credit(value)
            self.undo.append(Restore(obj, "slot", descriptor, value))

    def _weak_replacements(self) -> dict[int, tuple[weakref.ReferenceType[Any], Any, object]]:
        """The weak references to the originals (Django signal receivers, blinker), each
        with its replacement, a weak reference to the wrapper (by the id of the old one);
        a weak reference of another kind is named."""
        replacements: dict[int, tuple[weakref.ReferenceType[Any], Any, object]] = {}
        for key, (original, wrapper) in self.wrapped.items():
            for ref in weakref.getweakrefs(original):  # the list is freed after the loop
                if type(ref.__callback__) is weakref.finalize:
                    continue  # runs code when the function dies; no way to call it
                if type(ref) is weakref.ReferenceType:
                    fresh = weakref.ref(wrapper, ref.__callback__)
                    replacements[id(ref)] = (ref, fresh, original)
                else:
                    holder = f"a {statics.type_path(type(ref))}"
                    self.holders.setdefault(key, set()).add(holder)
        return replacements

    def _swap_weak_holders(
        self,
        replacements: dict[int, tuple[weakref.ReferenceType[Any], Any, object]],
        holders: list[Any],
    ) -> tuple[set[int], list[tuple[Any, ...]]]:
        """Replace the weak references in a list or a dict value among their `holders` (a
        dict key is a cache); the ids of those reached, and the tuples holding them."""
        tuples: list[tuple[Any, ...]] = []
        seen: set[int] = set()
        own = {id(tuples), *map(id, replacements.values())} | self.ours
        for holder in holders:
            kind = type(holder)
            if kind is types.FrameType or id(holder) in own:
                continue
            if kind is tuple:
                tuples.append(holder)
            elif kind is dict:
                seen |= {id(key) for key in holder if id(key) in replacements}  # a cache
                seen |= self._swap_refs(holder, replacements, {})
            elif kind is list:
                seen |= self._swap_refs(holder, replacements, {})
        return seen, tuples

    def _swap_weak_tuples(
        self,
        replacements: dict[int, tuple[weakref.ReferenceType[Any], Any, object]],
        tuples: list[tuple[Any, ...]],
        outers: list[Any],
    ) -> set[int]:
        """Replace the `tuples` holding weak references where a list or a dict value among
        `outers` (their referrers) holds them; the ids of the weak references reached."""
        seen: set[int] = set()
        if not tuples:
            return seen
        swappable = {id(t): t for t in tuples}
        own = {id(swappable), id(tuples), *map(id, replacements.values())} | self.ours
        for outer in outers:
            if id(outer) in own:
                continue
            if type(outer) is list or type(outer) is dict:
                seen |= self._swap_refs(outer, replacements, swappable)
        return seen

    def _swap_refs(
        self,
        container: Any,
        replacements: dict[int, tuple[weakref.ReferenceType[Any], Any, object]],
        tuples: dict[int, tuple[Any, ...]],
    ) -> set[int]:
        """Swap the weak references in a list's items or a dict's values, directly or
        inside one of the `tuples` (a new tuple replaces the old one)."""
        done: set[int] = set()
        entries = list(enumerate(container)) if type(container) is list else list(container.items())
        for key, value in entries:
            held = tuples.get(id(value))
            if held is not None and held is value:
                hits = [id(item) for item in held if id(item) in replacements]
                if not hits:
                    continue
                fresh = tuple(
                    replacements[id(item)][1] if id(item) in replacements else item for item in held
                )
                done.update(hits)
            elif id(value) in replacements and replacements[id(value)][0] is value:
                fresh = replacements[id(value)][1]
                hits = [id(value)]
                done.add(id(value))
            else:
                continue
            container[key] = fresh
            self.undo.append(Restore(container, "item", key, value))
            self._credit(*[replacements[hit][2] for hit in hits])
        return done


def _class_owning(mapping: dict[Any, Any]) -> type | None:
    """The class whose `__dict__` this is, if any (those must be changed via setattr)."""
    module = mapping.get("__module__")
    if module is None:
        return None
    for referrer in heapwalk.referrers([mapping]):
        if statics.is_class(referrer) and statics.class_dict(referrer).get("__module__") is module:
            return referrer  # type: ignore[no-any-return]
    return None


def _is_benign(referrer: object, kind: type) -> bool:
    """Referrers that hold an original without being a way to call it behind our back."""
    if issubclass(kind, classmethod | staticmethod | types.ModuleType | property):
        return True
    if issubclass(kind, _PROXY_TYPES) or is_call_proxy(referrer):
        return True  # our own wrappers (and other wrapt proxies) call through to it
    if kind is types.FunctionType or issubclass(kind, type):
        return True  # `__wrapped__` chains and class bodies we already rewrote
    if issubclass(kind, tuple):
        return all(statics.is_class(item) for item in gc.get_referents(referrer))
    return False


def _is_wrapper_type(kind: type) -> bool:
    """seamrec's wrappers and other wrapt proxies."""
    return issubclass(kind, _PROXY_TYPES) or kind in CALL_TYPES


def _holds(referrer: object, original: object) -> bool:
    """Whether `referrer` itself (not something it contains) refers to `original`."""
    if issubclass(type(referrer), dict):
        return any(key is original for key in referrer)  # type: ignore[attr-defined]
    return any(item is original for item in gc.get_referents(referrer))


def _describe_holder(referrer: object) -> str:
    kind = type(referrer)
    if issubclass(kind, dict):
        return "a dict key"
    if kind is types.CellType:
        return "a closure variable"
    if kind is types.MethodType:
        return f"a bound method of {statics.type_path(type(referrer.__self__))}"  # type: ignore[attr-defined]
    return f"a {statics.type_path(kind)}"
