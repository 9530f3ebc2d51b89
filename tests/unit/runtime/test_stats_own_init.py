"""`Stats` writes its own `__init__` (the dataclass's, of thirty fields, cost every run's
start a compile): it must make what the generated one made."""

from __future__ import annotations

import dataclasses

import pytest

from seamrec.runtime.stats import Stats


def test_every_field_starts_at_its_default_and_each_stats_has_its_own_lists() -> None:
    first, second = Stats(), Stats()
    first.kept_failed.append("tests/test_a.py::test_x")
    first.lost["app.db"] = ["why"]
    assert second.kept_failed == []
    assert second.lost == {}
    for field in dataclasses.fields(Stats):
        value = getattr(second, field.name)
        if field.default_factory is dataclasses.MISSING:
            assert value == field.default, field.name
        else:
            assert value == field.default_factory()
            assert value is not getattr(first, field.name)


def test_fields_given_by_name_are_kept_and_an_unknown_name_is_refused() -> None:
    stats = Stats(seams_wrapped=3, warnings=["w"])
    assert (stats.seams_wrapped, stats.warnings, stats.calls_recorded) == (3, ["w"], 0)
    with pytest.raises(TypeError, match="no_such_count"):
        Stats(no_such_count=1)
