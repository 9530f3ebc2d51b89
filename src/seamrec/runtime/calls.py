"""The data of one test's crossing calls: a call in flight, and a drift found at one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seamrec.cassette.store import Run
from seamrec.model.shape import Shape
from seamrec.model.shape_types import CutShape

if TYPE_CHECKING:
    from seamrec.runtime.wrappers import Seam

UNFINISHED: Shape = CutShape.build("unfinished")
NO_ITEMS: tuple[()] = ()  # the items of a call that yielded none (never appended to)


@dataclass
class Finding:
    """A drift at one call of one seam (or a run of missing/unrecorded calls)."""

    seam: str
    index: int
    part: str  # "args" | "return" | "raise" | "yield" | "outcome" | "missing" | "unrecorded"
    recorded_shape: Shape | None = None
    live_shape: Shape | None = None
    recorded_payload: bytes | None = None
    live_payload: bytes | None = None
    recorded_outcome: str = ""
    live_outcome: str = ""
    count: int = 1
    recorded_total: int = 0
    message: str = ""
    context: bytes | None = None  # the live call's arguments, so secrets in them are known


class LiveCall:
    """A call in flight: what is known from its start until it ends."""

    __slots__ = (
        "args_context",
        "args_drift",
        "args_payload",
        "args_shape",
        "bound_names",
        "bound_seam",
        "bound_values",
        "caller",
        "expected",
        "extra",
        "held",
        "index",
        "item_payloads",
        "items",
        "outcome",
        "result_drift",
        "result_payload",
        "result_shape",
        "seam",
        "sequence",
    )
    bound_names: tuple[str, ...]  # set with `bound_seam`
    bound_values: list[object]  # set with `bound_seam`

    def __init__(
        self,
        seam: str,
        caller: str,
        index: int,
        sequence: int,
        args_shape: Shape,
        args_payload: bytes | None,
        expected: Run | None,
    ) -> None:
        self.seam = seam
        self.caller = caller
        self.index = index
        self.sequence = sequence
        self.args_shape = args_shape
        self.args_payload = args_payload
        self.expected = expected  # the recorded run this call is checked against
        self.outcome = ""
        self.result_shape: Shape = UNFINISHED
        self.result_payload: bytes | None = None
        # a generator's yielded shapes and payloads: a list of its own from the first
        # item on (`proxies.observed`); most calls yield nothing and share `NO_ITEMS`
        self.items: Sequence[Shape] = NO_ITEMS
        self.item_payloads: Sequence[bytes] = NO_ITEMS
        self.args_drift = False
        # A checked call keeps its arguments as bound (`bound_seam`, then `bound_names` and
        # `bound_values`, set together only when there is a recording to check against);
        # they are packed into `args_context` once a drift report needs them.
        self.bound_seam: Seam | None = None
        self.args_context: bytes | None = None
        self.result_drift = False
        self.held = False
        self.extra = False  # a call beyond the recording, kept for the alignment

    def shapes(self) -> Run:
        """This call's shapes as a run of one call (outcome "" while unfinished)."""
        return Run(self.args_shape, self.outcome, self.result_shape, 1)
