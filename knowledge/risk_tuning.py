"""Fit the draft check's fine-tuned risk model offline: `python -m knowledge.risk_tuning`. Stopped, it resumes from its
finished folds and final fit. On this 2-core machine, uncontended, on 2026-11-28 a fold took 24-29 min and the final fit 34 at
both 9,842 and 10,588 posts (~2 h 45 to 2 h 55 in all; on 2026-11-27 the 9,842-post refit took ~100 min, so the
machine's speed matters as much as the post count), and longer with anything else running. That is more than a
session leaves, so finished folds, and the final fit, can be kept in training/pending/checkpoints/ for the next
(knowledge/pending_training.py).

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
from knowledge.durable_files import replace_atomically
from knowledge.embedding import REAL_MODEL_NAME, model_directory
from knowledge import encoder_adapters
from knowledge.encoder_adapters import ADAPTED, RANK, EncoderAdapters, adapted_model, mean_pooled, read_adapters, shipped_adapters_path, trained_pairs, warmup_then_decay
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

EPOCHS = 5
BATCH = 16
MAX_TOKENS = 128
# Each finished fold's out-of-fold predictions, and the finished final fit, are kept here, so a refit stopped
# part way (it is long: see the module docstring) resumes where it stopped.
CHECKPOINTS = Path(__file__).resolve().parent / "training" / ".refit"
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


def _checkpoint_path(directory: Path, key: str, fold: int) -> Path:
    return directory / f"fold-{fold + 1}-of-{THRESHOLD_FOLDS}-{key}.npz"


def checkpoint_key(posts: list[LabelledPost]) -> str:
    """What a fold's predictions depend on: the posts, the recipe's name, and the fitting code and numbers
    themselves, so a changed learning rate or batch size is never mixed with folds fitted before it."""
    code = inspect.getsource(_fit) + inspect.getsource(adapted_model)
    recipe = f"{weights_fingerprint(posts)}|{EPOCHS}|{BATCH}|{MAX_TOKENS}|{','.join(CATEGORIES)}|{code}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:24]


def read_fold_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A fold checkpoint's held post indices and its predictions for them; ValueError naming the problem
    when the file is empty, truncated, foreign or inconsistent."""
    try:
        with np.load(path) as data:
            held, predictions = np.asarray(data["held"]), np.asarray(data["predictions"], dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - numpy raises OSError, ValueError, KeyError or zipfile errors
        raise ValueError(f"not a readable fold checkpoint ({exc})") from None
    if held.ndim != 1 or held.dtype.kind not in "iu" or predictions.shape != (len(held), len(CATEGORIES)):
        raise ValueError(f"not a readable fold checkpoint (held {held.shape} {held.dtype}, predictions {predictions.shape})")
    return held, predictions


def load_fold(directory: Path, key: str, fold: int, held: np.ndarray) -> np.ndarray | None:
    """A finished fold's predictions for `held`, or None when that fold has not run under `key` or its
    file is damaged in any way (a damaged checkpoint costs a refit of one fold, never the run)."""
    try:
        kept, predictions = read_fold_file(_checkpoint_path(directory, key, fold))
    except ValueError:
        return None
    return predictions if np.array_equal(kept, held) else None


def save_fold(directory: Path, key: str, fold: int, held: np.ndarray, predictions: np.ndarray) -> None:
    """Keep one fold's predictions: written and synced under a temporary name, then renamed, so neither a
    kill nor a power cut leaves a half-written checkpoint under the real name."""
    replace_atomically(_checkpoint_path(directory, key, fold), lambda out: np.savez(out, held=held, predictions=predictions), suffix=".partial", durable=True)


def held_posts(count: int, fold: int) -> np.ndarray:
    """The posts fold `fold` (0-based) holds out: fixed by the count alone, so a refit of the same number of
    posts holds out the same ones (benchmarks/refit_spread.py compares folds on that)."""
    return np.random.default_rng(0).permutation(count)[fold::THRESHOLD_FOLDS]


FINAL_PURPOSE = "risk-final"
FinalFit = tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]  # adapter pairs, head weights, head bias


def final_key(posts: list[LabelledPost]) -> str:
    """What a kept final fit depends on: a fold's key, and how the fit is scaled before it is written
    (the adapters' scale folded into `up`, the head's HEAD_SCALE), since the kept file holds it scaled."""
    scaling = inspect.getsource(trained_pairs) + repr(HEAD_SCALE)
    return f"{checkpoint_key(posts)}-{hashlib.sha256(scaling.encode()).hexdigest()[:8]}"


def _final_path(directory: Path, key: str) -> Path:
    return directory / f"final-{key}.npz"


def save_final(directory: Path, key: str, fit: FinalFit) -> None:
    """Keep the final fit (the longest of the six) beside the folds, so a refit stopped after it, or one
    whose fits ran in separate processes, does not fit it again. It is an adapters file like the shipped
    one (written atomically), for purpose "risk-final" so neither can be taken for the other."""
    pairs, head_weights, head_bias = fit
    encoder_adapters.write_adapters(_final_path(directory, key), FINAL_PURPOSE, pairs, key, durable=True, head_weights=head_weights, head_bias=head_bias)


def _adapter_names(names: set[str]) -> bool:
    """Every adapted layer of every block, and nothing else: a file missing one would ship a half-tuned encoder."""
    blocks = {name.split(".")[2] for name in names if name.startswith("encoder.layer.")}
    expected = {f"encoder.layer.{i}.{layer}.weight" for i in range(len(blocks)) for layer in ADAPTED}
    return bool(names) and names == expected


def load_final(directory: Path, key: str) -> FinalFit | None:
    """The kept final fit under `key`, or None when there is none, or it is for other posts or code, or
    damaged or malformed in any way (that costs the final fit again, never the run or a bad model)."""
    try:
        read = encoder_adapters.read_adapters(_final_path(directory, key), FINAL_PURPOSE)
        if read is None or read[0].fingerprint != key:
            return None
        pairs = {n: (np.asarray(d, dtype=np.float32), np.asarray(u, dtype=np.float32)) for n, (d, u) in read[0].pairs.items()}
        weights, bias = (np.asarray(read[1][name], dtype=np.float32) for name in ("head_weights", "head_bias"))
    except (KeyError, TypeError, ValueError):  # a head array missing, or not numbers (read_adapters handles a bad file)
        return None
    shapes_ok = all(d.ndim == 2 and u.ndim == 2 and d.shape[0] == RANK == u.shape[1] for d, u in pairs.values())
    head_ok = weights.ndim == 2 and weights.shape[0] == len(CATEGORIES) and bias.shape == (len(CATEGORIES),)
    finite = all(np.isfinite(a).all() for a in (weights, bias, *(x for pair in pairs.values() for x in pair)))
    if not (_adapter_names(set(pairs)) and shapes_ok and head_ok and finite):
        return None
    return pairs, weights, bias


def out_of_fold_predictions(posts: list[LabelledPost], y: np.ndarray, directory: Path = CHECKPOINTS) -> np.ndarray:
    """Cross-validated predictions for every post, fitting only the folds no checkpoint already holds."""
    key = checkpoint_key(posts)
    out_of_fold = np.zeros(y.shape, dtype=np.float32)
    for fold in range(THRESHOLD_FOLDS):
        held = held_posts(len(posts), fold)
        predictions = load_fold(directory, key, fold, held)
        if predictions is None:
            kept = np.setdiff1d(np.arange(len(posts)), held)
            predictions = _predict(_fit([posts[i] for i in kept], seed=fold), [posts[i].text for i in held])
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
    if parser.parse_args().thresholds_only:
        rethreshold()
        return
    import torch

    torch.set_num_threads(2)
    posts = load_training()
    y = labels_matrix(posts)
    out_of_fold = out_of_fold_predictions(posts, y).astype(np.float16).astype(np.float32)  # as stored, so --thresholds-only agrees
    thresholds = thresholds_for(y, out_of_fold)  # before the examples cap them: rethreshold below, on the written file
    key = final_key(posts)
    final = load_final(CHECKPOINTS, key)
    if final is None:
        _, head, _, adapters = _fit(posts, seed=0)
        final = trained_pairs(adapters), head.weight.detach().numpy() * HEAD_SCALE, head.bias.detach().numpy()
        save_final(CHECKPOINTS, key, final)
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
