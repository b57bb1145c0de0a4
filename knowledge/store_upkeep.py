"""Upkeep of the versioned store's files: crash leftovers removed when it opens, and a consistency check.

Kept apart from knowledge/store.py, which holds the publish and rollback transactions, so that each
reads whole; both work on a GuidanceStore's folders under its SQLite write lock.
"""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING

from knowledge.store_records import StoreDamaged, StoreError

if TYPE_CHECKING:
    from knowledge.store import GuidanceStore

STALE_STAGING_SECONDS = 3600


def remove_leftovers(store: GuidanceStore) -> None:
    """Delete version directories no row refers to (a publish killed before its commit)."""
    known = {str(v.number) for v in store.versions()}
    if any(p.name not in known for p in store.versions_dir.iterdir()):
        with store.transaction() as db:  # the write lock: no publish is between rename and commit
            known = {str(r[0]) for r in db.execute("SELECT number FROM versions")}
            for path in store.versions_dir.iterdir():
                if path.name not in known:
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    for path in store.staging_dir.iterdir():
        try:
            stale = time.time() - path.stat().st_mtime > STALE_STAGING_SECONDS
        except FileNotFoundError:  # another process's publish finished and moved it meanwhile
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)


def find_problems(store: GuidanceStore) -> list[str]:
    """Consistency check: one current version, every version's files present and matching its hash."""
    found: list[str] = []
    with store.connect() as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            found.append("the SQLite database fails its integrity check")
        currents = db.execute("SELECT count(*) FROM versions WHERE current = 1").fetchone()[0]
    if currents != 1:
        found.append(f"{currents} versions are marked current (expected 1)")
    versions = store.versions()
    for info in versions:
        try:
            store.text(info.number)
            store.rule_files(info.number)
        except (StoreDamaged, StoreError) as exc:
            found.append(str(exc))
    known = {str(v.number) for v in versions}
    found.extend(f"orphan directory {p}" for p in store.versions_dir.iterdir() if p.name not in known)
    return found
