"""Staging a version's files before the store commits it: content, original upload, rules and built index.

Kept apart from knowledge/store.py, which holds the transaction that makes a staged version current, so
that the slow part (building the index, seconds with the real model) reads on its own and runs before
the write lock is taken: readers and other publishes are not held up while it builds.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.durable_files import crash_point, fsync_tree, write_file
from knowledge.ingest import Ingested

if TYPE_CHECKING:
    from knowledge.embedding import Embedder


def stage_version(
    staging_dir: Path, item: Ingested, embedder: Embedder | None, original: bytes | None, rules: dict[str, str] | None, current_index: Path | None
) -> Path:
    """A new directory under `staging_dir` holding everything the version serves, fsynced; removed if any step fails.

    `current_index` is the current version's index folder, copied when the text is unchanged (a
    rules-only publish) so that nothing is rebuilt."""
    staging = Path(tempfile.mkdtemp(prefix="publish-", dir=staging_dir))
    try:
        if rules is not None:
            (staging / "rules").mkdir()
            for name, text in rules.items():
                write_file(staging / "rules" / name, text.encode("utf-8"))
        write_file(staging / ("guidance.md" if item.format == "markdown" else "guidance.txt"), item.text.encode("utf-8"))
        if original is not None:
            write_file(staging / f"original{Path(item.filename).suffix.lower()}", original)
        crash_point("content-written")
        if embedder is not None:
            from knowledge.asked import packaged_examples
            from knowledge.index import load_or_build_index

            if current_index is not None:
                _reuse_index(current_index, item.document.content_hash, staging / "index")
            # With the same example questions the server uses, so it loads this index rather than rebuilding.
            load_or_build_index(item.document, embedder, staging / "index", packaged_examples(item.document, embedder.name))
        fsync_tree(staging)
        crash_point("index-built")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _reuse_index(source: Path, content_hash: str, target: Path) -> None:
    """Copy the files of an index built for the same text; load_or_build_index still checks the copy's
    sidecar against the model and content."""
    try:
        files = [p for p in source.iterdir() if p.name.startswith(content_hash[:16])]
    except OSError:
        return
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, target / path.name)
