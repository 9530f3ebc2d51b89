"""A cassette as stable, readable text (also what `git diff` shows through textconv)."""

from __future__ import annotations

import dataclasses
import json
import pprint
from collections.abc import Iterable
from typing import Any

from seamrec.cassette.store import VERSION, Cassette
from seamrec.model.codec import pack, unpack
from seamrec.review.contract import contracts_of


def cassette_text(cassette: Cassette) -> str:
    """Every seam of the cassette: its shapes as contract lines, then the kept payloads."""
    contracts = contracts_of(cassette)
    lines = [
        f"seamrec cassette (format {VERSION})",
        f"test: {cassette.test}",
        f"calls: {cassette.call_count()} across {len(contracts)} seam{_s(len(contracts))}",
    ]
    for seam in sorted(contracts):
        contract = contracts[seam]
        lines += ["", f"## {seam}  ({contract.calls} call{_s(contract.calls)})"]
        lines.append(f"called by: {', '.join(sorted(contract.callers))}")
        lines += contract.path_lines()
        kept = [c for c in cassette.calls if c.seam == seam]
        for call in kept:
            lines.append(f"call {call.index + 1} from {call.caller}: {call.outcome}")
            lines += _payload_lines("args", call.args)
            lines += _payload_lines(call.outcome, call.result)
        if contract.calls > len(kept):
            rest = contract.calls - len(kept)
            lines.append(f"({rest} more call{_s(rest)}: shapes only)")
    return "\n".join(lines) + "\n"


def cassette_json(cassette: Cassette) -> str:
    """The cassette's seams, shapes and call counts as JSON (no payload values)."""
    contracts = contracts_of(cassette)
    document = {
        "test": cassette.test,
        "calls": cassette.call_count(),
        "seams": {
            seam: {
                "calls": contracts[seam].calls,
                "callers": sorted(contracts[seam].callers),
                "contract": [e.line() for e in contracts[seam].entries()],
            }
            for seam in sorted(contracts)
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _payload_lines(label: str, tree: Any) -> list[str]:
    text = pprint.pformat(_stable(unpack(pack(tree))), width=96, sort_dicts=False)
    first, *rest = text.splitlines()
    return [f"  {label}: {first}", *(f"  {' ' * len(label)}  {line}" for line in rest)]


class _ShownSet:
    """A set shown with its members in a fixed order (a set's own repr follows the hash
    seed, and textconv output must not change between runs)."""

    def __init__(self, members: Iterable[Any], frozen: bool) -> None:
        self.members = sorted((_stable(m) for m in members), key=repr)
        self.frozen = frozen

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ShownSet) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))  # it can be a dict key, as a frozenset can

    def __repr__(self) -> str:
        inner = "{" + ", ".join(map(repr, self.members)) + "}" if self.members else ""
        if self.frozen:
            return f"frozenset({inner})"
        return inner or "set()"


def _stable(value: Any) -> Any:
    """`value` with every set replaced by a `_ShownSet`, inside containers and views."""
    if isinstance(value, (set, frozenset)):
        return _ShownSet(value, isinstance(value, frozenset))
    if isinstance(value, dict):
        return {_stable(k): _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_stable(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _stable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _s(count: int) -> str:
    return "" if count == 1 else "s"
