"""Check hand-written fakes against what a seam was really recorded with (the anti-mock).

``assert_matches(fake, "shop.users:UserService.get_user", part="return")`` compares the
fake's shape with every shape that seam was recorded with, in every cassette under the
cassette directory, and fails with the drift explanation when none fits. On an HTTP seam,
``part="response"`` (or ``"response[404]"``) and ``part="request"`` compare a fake JSON body
or a fake response object (`seamrec.review.http_fakes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
from seamrec.review.http_fakes import (
    FORMS,
    HttpPart,
    body_in_envelope,
    drift_lines,
    http_part,
    is_response,
    response_of,
    status_of,
)
from seamrec.runtime.adapters.httpseams import is_http


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
    value: object,
    seam: str,
    part: str = "return",
    *,
    complete: bool = False,
    settings: Settings | None = None,
) -> None:
    """Fail unless `value` has a shape `seam` was recorded with for `part`.

    `part` is "return", "raise", "yield" or "args.<parameter>"; on an HTTP seam also
    "response" (a fake JSON body, or a whole httpx/requests/Flask response, against the
    recorded 2xx answers; a fake body may leave out keys the real one had unless
    `complete`), "response[404]" / "response[4xx]" for other statuses, and "request"
    (the JSON body a fake client sends, compared whole). Without `settings`, the
    `[tool.seamrec]` of the project around the working directory is used (the nearest
    directory above it with a pyproject.toml or another pytest configuration file).
    """
    settings = settings or load_settings(_rootdir())
    http = http_part(part)
    if http is None and part not in OUTCOMES and not part.startswith("args."):
        raise ValueError(
            'part must be "return", "raise", "yield", "args.<parameter>", or on an HTTP seam '
            f"{FORMS}, not {part!r}"
        )
    if http is not None and not is_http(seam):
        raise ValueError(f"part {part!r} is for HTTP seams (http:…, http-out:…), not {seam}")
    shape_of = make_shape_function(
        settings.limits.max_depth, classifier=Classifier.from_settings(settings)
    )
    if http is not None:
        _assert_http_matches(value, seam, part, http, complete, settings, shape_of)
        return
    recorded = _index(settings.cassette_dir).shapes.get((seam, part), {})
    if not recorded:
        raise SeamMismatch(_no_recording(seam, part, settings))
    live = shape_of(value)
    if any(compatible(shape, live) for shape in recorded):
        return
    closest = min(recorded, key=lambda shape: len(explain(shape, live, part=part)))
    lines = [f"    {change.render()}" for change in explain(closest, live, part=part)]
    raise SeamMismatch(_mismatch(seam, part, lines, recorded[closest]))


def _assert_http_matches(
    value: object,
    seam: str,
    part: str,
    http: HttpPart,
    complete: bool,
    settings: Settings,
    shape_of: Callable[[object], Shape],
) -> None:
    """`assert_matches` for an HTTP part: the fake in each recorded envelope."""
    whole = is_response(value)
    if whole and http.side != "response":
        raise ValueError(f'a response object is checked with part="response", not {part!r}')
    recorded = _index(settings.cassette_dir).shapes.get((seam, http.recorded_part), {})
    if not recorded:
        raise SeamMismatch(_no_recording(seam, part, settings))
    statuses = sorted({status_of(shape) for shape in recorded} - {""})
    if http.side == "response":
        recorded = {s: t for s, t in recorded.items() if http.wants(status_of(s), whole)}
        if not recorded:
            raise SeamMismatch(_no_status(seam, part, settings, statuses))
    fake = shape_of(response_of(value) if whole else value)
    found: list[tuple[bool, int, list[str], Shape]] = []
    for envelope in recorded:
        live = fake if whole else body_in_envelope(http, envelope, fake)
        lines = drift_lines(http, envelope, live, complete)
        if not lines:
            return
        found.append((status_of(envelope) != status_of(live), len(lines), lines, envelope))
    *_, lines, closest = min(found, key=lambda each: each[:2])  # the same status first
    raise SeamMismatch(_mismatch(seam, part, [f"    {line}" for line in lines], recorded[closest]))


def _no_recording(seam: str, part: str, settings: Settings) -> str:
    return (
        f"no recording of {seam} ({part}) under {settings.cassette_dir}: record a test "
        "that calls it for real with pytest --record-seams"
    )


def _no_status(seam: str, part: str, settings: Settings, statuses: list[str]) -> str:
    wanted = part if "[" in part else "response[2xx]"
    named = f'part="response[{statuses[0]}]"' if statuses else 'part="response[<status>]"'
    return (
        f"no recording of {seam} ({wanted}) under {settings.cassette_dir}: it was recorded "
        f"answering {', '.join(statuses) or 'nothing'} only; name one of those ({named}) or "
        "record a test that gets such an answer for real with pytest --record-seams"
    )


def _mismatch(seam: str, part: str, lines: list[str], tests: list[str]) -> str:
    more = f" (and {len(tests) - 1} more)" if len(tests) > 1 else ""
    head = f"the value does not match what {seam} was recorded with ({part})"
    return "\n".join([head, *lines, f"  recorded by {tests[0]}{more}"])


class SeamsFixture:
    """What the `seams` fixture gives a test: `assert_matches` bound to the run's config."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def assert_matches(
        self, value: object, seam: str, part: str = "return", *, complete: bool = False
    ) -> None:
        """See `seamrec.assert_matches`."""
        assert_matches(value, seam, part, complete=complete, settings=self.settings)


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
