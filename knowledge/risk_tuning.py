"""Fit the draft check's fine-tuned risk model offline: `python -m knowledge.risk_tuning`. Stopped, it resumes from its
finished folds and final fit. On this 2-core machine at 8 epochs (2026-11-28/29,
9,842 posts) a fold took 57-71 min in a one-thread process beside another, and the final fit 32 min on two threads
uncontended (~4 h in all; at 5 epochs a fold took 24-29 min and the final fit 34, and on another day the whole
refit ~100 min, so the machine's speed matters as much as the recipe), and longer with anything else running. That is more than a
session leaves, so finished folds, and the final fit, can be kept in training/pending/checkpoints/ for the next
(knowledge/pending_training.py). `--jobs 2` runs two fits at once in one-thread processes, which gets through
the six sooner here (knowledge/refit_jobs.py).

Why fine-tune: a logistic regression over the frozen all-MiniLM-L6-v2 vectors (knowledge/draft_model.py)
stopped improving with more example posts; on our held-out sets the whole check found 0.72-0.75 of the
risks. Letting the encoder itself learn from the labelled posts ranks risky posts much better. Low-rank
adapters (rank 8 on every linear layer of the six blocks) learn about as well as tuning all 22M weights
here, and the result is ~0.3M numbers that ship in the repository instead of a second 90 MB model.

The recipe is fixed and seeded; thresholds come from 5-fold cross-validated predictions, so they are set on
posts the fold's model never saw. Needs torch and transformers (both installed with sentence-transformers);
nothing here runs when the bot serves.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.draft_model import LabelledPost, SemanticModel, load_training, posts_fingerprint
from knowledge.embedding import REAL_MODEL_NAME, model_directory
from knowledge.encoder_adapters import ADAPTED, RANK, EncoderAdapters, adapted_model, mean_pooled, read_adapters, shipped_adapters_path, trained_pairs, warmup_then_decay
from knowledge.refit_checkpoints import CHECKPOINTS, FinalFit, held_posts, kept_for_other_fits, load_final, load_fold, save_final, save_fold
from knowledge.example_floor import floored_thresholds, lowest_positive_scores, report, semantic_positives
from knowledge.risk_model import (
    CATEGORIES,
    HEAD_SCALE,
    RECIPE,
    TARGET_PRECISION,
    THRESHOLD_FOLDS,
    base_thresholds,
    labels_matrix,
    thresholds_for,
    training_fingerprint,
    weights_fingerprint,
    write_adapters,
)

EPOCHS = 8
BATCH = 16
MAX_TOKENS = 128
# The whole-file fingerprint a fresh fit is written with until its thresholds are capped: matches no posts.
UNCAPPED = "uncapped"


def _fit(posts: list[LabelledPost], seed: int) -> tuple[Any, Any, Any, list[tuple[str, Any]]]:
    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model_dir = model_directory()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    y = labels_matrix(posts)
    body, adapters = adapted_model(torch, model_dir)
    head = torch.nn.Linear(int(body.config.hidden_size), y.shape[1])
    positives = y.sum(0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(np.sqrt((len(y) - positives) / np.maximum(positives, 1)), dtype=torch.float32))
    adapter_weights = [p for _, a in adapters for p in (a.down, a.up)]
    optimiser = torch.optim.AdamW([{"params": adapter_weights, "lr": 5e-4}, {"params": head.parameters(), "lr": 2e-3}], weight_decay=0.01)
    steps = EPOCHS * -(-len(posts) // BATCH)
    schedule = warmup_then_decay(torch, optimiser, steps)
    pooled = mean_pooled(torch, tokenizer, body, MAX_TOKENS)

    body.train()
    for _ in range(EPOCHS):
        order = rng.permutation(len(posts))
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            logits = head(pooled([posts[i].text for i in chosen]) * HEAD_SCALE)
            loss = loss_fn(logits, torch.tensor(y[chosen]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    body.eval()
    return body, head, pooled, adapters


def _predict(fitted: tuple[Any, Any, Any, Any], texts: list[str]) -> np.ndarray:
    import torch

    _, head, pooled, _ = fitted
    with torch.no_grad():
        return np.concatenate([torch.sigmoid(head(pooled(texts[i : i + 32]) * HEAD_SCALE)).numpy() for i in range(0, len(texts), 32)])


def checkpoint_key(posts: list[LabelledPost]) -> str:
    """What a fold's predictions depend on: the posts, the recipe's name, and the fitting code and numbers
    themselves (the pooling and schedule it shares with knowledge.ask_tuning too), so a changed learning
    rate, batch size or adapter rank is never mixed with folds fitted before it."""
    code = "".join(inspect.getsource(f) for f in (_fit, _predict, adapted_model, mean_pooled, warmup_then_decay))
    numbers = f"{EPOCHS}|{BATCH}|{MAX_TOKENS}|{HEAD_SCALE!r}|{RANK}|{','.join(ADAPTED)}|{','.join(CATEGORIES)}"
    recipe = f"{weights_fingerprint(posts)}|{numbers}|{code}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:24]


def final_key(posts: list[LabelledPost]) -> str:
    """What a kept final fit depends on: a fold's key, and how the fit is scaled before it is written
    (the adapters' scale folded into `up`, the head's HEAD_SCALE), since the kept file holds it scaled."""
    scaling = inspect.getsource(trained_pairs)  # HEAD_SCALE is in checkpoint_key already
    return f"{checkpoint_key(posts)}-{hashlib.sha256(scaling.encode()).hexdigest()[:8]}"


def name_unused_kept_fits(directory: Path, key: str, final: str) -> None:
    """Say which kept fits a refit under these keys will fit again, before it does: most likely they were
    kept for a recipe change (training/pending/README.md) not yet made in this code, and each costs an hour."""
    ignored = kept_for_other_fits(directory, key, final)
    if ignored:
        print(f"not used: {len(ignored)} kept fits made for other posts, code or numbers than this refit's ({key}): {', '.join(ignored)}", flush=True)


def fit_fold(posts: list[LabelledPost], fold: int) -> np.ndarray:
    """Predictions for the posts fold `fold` holds out, by a model fitted on all the others."""
    held = held_posts(len(posts), fold)
    kept = np.setdiff1d(np.arange(len(posts)), held)
    return _predict(_fit([posts[i] for i in kept], seed=fold), [posts[i].text for i in held])


def fit_final(posts: list[LabelledPost]) -> FinalFit:
    """The shipped model's fit on every post, scaled as it is written (and kept)."""
    _, head, _, adapters = _fit(posts, seed=0)
    return trained_pairs(adapters), head.weight.detach().numpy() * HEAD_SCALE, head.bias.detach().numpy()


def out_of_fold_predictions(posts: list[LabelledPost], y: np.ndarray, directory: Path = CHECKPOINTS, key: str | None = None) -> np.ndarray:
    """Cross-validated predictions for every post, fitting only the folds no checkpoint already holds; `key`
    is checkpoint_key(posts) as computed when the run began, from the code it runs."""
    key = key or checkpoint_key(posts)
    out_of_fold = np.zeros(y.shape, dtype=np.float32)
    for fold in range(THRESHOLD_FOLDS):
        held = held_posts(len(posts), fold)
        predictions = load_fold(directory, key, fold, held)
        if predictions is None:
            predictions = fit_fold(posts, fold)
            save_fold(directory, key, fold, held, predictions)
            print(f"fold {fold + 1}/{THRESHOLD_FOLDS} done", flush=True)
        else:
            print(f"fold {fold + 1}/{THRESHOLD_FOLDS} taken from {directory}", flush=True)
        out_of_fold[held] = predictions
    return out_of_fold


def score_positives(encoder: EncoderAdapters, semantic: SemanticModel) -> np.ndarray:
    """Per category, the lowest score the tuned model gives its semantic rule's positive examples (knowledge/example_floor.py)."""
    from knowledge.embedding import load_real_embedder
    from knowledge.rules import load_rules

    return lowest_positive_scores(load_real_embedder("torch", adapters=encoder), semantic, semantic_positives(load_rules()))


def rethreshold() -> None:
    """Re-derive the shipped file's thresholds from its stored out-of-fold predictions: a model load, not a refit.

    The weights do not depend on the precision targets, so only the thresholds and the fingerprint change.
    The raised ones are then capped by their semantic rule's positive examples, scored by the tuned model.
    Refused when the posts changed since the fit (the weights would be stale too)."""
    posts = load_training()
    path = shipped_adapters_path("risk")
    read = read_adapters(path, "risk")
    if read is None or "out_of_fold" not in read[1]:
        raise SystemExit(f"{path}: no stored out-of-fold predictions; run a full refit")
    adapters, extra = read
    if "weights_fingerprint" in extra:
        current = str(extra["weights_fingerprint"]) == weights_fingerprint(posts)
    else:  # written before the weights had their own fingerprint: the whole file's, with the single 0.9 target
        current = adapters.fingerprint == posts_fingerprint(f"{RECIPE}|{REAL_MODEL_NAME}|{TARGET_PRECISION}", posts, 24)
    if not current:
        raise SystemExit("the training posts changed since the fit: run a full refit (python -m knowledge.risk_tuning)")
    out_of_fold = extra["out_of_fold"].astype(np.float32)
    y = labels_matrix(posts)
    from_curve = thresholds_for(y, out_of_fold)
    lowest = score_positives(adapters, SemanticModel(extra["head_weights"], extra["head_bias"], from_curve))
    thresholds = floored_thresholds(from_curve, base_thresholds(y, out_of_fold), lowest)
    for line in report(from_curve, thresholds, lowest):
        print(line)
    write_adapters(
        path,
        adapters.pairs,
        extra["head_weights"],
        extra["head_bias"],
        thresholds,
        training_fingerprint(posts),
        out_of_fold,
        weights_fingerprint(posts),
    )
    print(f"rewrote {path}: thresholds {np.round(thresholds, 2).tolist()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--thresholds-only", action="store_true", help="re-derive the thresholds from the stored predictions")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="fit N folds (or the final fit) at once, each in a one-thread process")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, not {args.jobs}")
    if args.thresholds_only:
        rethreshold()
        return
    import torch

    torch.set_num_threads(2)
    posts = load_training()
    # Once, from the code this process imported: a fit is kept under the key of the code that ran it, even
    # when the source is edited during the hours a refit takes (the keys read the source from disk).
    key, final_fit_key = checkpoint_key(posts), final_key(posts)
    name_unused_kept_fits(CHECKPOINTS, key, final_fit_key)
    if args.jobs > 1:
        from knowledge.refit_jobs import fit_missing_parts

        fit_missing_parts(posts, args.jobs, (key, final_fit_key))  # each fit kept as it ends, taken back below
    y = labels_matrix(posts)
    out_of_fold = out_of_fold_predictions(posts, y, key=key).astype(np.float16).astype(np.float32)  # as stored, so --thresholds-only agrees
    thresholds = thresholds_for(y, out_of_fold)  # before the examples cap them: rethreshold below, on the written file
    final = load_final(CHECKPOINTS, final_fit_key)
    if final is None:
        final = fit_final(posts)
        save_final(CHECKPOINTS, final_fit_key, final)
    else:
        print(f"final fit taken from {CHECKPOINTS}", flush=True)
    pairs, head_weights, head_bias = final
    path = shipped_adapters_path("risk")
    write_adapters(
        path,
        pairs,
        head_weights,
        head_bias,
        thresholds,
        UNCAPPED,  # stale to the check until rethreshold caps the thresholds: a failure there leaves a warning, not an uncapped model
        out_of_fold,
        weights_fingerprint(posts),
    )
    print(f"wrote {path} ({RECIPE}); capping its thresholds")
    rethreshold()


if __name__ == "__main__":
    main()
