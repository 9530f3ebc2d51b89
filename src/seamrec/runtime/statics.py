"""Static inspection: facts about foreign objects read without running any of their code.

Module globals and class attributes of the app hold anything: werkzeug `LocalProxy`
(`flask.g`), Django `LazyObject`, mocks, objects whose `__getattr__`, `__class__` or
`__bool__` raise. `hasattr`, `getattr`, `isinstance` (which reads `__class__`) and `bool()`
can run their code. Everything here uses `type()`, the C-level descriptors of `type` and
the class `__dict__` of each class in the MRO, never attribute access on the object.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Any

_TYPE_DICT: Any = type.__dict__["__dict__"]
_TYPE_MODULE: Any = type.__dict__["__module__"]
_TYPE_QUALNAME: Any = type.__dict__["__qualname__"]
_TYPE_MRO: Any = type.__dict__["__mro__"]

MISSING: Any = object()  # what `lookup` returns for a name no class in the MRO defines
_ATTRIBUTE_HOOKS = ("__getattr__", "__getattribute__", "__class__")
_PLAIN_HOOKS = {
    name: tuple(vars(base).get(name) for base in (object, type, types.ModuleType))
    for name in _ATTRIBUTE_HOOKS
}
_C_SLOTS = (types.WrapperDescriptorType, types.GetSetDescriptorType)
# Proxies of the language itself (type aliases, generics): never seams, never worth a line.
_LANGUAGE_MODULES = frozenset(("builtins", "types", "typing", "typing_extensions", "abc"))


def is_class(value: object) -> bool:
    """Whether `value` is a class (its type derives from `type`), without reading `__class__`."""
    return issubclass(type(value), type)


def class_dict(cls: type) -> Mapping[str, Any]:
    """The class's own namespace, bypassing any metaclass attribute hook."""
    namespace: Mapping[str, Any] = _TYPE_DICT.__get__(cls)
    return namespace


def class_module(cls: type) -> str | None:
    """The module that defined `cls` (type's own C getter: the namespace entry, or the
    C type's name), or None when it does not say."""
    try:
        module = _TYPE_MODULE.__get__(cls)
    except AttributeError:
        return None
    return module if type(module) is str else None


def class_qualname(cls: type) -> str:
    """The class's qualified name (the C slot, never a metaclass property)."""
    name: str = _TYPE_QUALNAME.__get__(cls)
    return name


def mro(cls: type) -> tuple[type, ...]:
    """The method resolution order of `cls`."""
    order: tuple[type, ...] = _TYPE_MRO.__get__(cls)
    return order


def type_path(cls: type) -> str:
    """`module.Qualname` of a class, for messages."""
    module = class_module(cls) or "?"
    qualname = class_qualname(cls)
    return qualname if module == "builtins" else f"{module}.{qualname}"


def lookup(cls: type, name: str) -> Any:
    """What the class namespace of `cls` (through its MRO) holds under `name`, or MISSING."""
    for base in mro(cls):
        namespace = class_dict(base)
        if name in namespace:
            return namespace[name]
    return MISSING


def is_proxy_type(cls: type) -> bool:
    """Whether instances of `cls` may stand for another object: the class hooks attribute
    lookup (`__getattr__`, `__getattribute__`) or answers `__class__` itself. Such objects
    (werkzeug `LocalProxy`, Django `LazyObject`, mocks) are never evaluated."""
    for name in _ATTRIBUTE_HOOKS:
        found = lookup(cls, name)
        if found is MISSING or any(found is plain for plain in _PLAIN_HOOKS[name]):
            continue
        if type(found) in _C_SLOTS:
            continue  # a C type's own slot (str.__getattribute__): plain lookup
        return class_module(cls) not in _LANGUAGE_MODULES
    return False


def instance_dict(obj: object) -> dict[str, Any] | None:
    """The instance `__dict__` of `obj` when the C slot provides it, else None (a class
    that defines `__dict__` itself, as proxies do, is never asked)."""
    descriptor = lookup(type(obj), "__dict__")
    if type(descriptor) is not types.GetSetDescriptorType:
        return None
    try:
        namespace = descriptor.__get__(obj)
    except Exception:  # a C type that refuses: nothing to read
        return None
    return namespace if type(namespace) is dict else None


def slots(obj: object) -> Iterator[tuple[types.MemberDescriptorType, Any]]:
    """(descriptor, value) of every `__slots__` member that is set on `obj`."""
    for base in mro(type(obj)):
        for value in list(class_dict(base).values()):
            if type(value) is types.MemberDescriptorType:
                try:
                    yield value, value.__get__(obj)
                except AttributeError:  # an unset slot
                    continue


def dict_entry(obj: object, name: str) -> Any:
    """`obj.__dict__[name]` read statically, or MISSING."""
    namespace = instance_dict(obj)
    if namespace is None:
        return MISSING
    return namespace.get(name, MISSING)


def is_callable_type(cls: type) -> bool:
    """Whether instances of `cls` can be called (the type defines `__call__`)."""
    return lookup(cls, "__call__") is not MISSING


def is_data_descriptor_type(cls: type) -> bool:
    """Whether instances of `cls` are data descriptors (the type defines `__set__` or
    `__delete__`): a class attribute that manages an instance attribute, such as a
    SQLAlchemy column (`InstrumentedAttribute`), never a callable seam."""
    return lookup(cls, "__set__") is not MISSING or lookup(cls, "__delete__") is not MISSING
