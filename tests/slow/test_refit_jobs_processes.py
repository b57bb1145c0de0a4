"""`risk_tuning --jobs 2` with real worker processes and the real model, on a few posts: what the workers
keep is what the refit in the parent process then takes, with nothing fitted twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.refit_checkpoints import load_final
from knowledge.refit_jobs import FINAL, fit_missing_parts
from knowledge.risk_model import CATEGORIES, THRESHOLD_FOLDS, labels_matrix

pytestmark = pytest.mark.slow

POSTS = [
    LabelledPost(f"Post {i}: {text}", frozenset({CATEGORIES[i % len(CATEGORIES)]} if i % 3 else set()))
    for i, text in enumerate(["The library reopens on Monday.", "He is a crook and a liar.", "Here is my password."] * 8)
]


def test_worker_processes_keep_fits_the_refit_then_takes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys = risk_tuning.checkpoint_key(POSTS), risk_tuning.final_key(POSTS)
    assert fit_missing_parts(POSTS, 2, keys, tmp_path) == [FINAL, *range(THRESHOLD_FOLDS)]
    kept = load_final(tmp_path, keys[1])
    assert kept is not None and np.isfinite(kept[1]).all()

    def refit(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the parent fitted again what a worker kept")

    monkeypatch.setattr(risk_tuning, "fit_fold", refit)
    predictions = risk_tuning.out_of_fold_predictions(POSTS, labels_matrix(POSTS), tmp_path)
    assert predictions.shape == (len(POSTS), len(CATEGORIES)) and ((predictions > 0) & (predictions < 1)).all()
