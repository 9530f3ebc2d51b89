"""What a finished test leaves behind: its cassette written (redacted) or removed, and
drift reports whose example payloads cannot show a secret in a CI log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from msgpack import ExtType

from seamrec.cassette.redact import CleanCalls, Redactor
from seamrec.cassette.settled import SettledCassettes
from seamrec.cassette.store import (
    Cassette,
    budget_cut_seams,
    cassette_path,
    dump,
    loads,
    same_but_payloads,
    write_atomic,
)
from seamrec.config import Settings
from seamrec.model.codec import pack, raw_tree
from seamrec.runtime.calls import Finding
from seamrec.runtime.instrument import Report
from seamrec.runtime.repeats import same_but_repeats
from seamrec.runtime.stats import Stats
from seamrec.runtime.tape import Tape


class CassetteWriter:
    """Writes the cassettes of passed tests, counting what it did in `stats`; `settled`
    keeps, by path, the shapes of every cassette this run left on disk (the end of the
    run reads those from memory instead of reading the files back)."""

    def __init__(self, settings: Settings, stats: Stats, report: Report) -> None:
        self.settings = settings
        self.stats = stats
        self.report = report
        self.settled = SettledCassettes()
        self._scrubbed: dict[ExtType, ExtType] = {}  # redaction's memo for the whole run
        self._clean = CleanCalls()  # and the calls it found clean
        self._rules: Redactor | None = None  # the project's redaction rules, read once
        self._trees = SharedTrees()  # payload bytes -> their tree, for the whole run

    def write(self, tape: Tape) -> None:
        """Write `tape` as its test's cassette (unless only values changed), or remove
        the cassette of a test that crosses no seam any more."""
        path = cassette_path(self.settings.cassette_dir, tape.nodeid)
        self.settled.drop(path)
        if not tape.call_count():
            if path.exists():
                self._remove(path, tape.nodeid)
            return
        cassette = tape.to_cassette(self._trees)
        old = _read(path)
        if old is not None and not self.settings.redact_paths:
            # A re-record: compared with the file by everything but the payloads first,
            # so an unchanged cassette's payloads are never scrubbed. Redaction leaves
            # every cut payload in place (no `redact_paths` rule may replace one) and
            # gives these shapes, so this says what the full way below would.
            shaped = self._redactor().shapes_redacted(cassette, self._clean)
            data = dump(shaped)
            if old == data or same_but_payloads(old, data):
                if _BUDGET in data:  # the shapes and cut payloads the full way would write
                    self._count_budget_cut(shaped)
                self.stats.unchanged += 1
                self.settled.keep(path, shaped)
                return
        redactor = self._redactor()
        cassette = redactor.redact(cassette, self._scrubbed, self._clean)
        data = dump(cassette)
        if _BUDGET in data:  # a budget cut shows its reason in the bytes, shape or payload
            self._count_budget_cut(cassette)
        on_disk = None if old is None else self._on_disk(path, old, data, cassette, tape.pooled)
        if on_disk is not None:
            self.stats.unchanged += 1
            self.settled.keep(path, on_disk)
            return
        try:
            write_atomic(path, data)
        except OSError as exc:
            self.stats.write_errors.append(
                f"{path}: could not be written ({exc.strerror}); make "
                f"{self.settings.cassette_dir} writable and record again"
            )
            return
        self.stats.written += 1
        self.settled.keep(path, cassette)

    def _redactor(self) -> Redactor:
        """A fresh redactor (one per cassette) with the project's rules."""
        if self._rules is None:
            self._rules = Redactor.from_settings(self.settings)
        return self._rules.fresh()

    def _count_budget_cut(self, cassette: Cassette) -> None:
        cut = [s for s in budget_cut_seams(cassette) if s not in self.stats.budget_cut]
        self.stats.budget_cut.extend(cut)

    @staticmethod
    def _on_disk(
        path: Path, old: bytes, data: bytes, cassette: Cassette, pooled: set[str]
    ) -> Cassette | None:
        """The cassette at `path` (bytes `old`) when it already holds these shapes (only
        values changed, or only how often a repeated call repeats, as a check would let
        pass: the file stays as it is): `cassette` itself for the same bytes or the same
        bytes but for payload values (`same_but_payloads`), else the file's if its
        signature is the same or `settles_as` it; None when it must be written. A broken
        cassette, however broken, is simply replaced. `pooled`: the seams called from
        worker threads."""
        if old == data or same_but_payloads(old, data):
            return cassette
        try:
            found = loads(old, path=path)
            if found.signature() == cassette.signature() or settles_as(cassette, found, pooled):
                return found
            return None
        except Exception:
            return None

    def _remove(self, path: Path, nodeid: str) -> None:
        """Delete the cassette of a passed test that crosses no seam any more, so the next
        check is clean; unless nothing was wrapped at all (a misconfigured run would
        otherwise wipe every cassette)."""
        if not self.report.seams:
            self.stats.idle.append(nodeid)
            return
        try:
            path.unlink()
        except OSError as exc:
            self.stats.write_errors.append(
                f"{path}: could not be removed ({exc.strerror}); its test crosses no seam any "
                "more, delete it by hand"
            )
            return
        self.stats.removed.append(nodeid)


class SharedTrees:
    """`raw_tree` of payload bytes, the same tree for bytes decoded before in the run: a
    suite's tests pass the same payloads to the same seams test after test. A written
    cassette's trees are read, never changed (redaction builds new ones), so one tree
    may stand in several cassettes. Small payloads only; bounded."""

    def __init__(self) -> None:
        self._known: dict[bytes, Any] = {}
        self._bytes = 0  # what `_known` holds as keys

    def __call__(self, data: bytes | None) -> Any:
        if data is None:
            return None
        tree = self._known.get(data, _UNREAD)
        if tree is _UNREAD:
            tree = raw_tree(data)
            size = len(data)
            if size <= _SHARED_TREE_BYTES:
                if self._bytes + size > _SHARED_TREES_BYTES:
                    self._known.clear()
                    self._bytes = 0
                self._known[data] = tree
                self._bytes += size
        return tree


_UNREAD: Any = object()
_SHARED_TREE_BYTES = 16 * 1024  # larger payloads are decoded each time
_SHARED_TREES_BYTES = 1024 * 1024  # then it starts again (the trees take ~10x their bytes)


def _read(path: Path) -> bytes | None:
    """The bytes of the cassette at `path`, None if there is none (or it cannot be read):
    read with `os` calls, without the buffered file object `Path.read_bytes` builds (a
    record run reads every test's cassette back)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        wanted = os.fstat(fd).st_size + 1  # then one more read finds the end
        chunks: list[bytes] = []
        while True:  # to the end, however much the size said
            chunk = os.read(fd, wanted)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            wanted = _READ_CHUNK
    except OSError:
        return None
    finally:
        os.close(fd)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_READ_CHUNK = 65_536


_BUDGET = b"budget"  # CutShape and CutNode reason of the per-call budget, as msgpack holds it


def settles_as(new: Cassette, old: Cassette, pooled: set[str]) -> bool:
    """Whether a re-recorded cassette (`new`) differs from the one on disk (`old`) only in
    how often repeated calls repeat (`repeats.same_but_repeats`), with the same seams,
    callers, nesting parents and budget cuts: a check of the same code against `old`
    is clean, so an unchanged re-record rewrites nothing."""
    if new.test != old.test or new.runs.keys() != old.runs.keys():
        return False
    if {(c.seam, c.caller) for c in new.calls} != {(c.seam, c.caller) for c in old.calls}:
        return False
    if _parents(new) != _parents(old) or new.signature()[3] != old.signature()[3]:
        return False
    return all(
        same_but_repeats(runs, old.runs[seam], seam in pooled) for seam, runs in new.runs.items()
    )


def _parents(cassette: Cassette) -> set[tuple[str, str]] | None:
    """Which seam's calls were made inside which seam's (None when not kept)."""
    if cassette.nesting is None:
        return None
    return {(seam, nest.parent) for seam, nests in cassette.nesting.items() for nest in nests}


def redacted_findings(settings: Settings, findings: list[Finding]) -> list[Finding]:
    """`findings` with every secret in their example payloads replaced (in place)."""
    redactor = Redactor.from_settings(settings)
    for finding in findings:
        for name in ("recorded_payload", "live_payload", "context"):
            data = getattr(finding, name)
            if isinstance(data, bytes):
                redactor.collect(finding.seam, raw_tree(data), None, "")
    for finding in findings:
        for name in ("recorded_payload", "live_payload"):
            data = getattr(finding, name)
            if data is not None:
                setattr(finding, name, pack(redactor.scrub(raw_tree(data))))
    return findings
