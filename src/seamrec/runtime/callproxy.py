"""The stand-in for a plain function seam: `SeamCall`, compiled (`_seamcall.c`) when built.

A plain function seam is a module-level function of the app, or a plain method (a function
with `self` in a boundary class's `__dict__`). A call of a seam decides "crossing or not"
from the caller's module globals: the home module's own globals, or a module named like it
or under `seamrec.`, call the original straight through; any other caller hands the call to
`dispatcher.crossing(seam, caller, wrapped, None, args, kwargs)`, or for a method (`method`:
its first positional argument is `self`) to `crossing(seam, caller, <wrapped bound to
self>, self, args[1:], kwargs)`, as wrapt's wrapper hands a method's call. The compiled type
decides without a Python frame (a C call pushes none, so the top frame is the caller's) and
is a method descriptor as a function is (`obj.method(x)` calls it with `(obj, x)`, no bound
object made); this pure Python class is its twin, the reference and the fallback
(`SEAMREC_PURE=1` forces it). Both behave like the function as wrapt's proxy did: attributes
are the function's (read and written through), `__class__` is the function's class (so
`inspect` sees a function, async or generator), they compare and hash as the function, bind
as a method on a class (a bound method whose `__func__` is the proxy), pickle by reference
and copy as themselves. Class- and staticmethods, properties and library seams keep the
wrapt wrappers of `seamrec.runtime.wrappers`, which bind the class and decide by boundaries.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from seamrec.compiled import PURE_VARIABLE, compiled_module

if TYPE_CHECKING:
    from seamrec.runtime.wrappers import Seam

__tracebackhide__ = True  # pytest shows no frame of the pure wrapper in a traceback


_getframe = sys._getframe


class SeamCall:
    """A plain function seam, in pure Python: the call's caller decides (see the module)."""

    __seamrec_shown_as__ = "function"  # classify.SHOWN_AS: shapes never name seamrec's type

    __slots__ = (
        "__weakref__",
        "__wrapped__",
        "_seamrec_dispatcher",
        "_seamrec_globals",
        "_seamrec_home",
        "_seamrec_method",
        "seam",
    )

    __wrapped__: Callable[..., Any]
    seam: Seam

    def __init__(
        self,
        wrapped: Callable[..., Any],
        home_globals: dict[str, Any],
        home_name: str,
        seam: Seam,
        dispatcher: Any,
        method: bool = False,
    ) -> None:
        own = object.__setattr__
        own(self, "__wrapped__", wrapped)
        own(self, "_seamrec_globals", home_globals)
        own(self, "_seamrec_home", home_name)
        own(self, "seam", seam)
        own(self, "_seamrec_dispatcher", dispatcher)
        own(self, "_seamrec_method", method)

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:  # a keyword may be `self`
        try:
            scope = _getframe(1).f_globals
        except ValueError:  # no Python caller: no module crossed anything
            return self.__wrapped__(*args, **kwargs)
        if scope is self._seamrec_globals:  # a call inside the module: the cheapest check
            return self.__wrapped__(*args, **kwargs)
        caller = scope.get("__name__", "?")
        if type(caller) is not str:
            caller = "?"  # as the compiled twin reads a module without a usable name
        elif caller == self._seamrec_home or caller.startswith("seamrec."):
            return self.__wrapped__(*args, **kwargs)  # seamrec reading a value
        crossing = self._seamrec_dispatcher.crossing
        if self._seamrec_method:
            if not args:  # no instance to bind: the function answers the call
                return self.__wrapped__(*args, **kwargs)
            instance = args[0]
            bound = types.MethodType(self.__wrapped__, instance)
            return crossing(self.seam, caller, bound, instance, args[1:], kwargs)
        return crossing(self.seam, caller, self.__wrapped__, None, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__wrapped__, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.__wrapped__, name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        """The function's class: `isinstance(wrapper, types.FunctionType)` holds."""
        cls: type = self.__wrapped__.__class__
        return cls

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        doc: str | None = self.__wrapped__.__doc__
        return doc

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        """Stored on a class, the wrapper binds as the function would."""
        if instance is None:
            return self
        return types.MethodType(self, instance)

    def __eq__(self, other: object) -> bool:
        if is_call_proxy(other):
            other = other.__wrapped__  # type: ignore[attr-defined]
        return bool(self.__wrapped__ == other)

    def __hash__(self) -> int:
        return hash(self.__wrapped__)

    def __repr__(self) -> str:
        return f"<seamrec wrapper of {self.__wrapped__!r}>"

    def __copy__(self) -> SeamCall:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> SeamCall:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickled by reference, like the function itself: unpickling finds the wrapper.
        return self.seam.qualname


# The class's own `__module__` and `__annotations__` entries would answer for the
# function's (wrapt's proxy forwards them too).
SeamCall.__module__ = property(lambda self: self.__wrapped__.__module__)  # type: ignore[assignment]
SeamCall.__annotations__ = property(  # type: ignore[assignment]
    lambda self: self.__wrapped__.__annotations__
)


def _load() -> tuple[type | None, str]:
    """The compiled SeamCall and why it is missing ("" when loaded)."""
    module, missing = compiled_module("seamrec.runtime._seamcall")
    if module is None:
        return None, missing
    compiled_type: type = module.SeamCall
    return compiled_type, ""


compiled, missing = _load()
"""The compiled SeamCall (None: the pure class stands in) and why it is missing."""


def compiled_part(name: str) -> Any:
    """Another type of `_seamcall` (`SteadyCommit`, `RecordStep`, `CheckStep`), None when
    pure Python runs (`SEAMREC_PURE=1`, or not built, or built before it existed)."""
    if compiled is None:
        return None
    module, _ = compiled_module("seamrec.runtime._seamcall")  # imported: read from sys.modules
    return getattr(module, name, None)


CALL_TYPES: tuple[type, ...] = (SeamCall,) if compiled is None else (SeamCall, compiled)
"""Every type of plain function seam wrapper."""

_TYPES = frozenset(CALL_TYPES)


def make_call(
    wrapped: types.FunctionType,
    home_globals: dict[str, Any],
    seam: Seam,
    dispatcher: Any,
    *,
    pure: bool = False,
) -> Any:
    """The wrapper of the plain function seam `seam` (a method's when it has `self`), whose
    crossing calls go to `dispatcher.crossing` (compiled unless `pure` or not built)."""
    kind: Any = SeamCall if pure or compiled is None else compiled
    return kind(wrapped, home_globals, seam.module, seam, dispatcher, seam.has_self)


def is_call_proxy(value: object) -> bool:
    """Whether `value` is a plain function seam wrapper (its type only is read)."""
    return type(value) in _TYPES


def notice() -> str | None:
    """The one line a seamrec run prints when the compiled wrapper could not be loaded
    (None when it is loaded, or when SEAMREC_PURE asked for pure Python)."""
    if compiled is not None or missing.startswith(PURE_VARIABLE):
        return None
    return (
        f"seamrec: the compiled seam wrapper is {missing}; plain function seams are "
        "wrapped in pure Python (slower; reinstall with a C compiler to build it)"
    )
