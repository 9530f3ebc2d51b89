"""Per-shape generated checks on the pure path: when a check becomes generated code.

Without the C accelerator a check of a recorded shape was a tree of
``seamrec.model.conform``'s closures: one call per node, a one-value list per call, generic
loops over field lists. ``seamrec.model.checksource`` writes the same check out as Python
source per shape; this module decides when, and keeps what was built.

Compiling costs ~50 µs a shape (~0.3 ms when its structure is new: ``compile()``), more
than conform's closures (~20 µs), so a check starts as the closure and becomes generated
code at its ``HOT_CALLS``-th call: the function the caller holds gets the generated
``__code__`` (and runs in the namespace the source was executed in), so a hot check pays
no extra call. A suite of many shapes checked a few times each pays what it paid before;
a hot seam runs generated code. Checks are kept by shape value, so a record run whose seam
alternates between shapes builds each check once.

``conform``'s closures stay the reference: every generated check gives their verdict on
every value (``tests/unit/model/test_checkgen.py`` holds them to it with hypothesis).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import CodeType, FunctionType
from typing import Any, cast

from seamrec.model import checksource, conform
from seamrec.model.checksource import TooLarge, Writer
from seamrec.model.shape import Shape, ShapeFunction

HOT_CALLS = 16  # calls of a check before its code is generated
CACHE_SIZE = 2048  # checks kept by shape value

_checks: dict[tuple[Any, ...], Any] = {}

# The function a caller gets: the closure until HOT_CALLS calls, then `upgrade` swaps in
# the generated code (see the module docstring).
_TIERED_SOURCE = compile(
    """
def value_check(column):
    global calls
    calls += 1
    if calls == hot:
        upgrade()
    return reference(column)

def args_check(live_names, values):
    global calls
    calls += 1
    if calls == hot:
        upgrade()
    return reference(live_names, values)
""",
    "<seamrec tiered check>",
    "exec",
)
_tiered_functions: dict[str, Any] = {}
exec(_TIERED_SOURCE, _tiered_functions)
_TIERED: dict[str, CodeType] = {
    name: _tiered_functions[name].__code__ for name in ("value_check", "args_check")
}


def compile_value(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False
) -> conform.Check | None:
    """`conform.pure_compile_value`, generated once the check is hot (None: no cheap
    strict check exists)."""
    check: conform.Check | None = _compile(
        "value", shape, shape_of, strict, conform.pure_compile_value
    )
    return check


def compile_args(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False
) -> conform.ArgsCheck | None:
    """`conform.pure_compile_args`, generated once the check is hot."""
    if shape[:1] != ("args",):
        return None
    check: conform.ArgsCheck | None = _compile(
        "args", shape, shape_of, strict, conform.pure_compile_args
    )
    return check


def _compile(
    kind: str, shape: Shape, shape_of: ShapeFunction, strict: bool, reference_of: Any
) -> Any:
    """The cached check of `kind` ("value" or "args") for `shape`: the reference closure
    from `reference_of`, generated once hot (None when there is no reference)."""
    key = (kind, shape, strict, shape_of)
    try:
        return _checks[key]
    except (KeyError, TypeError):
        pass
    reference = reference_of(shape, shape_of, strict=strict)
    check = None
    if reference is not None:
        name = f"{kind}_check"
        check = _tiered(name, reference, lambda w: getattr(w, name)(shape), shape_of, strict)
    _remember(key, check)
    return check


def generate_value(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False
) -> conform.Check | None:
    """The generated check of `shape` at once, uncached (tests and benchmarks)."""
    try:
        return Writer(shape_of, strict, {}).value_check(shape)
    except conform._Undecidable:
        return None
    except _UNWRITTEN:
        return conform.pure_compile_value(shape, shape_of, strict=strict)


def generate_args(
    shape: Shape, shape_of: ShapeFunction, *, strict: bool = False
) -> conform.ArgsCheck | None:
    """The generated check of bound arguments at once, uncached."""
    if shape[:1] != ("args",):
        return None
    try:
        return Writer(shape_of, strict, {}).args_check(shape)
    except conform._Undecidable:
        return None
    except _UNWRITTEN:
        return conform.pure_compile_args(shape, shape_of, strict=strict)


def _tiered(
    entry: str,
    reference: Callable[..., bool],
    write: Callable[[Writer], Callable[..., bool]],
    shape_of: ShapeFunction,
    strict: bool,
) -> Any:
    """A function that runs `reference` and becomes the generated check when hot."""
    namespace: dict[str, object] = {"calls": 0, "hot": HOT_CALLS, "reference": reference}
    function = FunctionType(_TIERED[entry], namespace)

    def upgrade() -> None:
        try:
            generated = write(Writer(shape_of, strict, namespace))
        except Exception:  # the reference keeps checking, as before
            return
        function.__code__ = cast(FunctionType, generated).__code__

    namespace["upgrade"] = upgrade
    return function


def forget() -> None:
    """Drop every kept check and compiled code (benchmarks measure cold compiles)."""
    _checks.clear()
    checksource.CODE.clear()


def _remember(key: tuple[Any, ...], check: object) -> None:
    if len(_checks) >= CACHE_SIZE:
        _checks.clear()
    with contextlib.suppress(TypeError):  # an unhashable shape (lists) is not kept
        _checks[key] = check


_UNWRITTEN = (TooLarge, RecursionError, SyntaxError)  # the closures check such shapes
