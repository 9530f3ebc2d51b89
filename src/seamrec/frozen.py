"""`FrozenRecord`: what `dataclass(frozen=True)` generates for a class, written once.

dataclasses compiles every method it generates (`__init__`, `__eq__`, `__hash__`,
`__repr__`, `__setattr__`, `__delattr__`) from source text when the class is defined,
which costs each seamrec run about half a million instructions per method at start.
A record that seamrec imports in every run is a dataclass without generated methods
(`dataclass(init=False, repr=False, eq=False)`, so `fields` and `replace` still work),
writes its own `__init__` and inherits the rest from here, with the same results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, cast

__all__ = ["FrozenRecord"]

_KEYS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _key(value: Any) -> tuple[Any, ...]:
    """The values of the compared fields, as the generated `__eq__` and `__hash__` see them."""
    cls = type(value)
    key = _KEYS.get(cls)
    if key is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.compare)
        if len(names) == 1:
            only = attrgetter(names[0])
            key = _KEYS[cls] = lambda v: (only(v),)
        else:
            key = _KEYS[cls] = attrgetter(*names) if names else lambda v: ()
    return key(value)


class FrozenRecord:
    """Frozen fields, equality and hash by field values, the dataclass repr."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return _key(self) == _key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(_key(self))

    def __repr__(self) -> str:
        fields = dataclasses.fields(cast(Any, self))
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields if f.repr)
        return f"{type(self).__qualname__}({shown})"
