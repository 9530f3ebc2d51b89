"""The classifier recognises `unittest.mock` objects without importing `unittest.mock`
itself (~20 ms of every seamrec run): no mock exists before its module is loaded."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

from seamrec.model.classify import Kind, standard_kind


def test_a_mock_class_is_opaque() -> None:
    class Fake(mock.MagicMock):
        pass

    assert standard_kind(mock.Mock) is Kind.OPAQUE
    assert standard_kind(mock.NonCallableMagicMock) is Kind.OPAQUE
    assert standard_kind(Fake) is Kind.OPAQUE


def test_loading_the_classifier_does_not_load_unittest_mock() -> None:
    code = (
        "import sys\n"
        "import seamrec.model.classify as c\n"
        "assert c.standard_kind(dict) is not c.Kind.OPAQUE\n"
        "print('unittest.mock' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "False"
