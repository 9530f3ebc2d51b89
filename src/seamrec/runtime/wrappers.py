"""The wrappers seamrec puts in place of a seam: for plain module-level functions and the
plain methods of boundary classes the call proxy of `seamrec.runtime.callproxy` (compiled
when built: no Python frame on a call that crosses nothing); for class- and staticmethods,
methods without a `self` parameter and library seams wrapt function wrappers (they bind the
class; picklable and copyable like the function); for properties, property subclasses.
`is_seam_wrapper` and `seam_of` recognise them all."""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seamrec.frozen import FrozenRecord
from seamrec.runtime.callproxy import CALL_TYPES, is_call_proxy
from seamrec.runtime.wraptimport import wrapt

__tracebackhide__ = True  # pytest shows no frame of the property wrappers in a traceback


@dataclass(init=False, repr=False, eq=False)  # frozen: see seamrec.frozen
class Seam(FrozenRecord):
    """One wrapped callable and how to bind its arguments to parameter names."""

    id: str
    module: str
    qualname: str
    kind: str  # "function" | "async" | "generator"
    has_self: bool
    positional: tuple[str, ...]
    var_positional: str | None

    def __init__(
        self,
        id: str,
        module: str,
        qualname: str,
        kind: str,
        has_self: bool,
        positional: tuple[str, ...],
        var_positional: str | None,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "module", module)
        object.__setattr__(self, "qualname", qualname)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "has_self", has_self)
        object.__setattr__(self, "positional", positional)
        object.__setattr__(self, "var_positional", var_positional)

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


if TYPE_CHECKING:
    _FunctionWrapper = wrapt.FunctionWrapper[..., Any]
    _BoundFunctionWrapper = wrapt.BoundFunctionWrapper[..., Any]
else:
    _FunctionWrapper = wrapt.FunctionWrapper
    _BoundFunctionWrapper = wrapt.BoundFunctionWrapper


class SeamBoundWrapper(_BoundFunctionWrapper):
    """A wrapped method bound to its instance; pickles and copies like a bound method."""

    __seamrec_shown_as__ = "method"  # classify.SHOWN_AS: shapes never name seamrec's type

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


class _SeamWrapperType(type):
    """`isinstance(value, SeamWrapper)` also holds for the call proxies of plain function
    seams: every wrapper of a callable seam is a SeamWrapper to its readers."""

    def __instancecheck__(cls, instance: object) -> bool:
        if cls is SeamWrapper and type(instance) in CALL_TYPES:
            return True
        return type.__instancecheck__(cls, instance)


class SeamWrapper(_FunctionWrapper, metaclass=_SeamWrapperType):
    """A wrapt FunctionWrapper that knows its seam and survives copy and pickle."""

    __bound_function_wrapper__ = SeamBoundWrapper
    __seamrec_shown_as__ = "function"  # classify.SHOWN_AS: shapes never name seamrec's type

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


def is_seam_wrapper(value: object) -> bool:
    """Whether `value` is seamrec's wrapper of a callable seam (its type only is read)."""
    return type(value) is SeamWrapper or is_call_proxy(value)


def seam_of(value: object) -> Seam | None:
    """The seam `value` wraps, if it is seamrec's wrapper of a callable seam."""
    if not is_seam_wrapper(value):
        return None
    seam: Seam = value.seam  # type: ignore[attr-defined]
    return seam


Route = Callable[[Any, Callable[..., Any], object, tuple[Any, ...]], Any]
"""`route(caller_globals, call, instance, args)`: calls `call(*args)`, through the
dispatcher when the caller crosses the seam."""


class SeamProperty(property):
    """A boundary class's property: reads and writes from another module are calls of its
    seam (a read records `return`, a write `args.value`); the class reads the original."""

    def __init__(self, original: property, seam: Seam, route: Route) -> None:
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


class SeamCachedProperty(functools.cached_property[Any]):
    """A boundary class's `functools.cached_property`: the read that computes the value,
    from another module, is a call of its seam (later reads hit the instance `__dict__`)."""

    def __init__(self, original: functools.cached_property[Any], seam: Seam, route: Route) -> None:
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
