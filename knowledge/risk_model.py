"""The draft check's semantic second opinion for the real model: all-MiniLM-L6-v2 tuned on labelled posts.

The tuning (knowledge/risk_tuning.py, run offline) leaves the base weights alone and learns a low-rank
pair (down, up) beside each linear layer, plus an 8-way head over the pooled vector. Here the pairs are
merged into a copy of the base weights (W + up @ down), which gives an ordinary BERT: it runs on the same
engines as the retrieval encoder (ONNX Runtime by default, its graph exported once per data dir), and its
normalised vectors feed the same `SemanticModel` the linear fallback uses (knowledge/draft_model.py).
The shipped file is tied by a fingerprint to the training posts and the recipe; a test fails while stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from knowledge import encoder_adapters
from knowledge.draft_model import LabelledPost, SemanticModel, posts_fingerprint, threshold_for
from knowledge.embedding import REAL_MODEL_NAME, Embedder, is_real_model
from knowledge.encoder_adapters import EncoderAdapters, shipped_adapters_path
from knowledge.rules import CATEGORIES

log = logging.getLogger(__name__)

RECIPE = "lora-r8-all-linear/bce-sqrt-balanced/8-epochs/head-scale-20/precision-0.9/v1"
HEAD_SCALE = 20.0
THRESHOLD_FOLDS = 5
# Out-of-fold precision each category's threshold must reach. The linear model uses 0.97; the tuned
# model's probabilities are sharper, and 0.97 over training posts full of deliberately near-miss clean
# ones set thresholds of 0.97-1.0 that left most of its gain unused. 0.9 is the issue's own precision bar.
TARGET_PRECISION = 0.9
# Raised where 0.9 let the model flag the near-misses a category's rules are written to leave alone (their
# negative examples: "My grandson helped me set up this page", "Is it a yes from me for the quiz team?",
# "The new play area is far too small for the number of children"): for each, the lowest target in steps
# of 0.01 at which the whole check flags none of them (measured 2026-11-26 on the 4,260-post refit). A
# false flag on a clean post fails the issue outright; a missed one costs recall. Re-derived without a
# refit: python -m knowledge.risk_tuning --thresholds-only. The 4,860-post refit scored the password and
# bias examples above any usable target (0.98), so the rules' safe phrasings excuse those shapes instead;
# the 6,020-post refit needed 0.97 for the bullying one, so the bullying model's safe phrasings excuse a
# place too small for its users. Password sharing 0.95 -> 0.96 on that refit, chosen on a rule's clean
# example ("The council's comms team runs the official council page; this one is my own") and on a
# blind1 draft, a development set (0.624 against 0.615); out-of-fold recall 0.968 -> 0.962.
# On the 7,220-post refit the 0.96 target still flagged that comms-team example; clearing it needed 0.97
# (threshold 0.53 -> 0.84), so password_sharing.yaml's council-page exception excuses it and 0.96 is kept.
# The 9,842-post refit (2026-11-27) flags no rule's clean example at 0.9 in any category, but at bullying's
# 0.91 it missed the semantic rule's own "She's far too big for the chair, someone get her a bigger one"
# (0.816 against 0.836), so bullying is back at 0.9 (0.804). Bias and password sharing keep their raised
# targets as a margin: this refit flags none of their rules' clean examples at 0.9 either, but earlier
# refits did, and at 0.9 password sharing's threshold would fall from 0.79 to 0.50, bias's from 0.60 to 0.50.
# (The 8-epoch refit of 2026-11-29: password sharing 0.67 at its target and 0.50 at 0.9; bias 0.50 at both.)
# Since 2026-11-28 the raised categories' thresholds are also capped from above by their semantic rule's
# positive examples, down to their threshold at 0.9 at most (knowledge/example_floor.py): the label refit
# of that day put password sharing at 0.84 on this same 0.96 target and missed one of them.
RAISED_PRECISION: dict[str, float] = {"bias_predetermination": 0.93, "password_sharing": 0.96}
if not RAISED_PRECISION.keys() <= set(CATEGORIES):
    raise ValueError(f"RAISED_PRECISION names unknown categories: {sorted(RAISED_PRECISION.keys() - set(CATEGORIES))}")


@dataclass(frozen=True)
class RiskAdapters:
    """The draft check's encoder adapters and the head that reads the tuned vectors."""

    encoder: EncoderAdapters
    semantic: SemanticModel


class TunedRiskModel(NamedTuple):
    """What the draft check needs: the tuned encoder and the head that reads its vectors."""

    embedder: Embedder
    semantic: SemanticModel


def labels_matrix(posts: list[LabelledPost]) -> np.ndarray:
    return np.array([[c in p.labels for c in CATEGORIES] for p in posts], dtype=np.float32)


def precision_target(category: str) -> float:
    return RAISED_PRECISION.get(category, TARGET_PRECISION)


def _thresholds_at(y: np.ndarray, scores: np.ndarray, targets: list[float]) -> np.ndarray:
    return np.array([threshold_for(y[:, j].astype(int), scores[:, j], t) for j, t in enumerate(targets)], dtype=np.float32)


def thresholds_for(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per category, the lowest out-of-fold probability at which predictions reach its target precision."""
    return _thresholds_at(y, scores, [precision_target(c) for c in CATEGORIES])


def base_thresholds(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per category, the threshold at the issue's own precision bar: the lowest any category may go."""
    return _thresholds_at(y, scores, [TARGET_PRECISION] * len(CATEGORIES))


def weights_fingerprint(posts: list[LabelledPost]) -> str:
    """What the weights depend on: the posts and the recipe, not the precision targets."""
    return posts_fingerprint(f"{RECIPE}|{REAL_MODEL_NAME}", posts, 24)


def training_fingerprint(posts: list[LabelledPost]) -> str:
    """What the whole file depends on: the weights' inputs and the targets its thresholds were set for."""
    targets = ",".join(f"{precision_target(c)}" for c in CATEGORIES)
    return posts_fingerprint(f"{RECIPE}|{REAL_MODEL_NAME}|{targets}", posts, 24)


def write_adapters(
    path: Path,
    pairs: dict[str, tuple[np.ndarray, np.ndarray]],
    head_weights: np.ndarray,
    head_bias: np.ndarray,
    thresholds: np.ndarray,
    fingerprint: str,
    out_of_fold: np.ndarray,
    weights_for: str,
) -> None:
    """`out_of_fold` (posts x categories) is kept beside the weights so thresholds can be re-derived and audited;
    `weights_for` (a `weights_fingerprint`) says which posts they belong to."""
    encoder_adapters.write_adapters(
        path,
        "risk",
        pairs,
        fingerprint,
        head_weights=head_weights.astype(np.float32),
        head_bias=head_bias.astype(np.float32),
        thresholds=thresholds.astype(np.float32),
        out_of_fold=out_of_fold.astype(np.float16),
        weights_fingerprint=np.array(weights_for),
    )


def read_adapters(path: Path) -> RiskAdapters | None:
    """The adapters in `path`, or None when the file is missing, unreadable or has no head (the check then falls back)."""
    read = encoder_adapters.read_adapters(path, "risk")
    if read is None or not {"head_weights", "head_bias", "thresholds"} <= read[1].keys():
        return None
    adapters, extra = read
    return RiskAdapters(adapters, SemanticModel(extra["head_weights"], extra["head_bias"], extra["thresholds"]))


def shipped_adapters(posts: list[LabelledPost]) -> RiskAdapters | None:
    """The packaged adapters when they were tuned on exactly these posts with this recipe, else None."""
    adapters = read_adapters(shipped_adapters_path("risk"))
    if adapters is None or adapters.encoder.fingerprint != training_fingerprint(posts):
        return None
    return adapters


def load_risk_model(
    embedder: Embedder, engine: str, cache_dir: Path | None, threads: int | None, posts: list[LabelledPost]
) -> TunedRiskModel | None:
    """The tuned encoder and its head, for the real model with current adapters; None otherwise."""
    if not is_real_model(embedder.name):
        return None
    adapters = shipped_adapters(posts)
    if adapters is None:
        # Silent, this cut a blind set's draft recall from 0.75 to 0.48 when posts were added without a refit.
        log.warning("The draft model's adapters are missing or stale (run: python -m knowledge.risk_tuning); using the linear model.")
        return None
    from knowledge.embedding import load_real_embedder

    return TunedRiskModel(load_real_embedder(engine, cache_dir, threads, adapters=adapters.encoder), adapters.semantic)
