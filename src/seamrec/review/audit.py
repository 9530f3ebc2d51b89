"""Secrets already on disk: `seamrec audit` finds them, `seamrec redact` scrubs them.

Both run the redaction of a record run (`seamrec.cassette.redact.Redactor`) over cassettes that
are already written, so "audit is clean" means exactly "redact would change nothing".
Contract files (and any other text file given) are scanned line by line by value.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seamrec.cassette.redact import Redaction, Redactor
from seamrec.cassette.secrets import detector
from seamrec.cassette.store import SUFFIX, Cassette, display_path, dump, loads, write_atomic
from seamrec.config import Settings
from seamrec.exceptions import CassetteError, UsageError
from seamrec.review.contract import CONTRACT_SUFFIX, is_contract_path
from seamrec.review.gitrev import repo_root, resolve


@dataclass(frozen=True)
class Leak:
    """A secret-like value in a file: where (file, seam, path) and what kind; never the
    value itself."""

    file: str
    seam: str
    path: str
    kind: str

    def line(self) -> str:
        return f"{self.file}: {self.seam or '-'}: {self.path or '-'}: {self.kind}"


def redacted(cassette: Cassette, settings: Settings) -> tuple[Cassette, list[Redaction]]:
    """The cassette scrubbed with the current rules, and what was replaced."""
    redactor = Redactor.from_settings(settings)
    cassette = redactor.redact(cassette)
    if settings.redact_values:
        test = detector(settings.redact_patterns).scrub(cassette.test)
        if test != cassette.test:  # a secret in a parametrize id: only audit can say so
            redactor.redactions.append(Redaction("", "test id", "secret in the test id"))
    return cassette, redactor.redactions


def scan_bytes(data: bytes, name: str, settings: Settings) -> list[Leak]:
    """The leaks in one file's bytes: a cassette (by its suffix) or a text file."""
    if name.endswith(SUFFIX):
        cassette = loads(data, path=Path(name))
        findings = redacted(cassette, settings)[1]
    else:
        findings = list(_scan_text(data.decode("utf-8", "replace"), settings))
    return _unique(Leak(name, f.seam, f.path, f.kind) for f in findings)


def _scan_text(text: str, settings: Settings) -> Iterator[Redaction]:
    finder = detector(settings.redact_patterns)
    seam = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            seam = line[3:].strip()
        for hit in finder.find(line):
            shown = finder.scrub(line.strip())
            path = shown.rpartition(": ")[0] if ": " in shown else f"line {number}"
            yield Redaction(seam, path, hit.kind)


def _unique(leaks: Iterable[Leak]) -> list[Leak]:
    return list(dict.fromkeys(leaks))


def audited_files(settings: Settings, paths: list[Path]) -> list[Path]:
    """The files `audit` reads: the given files, and in given folders (default: the
    cassette dir) every cassette and every contract file."""
    if not paths:
        paths = [settings.cassette_dir] if settings.cassette_dir.is_dir() else []
    files: list[Path] = []
    for path in paths:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file())
            files += sorted(
                p for p in path.rglob(f"*{CONTRACT_SUFFIX}") if p.is_file() and is_contract_path(p)
            )
        else:
            raise UsageError(f"{path}: no such file or directory")
    return list(dict.fromkeys(files))


def audit(settings: Settings, paths: list[Path], base: str | None = None) -> list[Leak]:
    """Every leak in the audited files; with `base`, only those a commit would add: in
    files that differ from `base`, the leaks the file at `base` did not already have."""
    files = audited_files(settings, paths)
    if base is None:
        leaks: list[Leak] = []
        for file in files:
            name = display_path(file, settings.rootdir)
            leaks += scan_bytes(_read(file), name, settings)
        return leaks
    return _added_since(settings, files, base)


def _added_since(settings: Settings, files: list[Path], base: str) -> list[Leak]:
    root = repo_root(settings.rootdir)
    commit = resolve(root, base)
    changed = _changed_files(root, commit)
    leaks: list[Leak] = []
    for file in files:
        try:
            relative = file.resolve().relative_to(root).as_posix()
        except ValueError:
            raise UsageError(
                f"{file} is outside the git repository {root}: --base compares files in it"
            ) from None
        if relative not in changed:
            continue
        name = display_path(file, settings.rootdir)
        now = scan_bytes(_read(file), name, settings)
        before = _git(root, "cat-file", "-e", f"{commit}:{relative}", check=False)
        old: Counter[Leak] = Counter()
        if before is not None:
            try:
                shown = _git(root, "show", f"{commit}:{relative}") or b""
                old = Counter(scan_bytes(shown, name, settings))
            except CassetteError:
                pass  # unreadable at the base: everything in it now is new
        for leak in now:
            if old[leak]:
                old[leak] -= 1
            else:
                leaks.append(leak)
    return leaks


def _changed_files(root: Path, commit: str) -> set[str]:
    """Paths (from the top of the work tree) that differ from `commit`: committed,
    staged, unstaged or untracked."""
    diff = _git(root, "diff", "--name-only", "-z", commit, "--") or b""
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z") or b""
    return {name for name in (diff + untracked).decode().split("\0") if name}


def _git(root: Path, *args: str, check: bool = True) -> bytes | None:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    if done.returncode != 0:
        if not check:
            return None
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot be read ({exc.strerror})") from None


@dataclass
class Rewrite:
    """What `seamrec redact` changed (or, without --yes, would change)."""

    leaks: list[Leak] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    unreadable: list[CassetteError] = field(default_factory=list)


def rewrite(settings: Settings, *, write: bool) -> Rewrite:
    """Scrub every cassette under the cassette dir with the current rules; with `write`,
    replace the changed files atomically (shapes and calls stay as they are)."""
    result = Rewrite()
    folder = settings.cassette_dir
    files = sorted(p for p in folder.rglob(f"*{SUFFIX}") if p.is_file()) if folder.is_dir() else []
    for file in files:
        name = display_path(file, settings.rootdir)
        try:
            cassette = loads(_read(file), path=file)
        except CassetteError as exc:
            result.unreadable.append(exc)
            continue
        scrubbed, findings = redacted(cassette, settings)
        findings = [f for f in findings if f.path != "test id"]  # the file name is the id
        if not findings:
            continue
        result.leaks += _unique(Leak(name, f.seam, f.path, f.kind) for f in findings)
        result.files.append(file)
        if write:
            write_atomic(file, dump(scrubbed))
    return result
