"""A value recorded by its type only (a generator, a class, a connection) packs to the
bytes the encoder gives it, however often its class recurs, through the compiled packer
and the pure one; a type the encoder walks whatever the classifier says stays walked."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator

import pytest

from seamrec.config import Limits
from seamrec.model.classify import Classifier
from seamrec.model.codec import make_encoder, make_packer, pack, pure_packer


def numbers() -> Iterator[int]:
    yield 1


def payloads() -> list[object]:
    connection = sqlite3.connect(":memory:")
    return [
        numbers(),
        int,
        {"id": int, "name": str, "rows": numbers()},
        [connection, connection, itertools.chain()],
        (numbers(), str),
        {"nested": [{"kind": bytes}, {"kind": int}]},
    ]


@pytest.mark.parametrize("packed_by", ["compiled", "pure"])
def test_values_recorded_by_type_pack_as_the_encoder_gives_them(packed_by: str) -> None:
    packer = make_packer(Limits())
    pack_payload = packer if packed_by == "compiled" else pure_packer(packer)
    encode = make_encoder(Limits())

    for _ in range(3):  # the class met again gives the same bytes
        assert [pack(encode(value)) for value in payloads()] == [
            pack_payload(value) for value in payloads()
        ]


def test_a_set_named_opaque_is_still_encoded_as_a_set() -> None:
    classifier = Classifier(opaque_types=("builtins.set", "builtins.frozenset"))
    pack_payload = pure_packer(make_packer(Limits(), classifier))
    encode = make_encoder(Limits(), classifier)

    for value in ({3, 1, 2}, frozenset({"a"}), {"k": {1}}):
        assert pack(encode(value)) == pack_payload(value)


def test_with_no_depth_a_value_is_cut_not_named_by_its_type() -> None:
    limits = Limits(max_depth=0)
    pack_payload = pure_packer(make_packer(limits))

    assert pack(make_encoder(limits)(numbers())) == pack_payload(numbers())
