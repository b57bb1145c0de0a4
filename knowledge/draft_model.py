"""A semantic second opinion for the draft check: a linear classifier over sentence embeddings.

The YAML rules are precise but only catch the phrasings they name; a blind test set showed members
find many others ("word is the landlord is dealing drugs out the back"). So example posts, labelled
with the risks they carry and shipped as data in knowledge/training/*.jsonl, train one logistic
regression per category over the same all-MiniLM-L6-v2 embeddings the retriever uses. A category's
threshold is chosen on cross-validated predictions for high precision, so the model adds recall
without flagging clean posts. It is fitted once per embedder and cached in the data dir. For the real
model, the check uses a tuned encoder instead (knowledge/risk_model.py), which ranks risky posts far
better; this linear model is the fallback when those adapters are stale, and what unit tests run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.durable_files import replace_atomically
from knowledge.embedding import Embedder
from knowledge.rules import CATEGORIES

RECIPE = "logreg-ovr/C=2/precision>=0.97/v1"
TARGET_PRECISION = 0.97
MIN_THRESHOLD = 0.5


@dataclass(frozen=True)
class LabelledPost:
    text: str
    labels: frozenset[str]


@dataclass(frozen=True)
class SemanticModel:
    """Per-category weights, bias and decision threshold; probabilities for embedded sentences."""

    weights: np.ndarray  # (categories, dimension)
    bias: np.ndarray  # (categories,)
    thresholds: np.ndarray  # (categories,); above 1.0 means "never flag" (too few examples to trust)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(vectors @ self.weights.T + self.bias)))


def load_training() -> list[LabelledPost]:
    """The packaged example posts; an unknown label is a data error worth failing loudly on."""
    posts: list[LabelledPost] = []
    folder = resources.files("knowledge").joinpath("training")
    if not folder.is_dir():
        return posts
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".jsonl"):
            continue
        for n, line in enumerate(entry.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            labels = frozenset(row.get("labels", []))
            unknown = labels - set(CATEGORIES)
            if unknown:
                raise ValueError(f"{entry.name} line {n}: unknown label(s) {sorted(unknown)}")
            posts.append(LabelledPost(str(row["text"]), labels))
    return posts


def posts_fingerprint(header: str, posts: list[LabelledPost], length: int) -> str:
    """A digest of a recipe header and every post's text and labels: a model fitted on them is stale when it changes."""
    digest = hashlib.sha256(header.encode())
    for post in posts:
        digest.update(post.text.encode())
        digest.update(",".join(sorted(post.labels)).encode())
    return digest.hexdigest()[:length]


def _fingerprint(posts: list[LabelledPost], embedder: Embedder) -> str:
    return posts_fingerprint(f"{RECIPE}|{embedder.name}|{embedder.dimension}", posts, 20)


def threshold_for(y: np.ndarray, scores: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """The lowest probability at which cross-validated predictions reach the target precision.

    A threshold flags every post scoring at or above it, so tied scores are judged together: the stored
    predictions are float16 and tie often, and judging a tie part way through set a threshold no cut can
    give, chosen by how the sort happened to order the tie
    (over the shipped predictions, one float16 step at 43 of 232 category and target pairs from 0.85 to 0.995)."""
    if len(y) == 0:
        return 1.01
    order = np.argsort(-scores, kind="stable")
    ranked, labels = scores[order], y[order]
    precision = np.cumsum(labels) / np.arange(1, len(y) + 1)
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)
    ends = np.flatnonzero(last_of_tie)
    starts = np.append(0, ends[:-1] + 1)
    has_positive = np.maximum.reduceat(labels, starts) > 0
    ok = ends[(precision[ends] >= target) & has_positive]
    if len(ok) == 0:
        return 1.01
    return float(max(MIN_THRESHOLD, ranked[ok[-1]]))


def train(vectors: np.ndarray, posts: list[LabelledPost]) -> SemanticModel:
    from sklearn.linear_model import LogisticRegression  # import cost paid only when (re)training
    from sklearn.model_selection import cross_val_predict

    weights, bias, thresholds = [], [], []
    for category in CATEGORIES:
        y = np.array([category in p.labels for p in posts], dtype=int)
        model = LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000)
        if y.sum() < 10:
            weights.append(np.zeros(vectors.shape[1]))
            bias.append(-10.0)
            thresholds.append(1.01)
            continue
        cv = cross_val_predict(model, vectors, y, cv=5, method="predict_proba")[:, 1]
        model.fit(vectors, y)
        weights.append(model.coef_[0])
        bias.append(float(model.intercept_[0]))
        thresholds.append(threshold_for(y, cv))
    return SemanticModel(np.array(weights, dtype=np.float32), np.array(bias, dtype=np.float32), np.array(thresholds, dtype=np.float32))


def _read(source: object, key: str) -> SemanticModel | None:
    """A stored model, if it was fitted for exactly this embedder, training data and recipe."""
    try:
        with np.load(source) as data:  # type: ignore[arg-type]
            if str(data["fingerprint"]) != key:
                return None
            return SemanticModel(data["weights"], data["bias"], data["thresholds"])
    except (OSError, ValueError, KeyError):
        return None


def _write(path: Path, model: SemanticModel, key: str) -> None:
    replace_atomically(path, lambda handle: np.savez(handle, weights=model.weights, bias=model.bias, thresholds=model.thresholds, fingerprint=key), suffix=".npz.tmp")


# Models fitted in this process, by fingerprint. A fit over ~3,000 posts takes ~10 s, and a process that
# builds assistants on fresh data dirs (the test suite does, once per test) would otherwise refit each time.
_fitted: dict[str, SemanticModel] = {}


def load_or_train(embedder: Embedder, directory: Path | None, posts: list[LabelledPost] | None = None) -> SemanticModel | None:
    """The cached model for this embedder and training data, fitted and cached when missing."""
    posts = load_training() if posts is None else posts
    if not posts:
        return None
    key = _fingerprint(posts, embedder)
    path = directory / f"draft-model-{key}.npz" if directory is not None else None
    if path is not None and path.is_file() and (model := _read(path, key)) is not None:
        return model
    model = _fitted.get(key)
    if model is None:
        model = _fitted[key] = train(embedder.encode([p.text for p in posts]), posts)
    if path is not None:
        try:
            _write(path, model, key)
        except OSError:
            pass  # a read-only data dir still checks drafts; it refits next time
    return model
