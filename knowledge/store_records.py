"""What the guidance store records: its schema, a version's and an audit entry's rows, and its errors.

Kept apart from knowledge/store.py so readers of version metadata (officer commands, the CLI) need not
know how a publish is made durable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from knowledge.ingest import TextFormat

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    number INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    source_name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('markdown', 'plain')),
    current INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1)),
    rules_hash TEXT NOT NULL DEFAULT '',
    rules_source TEXT NOT NULL DEFAULT ''
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
COLUMNS = "number, content_hash, published_by, published_at, note, source_name, format, current, rules_hash, rules_source"
ADDED_COLUMNS = {"rules_hash": "TEXT NOT NULL DEFAULT ''", "rules_source": "TEXT NOT NULL DEFAULT ''"}


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
    rules_hash: str = ""  # "": the rules packaged with the program; else the hash of the stored rules files
    rules_source: str = ""  # the rules file or folder an officer published ("" or "packaged" otherwise)

    @property
    def rules_label(self) -> str:
        return f"{self.rules_source or 'rules'} ({self.rules_hash[:12]})" if self.rules_hash else "packaged rules"

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.number,
            "current": self.current,
            "published_by": self.published_by,
            "published_at": self.published_at,
            "note": self.note,
            "content_hash": self.content_hash,
            "source_name": self.source_name,
            "rules_hash": self.rules_hash,
            "rules_source": self.rules_source,
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


def packaged_rule_files() -> dict[str, str]:
    """The rules shipped with the installed program (knowledge/rules/*.yaml), used by versions without their own."""
    from importlib import resources

    folder = resources.files("knowledge").joinpath("rules")
    return {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.name.endswith(".yaml")}


def rules_changed(versions: list[VersionInfo]) -> set[int]:
    """Numbers of the versions whose rules differ from the version numbered just before them."""
    ordered = sorted(versions, key=lambda v: v.number)
    return {new.number for old, new in zip(ordered, ordered[1:]) if new.rules_hash != old.rules_hash}
