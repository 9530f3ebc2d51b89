"""The package's layers only import downward: foundation < model < cassette < runtime <
review < pytest_plugin (docs/architecture.md). Imports under TYPE_CHECKING and inside
functions count too: a lazy upward import is still an upward dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "seamrec"
LAYERS = ("foundation", "model", "cassette", "runtime", "review", "pytest_plugin")
ENTRY_POINTS = {"__init__.py", "__main__.py"}  # the public API and `python -m seamrec`


def layer_of(module: str) -> int:
    """The layer of a dotted module name under seamrec (foundation for top-level ones)."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else ""
    return LAYERS.index(name) if name in LAYERS else 0


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every `seamrec.*` module `path` imports, wherever the import is."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in names if name.startswith("seamrec.")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("seamrec.")]
    return found


MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.name not in ENTRY_POINTS or p.parent != PACKAGE
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_layer_and_those_below(path: Path) -> None:
    module = "seamrec." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    own = layer_of(module)

    upward = [
        f"line {line}: {name} ({LAYERS[layer_of(name)]})"
        for line, name in imported_modules(path)
        if layer_of(name) > own
    ]

    assert [] == upward, f"{module} ({LAYERS[own]}) imports upward"


def test_every_layer_is_a_package_and_nothing_else_is_nested() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}

    assert set(LAYERS[1:]) == packages
