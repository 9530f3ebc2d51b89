"""The wrapper's own share of a call of a plain method seam, in µs (issue 10).

Run: .venv/bin/python benchmarks/method_seam.py [--repeat 9] [--number 100000]

A one-argument method is called as `obj.method(1)` from its class's own module (the
common `self.helper()`: non-crossing) and from another module (crossing, through a
dispatcher whose `crossing` only calls the bound method), bare and through each wrapper:
wrapt's FunctionWrapper with the Python decision seamrec used for methods before (a bound
wrapper made per access), the compiled SeamCall (a method descriptor: no bound object)
and the pure one. Figures are CPU-time medians over the bare call.
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
LOOP = "def loop(obj, n):\n    for _ in range(n):\n        obj.method(1)\n"
exec("class Cls:\n    def method(self, a):\n        return a\n" + LOOP, HOME)
exec(LOOP, OTHER)
SEAM = Seam("home:Cls.method", "home", "Cls.method", "function", True, ("self", "a"), None)


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


def wrapt_decision(home_globals: dict[str, Any], dispatcher: PassThrough) -> Callable[..., Any]:
    """The wrapt wrapper function instrument.py gave methods (depth 1: wrapt's C)."""
    getframe = sys._getframe

    def seam_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        scope = getframe(1).f_globals
        if scope is home_globals:
            return wrapped(*args, **kwargs)
        caller = scope.get("__name__", "?")
        if caller == "home" or caller.startswith("seamrec."):
            return wrapped(*args, **kwargs)
        return dispatcher.crossing(SEAM, caller, wrapped, instance, args, kwargs)

    return seam_wrapper


def per_call(loop: Callable[[Any, int], None], obj: Any, number: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        loop(obj, number)
        samples.append(time.process_time() - start)
    return statistics.median(samples) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--number", type=int, default=100_000)
    options = parser.parse_args()
    dispatcher = PassThrough()
    cls = HOME["Cls"]
    original = vars(cls)["method"]
    wrappers: dict[str, Any] = {
        "wrapt FunctionWrapper": SeamWrapper(original, wrapt_decision(HOME, dispatcher), SEAM),
        "pure SeamCall": callproxy.make_call(original, HOME, SEAM, dispatcher, pure=True),
    }
    if callproxy.compiled is not None:
        wrappers["C SeamCall"] = callproxy.make_call(original, HOME, SEAM, dispatcher)
    else:
        print(f"(no compiled SeamCall: {callproxy.missing})")
    n, r = options.number, options.repeat
    obj = cls()
    bare_home = per_call(HOME["loop"], obj, n, r)
    bare_other = per_call(OTHER["loop"], obj, n, r)
    print(f"bare call {bare_home:.3f} µs; µs over it:")
    print(f"{'wrapper':>24}  {'non-crossing':>12}  {'crossing':>8}")
    try:
        for name, wrapper in wrappers.items():
            cls.method = wrapper
            home = per_call(HOME["loop"], obj, n, r) - bare_home
            other = per_call(OTHER["loop"], obj, n, r) - bare_other
            print(f"{name:>24}  {home:12.3f}  {other:8.3f}")
    finally:
        cls.method = original


if __name__ == "__main__":
    main()
