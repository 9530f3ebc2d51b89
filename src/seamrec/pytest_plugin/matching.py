"""Check hand-written fakes against what a seam was really recorded with (the anti-mock).

``assert_matches(fake, "shop.users:UserService.get_user", part="return")`` compares the
fake's shape with every shape that seam was recorded with, in every cassette under the
cassette directory, and fails with the drift explanation when none fits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seamrec.cassette.store import SUFFIX, Cassette, load
from seamrec.config import Settings, find_project_root, load_settings
from seamrec.exceptions import CassetteError
from seamrec.model.classify import Classifier
from seamrec.model.paths import OUTCOMES
from seamrec.model.shape import Shape, compatible, make_shape_function
from seamrec.model.shape_types import ArgsShape, CollShape, view
from seamrec.review.explain import explain


class SeamMismatch(AssertionError):
    """A value does not have any shape its seam was recorded with."""


@dataclass
class _Index:
    """Recorded shapes per (seam, part), with the tests that recorded them."""

    shapes: dict[tuple[str, str], dict[Shape, list[str]]] = field(default_factory=dict)

    def add(self, seam: str, part: str, shape: Shape, test: str) -> None:
        tests = self.shapes.setdefault((seam, part), {}).setdefault(shape, [])
        if test not in tests:
            tests.append(test)


_CACHE: dict[Path, tuple[tuple[tuple[str, int], ...], _Index]] = {}


def assert_matches(
    value: object, seam: str, part: str = "return", *, settings: Settings | None = None
) -> None:
    """Fail unless `value` has a shape `seam` was recorded with for `part`.

    `part` is "return", "raise", "yield" or "args.<parameter>". Without `settings`, the
    `[tool.seamrec]` of the project around the working directory is used (the nearest
    directory above it with a pyproject.toml or another pytest configuration file).
    """
    settings = settings or load_settings(_rootdir())
    if part not in OUTCOMES and not part.startswith("args."):
        raise ValueError(
            f'part must be "return", "raise", "yield" or "args.<parameter>", not {part!r}'
        )
    recorded = _index(settings.cassette_dir).shapes.get((seam, part), {})
    if not recorded:
        raise SeamMismatch(
            f"no recording of {seam} ({part}) under {settings.cassette_dir}: record a test "
            "that calls it for real with pytest --record-seams"
        )
    live = make_shape_function(
        settings.limits.max_depth, classifier=Classifier.from_settings(settings)
    )(value)
    if any(compatible(shape, live) for shape in recorded):
        return
    closest = min(recorded, key=lambda shape: len(explain(shape, live, part=part)))
    lines = [f"the value does not match what {seam} was recorded with ({part})"]
    lines += [f"    {change.render()}" for change in explain(closest, live, part=part)]
    tests = recorded[closest]
    more = f" (and {len(tests) - 1} more)" if len(tests) > 1 else ""
    lines.append(f"  recorded by {tests[0]}{more}")
    raise SeamMismatch("\n".join(lines))


class SeamsFixture:
    """What the `seams` fixture gives a test: `assert_matches` bound to the run's config."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def assert_matches(self, value: object, seam: str, part: str = "return") -> None:
        """See `seamrec.assert_matches`."""
        assert_matches(value, seam, part, settings=self.settings)


def _rootdir() -> Path:
    here = Path.cwd()
    return find_project_root(here) or here


def _index(cassette_dir: Path) -> _Index:
    files = sorted(cassette_dir.rglob(f"*{SUFFIX}")) if cassette_dir.is_dir() else []
    stamp = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    cached = _CACHE.get(cassette_dir)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    index = _Index()
    for cassette in _cassettes(files):
        for seam, runs in cassette.runs.items():
            for run in runs:
                result = run.result_shape
                generator = view(result) if run.outcome == "yield" else None
                if isinstance(generator, CollShape):  # a fake of a generator: a list of items
                    result = CollShape.build("list", generator.items)
                index.add(seam, run.outcome, result, cassette.test)
                args = view(run.args_shape)
                if not isinstance(args, ArgsShape):
                    continue
                for name, union in zip(args.names, args.unions, strict=True):
                    for member in union:
                        index.add(seam, f"args.{name}", member, cassette.test)
    _CACHE[cassette_dir] = (stamp, index)
    return index


def _cassettes(files: list[Path]) -> Iterator[Cassette]:
    for path in files:
        try:
            yield load(path)
        except CassetteError:
            continue  # a broken cassette fails its own test under --check-seams
