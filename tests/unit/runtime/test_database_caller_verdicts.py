"""The database seam's caller walk keeps each frame's verdict per code object: a code
object run under another module's globals still gets that module's verdict, and a
database layer's frame is looked through at every query."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any

from seamrec.config import settings_from_table
from seamrec.runtime.adapters.dbapi import DatabaseSeams
from seamrec.runtime.session import Mode, SeamSession


def _seams(tmp_path: Path) -> DatabaseSeams:
    settings = settings_from_table({"boundaries": ["myapp"]}, rootdir=tmp_path)
    return DatabaseSeams(SeamSession(settings, Mode.RECORD), ("sqlite3",), ("myapp",))


def _code(source: str) -> CodeType:
    """The code object of the one function `source` defines."""
    return next(c for c in compile(source, "<test>", "exec").co_consts if type(c) is CodeType)


def _function(code: CodeType, module: str) -> Callable[..., Any]:
    """`code` run as a function of `module`."""
    return FunctionType(code, {"__name__": module, "sys": sys})


# asks for the caller of a query sent by the frame that called it
ASK = _code("def ask(seams):\n    return seams.caller(sys._getframe(1))\n")
# sends a query through `ask`
SEND = _code("def send(seams, ask):\n    return ask(seams)\n")
# a database layer between the sender and the query
LAYER = _code("def execute(seams, send, ask):\n    return send(seams, ask)\n")
APP = _code("def run(seams, execute, send, ask):\n    return execute(seams, send, ask)\n")


def test_one_code_object_gets_the_verdict_of_the_module_running_it(tmp_path: Path) -> None:
    seams = _seams(tmp_path)
    ask = _function(ASK, "seamrec_probe")
    from_boundary, from_test = _function(SEND, "myapp.views"), _function(SEND, "tests.test_views")
    assert from_boundary(seams, ask) == "myapp.views"
    assert from_test(seams, ask) is None
    assert from_boundary(seams, ask) == "myapp.views"


def test_a_database_layer_frame_is_looked_through_at_every_query(tmp_path: Path) -> None:
    seams = _seams(tmp_path)
    ask = _function(ASK, "seamrec_probe")
    layer = _function(SEND, "sqlalchemy.engine.base")
    boundary, test = _function(LAYER, "myapp.models"), _function(LAYER, "tests.test_models")
    for _ in range(2):
        assert boundary(seams, layer, ask) == "myapp.models"
        assert test(seams, layer, ask) is None
    assert _function(APP, "myapp.api")(seams, boundary, layer, ask) == "myapp.models"
