"""A payload over the compiled packer's 64 KiB limit is cut without the reference's whole
walk: the C packer says so (False, not None), and the cut bytes are the reference's."""

from __future__ import annotations

import pytest

from seamrec.config import Limits
from seamrec.model import accel
from seamrec.model.codec import make_packer, pure_packer

pytestmark = pytest.mark.skipif(
    accel.packer_module is None, reason=f"no accelerator: {accel.missing or 'no _packer'}"
)

LIMITS = Limits(payload_calls=10, max_depth=32, max_items=100, max_str=2048)


def _rows(count: int) -> dict[str, object]:
    """The bound parameters of a multi-row insert (`Statement.parameters`' grouping)."""
    return {"params": ([(n, f"name {n}", n * 1.5, None) for n in range(count)],)}


@pytest.mark.parametrize("count", [2_700, 3_000, 10_000])
def test_a_payload_over_the_limit_packs_to_the_reference_cut(count: int) -> None:
    pack = make_packer(LIMITS)
    assert pack(_rows(count)) == pure_packer(pack)(_rows(count))


def test_the_compiled_packer_says_a_payload_passed_its_limit() -> None:
    from seamrec.model.codec import SelfRef

    packer = accel.packer_module.Packer(  # type: ignore[union-attr]
        lambda value: None, object, object, SelfRef, 32, 20_000, 0
    )
    assert packer({"rows": ["x" * 100] * 1_000}) is False
    assert packer({"rows": ["x" * 100] * 10}) == make_packer(LIMITS)({"rows": ["x" * 100] * 10})


def test_a_payload_under_the_limit_that_c_hands_back_is_not_cut() -> None:
    pack = make_packer(LIMITS)
    surrogate = {"text": "\ud800" * 10}  # a lone surrogate: C hands it back (None)
    assert pack(surrogate) == pure_packer(pack)(surrogate)
