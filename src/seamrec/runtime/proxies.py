"""Stand-ins for what an async or generator seam returns: they end the call when the
caller awaits or consumes it, and give back recorded outcomes when a seam is replayed."""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextvars import Token
from typing import Any, ClassVar, Protocol

from seamrec.exceptions import ReplayError
from seamrec.model.nesting import ENCLOSING, Parent
from seamrec.model.shape import Shape
from seamrec.runtime.calls import LiveCall
from seamrec.runtime.tape import Tape

__tracebackhide__ = True  # pytest shows no frame of this module in a test's traceback


class Ender(Protocol):
    """The strategy that started a call: it ends it (see `seamrec.runtime.strategy`)."""

    tape: Tape | None
    nests: ClassVar[bool]  # whether calls made while one runs are recorded as inside it

    def end(self, tape: Tape, call: LiveCall, outcome: str, value: object) -> None: ...

    def shape_of(self, value: object) -> Shape: ...

    def pack(self, value: object) -> bytes: ...

    def internal_error(self, exc: Exception, lost: str) -> None: ...


def leave(inside: Token[Parent | None]) -> None:
    """End a recorded call's turn as the enclosing call (quietly, should the code under
    test have switched contexts under it)."""
    try:  # noqa: SIM105 - once per recorded call: contextlib.suppress costs ~0.1 µs more
        ENCLOSING.reset(inside)
    except (ValueError, RuntimeError):
        pass


def awaited(
    ender: Ender,
    tape: Tape,
    call: LiveCall,
    wrapped: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    qualname: str,
) -> Any:
    """A coroutine that calls the seam when it is first awaited, and ends the call.

    The real coroutine is created only then, so a wrapper that is closed or cancelled
    before it starts leaves no never-awaited coroutine behind."""
    nests = ender.nests

    async def seam_call() -> Any:
        inside = ENCLOSING.set((call.seam, call.index)) if nests else None
        try:
            result = await wrapped(*args, **kwargs)
        except Exception as exc:
            ender.end(tape, call, "raise", exc)
            raise
        finally:
            if inside is not None:
                leave(inside)
        ender.end(tape, call, "return", result)
        return result

    coroutine: Any = seam_call()
    coroutine.__name__ = qualname.rpartition(".")[2]
    coroutine.__qualname__ = qualname
    return coroutine


def observed(
    ender: Ender, tape: Tape, call: LiveCall, generator: Generator[Any, Any, Any], max_items: int
) -> Generator[Any, Any, Any]:
    """Re-yield `generator`'s items, noting each one as the caller consumes it (with its
    payload, up to `max_items`, when the call keeps payloads)."""
    keep_payload = call.args_payload is not None and ender.nests
    enclosing = (call.seam, call.index) if ender.nests else None

    def step(resume: Callable[..., Any], *value: Any) -> Any:
        """Run the generator on to its next item, inside this call when recording."""
        if enclosing is None:
            return resume(*value)
        inside = ENCLOSING.set(enclosing)
        try:
            return resume(*value)
        finally:
            leave(inside)

    def note(item: object) -> None:
        if ender.tape is not tape:
            return
        try:
            shape = ender.shape_of(item)
            items = call.items
            if not items:
                call.items = [shape]  # the call's own list (`LiveCall.items`)
            elif items[-1] != shape:
                items.append(shape)  # type: ignore[attr-defined]  # its own list
            if keep_payload and len(call.item_payloads) < max_items:
                payloads = call.item_payloads
                if payloads:
                    payloads.append(ender.pack(item))  # type: ignore[attr-defined]
                else:
                    call.item_payloads = [ender.pack(item)]
        except Exception as exc:  # seamrec's own failure: report it, never raise it
            ender.internal_error(exc, f"an item yielded by {call.seam}")

    def failed(exc: Exception) -> None:
        if ender.tape is tape:
            tape.drop_generator(call)
            ender.end(tape, call, "raise", exc)

    try:
        item = step(generator.__next__)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:
        failed(exc)
        raise
    while True:
        note(item)
        try:
            sent = yield item
        except GeneratorExit:
            generator.close()
            raise
        except BaseException as exc:
            try:
                item = step(generator.throw, exc)
            except StopIteration as stop:
                return stop.value
            except Exception as raised:
                if raised is not exc:
                    failed(raised)
                raise
        else:
            try:
                item = step(generator.send, sent)
            except StopIteration as stop:
                return stop.value
            except Exception as exc:
                failed(exc)
                raise


def replayed_outcome(kind: str, outcome: str, value: Any) -> Any:
    """The recorded outcome in the form the seam's caller expects."""
    if outcome == "raise" and not isinstance(value, BaseException):
        raise ReplayError(f"the recorded exception is a {type(value).__name__}")
    if kind == "async":
        return _replayed_awaitable(outcome, value)
    if kind == "generator" and outcome == "raise":
        return _replayed_failure(value)  # a generator raises when first iterated
    if outcome == "raise":
        raise value
    if outcome == "yield":
        return _replayed_items(value)
    return value


def _replayed_items(items: list[Any]) -> Generator[Any, None, None]:
    yield from items


def _replayed_failure(error: BaseException) -> Generator[Any, None, None]:
    raise error
    yield  # pragma: no cover - makes this a generator function


async def _replayed_awaitable(outcome: str, value: Any) -> Any:
    if outcome == "raise":
        raise value
    return value
