"""How far two fits of the draft model on the same posts differ: the noise every refit decision sits in.

Each refit of the risk model (knowledge/risk_tuning.py) is judged by whether clean flags rise and recall
falls on the unread sets, but a refit is seeded, and adding posts reshuffles every batch, so part of any
difference is chance. This measures that part on one fold, for a quarter of a refit's time (~25 min):
it fits fold N again on exactly the shipped posts with another seed and compares its predictions on the
fold's held posts with the out-of-fold predictions the shipped file keeps, at the shipped thresholds.

    .venv/bin/python -m benchmarks.refit_spread [--fold 1] [--seed 101] [--json]
    .venv/bin/python -m benchmarks.refit_spread --checkpoint knowledge/training/.refit/fold-2-of-5-KEY.npz
    .venv/bin/python -m benchmarks.refit_spread --in-sample

`--checkpoint` compares a refit's finished fold instead (no fitting: seconds), for example one fitted on
changed labels. `--in-sample` scores every training post with the shipped model itself (no fitting:
~4 min) against its out-of-fold predictions: a category the model cannot find even on posts it was
trained on is one more posts or relabelled posts will not fix by themselves. Counts only: no post's text is printed. Refused when the shipped file does not match
the training posts, since its predictions would then answer a different question.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from knowledge.draft_model import load_training
from knowledge.encoder_adapters import read_adapters, shipped_adapters_path
from knowledge.risk_model import THRESHOLD_FOLDS, labels_matrix, weights_fingerprint
from knowledge.refit_checkpoints import held_posts, read_fold_file
from knowledge.rules import CATEGORIES


@dataclass(frozen=True)
class CategoryShift:
    category: str
    positives: int
    true_flags: tuple[int, int]
    false_flags: tuple[int, int]


@dataclass(frozen=True)
class FoldSpread:
    """Two sets of predictions for the same held posts, compared at the same thresholds."""

    held_posts: int
    mean_abs_difference: float
    decisions_changed: int
    decisions: int
    clean_posts: int
    clean_posts_flagged: tuple[int, int]
    categories: tuple[CategoryShift, ...]


def compare_predictions(labels: np.ndarray, before: np.ndarray, after: np.ndarray, thresholds: np.ndarray) -> FoldSpread:
    """Per category, flags on risky posts (true) and on posts without that risk (false), before -> after."""
    flagged_before, flagged_after = before >= thresholds, after >= thresholds
    positive = labels == 1
    shifts = tuple(
        CategoryShift(
            category=name,
            positives=int(positive[:, c].sum()),
            true_flags=(int((flagged_before[:, c] & positive[:, c]).sum()), int((flagged_after[:, c] & positive[:, c]).sum())),
            false_flags=(int((flagged_before[:, c] & ~positive[:, c]).sum()), int((flagged_after[:, c] & ~positive[:, c]).sum())),
        )
        for c, name in enumerate(CATEGORIES)
    )
    clean = ~positive.any(axis=1)
    return FoldSpread(
        held_posts=len(labels),
        mean_abs_difference=float(np.abs(before - after).mean()) if len(labels) else 0.0,
        decisions_changed=int((flagged_before != flagged_after).sum()),
        decisions=int(flagged_before.size),
        clean_posts=int(clean.sum()),
        clean_posts_flagged=(int(flagged_before[clean].any(axis=1).sum()), int(flagged_after[clean].any(axis=1).sum())),
        categories=shifts,
    )


def report(spread: FoldSpread, title: str) -> str:
    lines = [
        title,
        f"  held posts {spread.held_posts}; mean |difference| {spread.mean_abs_difference:.4f}; "
        f"decisions changed {spread.decisions_changed} of {spread.decisions}",
        f"  clean posts flagged {spread.clean_posts_flagged[0]} -> {spread.clean_posts_flagged[1]} of {spread.clean_posts}",
    ]
    for shift in spread.categories:
        if shift.true_flags[0] != shift.true_flags[1] or shift.false_flags[0] != shift.false_flags[1]:
            lines.append(
                f"  {shift.category}: found {shift.true_flags[0]} -> {shift.true_flags[1]} of {shift.positives}, "
                f"false flags {shift.false_flags[0]} -> {shift.false_flags[1]}"
            )
    return "\n".join(lines)


def in_sample_scores(texts: list[str]) -> np.ndarray:
    """The shipped model's probabilities for `texts`, from the raw text as the refit scored its out-of-fold
    predictions (the check itself neutralises names first: knowledge/example_floor.py scores that way)."""
    from knowledge.embedding import load_real_embedder
    from knowledge.risk_model import read_adapters as read_risk_adapters

    risk = read_risk_adapters(shipped_adapters_path("risk"))
    if risk is None:
        raise SystemExit("no shipped risk adapters to score with")
    embedder = load_real_embedder("torch", adapters=risk.encoder)
    vectors = np.concatenate([embedder.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    return risk.semantic.probabilities(vectors).astype(np.float16).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--fold", type=int, choices=range(1, THRESHOLD_FOLDS + 1), help="which fold (1-5) to fit again (default 1)")
    parser.add_argument("--seed", type=int, help="the other seed (default: 100 + fold; the shipped fit used fold - 1)")
    parser.add_argument("--checkpoint", type=Path, help="compare a refit's finished fold file instead of fitting (not with --fold/--seed)")
    parser.add_argument("--in-sample", action="store_true", help="compare the shipped model's scores on its own training posts instead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if (args.checkpoint is not None or args.in_sample) and (args.seed is not None or args.fold is not None):
        parser.error("--checkpoint and --in-sample fit nothing: --fold and --seed apply only when fitting")
    if args.checkpoint is not None and args.in_sample:
        parser.error("--checkpoint and --in-sample are two different comparisons: give one")

    posts = load_training()
    read = read_adapters(shipped_adapters_path("risk"), "risk")
    if read is None or "out_of_fold" not in read[1]:
        raise SystemExit("no shipped risk adapters with out-of-fold predictions")
    extra = read[1]
    labels = labels_matrix(posts)
    if args.checkpoint is None and str(extra.get("weights_fingerprint")) != weights_fingerprint(posts):
        raise SystemExit("the training posts changed since the shipped fit: compare after a refit, or pass --checkpoint")
    shipped = extra["out_of_fold"].astype(np.float32)
    if len(shipped) != len(posts):
        raise SystemExit(f"the shipped predictions cover {len(shipped)} posts and the training set has {len(posts)}: nothing to compare")
    thresholds = extra["thresholds"].astype(np.float32)

    if args.checkpoint is not None:
        try:
            held, after = read_fold_file(args.checkpoint)
        except ValueError as error:
            raise SystemExit(f"{args.checkpoint}: {error}") from None
        after = after.astype(np.float16).astype(np.float32)  # the precision the shipped predictions are kept at
        if len(held) and not 0 <= held.min() <= held.max() < len(posts):
            raise SystemExit(f"{args.checkpoint}: its predictions do not fit the {len(posts)} training posts here")
        title = f"{args.checkpoint.name} against the shipped out-of-fold predictions (labels as the training files hold them now)"
    elif args.in_sample:
        held, after = np.arange(len(posts)), in_sample_scores([post.text for post in posts])
        title = "the shipped model on its own training posts (after) against its out-of-fold predictions (before)"
    else:
        import torch

        from knowledge.risk_tuning import _fit, _predict  # the refit's own fitting code, so the spread is its spread

        torch.set_num_threads(2)
        number = args.fold or 1
        fold = number - 1
        seed = 100 + number if args.seed is None else args.seed
        held = held_posts(len(posts), fold)
        kept = np.setdiff1d(np.arange(len(posts)), held)
        fitted = _fit([posts[i] for i in kept], seed=seed)
        after = _predict(fitted, [posts[i].text for i in held]).astype(np.float16).astype(np.float32)
        title = f"fold {number} fitted with seed {seed} against the shipped fit (seed {fold})"
    spread = compare_predictions(labels[held], shipped[held], after, thresholds)
    print(json.dumps(asdict(spread)) if args.json else report(spread, title))


if __name__ == "__main__":
    main()
