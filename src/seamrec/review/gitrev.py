"""Cassettes as they are at a git revision, read with plain `git` commands."""

from __future__ import annotations

import subprocess
from pathlib import Path

from seamrec.cassette.store import SUFFIX, Cassette, loads
from seamrec.exceptions import CassetteError, UsageError


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise UsageError("git is not installed or not on PATH") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def repo_root(start: Path) -> Path:
    """The top of the git work tree that holds `start`."""
    try:
        out = _git(start, "rev-parse", "--show-toplevel")
    except UsageError as exc:
        raise UsageError(
            f"{start} is not inside a git repository (git said: {exc}); "
            "run seamrec in your project's git checkout, or point --root at it"
        ) from exc
    return Path(out.decode().strip()).resolve()


def resolve(root: Path, rev: str) -> str:
    """The commit id of `rev`, or a UsageError that names it."""
    if rev.startswith("-"):
        raise UsageError(f"unknown revision {rev!r}: a revision cannot start with '-'")
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except UsageError:
        pass
    try:
        _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except UsageError:
        raise UsageError(
            f"unknown revision {rev!r}: the repository has no commits yet; "
            "commit the cassettes first"
        ) from None
    raise UsageError(
        f"unknown revision {rev!r}: give a branch, tag or commit, e.g. --base origin/main"
    )


def in_repo(root: Path, cassette_dir: Path) -> str:
    """`cassette_dir` relative to the top of the work tree, as git names paths."""
    try:
        return cassette_dir.resolve().relative_to(root).as_posix()
    except ValueError:
        raise UsageError(
            f"the cassette directory {cassette_dir} is outside the git repository {root}"
        ) from None


def cassettes_at(
    root: Path, commit: str, cassette_dir: Path
) -> tuple[dict[str, Cassette], dict[str, CassetteError]]:
    """The cassettes under `cassette_dir` in `commit`, and the errors of unreadable ones,
    by their path in the repository."""
    folder = in_repo(root, cassette_dir)
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", commit, "--", folder)
    names = sorted(n for n in listing.decode().split("\0") if n.endswith(SUFFIX))
    if not names:
        return {}, {}
    request = "".join(f"{commit}:{name}\n" for name in names).encode()
    output = _git(root, "cat-file", "--batch", stdin=request)
    cassettes: dict[str, Cassette] = {}
    errors: dict[str, CassetteError] = {}
    offset = 0
    for name in names:
        header_end = output.index(b"\n", offset)
        size = int(output[offset:header_end].split()[2])
        data = output[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        try:
            cassettes[name] = loads(data, path=Path(f"{commit[:12]}:{name}"), payloads=False)
        except CassetteError as exc:
            errors[name] = exc
    return cassettes, errors


def set_config(root: Path, key: str, value: str) -> None:
    """Set a git config value in this clone's `.git/config`."""
    _git(root, "config", "--local", key, value)
