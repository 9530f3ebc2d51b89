"""A seam's parameters read from a plain function's code object are those
`inspect.signature` gives: for every function of the test process's heap, and for the
functions a decorator or a partialmethod re-describes (read through `inspect.signature`)."""

from __future__ import annotations

import functools
import gc
import inspect
import types
from typing import Any

import pytest

from seamrec.runtime.candidates import parameters_of


def by_signature(function: Any) -> tuple[list[str], str | None] | str:
    """The reference: the parameters `inspect.signature` gives, or the error's type."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__
    positional = [
        parameter.name
        for parameter in signature.parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    var_positional = [
        parameter.name
        for parameter in signature.parameters.values()
        if parameter.kind is parameter.VAR_POSITIONAL
    ]
    return positional, var_positional[0] if var_positional else None


def by_code(function: Any) -> tuple[list[str], str | None] | str:
    try:
        return parameters_of(function)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__


def every_kind(a: int, /, b: int, *rest: int, c: int, **extra: int) -> None:
    """Positional-only, positional, `*args`, keyword-only and `**kwargs`."""
    local = a + b  # a local variable follows the parameters in co_varnames
    del local


def keyword_only_then_nothing(*, key: int) -> None:
    """No positional parameter, no `*args`."""


def decorated(function: Any) -> Any:
    @functools.wraps(function)
    def inner(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return inner


class Methods:
    def method(self, value: int) -> None:
        """`self` counts as a positional parameter of the plain function."""

    def _target(self, first: int, second: int) -> None:
        """Re-described by the partialmethod below."""

    bound_first = functools.partialmethod(_target, 1)


def with_signature() -> types.FunctionType:
    def function(a: int, b: int) -> None:
        """Its `__signature__` says otherwise."""

    function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("only", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )
    return function  # type: ignore[return-value]


@pytest.mark.parametrize(
    "function",
    [
        every_kind,
        keyword_only_then_nothing,
        decorated(every_kind),
        decorated(keyword_only_then_nothing),
        Methods.method,
        Methods().method,
        with_signature(),
        vars(Methods)["bound_first"].__get__(None, Methods),
        len,
        print,
        functools.partial(every_kind, 1),
    ],
)
def test_the_parameters_are_those_of_the_signature(function: Any) -> None:
    assert by_signature(function) == by_code(function)


def test_every_function_of_the_heap_has_the_parameters_of_its_signature() -> None:
    functions = [held for held in gc.get_objects() if type(held) is types.FunctionType]

    different = [f for f in functions if by_signature(f) != by_code(f)]

    assert len(functions) > 1000
    assert [] == different


def test_a_comprehension_s_implicit_argument_is_named_as_inspect_names_it() -> None:
    outer = compile("[item for item in items]", "<comprehension>", "eval")
    code = next(const for const in outer.co_consts if type(const) is types.CodeType)
    comprehension = types.FunctionType(code, {})
    assert code.co_varnames[:1] == (".0",)

    assert by_signature(comprehension) == by_code(comprehension)
