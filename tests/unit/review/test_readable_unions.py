"""`seamrec.review.contract_unions`: long unions of class names written for reading."""

from __future__ import annotations

from seamrec.review.contract_unions import readable_types

SEAM = "django_filters.filterset:BaseFilterSet.qs"


def test_fewer_than_four_names_are_written_in_full() -> None:
    types = ("app.a.One (self)", "app.b.Two (self)", "app.c.Three (self)")

    assert types == readable_types(types, SEAM)


def test_four_receivers_are_the_seams_own_class() -> None:
    types = tuple(f"tests.test_forms.T.test_{n}.<locals>.F (self)" for n in "abcd")

    assert ("django_filters.filterset.BaseFilterSet or a subclass (self)",) == (
        readable_types(types, SEAM)
    )


def test_a_function_seam_has_no_class_to_name() -> None:
    types = tuple(f"app.models.M{n} (self)" for n in range(4))

    assert ("app.models.{M0, M1, M2, M3} (self)",) == readable_types(types, "app.views:show")


def test_names_of_one_package_and_kind_share_their_prefix_and_suffix() -> None:
    types = (
        "django.db.models.fields.BooleanField (opaque)",
        "django.db.models.fields.CharField (opaque)",
        "django.db.models.fields.related.ForeignKey (opaque)",
        "django.db.models.fields.reverse_related.ManyToOneRel (opaque)",
        "tests.models.SubSubCharField (opaque)",
        "None",
    )

    assert (
        "django.db.models.fields.{BooleanField, CharField, related.ForeignKey, "
        "reverse_related.ManyToOneRel} (opaque)",
        "tests.models.SubSubCharField (opaque)",
        "None",
    ) == readable_types(types, SEAM)


def test_generic_names_keep_what_follows_the_differing_part() -> None:
    types = tuple(
        f"django.db.models.query.QuerySet[tests.models.{m}, ModelIterable] (opaque)"
        for m in ("Account", "Article", "Book", "User")
    )

    assert (
        "django.db.models.query.QuerySet[tests.models.{Account, Article, Book, User}, "
        "ModelIterable] (opaque)",
    ) == readable_types(types, SEAM)


def test_names_of_different_kinds_are_braced_apart() -> None:
    opaque = tuple(f"lib.pkg.mod.C{n} (opaque)" for n in range(4))
    walked = tuple(f"lib.pkg.mod.D{n}" for n in range(2))

    assert ("lib.pkg.mod.{C0, C1, C2, C3} (opaque)", *walked) == (
        readable_types(opaque + walked, SEAM)
    )
