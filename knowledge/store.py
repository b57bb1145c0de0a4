"""The versioned guidance store in GUIDANCE_BOT_DATA_DIR: SQLite for metadata, files for content and index.

A publish writes the new version's text and built index into a staging directory, fsyncs them, moves
the directory into place and, in the same SQLite transaction that holds the write lock, inserts the
version row and flips `current`. Until that commit every reader sees the previous version; a crash at
any step leaves at most an orphan directory without a row, which the next open removes. Versions are
numbered 1, 2, 3; a fresh data dir starts with the bundled guidance as version 1.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.ingest import Ingested, TextFormat, parse_text
from knowledge.model import GuidanceDocument, hash_content

if TYPE_CHECKING:
    from knowledge.embedding import Embedder

CRASH_ENV = "GUIDANCE_BOT_TEST_CRASH_AT"  # test hook: os._exit at the named publish step
PUBLISH_STEPS = ("validated", "content-written", "index-built", "moved", "inserted", "committed")
STALE_STAGING_SECONDS = 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    number INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    source_name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('markdown', 'plain')),
    current INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1))
);
CREATE UNIQUE INDEX IF NOT EXISTS one_current ON versions (current) WHERE current = 1;
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
"""


class StoreError(ValueError):
    """A request the store refuses (unknown version, already current); the message says why."""


class StoreDamaged(RuntimeError):
    """Files or rows are missing or altered outside the program; the message says what."""


@dataclass(frozen=True)
class VersionInfo:
    number: int
    content_hash: str
    published_by: str
    published_at: str
    note: str
    source_name: str
    format: TextFormat
    current: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.number,
            "current": self.current,
            "published_by": self.published_by,
            "published_at": self.published_at,
            "note": self.note,
            "content_hash": self.content_hash,
            "source_name": self.source_name,
        }


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    version: int | None
    outcome: str
    detail: str

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os._exit(99)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for name in files:
            _fsync_path(Path(dirpath) / name)
        _fsync_path(Path(dirpath))


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class GuidanceStore:
    """Open with `GuidanceStore.open(data_dir)`; every method opens its own short-lived connection, so one
    store object is safe to share between threads and several processes may use the same data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "guidance"
        self.db_path = self.root / "store.sqlite3"
        self.versions_dir = self.root / "versions"
        self.staging_dir = self.root / "staging"

    @classmethod
    def exists(cls, data_dir: Path) -> bool:
        return cls(data_dir).db_path.is_file()

    @classmethod
    def open(cls, data_dir: Path) -> GuidanceStore:
        """Create the store if needed, seed version 1 with the bundled guidance, and remove crash leftovers."""
        store = cls(data_dir)
        store.versions_dir.mkdir(parents=True, exist_ok=True)
        store.staging_dir.mkdir(parents=True, exist_ok=True)
        with store.connect() as db:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        if store._count() == 0:
            store._seed()
        store._remove_leftovers()
        return store

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding SQLite's write lock from its start (BEGIN IMMEDIATE)."""
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- reading -------------------------------------------------------------------------------

    def _count(self) -> int:
        with self.connect() as db:
            return int(db.execute("SELECT count(*) FROM versions").fetchone()[0])

    def current_number(self) -> int:
        with self.connect() as db:
            row = db.execute("SELECT number FROM versions WHERE current = 1").fetchone()
        if row is None:
            raise StoreDamaged(f"No guidance version is marked current in {self.db_path}.")
        return int(row[0])

    def versions(self) -> list[VersionInfo]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM versions ORDER BY number").fetchall()
        return [self._info(row) for row in rows]

    def version(self, number: int) -> VersionInfo:
        with self.connect() as db:
            row = db.execute("SELECT * FROM versions WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise StoreError(self._unknown(number))
        return self._info(row)

    def _unknown(self, number: int) -> str:
        numbers = [v.number for v in self.versions()]
        known = f"versions are {numbers[0]} to {numbers[-1]}" if len(numbers) > 1 else f"the only version is {numbers[0]}"
        return f"There is no guidance version {number}: {known}."

    @staticmethod
    def _info(row: tuple) -> VersionInfo:  # type: ignore[type-arg]
        number, content_hash, by, at, note, source, fmt, current = row
        return VersionInfo(int(number), content_hash, by, at, note, source, fmt, bool(current))

    def version_dir(self, number: int) -> Path:
        return self.versions_dir / str(number)

    def index_dir(self, number: int) -> Path:
        return self.version_dir(number) / "index"

    def _content_path(self, number: int, fmt: str) -> Path:
        return self.version_dir(number) / ("guidance.md" if fmt == "markdown" else "guidance.txt")

    def text(self, number: int) -> str:
        """The stored text of a version, checked against the hash recorded when it was published."""
        info = self.version(number)
        path = self._content_path(number, info.format)
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreDamaged(f"Guidance version {number} cannot be read from {path}: {exc}") from None
        if hash_content(text) != info.content_hash:
            raise StoreDamaged(f"Guidance version {number} in {path} does not match its recorded content hash.")
        return text

    def document(self, number: int) -> GuidanceDocument:
        """The parsed version, labelled with its store number so every answer names the version it came from."""
        info = self.version(number)
        document = parse_text(self.text(number), info.format, info.source_name)
        return dataclasses.replace(document, meta=dataclasses.replace(document.meta, version=str(number)))

    def audit_log(self, limit: int | None = None) -> list[AuditEntry]:
        query = "SELECT id, at, actor, action, version, outcome, detail FROM audit ORDER BY id"
        with self.connect() as db:
            rows = db.execute(query).fetchall()
        entries = [AuditEntry(*row) for row in rows]
        return entries[-limit:] if limit else entries

    # --- writing -------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, outcome: str, detail: str = "", version: int | None = None, db: sqlite3.Connection | None = None) -> None:
        row = (now_iso(), actor, action, version, outcome, detail[:2000])
        sql = "INSERT INTO audit (at, actor, action, version, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)"
        if db is not None:
            db.execute(sql, row)
            return
        with self.connect() as own:
            own.execute(sql, row)

    def publish(self, item: Ingested, by: str, note: str = "", embedder: Embedder | None = None, original: bytes | None = None) -> VersionInfo:
        """Stage text (and index, when an embedder is given), then move it in and flip `current` in one commit."""
        return self._publish(item, by, note, embedder, original, action="publish")

    def _seed(self) -> None:
        from knowledge.ingest import validate
        from knowledge.parse import default_guidance_text

        text = default_guidance_text()
        item = Ingested("default.md", "markdown", text, "markdown", validate(text, "markdown", "default.md"))
        self._publish(item, "guidance-bot", "Bundled default guidance", None, None, action="seed")

    def _publish(self, item: Ingested, by: str, note: str, embedder: Embedder | None, original: bytes | None, action: str) -> VersionInfo:
        _crash_point("validated")
        staging = Path(tempfile.mkdtemp(prefix="publish-", dir=self.staging_dir))
        try:
            content = staging / ("guidance.md" if item.format == "markdown" else "guidance.txt")
            _write_file(content, item.text.encode("utf-8"))
            if original is not None:
                _write_file(staging / f"original{Path(item.filename).suffix.lower()}", original)
            _crash_point("content-written")
            if embedder is not None:
                from knowledge.index import load_or_build_index

                load_or_build_index(item.document, embedder, staging / "index")
            _fsync_tree(staging)
            _crash_point("index-built")
            with self.transaction() as db:
                if action == "seed" and db.execute("SELECT count(*) FROM versions").fetchone()[0]:
                    return self.version(self.current_number())  # another process seeded first
                number = int(db.execute("SELECT coalesce(max(number), 0) + 1 FROM versions").fetchone()[0])
                target = self.version_dir(number)
                if target.exists():
                    shutil.rmtree(target)  # left by a publish that died before its commit
                os.rename(staging, target)
                _fsync_path(self.versions_dir)
                _fsync_path(self.staging_dir)
                _crash_point("moved")
                db.execute(
                    "INSERT INTO versions (number, content_hash, published_by, published_at, note, source_name, format, current)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                    (number, item.document.content_hash, by, now_iso(), note, item.filename, item.format),
                )
                _crash_point("inserted")
                db.execute("UPDATE versions SET current = 0 WHERE current = 1")
                db.execute("UPDATE versions SET current = 1 WHERE number = ?", (number,))
                self.audit(by, action, "ok", f"{item.filename} ({item.document.content_hash[:12]}){': ' + note if note else ''}", number, db)
            _crash_point("committed")
            return self.version(number)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def rollback(self, number: int, by: str) -> VersionInfo:
        """Make an earlier (or any other) version current again; its files are checked first."""
        self.text(number)  # raises StoreError/StoreDamaged before anything changes
        with self.transaction() as db:
            row = db.execute("SELECT current FROM versions WHERE number = ?", (number,)).fetchone()
            if row is None:
                raise StoreError(self._unknown(number))
            if row[0]:
                raise StoreError(f"Guidance version {number} is already current.")
            previous = db.execute("SELECT number FROM versions WHERE current = 1").fetchone()
            db.execute("UPDATE versions SET current = 0 WHERE current = 1")
            db.execute("UPDATE versions SET current = 1 WHERE number = ?", (number,))
            self.audit(by, "rollback", "ok", f"from version {previous[0] if previous else '?'}", number, db)
        return self.version(number)

    def _remove_leftovers(self) -> None:
        """Delete version directories no row refers to (a publish killed before its commit)."""
        known = {str(v.number) for v in self.versions()}
        if any(p.name not in known for p in self.versions_dir.iterdir()):
            with self.transaction() as db:  # the write lock: no publish is between rename and commit
                known = {str(r[0]) for r in db.execute("SELECT number FROM versions")}
                for path in self.versions_dir.iterdir():
                    if path.name not in known:
                        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        for path in self.staging_dir.iterdir():
            if time.time() - path.stat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(path, ignore_errors=True)

    def problems(self) -> list[str]:
        """Consistency check: one current version, every version's files present and matching its hash."""
        found: list[str] = []
        with self.connect() as db:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                found.append("the SQLite database fails its integrity check")
            currents = db.execute("SELECT count(*) FROM versions WHERE current = 1").fetchone()[0]
        if currents != 1:
            found.append(f"{currents} versions are marked current (expected 1)")
        versions = self.versions()
        for info in versions:
            try:
                self.text(info.number)
            except (StoreDamaged, StoreError) as exc:
                found.append(str(exc))
        known = {str(v.number) for v in versions}
        found.extend(f"orphan directory {p}" for p in self.versions_dir.iterdir() if p.name not in known)
        return found
