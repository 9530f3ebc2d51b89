"""The wrapper's own share of a call of a plain function or method seam, in µs (issues 13, 10).

Run: .venv/bin/python benchmarks/seam_wrapper.py [--method] [--repeat 9] [--number 100000]

A two-argument function (with `--method`: a one-argument method, called as `obj.method(1)`)
is called from its own module (non-crossing; for a method the common `self.helper()`) and
from another module (crossing, through a dispatcher whose `crossing` only calls it), bare
and through each wrapper: wrapt's FunctionWrapper with the Python decision seamrec used
before the call proxy (for a method, a bound wrapper made per access), the compiled SeamCall
(for a method, a method descriptor: no bound object) and the pure one. Figures are CPU-time
medians over the bare call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from seamrec.runtime import callproxy
from seamrec.runtime.wrappers import Seam, SeamWrapper

HOME: dict[str, Any] = {"__name__": "home"}
OTHER: dict[str, Any] = {"__name__": "other"}
LOOPS = (
    "def loop(function, n):\n    for _ in range(n):\n        function(1, 2)\n"
    "def method_loop(obj, n):\n    for _ in range(n):\n        obj.method(1)\n"
)
exec(
    "def f(a, b):\n    return a\nclass Cls:\n    def method(self, a):\n        return a\n" + LOOPS,
    HOME,
)
exec(LOOPS, OTHER)
FUNCTION_SEAM = Seam("home:f", "home", "f", "function", False, ("a", "b"), None)
METHOD_SEAM = Seam("home:Cls.method", "home", "Cls.method", "function", True, ("self", "a"), None)


class PassThrough:
    """A dispatcher that makes each crossing call and nothing else."""

    def crossing(
        self,
        seam: Seam,
        caller: str,
        wrapped: Callable[..., Any],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        return wrapped(*args, **kwargs)


def wrapt_decision(
    home_globals: dict[str, Any], dispatcher: PassThrough, seam: Seam
) -> Callable[..., Any]:
    """The wrapt wrapper function instrument.py uses for class- and staticmethods (and
    used for every method before the call proxy; depth 1: wrapt's C)."""
    getframe = sys._getframe

    def seam_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        scope = getframe(1).f_globals
        if scope is home_globals:
            return wrapped(*args, **kwargs)
        caller = scope.get("__name__", "?")
        if caller == "home" or caller.startswith("seamrec."):
            return wrapped(*args, **kwargs)
        return dispatcher.crossing(seam, caller, wrapped, instance, args, kwargs)

    return seam_wrapper


def per_call(loop: Callable[[Any, int], None], target: Any, number: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        loop(target, number)
        samples.append(time.process_time() - start)
    return statistics.median(samples) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", action="store_true", help="a plain method seam")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--number", type=int, default=100_000)
    options = parser.parse_args()
    dispatcher = PassThrough()
    cls = HOME["Cls"]
    seam = METHOD_SEAM if options.method else FUNCTION_SEAM
    original = vars(cls)["method"] if options.method else HOME["f"]
    wrappers: dict[str, Any] = {
        "wrapt FunctionWrapper": SeamWrapper(
            original, wrapt_decision(HOME, dispatcher, seam), seam
        ),
        "pure SeamCall": callproxy.make_call(original, HOME, seam, dispatcher, pure=True),
    }
    if callproxy.compiled is not None:
        wrappers["C SeamCall"] = callproxy.make_call(original, HOME, seam, dispatcher)
    else:
        print(f"(no compiled SeamCall: {callproxy.missing})")
    n, r = options.number, options.repeat
    loop = "method_loop" if options.method else "loop"
    target = cls() if options.method else original
    bare_home = per_call(HOME[loop], target, n, r)
    bare_other = per_call(OTHER[loop], target, n, r)
    print(f"bare call {bare_home:.3f} µs; µs over it:")
    print(f"{'wrapper':>24}  {'non-crossing':>12}  {'crossing':>8}")
    try:
        for name, wrapper in wrappers.items():
            if options.method:
                cls.method = wrapper
            else:
                target = wrapper
            home = per_call(HOME[loop], target, n, r) - bare_home
            other = per_call(OTHER[loop], target, n, r) - bare_other
            print(f"{name:>24}  {home:12.3f}  {other:8.3f}")
    finally:
        if options.method:
            cls.method = original


if __name__ == "__main__":
    main()
