"""`self` of a method seam is recorded and checked by its type path without reading its
`__class__` (a lazy object or a proxy runs code there): the shape, conform's check and
the generated pure check read `type()` only."""

from __future__ import annotations

import pytest

from seamrec.model import accel, checkgen, conform
from seamrec.model.shape import make_shape_function, self_shape


class Lazy:
    """A class whose instances answer `__class__` with code (counted)."""

    reads = 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        Lazy.reads += 1
        return Lazy


PATH = f"{__name__}.Lazy"


def test_the_shape_of_self_reads_no_class_attribute() -> None:
    Lazy.reads = 0
    assert ("self", PATH) == self_shape(Lazy())
    assert ("self", PATH) == self_shape(Lazy)
    assert 0 == Lazy.reads


def test_the_checks_of_self_read_no_class_attribute() -> None:
    Lazy.reads = 0
    shape = ("args", ("self", "x"), ((("self", PATH),), (("int",),)))
    shape_of = make_shape_function()
    pure = conform.pure_compile_args(shape, shape_of)
    generated = checkgen.generate_args(shape, shape_of)
    assert pure is not None
    assert generated is not None
    verdicts = [check(("self", "x"), [Lazy(), 1]) for check in (pure, generated)]
    assert [True, True] == verdicts
    assert 0 == Lazy.reads


@pytest.mark.skipif(accel.compiled is None, reason=f"not compiled: {accel.missing}")
def test_the_compiled_check_of_self_reads_no_class_attribute() -> None:
    Lazy.reads = 0
    shape = ("args", ("self", "x"), ((("self", PATH),), (("int",),)))
    check = accel.compile_args(shape, make_shape_function())
    assert check is not None
    assert check(("self", "x"), [Lazy(), 1])
    assert 0 == Lazy.reads
