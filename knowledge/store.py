"""The versioned guidance store in GUIDANCE_BOT_DATA_DIR: SQLite for metadata, files for content and index.

A publish writes the new version's text and built index into a staging directory, fsyncs them, moves
the directory into place and, in the same SQLite transaction that holds the write lock, inserts the
version row and flips `current`. Until that commit every reader sees the previous version; a crash at
any step leaves at most an orphan directory without a row, which the next open removes. Versions are
numbered 1, 2, 3; a fresh data dir starts with the bundled guidance as version 1.

Each version also records the draft-check rules it is served with, so a rules change is a new version
and a rollback restores guidance and rules together. Rules an officer published are copied into the
version (`<version>/rules/<category>.yaml`, their hash in the row) and carried into later versions;
a version with no rules hash (version 1, and any version before an officer published rules) uses the
rules packaged with the installed program, so upgrading the program upgrades them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.durable_files import CRASH_ENV, PUBLISH_STEPS, crash_point, fsync_path
from knowledge.ingest import Ingested, parse_text
from knowledge.model import GuidanceDocument, hash_content
from knowledge.store_records import (
    ADDED_COLUMNS,
    COLUMNS,
    SCHEMA,
    AuditEntry,
    StoreDamaged,
    StoreError,
    VersionInfo,
    now_iso,
    packaged_rule_files,
)
from knowledge.store_staging import stage_version
from knowledge.store_upkeep import find_problems, remove_leftovers

if TYPE_CHECKING:
    from knowledge.embedding import Embedder

# Re-exported: callers name what the store raises and returns through the store.
__all__ = ["CRASH_ENV", "PUBLISH_STEPS", "AuditEntry", "GuidanceStore", "StoreDamaged", "StoreError", "VersionInfo", "now_iso", "packaged_rule_files"]


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
        for attempt in range(300):
            try:
                with store.connect() as db:
                    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                # Two processes creating the file at once can deadlock on its first lock upgrade, which
                # SQLite answers with "locked" at once, not after busy_timeout: wait and try again (~30 s).
                if "locked" not in str(exc) or attempt == 299:
                    raise
                time.sleep(0.1)
        store._migrate()
        if store._count() == 0:
            store._seed()
        remove_leftovers(store)
        return store

    def _migrate(self) -> None:
        """Add the rules columns to a store created before rules were versioned (once, under the write lock)."""
        with self.connect() as db:
            have = {row[1] for row in db.execute("PRAGMA table_info(versions)")}
        if set(ADDED_COLUMNS) <= have:
            return
        with self.transaction() as db:
            have = {row[1] for row in db.execute("PRAGMA table_info(versions)")}
            for name, ddl in ADDED_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE versions ADD COLUMN {name} {ddl}")

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
            rows = db.execute(f"SELECT {COLUMNS} FROM versions ORDER BY number").fetchall()
        return [self._info(row) for row in rows]

    def version(self, number: int) -> VersionInfo:
        with self.connect() as db:
            row = db.execute(f"SELECT {COLUMNS} FROM versions WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise StoreError(self._unknown(number))
        return self._info(row)

    def _unknown(self, number: int) -> str:
        numbers = [v.number for v in self.versions()]
        known = f"versions are {numbers[0]} to {numbers[-1]}" if len(numbers) > 1 else f"the only version is {numbers[0]}"
        return f"There is no guidance version {number}: {known}."

    @staticmethod
    def _info(row: tuple) -> VersionInfo:  # type: ignore[type-arg]
        number, content_hash, by, at, note, source, fmt, current, rules_hash, rules_source = row
        return VersionInfo(int(number), content_hash, by, at, note, source, fmt, bool(current), rules_hash, rules_source)

    def version_dir(self, number: int) -> Path:
        return self.versions_dir / str(number)

    def index_dir(self, number: int) -> Path:
        return self.version_dir(number) / "index"

    def rules_dir(self, number: int) -> Path | None:
        """The folder of the version's rules files, checked against their recorded hash; None when the
        version uses the rules packaged with the program."""
        info = self.version(number)
        if not info.rules_hash:
            return None
        self.rule_files(number)  # raises StoreDamaged when a file is missing or altered
        return self.version_dir(number) / "rules"

    def rule_files(self, number: int) -> dict[str, str]:
        """The version's rules files by name (<category>.yaml): its stored ones, or the packaged ones."""
        from knowledge.rules_upload import rules_hash

        info = self.version(number)
        if not info.rules_hash:
            return packaged_rule_files()
        folder = self.version_dir(number) / "rules"
        try:
            files = {p.name: p.read_bytes().decode("utf-8") for p in sorted(folder.glob("*.yaml"))}
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreDamaged(f"The rules of guidance version {number} cannot be read from {folder}: {exc}") from None
        if rules_hash(files) != info.rules_hash:
            raise StoreDamaged(f"The rules of guidance version {number} in {folder} do not match their recorded hash.")
        return files

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

    def publish(
        self,
        item: Ingested,
        by: str,
        note: str = "",
        embedder: Embedder | None = None,
        original: bytes | None = None,
        rules: dict[str, str] | None = None,
        rules_source: str = "",
    ) -> VersionInfo:
        """Stage text, rules (validated by the caller, e.g. with knowledge.rules_upload; None keeps the
        current version's) and the index (when an embedder is given), then move them in and flip
        `current` in one commit."""
        return self._publish(item, by, note, embedder, original, "publish", rules, rules_source)

    def _seed(self) -> None:
        from knowledge.ingest import validate
        from knowledge.parse import default_guidance_text

        text = default_guidance_text()
        item = Ingested("default.md", "markdown", text, "markdown", validate(text, "markdown", "default.md"))
        self._publish(item, "guidance-bot", "Bundled default guidance", None, None, "seed", None, "packaged")

    def _publish(
        self, item: Ingested, by: str, note: str, embedder: Embedder | None, original: bytes | None, action: str,
        rules: dict[str, str] | None, rules_source: str,
    ) -> VersionInfo:
        from knowledge.rules_upload import rules_hash

        kept_rules = rules is None and action != "seed"
        if kept_rules:
            base = self.version(self.current_number())
            rules = self.rule_files(base.number) if base.rules_hash else None
            rules_source = base.rules_source
        staged_rules_hash = rules_hash(rules) if rules is not None else ""
        crash_point("validated")
        current_index = self._current_index() if embedder is not None else None
        staging = stage_version(self.staging_dir, item, embedder, original, rules, current_index)
        try:
            with self.transaction() as db:
                if action == "seed" and db.execute("SELECT count(*) FROM versions").fetchone()[0]:
                    return self.version(self.current_number())  # another process seeded first
                if kept_rules:
                    now = db.execute("SELECT number, rules_hash FROM versions WHERE current = 1").fetchone()
                    if now is not None and now[1] != staged_rules_hash:  # never silently undo a rules publish
                        raise StoreError(f"The draft-check rules changed while this was being published (now version {now[0]}): publish again.")
                number = int(db.execute("SELECT coalesce(max(number), 0) + 1 FROM versions").fetchone()[0])
                target = self.version_dir(number)
                if target.exists():
                    shutil.rmtree(target)  # left by a publish that died before its commit
                os.rename(staging, target)
                fsync_path(self.versions_dir)
                fsync_path(self.staging_dir)
                crash_point("moved")
                db.execute(
                    "INSERT INTO versions (number, content_hash, published_by, published_at, note, source_name, format, current, rules_hash, rules_source)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    (number, item.document.content_hash, by, now_iso(), note, item.filename, item.format, staged_rules_hash, rules_source),
                )
                crash_point("inserted")
                db.execute("UPDATE versions SET current = 0 WHERE current = 1")
                db.execute("UPDATE versions SET current = 1 WHERE number = ?", (number,))
                what = f"{item.filename} ({item.document.content_hash[:12]})" + ("" if kept_rules or not rules else f", rules {rules_source} ({staged_rules_hash[:12]})")
                self.audit(by, action, "ok", f"{what}{': ' + note if note else ''}", number, db)
            crash_point("committed")
            return self.version(number)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _current_index(self) -> Path | None:
        """Where the current version's index is, to copy for a rules-only publish; None when there is none to read."""
        try:
            return self.index_dir(self.current_number())
        except StoreDamaged:  # no version is current yet
            return None

    def rollback(self, number: int, by: str) -> VersionInfo:
        """Make an earlier (or any other) version current again, guidance and rules; its files are checked first."""
        self.text(number)  # raises StoreError/StoreDamaged before anything changes
        self.rule_files(number)
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

    def problems(self) -> list[str]:
        """Consistency check: one current version, every version's files present and matching its hash."""
        return find_problems(self)
