"""Fits run side by side (`risk_tuning --jobs 2`) must leave exactly what a one-at-a-time refit leaves: every
fit kept as it ends, so the refit then fits nothing again, and a failed fit named without losing the others."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.encoder_adapters import ADAPTED, RANK
from knowledge.refit_checkpoints import load_final
from knowledge.refit_jobs import FINAL, fit_missing_parts
from knowledge.risk_model import CATEGORIES, THRESHOLD_FOLDS, labels_matrix

POSTS = [LabelledPost(f"post {i}", frozenset({CATEGORIES[i % len(CATEGORIES)]} if i % 3 else set())) for i in range(40)]
PAIRS = {f"encoder.layer.{i}.{layer}.weight": (np.ones((RANK, 4), np.float32), np.ones((4, RANK), np.float32)) for i in range(2) for layer in ADAPTED}
FINAL_FIT = (PAIRS, np.ones((len(CATEGORIES), 4), np.float32), np.zeros(len(CATEGORIES), np.float32))


def _fakes(monkeypatch: pytest.MonkeyPatch, fail_seed: int | None = None) -> list[int]:
    """Stand-ins for the torch fits: a fold's 'model' predicts from the text and its seed; the seeds fitted."""
    fitted: list[int] = []

    def fit(posts: list[LabelledPost], seed: int) -> tuple[Any, ...]:
        if seed == fail_seed:
            raise RuntimeError(f"fit {seed} ran out of memory")
        fitted.append(seed)
        return (seed,)

    def predict(model: tuple[Any, ...], texts: list[str]) -> np.ndarray:
        return np.array([[int(t.split()[1]) / 1000 + model[0] / 10] * len(CATEGORIES) for t in texts], dtype=np.float32)

    def final(posts: list[LabelledPost]) -> Any:
        fitted.append(FINAL)
        return FINAL_FIT

    monkeypatch.setattr(risk_tuning, "_fit", fit)
    monkeypatch.setattr(risk_tuning, "_predict", predict)
    monkeypatch.setattr(risk_tuning, "fit_final", final)
    return fitted


def test_side_by_side_fits_leave_what_a_one_at_a_time_refit_leaves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fitted = _fakes(monkeypatch)
    assert fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2)) == [FINAL, *range(THRESHOLD_FOLDS)]  # longest first
    assert sorted(fitted) == [FINAL, *range(THRESHOLD_FOLDS)]
    assert load_final(tmp_path, risk_tuning.final_key(POSTS)) is not None

    fitted.clear()
    side_by_side = risk_tuning.out_of_fold_predictions(POSTS, labels_matrix(POSTS), tmp_path)
    assert fitted == [], "the refit fitted again what the jobs had kept"
    one_at_a_time = risk_tuning.out_of_fold_predictions(POSTS, labels_matrix(POSTS), tmp_path / "sequential")
    np.testing.assert_array_equal(side_by_side, one_at_a_time)
    assert fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2)) == []


def test_only_the_fits_not_kept_are_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fakes(monkeypatch)
    fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2))
    next(tmp_path.glob("fold-3-of-*.npz")).unlink()
    fitted = _fakes(monkeypatch)
    assert fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2)) == [2]
    assert fitted == [2]


def test_a_failed_fit_is_named_and_the_others_are_still_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fitted = _fakes(monkeypatch, fail_seed=2)
    with pytest.raises(RuntimeError, match=r"1 of 6 fits failed .*fold 3/5: fit 2 ran out of memory"):
        fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2))
    assert sorted(fitted) == [FINAL, 0, 1, 3, 4]
    fitted = _fakes(monkeypatch)
    assert fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2)) == [2]
    assert fitted == [2]


def test_jobs_below_one_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["risk_tuning", "--jobs", "0"])
    with pytest.raises(SystemExit) as stopped:
        risk_tuning.main()
    assert stopped.value.code == 2 and "--jobs must be 1 or more, not 0" in capsys.readouterr().err



def test_side_by_side_fits_also_name_the_kept_fits_they_will_not_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fakes(monkeypatch)
    monkeypatch.setattr(risk_tuning, "EPOCHS", risk_tuning.EPOCHS + 3)
    fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2))
    monkeypatch.setattr(risk_tuning, "EPOCHS", risk_tuning.EPOCHS - 3)
    capsys.readouterr()
    fit_missing_parts(POSTS, 2, tmp_path, ThreadPoolExecutor(2))
    assert capsys.readouterr().out.startswith(f"not used: {THRESHOLD_FOLDS + 1} kept fits")  # five folds and the final fit
