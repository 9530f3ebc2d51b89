"""The `seamrec` command: show, diff, prune, map, git-setup, audit and redact over the
cassettes.

Every subcommand reads `[tool.seamrec]` of the project (the nearest directory upwards
with a pyproject.toml, or `--root`) like the pytest plugin does. Bad input is one line
on stderr and exit status 2; `diff` exits 1 when a change is breaking, `audit` when a
file holds something secret-like, `redact` (without --yes) when it would change a file.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seamrec import __version__
from seamrec.cassette.store import (
    SUFFIX,
    Cassette,
    display_path,
    load,
    read_cassettes,
    write_atomic,
)
from seamrec.config import Settings, find_project_root, load_settings
from seamrec.exceptions import CassetteError, SeamrecError, UsageError
from seamrec.review.audit import audit, rewrite
from seamrec.review.changes import SeamChanges, Snapshot, compare
from seamrec.review.contract import merged, write_contracts
from seamrec.review.gitrev import cassettes_at, in_repo, repo_root, resolve, set_config
from seamrec.review.render import FORMATS, render
from seamrec.review.seammap import mermaid
from seamrec.review.show import cassette_json, cassette_text
from seamrec.review.stale import find_stale

EXIT_BREAKING = 1
EXIT_LEAK = 1
EXIT_ERROR = 2
DIFF_DRIVER = "seamrec"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
    except BrokenPipeError:  # `seamrec show ... | head`: the reader stopped, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SeamrecError as exc:
        print(f"seamrec: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"seamrec: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seamrec", description="Review the seams recorded by `pytest --record-seams`."
    )
    root_help = (
        "the project directory whose pyproject.toml has [tool.seamrec] "
        "(default: the nearest one above the current directory)"
    )
    parser.add_argument("--root", type=Path, default=None, help=root_help)
    parser.add_argument("--version", action="version", version=f"seamrec {__version__}")
    common = argparse.ArgumentParser(add_help=False)  # --root after the command works too
    common.add_argument("--root", type=Path, default=argparse.SUPPRESS, help=root_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = commands.add_parser(
        "show",
        parents=[common],
        help="a cassette as readable text (a git textconv driver), or one seam's contract",
    )
    show.add_argument("target", metavar="PATH|SEAM", help="a cassette file, or a seam id mod:Qual")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=_show)

    diff = commands.add_parser(
        "diff",
        parents=[common],
        help="how the seams changed since a git revision; exit 1 if a change is breaking",
    )
    diff.add_argument("--base", default="HEAD", help="the git revision to compare with (HEAD)")
    diff.add_argument("--format", choices=FORMATS, default="text")
    diff.set_defaults(handler=_diff)

    openapi_ = commands.add_parser(
        "openapi",
        parents=[common],
        help="an OpenAPI 3.1 document of the recorded inbound HTTP endpoints",
    )
    openapi_.add_argument(
        "--base", default=None, help="of the cassettes in this git revision (default: on disk)"
    )
    openapi_.add_argument("-o", "--output", type=Path, default=None, help="write it to this file")
    openapi_.set_defaults(handler=_openapi)
    prune = commands.add_parser(
        "prune", parents=[common], help="list (--yes: delete) cassettes of removed tests"
    )
    prune.add_argument("--yes", action="store_true", help="delete them")
    prune.set_defaults(handler=_prune)

    graph = commands.add_parser("map", parents=[common], help="the seams as a Mermaid graph")
    graph.add_argument("--base", default=None, help="highlight seams changed since this revision")
    graph.add_argument(
        "--report", type=Path, default=None, help="highlight seams drifted in a --seams-report JSON"
    )
    graph.add_argument("--format", choices=("text", "markdown"), default="text")
    graph.set_defaults(handler=_map)

    setup = commands.add_parser(
        "git-setup",
        parents=[common],
        help="make git diff and git log -p show cassettes through seamrec show",
    )
    setup.set_defaults(handler=_git_setup)

    audit_ = commands.add_parser(
        "audit",
        parents=[common],
        help="find secrets in cassettes and contracts on disk; exit 1 if there are any",
    )
    audit_.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="cassette or contract files, or folders (default: the cassette dir)",
    )
    audit_.add_argument(
        "--base", default=None, help="only what the working tree adds since this git revision"
    )
    audit_.set_defaults(handler=_audit)

    redact = commands.add_parser(
        "redact",
        parents=[common],
        help="list (--yes: scrub in place) the secrets in the cassettes, with the current rules",
    )
    redact.add_argument("--yes", action="store_true", help="rewrite the cassettes and contracts")
    redact.set_defaults(handler=_redact)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    root = args.root if args.root is not None else _project_root(Path.cwd())
    if not root.is_dir():
        raise UsageError(f"--root {root}: no such directory")
    return load_settings(root.resolve())


def _project_root(start: Path) -> Path:
    """The nearest directory with a pyproject.toml (or another pytest config file)."""
    root = find_project_root(start)
    if root is None:
        raise UsageError(
            f"no pyproject.toml (nor pytest.ini, tox.ini, setup.cfg) in {start} or above it: "
            "run seamrec in your project, or point --root at it"
        )
    return root


def _show(args: argparse.Namespace) -> int:
    target = Path(args.target)
    if target.is_dir():
        raise UsageError(f"{target} is a directory: give one cassette file, or a seam id")
    if target.is_file() or target.suffix == SUFFIX:
        cassette = load(target)
        print(cassette_json(cassette) if args.format == "json" else cassette_text(cassette), end="")
        return 0
    if ":" not in args.target:
        raise UsageError(f"{args.target}: no such cassette file, and not a seam id (mod:Qualname)")
    contracts = merged(_working_tree(_settings(args)))
    contract = contracts.get(args.target)
    if contract is None:
        close = difflib.get_close_matches(args.target, list(contracts), n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]}?" if close else "; `seamrec map` lists every seam"
        raise UsageError(f"unknown seam id {args.target!r}: no cassette recorded it{hint}")
    lines = contract.lines()
    lines.insert(1, f"called by: {', '.join(sorted(contract.callers))}")
    if args.format == "json":
        print(json.dumps({"seam": contract.seam, "contract": lines}, indent=2))
    else:
        print("\n".join(lines))
    return 0


def _working_tree(settings: Settings) -> list[Cassette]:
    """The readable cassettes on disk (shapes only); the others are warned about."""
    cassettes, errors = read_cassettes(settings.cassette_dir, payloads=False)
    _warn_skipped(errors)
    return [c for _, c in cassettes]


def _warn_skipped(errors: list[CassetteError]) -> None:
    for error in errors:
        print(f"seamrec: warning: skipped {error}", file=sys.stderr)


@dataclass
class _Comparison:
    """`seamrec diff`'s result: the changes, what was left out, the working tree's readable
    cassettes, and whether every one of them could be read."""

    groups: list[SeamChanges]
    notes: list[str]
    after: list[Cassette]
    complete: bool


def _changes_since(settings: Settings, base: str) -> _Comparison:
    """The seam changes from `base` to the working tree. A cassette unreadable on either
    side is left out on both (its test would look deleted or new) and named in a note."""
    root = repo_root(settings.rootdir)
    commit = resolve(root, base)
    before, before_errors = cassettes_at(root, commit, settings.cassette_dir)
    found, after_errors = read_cassettes(settings.cassette_dir, payloads=False)
    if not before and not found and not settings.cassette_dir.is_dir():
        raise UsageError(
            f"no cassettes in {settings.cassette_dir}, neither in {base} nor on disk: "
            "record with pytest --record-seams, or set cassette_dir in [tool.seamrec]"
        )
    after = {in_repo(root, path): cassette for path, cassette in found}
    unreadable = {in_repo(root, e.path): f"{e} (working tree)" for e in after_errors}
    unreadable |= {name: f"{e} (at {base})" for name, e in before_errors.items()}
    notes = [f"left out of the comparison: {why}" for _, why in sorted(unreadable.items())]
    for note in notes:
        print(f"seamrec: warning: {note}", file=sys.stderr)
    groups = compare(
        Snapshot.of(c for name, c in before.items() if name not in unreadable),
        Snapshot.of(c for name, c in after.items() if name not in unreadable),
    )
    return _Comparison(groups, notes, list(after.values()), complete=not after_errors)


def _openapi(args: argparse.Namespace) -> int:
    from seamrec.review.openapi import document, dumps

    settings = _settings(args)
    if args.base is None:
        cassettes = _working_tree(settings)
    else:
        root = repo_root(settings.rootdir)
        found, errors = cassettes_at(root, resolve(root, args.base), settings.cassette_dir)
        _warn_skipped(list(errors.values()))
        cassettes = [found[name] for name in sorted(found)]
    text = dumps(document(cassettes, f"{settings.rootdir.name} (recorded by seamrec)"))
    if args.output is None:
        print(text, end="")
    else:
        write_atomic(args.output, text.encode())
        print(f"seamrec: wrote {args.output}", file=sys.stderr)
    return 0


def _diff(args: argparse.Namespace) -> int:
    settings = _settings(args)
    comparison = _changes_since(settings, args.base)
    title = f"seamrec diff {args.base} → working tree"
    print(render(comparison.groups, title, args.format, comparison.notes), end="")
    if comparison.complete:  # with a cassette unreadable, the contracts cannot be judged
        _warn_outdated_contracts(settings, comparison.after)
    return EXIT_BREAKING if any(g.breaking for g in comparison.groups) else 0


def _warn_outdated_contracts(settings: Settings, cassettes: list[Cassette]) -> None:
    """The committed contract files are the PR's readable diff: say if they lag behind."""
    update = write_contracts(settings.cassette_dir, cassettes, dry_run=True)
    for path in [*update.written, *update.removed]:
        print(
            f"seamrec: warning: {display_path(path, settings.rootdir)} does not match the "
            "cassettes; record again (pytest --record-seams) to rewrite it",
            file=sys.stderr,
        )


def _prune(args: argparse.Namespace) -> int:
    settings = _settings(args)
    report = find_stale(settings.rootdir, settings.cassette_dir)
    _warn_skipped(report.unreadable)
    for test in report.other_parameters:
        print(
            f"seamrec: warning: kept {test}: its test function still exists, but not with "
            "these parameters here (delete the cassette by hand if they are gone for good)",
            file=sys.stderr,
        )
    for file in report.uncollectable:
        print(f"seamrec: warning: {file} does not collect; its cassettes are kept", file=sys.stderr)
    verb = "deleted" if args.yes else "stale"
    for path, test in report.stale:
        if args.yes:
            path.unlink(missing_ok=True)
        print(f"{verb}: {display_path(path, settings.rootdir)}  ({test})")
    if not report.stale:
        print("no stale cassettes")
    elif not args.yes:
        print(f"{len(report.stale)} stale cassette(s); `seamrec prune --yes` deletes them")
    elif report.unreadable:
        print(
            "seamrec: warning: the contract files were not rewritten (a cassette cannot be "
            "read); re-record to bring them up to date",
            file=sys.stderr,
        )
    else:  # the contracts must no longer list the deleted tests
        remaining, _ = read_cassettes(settings.cassette_dir, payloads=False)
        update = write_contracts(settings.cassette_dir, [c for _, c in remaining])
        for path in [*update.written, *update.removed]:
            print(f"contract updated: {display_path(path, settings.rootdir)}")
    return 0


def _map(args: argparse.Namespace) -> int:
    settings = _settings(args)
    highlight: set[str] = set()
    if args.base is not None:  # the comparison has read the working tree already
        comparison = _changes_since(settings, args.base)
        cassettes = comparison.after
        highlight |= {g.seam for g in comparison.groups}
    else:
        cassettes = _working_tree(settings)
    contracts = merged(cassettes)
    if args.report is not None:
        highlight |= _reported_seams(args.report)
    graph = mermaid(contracts, highlight, settings.boundaries)
    print(f"```mermaid\n{graph}```\n" if args.format == "markdown" else graph, end="")
    return 0


def _reported_seams(path: Path) -> set[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {str(group["seam"]) for group in document["seams"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"--report {path}: not a seamrec JSON report ({type(exc).__name__}: {exc}); "
            "write one with pytest --check-seams --seams-report=seams.json"
        ) from None


def _git_setup(args: argparse.Namespace) -> int:
    settings = _settings(args)
    root = repo_root(settings.rootdir)
    folder = in_repo(root, settings.cassette_dir)
    line = f"{folder}/**/*{SUFFIX} diff={DIFF_DRIVER}"
    attributes = root / ".gitattributes"
    existing = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    if line not in existing.splitlines():
        separator = "" if not existing or existing.endswith("\n") else "\n"
        write_atomic(attributes, f"{existing}{separator}{line}\n".encode())
        print(f"added to {attributes}: {line}")
    else:
        print(f"{attributes} already has: {line}")
    command = f"{shlex.quote(sys.executable)} -m seamrec show"
    set_config(root, f"diff.{DIFF_DRIVER}.textconv", command)
    print(f"git config diff.{DIFF_DRIVER}.textconv {command!r} (this clone only)")
    return 0


def _audit(args: argparse.Namespace) -> int:
    settings = _settings(args)
    leaks = audit(settings, list(args.paths), args.base)
    for leak in leaks:
        print(leak.line())
    since = f" added since {args.base}" if args.base else ""
    if not leaks:
        print(f"seamrec audit: nothing secret-like{since}")
        return 0
    files = len({leak.file for leak in leaks})
    print(
        f"seamrec audit: {len(leaks)} secret-like value(s){since} in {files} file(s); "
        "add rules to [tool.seamrec] if needed (redact, redact_paths, redact_patterns), "
        "then scrub with `seamrec redact --yes` and commit",
        file=sys.stderr,
    )
    return EXIT_LEAK


def _redact(args: argparse.Namespace) -> int:
    settings = _settings(args)
    result = rewrite(settings, write=args.yes)
    _warn_skipped(result.unreadable)
    verb = "redacted" if args.yes else "would redact"
    for leak in result.leaks:
        print(f"{verb}: {leak.line()}")
    if not result.files:
        print("seamrec redact: nothing to redact")
        return 0
    if not args.yes:
        print(f"{len(result.files)} cassette(s) hold secrets; `seamrec redact --yes` scrubs them")
        return EXIT_LEAK
    if result.unreadable:
        print(
            "seamrec: warning: the contract files were not rewritten (a cassette cannot be "
            "read); re-record to bring them up to date",
            file=sys.stderr,
        )
        return 0
    remaining, _ = read_cassettes(settings.cassette_dir, payloads=False)
    update = write_contracts(settings.cassette_dir, [c for _, c in remaining])
    for path in [*update.written, *update.removed]:
        print(f"contract updated: {display_path(path, settings.rootdir)}")
    return 0
