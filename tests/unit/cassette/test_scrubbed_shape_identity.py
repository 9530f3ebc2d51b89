"""seamrec.cassette.redact: a shape with no secret in its strings is given back as the
very object (so a cassette keeps its shapes, and later cassettes find the shape clean by
identity); one with a secret used as a key is a new shape with the placeholder."""

from __future__ import annotations

from seamrec.cassette.redact import Redactor
from seamrec.cassette.secrets import PLACEHOLDER
from seamrec.model.shape import Shape

GHP = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
LONG_NAME = "HyperlinkedModelSerializerWithAVeryLongName"  # unsure by the repr alone


def test_a_clean_shape_the_repr_cannot_clear_is_the_same_object() -> None:
    shape: Shape = ("obj", LONG_NAME, ("url", "owner"), ((("str",),), (("int",),)))
    redactor = Redactor(())

    assert not redactor._clears(shape)  # walked, string by string
    assert redactor.scrub_shape(shape) is shape
    assert Redactor(()).scrub_shape(shape) is shape


def test_a_shape_with_a_secret_key_is_a_new_shape() -> None:
    shape: Shape = ("dict", "dict", (GHP, "id"), ((("str",),), (("int",),)))

    scrubbed = Redactor(()).scrub_shape(shape)

    assert scrubbed is not shape
    assert (PLACEHOLDER, "id") == scrubbed[2]
    assert shape[3] is scrubbed[3]  # the parts without one are kept as they are
