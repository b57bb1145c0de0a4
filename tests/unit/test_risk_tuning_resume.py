"""A refit of the draft model can outlast a working session (its time is in knowledge/risk_tuning.py's
docstring), so a stopped one must resume from its finished folds, and never reuse folds fitted on other posts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.risk_model import CATEGORIES, THRESHOLD_FOLDS, labels_matrix


class _Killed(Exception):
    pass


def _posts(n: int, extra: str = "") -> list[LabelledPost]:
    return [LabelledPost(f"post {i}{extra}", frozenset({CATEGORIES[i % len(CATEGORIES)]} if i % 3 else set())) for i in range(n)]


def _fake_training(monkeypatch: pytest.MonkeyPatch, kill_after: int | None = None) -> list[int]:
    """Stand-ins for the torch fit: each fold's 'model' predicts a value derived from the text, so
    predictions can be checked; `kill_after` folds in, the process is 'killed'."""
    fits: list[int] = []

    def fit(posts: list[LabelledPost], seed: int) -> tuple[Any, ...]:
        if kill_after is not None and len(fits) == kill_after:
            raise _Killed
        fits.append(seed)
        return (seed,)

    def predict(fitted: tuple[Any, ...], texts: list[str]) -> np.ndarray:
        return np.array([[int(t.split()[1]) / 1000 + fitted[0] / 10] * len(CATEGORIES) for t in texts], dtype=np.float32)

    monkeypatch.setattr(risk_tuning, "_fit", fit)
    monkeypatch.setattr(risk_tuning, "_predict", predict)
    return fits


def test_a_stopped_refit_resumes_from_its_finished_folds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    posts = _posts(40)
    y = labels_matrix(posts)
    _fake_training(monkeypatch, kill_after=2)
    with pytest.raises(_Killed):
        risk_tuning.out_of_fold_predictions(posts, y, tmp_path)
    assert len(list(tmp_path.glob("fold-*.npz"))) == 2 and not list(tmp_path.glob("*partial*"))

    fits = _fake_training(monkeypatch)
    resumed = risk_tuning.out_of_fold_predictions(posts, y, tmp_path)
    assert fits == list(range(2, THRESHOLD_FOLDS))  # only the folds that had not finished
    fits = _fake_training(monkeypatch)
    fresh = risk_tuning.out_of_fold_predictions(posts, y, tmp_path / "elsewhere")
    assert fits == list(range(THRESHOLD_FOLDS))
    np.testing.assert_array_equal(resumed, fresh)  # the same predictions as an unbroken refit


def test_folds_fitted_on_other_posts_are_not_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_training(monkeypatch)
    risk_tuning.out_of_fold_predictions(_posts(40), labels_matrix(_posts(40)), tmp_path)
    fits = _fake_training(monkeypatch)
    changed = _posts(40, extra=" edited")
    risk_tuning.out_of_fold_predictions(changed, labels_matrix(changed), tmp_path)
    assert fits == list(range(THRESHOLD_FOLDS))


def test_folds_fitted_with_other_settings_are_not_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    posts = _posts(40)
    _fake_training(monkeypatch)
    risk_tuning.out_of_fold_predictions(posts, labels_matrix(posts), tmp_path)
    monkeypatch.setattr(risk_tuning, "BATCH", risk_tuning.BATCH * 2)
    fits = _fake_training(monkeypatch)
    risk_tuning.out_of_fold_predictions(posts, labels_matrix(posts), tmp_path)
    assert fits == list(range(THRESHOLD_FOLDS))


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated"])
def test_a_damaged_checkpoint_is_refitted_not_trusted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: str) -> None:
    posts = _posts(40)
    _fake_training(monkeypatch)
    first = risk_tuning.out_of_fold_predictions(posts, labels_matrix(posts), tmp_path)
    damaged = sorted(tmp_path.glob("fold-1-*.npz"))[0]
    whole = damaged.read_bytes()
    damaged.write_bytes({"garbage": b"not an npz", "empty": b"", "truncated": whole[: len(whole) // 2]}[damage])
    fits = _fake_training(monkeypatch)
    again = risk_tuning.out_of_fold_predictions(posts, labels_matrix(posts), tmp_path)
    assert fits == [0]
    np.testing.assert_array_equal(first, again)



def test_a_refit_names_the_kept_fits_it_will_not_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fits kept for a recipe change (more epochs) cost hours: a refit run without that change says it
    will fit them again, instead of doing so silently; its own are not named."""
    posts = _posts(40)
    _fake_training(monkeypatch)
    monkeypatch.setattr(risk_tuning, "EPOCHS", risk_tuning.EPOCHS + 3)
    risk_tuning.out_of_fold_predictions(posts, labels_matrix(posts), tmp_path)
    other_recipe = sorted(p.name for p in tmp_path.glob("fold-*.npz"))
    monkeypatch.setattr(risk_tuning, "EPOCHS", risk_tuning.EPOCHS - 3)
    keys = risk_tuning.checkpoint_key(posts), risk_tuning.final_key(posts)
    (tmp_path / f"final-{keys[0]}-scaled-otherwise.npz").write_bytes(b"a final fit scaled by other code")
    capsys.readouterr()
    risk_tuning.name_unused_kept_fits(tmp_path, *keys)
    said = capsys.readouterr().out
    assert said.startswith(f"not used: {THRESHOLD_FOLDS + 1} kept fits") and all(name in said for name in other_recipe)
    fits = _fake_training(monkeypatch)
    risk_tuning.out_of_fold_predictions(posts, labels_matrix(posts), tmp_path)
    assert fits == list(range(THRESHOLD_FOLDS))
    capsys.readouterr()
    risk_tuning.name_unused_kept_fits(tmp_path, *keys)
    assert capsys.readouterr().out.startswith(f"not used: {THRESHOLD_FOLDS + 1} kept fits"), "its own new folds are not named"
