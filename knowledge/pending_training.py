"""Take the posts and label changes waiting in `knowledge/training/pending/` into the training set:
`python -m knowledge.pending_training [--check]`.

Why a command: a refit takes about 2 h 45 on two cores, longer than the rest of a working session leaves, so the
training set it fits has to be rebuilt exactly, by anyone, from what the repository holds (the kept
folds and final fit are keyed by the posts, so one post or label out and they cannot be reused). By hand that
was a `git mv` per file and 35 label edits; here it is one step that changes nothing unless every
change names exactly one post of its file and every pending post is one the loader accepts. A change
adds a category to a post or removes one (a label audit finds both: a risk the post's labels missed, and
a label no careful reader would give it).
`--check` only validates. Folds and a final fit kept from an unfinished refit go where the refit resumes from.

It does not refit: run `python -m knowledge.risk_tuning` next, then compare on the held-out sets before
committing the moved files and the new adapters together (pending/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.durable_files import fsync_path
from knowledge.refit_checkpoints import KEPT_PATTERNS
from knowledge.rules import CATEGORIES

TRAINING = Path(__file__).resolve().parent / "training"
CHANGES = "label-changes.jsonl"
# While the relabelled files are renamed into place the changes file is held under this name, so a run
# stopped part way is finished by the next one (changes already applied are then skipped).
JOURNAL = ".label-changes.applying"
# What the file and its journal were called when a change could only add, and what each is now:
# refused, never silently skipped (an old journal renamed to the changes file would lose its resume state).
OLD_NAMES = {"label-additions.jsonl": CHANGES, ".label-additions.applying": JOURNAL}
# Finished folds and final fit of a refit that a session could not complete wait in pending/checkpoints/
# and go where knowledge.risk_tuning resumes from (refit_checkpoints.CHECKPOINTS); they are keyed by the posts, so they only count
# for the training set this command rebuilds.
KEPT_FITS = "checkpoints"
RESUME_FROM = ".refit"


class PendingError(ValueError):
    """The pending data does not fit the training set; the message names the file and line."""


@dataclass(frozen=True)
class LabelChange:
    """`category` added to (or, with `remove`, taken from) the post of `file` whose text is exactly `text`
    (from line `line`)."""

    file: str
    text: str
    category: str
    line: int
    remove: bool = False


def _json_lines(path: Path, name: str) -> Iterator[tuple[int, str, Any]]:
    """(line number, raw line, parsed value) for every non-blank line; bad JSON is named by `name:line`."""
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            yield n, raw, json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PendingError(f"{name}:{n}: not valid JSON ({exc.msg})") from None


def read_changes(pending: Path) -> list[LabelChange]:
    """The waiting changes, from the journal when a stopped run left one, so that run is finished first.

    One change per post and category: a second one (a repeat, or an add and a remove that cancel) is
    refused, since which of them was meant is not for this command to guess."""
    for old, new in OLD_NAMES.items():
        if (pending / old).exists():
            raise PendingError(f"{old}: the old name of {new}; rename it to that (its lines are valid as they are)")
    journal, waiting = pending / JOURNAL, pending / CHANGES
    if journal.exists() and waiting.exists() and journal.read_bytes() != waiting.read_bytes():
        # e.g. a checkout restored the changes file beside a stopped run's journal, or new changes were
        # written before that run was finished: reading one would silently drop the other.
        raise PendingError(f"{JOURNAL} (a stopped run's changes) and a different {CHANGES} are both in {pending}: "
                           f"finish the stopped run with only {JOURNAL} there, then add the new changes")
    path = journal if journal.exists() else waiting
    if not path.exists():
        return []
    changes: list[LabelChange] = []
    seen: dict[tuple[str, str, str], int] = {}
    for n, _, row in _json_lines(path, CHANGES):
        verbs = [k for k in ("add", "remove") if isinstance(row, dict) and k in row]
        shape_ok = isinstance(row, dict) and set(row) <= {"file", "text", "add", "remove"}
        if not shape_ok or len(verbs) != 1 or not all(isinstance(row.get(k), str) for k in ("file", "text", *verbs)):
            raise PendingError(f"{CHANGES}:{n}: not a {{file, text, add}} or {{file, text, remove}} object of strings")
        category = row[verbs[0]]
        if category not in CATEGORIES:
            raise PendingError(f"{CHANGES}:{n}: unknown category {category!r}")
        if Path(row["file"]).name != row["file"] or not row["file"].startswith("posts-"):
            raise PendingError(f"{CHANGES}:{n}: {row['file']!r} is not a training file name (posts-*.jsonl)")
        first = seen.setdefault((row["file"], row["text"], category), n)
        if first != n:
            raise PendingError(f"{CHANGES}:{n}: a second change to the same post and category as line {first}")
        changes.append(LabelChange(row["file"], row["text"], category, n, remove=verbs[0] == "remove"))
    return changes


def _posts(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(line, post) for every non-blank line, each checked as knowledge.draft_model's loader will."""
    rows = []
    for n, raw, post in _json_lines(path, path.name):
        labels = post.get("labels", []) if isinstance(post, dict) else None
        if not isinstance(post, dict) or not isinstance(post.get("text"), str) or not isinstance(labels, list):
            raise PendingError(f"{path.name}:{n}: not a {{text, labels}} post")
        unknown = [label for label in labels if label not in CATEGORIES]
        if unknown:
            raise PendingError(f"{path.name}:{n}: unknown label {unknown[0]!r}")
        rows.append((raw, post))
    return rows


def _relabelled(training: Path, changes: list[LabelChange], resuming: bool = False) -> tuple[dict[str, str], list[LabelChange]]:
    """The new text of every training file a change touches, and the changes still to apply (a stopped
    run may have applied some); raises before anything is written."""
    files: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    to_apply: list[LabelChange] = []
    for change in changes:
        where = f"{CHANGES}:{change.line}"
        if not (training / change.file).is_file():
            raise PendingError(f"{where}: no training file {change.file!r}")
        rows = files.setdefault(change.file, _posts(training / change.file))
        matches = [i for i, (_, post) in enumerate(rows) if post["text"] == change.text]
        if len(matches) != 1:
            raise PendingError(f"{where}: {len(matches)} posts of {change.file} have that text (need exactly one)")
        raw, post = rows[matches[0]]
        labels = post.get("labels", [])
        done = (change.category not in labels) if change.remove else (change.category in labels)
        if done and resuming:
            continue  # applied by the run that stopped
        if done:
            state = "is not labelled" if change.remove else "is already labelled"
            raise PendingError(f"{where}: that post of {change.file} {state} {change.category}")
        kept = [label for label in labels if label != change.category] if change.remove else [*labels, change.category]
        post = {**post, "labels": kept}
        rows[matches[0]] = (json.dumps(post, ensure_ascii=False), post)
        to_apply.append(change)
    touched = {change.file for change in to_apply}
    return {name: "".join(raw + "\n" for raw, _ in rows) for name, rows in files.items() if name in touched}, to_apply


def take_pending(training: Path = TRAINING, check_only: bool = False) -> list[str]:
    """Apply the label changes, then move the pending posts files up; returns what was done.

    Everything is validated first; the new files are written beside the old ones and only then renamed
    over them, so a full disk or a bad line leaves the training set as it was."""
    pending = training / "pending"
    changes = read_changes(pending)
    moves = sorted(pending.glob("posts-*.jsonl"))
    clashes = [p.name for p in moves if (training / p.name).exists()]
    if clashes:
        raise PendingError(f"already in the training set: {', '.join(clashes)}")
    for path in moves:
        _posts(path)
    kept_fits = [path for pattern in KEPT_PATTERNS for path in sorted((pending / KEPT_FITS).glob(pattern))]
    kept = [p.name for p in kept_fits if (training / RESUME_FROM / p.name).exists()]
    if kept:
        raise PendingError(f"already where the refit resumes from: {', '.join(kept)}")
    resuming = (pending / JOURNAL).exists()
    relabelled, to_apply = _relabelled(training, changes, resuming)
    removals = sum(c.remove for c in to_apply)
    done = [f"{len(to_apply) - removals} labels to add and {removals} to remove in {len(relabelled)} files", *(f"move {p.name}" for p in moves)]
    done += [f"resume from {p.name}" for p in kept_fits]
    if check_only:
        return done
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in relabelled.items():
            fd, tmp = tempfile.mkstemp(dir=training, prefix=f".{name}.", suffix=".tmp")
            staged.append((Path(tmp), training / name))
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
        if not resuming and (pending / CHANGES).exists():
            os.replace(pending / CHANGES, pending / JOURNAL)
            fsync_path(pending)  # the journal must outlive a power cut if any rename below does
        for written, target in staged:
            os.replace(written, target)
        fsync_path(training)
    finally:
        for written, _ in staged:
            written.unlink(missing_ok=True)
    # A copy identical to the journal (read_changes) goes first: left alone, it would fail the next run.
    (pending / CHANGES).unlink(missing_ok=True)
    (pending / JOURNAL).unlink(missing_ok=True)
    fsync_path(pending)
    for path in moves:
        path.rename(training / path.name)
    if kept_fits:
        (training / RESUME_FROM).mkdir(exist_ok=True)
        for path in kept_fits:
            path.rename(training / RESUME_FROM / path.name)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="validate the pending data and change nothing")
    args = parser.parse_args(argv)
    try:
        for line in take_pending(check_only=args.check):
            print(line)
    except PendingError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
