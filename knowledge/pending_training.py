"""Take the posts and label additions waiting in `knowledge/training/pending/` into the training set:
`python -m knowledge.pending_training [--check]`.

Why a command: a refit takes about two hours, longer than the rest of a working session leaves, so the
training set it fits has to be rebuilt exactly, by anyone, from what the repository holds (the fold
checkpoints are keyed by the posts, so one post or label out and they cannot be reused). By hand that
was a `git mv` per file and 35 label edits; here it is one step that changes nothing unless every
addition names exactly one post of its file. `--check` only validates. Fold checkpoints kept from an
unfinished refit go where the refit resumes from.

It does not refit: run `python -m knowledge.risk_tuning` next, then compare on the held-out sets before
committing the moved files and the new adapters together (pending/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from knowledge.rules import CATEGORIES

TRAINING = Path(__file__).resolve().parent / "training"
ADDITIONS = "label-additions.jsonl"
# Finished folds of a refit that a session could not complete wait in pending/checkpoints/ and go where
# knowledge.risk_tuning resumes from (its CHECKPOINTS); they are keyed by the posts, so they only count
# for the training set this command rebuilds.
KEPT_FOLDS = "checkpoints"
RESUME_FROM = ".refit"


class PendingError(ValueError):
    """The pending data does not fit the training set; the message names the line."""


@dataclass(frozen=True)
class LabelAddition:
    """One more category for the post of `file` whose text is exactly `text`."""

    file: str
    text: str
    add: str


def read_additions(pending: Path) -> list[LabelAddition]:
    path = pending / ADDITIONS
    if not path.exists():
        return []
    additions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            addition = LabelAddition(file=row["file"], text=row["text"], add=row["add"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise PendingError(f"{ADDITIONS}:{n}: not a {{file, text, add}} object ({exc})") from None
        if addition.add not in CATEGORIES:
            raise PendingError(f"{ADDITIONS}:{n}: unknown category {addition.add!r}")
        additions.append(addition)
    return additions


def _labelled_lines(training: Path, additions: list[LabelAddition]) -> dict[str, list[str]]:
    """The new text of every training file an addition touches; raises before anything is written."""
    changed: dict[str, list[str]] = {}
    for n, addition in enumerate(additions, 1):
        path = training / addition.file
        if path.parent != training or not path.name.startswith("posts-") or not path.exists():
            raise PendingError(f"{ADDITIONS}:{n}: no training file {addition.file!r}")
        lines = changed.setdefault(addition.file, path.read_text(encoding="utf-8").splitlines())
        matches = [i for i, line in enumerate(lines) if line.strip() and json.loads(line)["text"] == addition.text]
        if len(matches) != 1:
            raise PendingError(f"{ADDITIONS}:{n}: {len(matches)} posts of {addition.file} have that text (need exactly one)")
        post = json.loads(lines[matches[0]])
        if addition.add in post["labels"]:
            raise PendingError(f"{ADDITIONS}:{n}: that post of {addition.file} is already labelled {addition.add}")
        post["labels"] = [*post["labels"], addition.add]
        lines[matches[0]] = json.dumps(post, ensure_ascii=False)
    return changed


def take_pending(training: Path = TRAINING, check_only: bool = False) -> list[str]:
    """Apply the label additions, then move the pending posts files up; returns what was done."""
    pending = training / "pending"
    additions = read_additions(pending)
    moves = sorted(p for p in pending.glob("posts-*.jsonl"))
    clashes = [p.name for p in moves if (training / p.name).exists()]
    if clashes:
        raise PendingError(f"already in the training set: {', '.join(clashes)}")
    changed = _labelled_lines(training, additions)
    folds = sorted((pending / KEPT_FOLDS).glob("fold-*.npz"))
    done = [f"{len(additions)} label additions to {len(changed)} files", *(f"move {p.name}" for p in moves)]
    done += [f"resume from {p.name}" for p in folds]
    if check_only:
        return done
    for name, lines in changed.items():
        (training / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if additions:
        (pending / ADDITIONS).unlink()
    for path in moves:
        path.rename(training / path.name)
    if folds:
        (training / RESUME_FROM).mkdir(exist_ok=True)
        for path in folds:
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
