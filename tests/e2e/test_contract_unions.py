"""Contract lines stay readable when a seam sees many classes at one path: a method called
on many subclasses (django-filter's `BaseFilterSet.qs` on 83 `FilterSet`s its tests
define inline: a 6,091-character `args.self` line) names its own class, and many classes
of one package are written once with the differing names in braces."""

from __future__ import annotations

import pytest

from helpers import LayeredApp, fresh_project

PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]

[tool.seamrec]
boundaries = ["app"]
"""

FILTERS = '''\
"""A base filter whose subclasses the tests define."""

from email.mime.base import MIMEBase


class BaseFilter:
    def apply(self, values: list[int]) -> list[int]:
        return [v for v in values if self.keep(v)]

    def keep(self, value: int) -> bool:
        return True


def kind_of(message: MIMEBase) -> str:
    return message.get_content_maintype()
'''

SERVICE = '''\
"""Runs filters and sorts messages."""

from email.mime.base import MIMEBase

from app.filters import BaseFilter, kind_of


def run(flt: BaseFilter) -> int:
    return len(flt.apply([1, 2, 3, 4]))


def kinds(messages: list[MIMEBase]) -> list[str]:
    return [kind_of(m) for m in messages]
'''

TESTS = """\
from email.mime.application import MIMEApplication
from email.mime.audio import MIMEAudio
from email.mime.image import MIMEImage
from email.mime.text import MIMEText

import pytest

from app.filters import BaseFilter
from app.service import kinds, run

PNG = bytes.fromhex("89504e470d0a1a0a")
WAV = b"RIFF\\x00\\x00\\x00\\x00WAVEfmt "


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
def test_each_test_its_own_filter(limit):
    below = type(f"Below{limit}", (BaseFilter,), {"keep": lambda self, v: v < limit})

    assert run(below()) == limit - 1


def test_one_filter():
    class Few(BaseFilter):
        pass

    assert run(Few()) == 4


def test_kinds():
    messages = [
        MIMEText("hi"),
        MIMEImage(PNG, "png"),
        MIMEAudio(WAV, "x-wav"),
        MIMEApplication(b"data"),
    ]
    assert kinds(messages) == ["text", "image", "audio", "application"]
"""


@pytest.fixture
def filters_app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LayeredApp:
    files = {
        "pyproject.toml": PYPROJECT,
        "app/__init__.py": "",
        "app/filters.py": FILTERS,
        "app/service.py": SERVICE,
        "tests/test_filters.py": TESTS,
    }
    return fresh_project(pytester, monkeypatch, files)


def seam_block(contract: str, seam: str) -> list[str]:
    """The path lines of `seam` in a contract file's text."""
    lines = contract.splitlines()
    start = lines.index(f"## {seam}")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    return lines[start + 1 : end]


def test_a_method_called_on_many_subclasses_names_its_own_class(
    filters_app: LayeredApp,
) -> None:
    filters_app.record().assert_outcomes(passed=7)

    contract = (filters_app.cassettes / "contracts" / "app.filters.txt").read_text()

    assert "  args.self: app.filters.BaseFilter or a subclass (self)" in (
        seam_block(contract, "app.filters:BaseFilter.apply")
    )
    assert "<locals>" not in contract


def test_many_classes_of_one_package_are_written_once_with_braces(
    filters_app: LayeredApp,
) -> None:
    filters_app.record().assert_outcomes(passed=7)

    contract = (filters_app.cassettes / "contracts" / "app.filters.txt").read_text()

    assert (
        "  args.message: email.mime.{application.MIMEApplication, audio.MIMEAudio, "
        "image.MIMEImage, text.MIMEText} (opaque)"
    ) in seam_block(contract, "app.filters:kind_of")


def test_a_union_of_fewer_classes_is_written_in_full(
    filters_app: LayeredApp,
) -> None:
    filters_app.edit("tests/test_filters.py", "[1, 2, 3, 4, 5]", "[1, 2]")
    filters_app.record().assert_outcomes(passed=4)

    contract = (filters_app.cassettes / "contracts" / "app.filters.txt").read_text()
    self_line = next(
        line
        for line in seam_block(contract, "app.filters:BaseFilter.apply")
        if line.startswith("  args.self: ")
    )

    assert 3 == self_line.count("(self)")
    assert "or a subclass" not in self_line
