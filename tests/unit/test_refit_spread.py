"""The refit-spread report: what a reviewer reads to tell a refit's real change from a reseed's noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import refit_spread
from benchmarks.refit_spread import compare_predictions, report
from knowledge.risk_tuning import held_posts
from knowledge.risk_model import THRESHOLD_FOLDS
from knowledge.rules import CATEGORIES

DEFAMATION = CATEGORIES.index("defamation")
INFLAMMATORY = CATEGORIES.index("inflammatory")
# Each category its own threshold, as shipped, so a comparison against the wrong category's would show.
THRESHOLDS = np.linspace(0.4, 0.75, len(CATEGORIES)).astype(np.float32)


def _labels() -> np.ndarray:
    labels = np.zeros((4, len(CATEGORIES)), dtype=np.int8)
    labels[0, DEFAMATION] = 1  # a defamatory post
    labels[1, INFLAMMATORY] = 1  # an inflammatory one
    return labels  # posts 2 and 3 are clean


def test_the_same_predictions_change_nothing() -> None:
    predictions = np.random.default_rng(3).random((4, len(CATEGORIES))).astype(np.float32)
    spread = compare_predictions(_labels(), predictions, predictions.copy(), THRESHOLDS)
    assert spread.decisions_changed == 0
    assert spread.mean_abs_difference == 0.0
    assert all(s.true_flags[0] == s.true_flags[1] and s.false_flags[0] == s.false_flags[1] for s in spread.categories)


def test_a_lost_find_and_a_new_clean_flag_are_both_counted() -> None:
    before = np.zeros((4, len(CATEGORIES)), dtype=np.float32)
    before[0, DEFAMATION] = 0.9
    before[1, INFLAMMATORY] = 0.8
    after = before.copy()
    after[1, INFLAMMATORY] = THRESHOLDS[INFLAMMATORY] - 0.01  # the inflammatory post is missed now
    after[3, INFLAMMATORY] = THRESHOLDS[INFLAMMATORY]  # and a clean post is flagged: at the threshold is a flag
    after[2, INFLAMMATORY] = THRESHOLDS[DEFAMATION] + 0.1  # over defamation's threshold, not its own: still clean
    spread = compare_predictions(_labels(), before, after, THRESHOLDS)
    inflammatory = spread.categories[INFLAMMATORY]
    assert inflammatory.positives == 1
    assert inflammatory.true_flags == (1, 0)
    assert inflammatory.false_flags == (0, 1)
    assert spread.clean_posts == 2 and spread.clean_posts_flagged == (0, 1)
    assert spread.decisions_changed == 2
    text = report(spread, "fold 1")
    assert "inflammatory: found 1 -> 0 of 1, false flags 0 -> 1" in text
    assert "defamation" not in text  # an unchanged category is not reported
    assert "clean posts flagged 0 -> 1 of 2" in text


def test_the_folds_hold_every_post_exactly_once() -> None:
    held = np.concatenate([held_posts(103, fold) for fold in range(THRESHOLD_FOLDS)])
    assert sorted(held.tolist()) == list(range(103))


def test_the_folds_are_the_ones_the_kept_checkpoints_were_fitted_on() -> None:
    # Changing how folds are chosen would silently discard every kept fold (hours of fitting) and make a
    # refit's folds incomparable with the shipped fit's.
    assert held_posts(9842, 0)[:5].tolist() == [5556, 9314, 5102, 793, 347]
    assert held_posts(9842, 4)[:3].tolist() == [8964, 7885, 3826]


def test_a_damaged_checkpoint_is_named_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "fold-1-of-5-x.npz"
    damaged.write_bytes(b"not a checkpoint")
    monkeypatch.setattr("sys.argv", ["refit_spread", "--checkpoint", str(damaged)])
    with pytest.raises(SystemExit) as stopped:
        refit_spread.main()
    assert str(damaged) in str(stopped.value) and "not a readable fold checkpoint" in str(stopped.value)


def test_checkpoint_with_fold_or_seed_is_refused_as_usage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in (["--fold", "1"], ["--seed", "7"]):
        monkeypatch.setattr("sys.argv", ["refit_spread", "--checkpoint", str(tmp_path / "f.npz"), *extra])
        with pytest.raises(SystemExit) as stopped:
            refit_spread.main()
        assert stopped.value.code == 2 and "apply only when fitting" in capsys.readouterr().err


def test_a_kept_fold_is_compared_in_counts(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The label-additions refit's first fold, against the shipped out-of-fold predictions: same held posts,
    a few decisions changed, and nothing but counts printed."""
    kept = sorted((Path(__file__).resolve().parents[2] / "knowledge" / "training" / "pending" / "checkpoints").glob("fold-1-of-5-*.npz"))
    if not kept:
        pytest.skip("no kept fold checkpoint in this tree")
    monkeypatch.setattr("sys.argv", ["refit_spread", "--checkpoint", str(kept[0]), "--json"])
    refit_spread.main()
    spread = json.loads(capsys.readouterr().out)
    assert spread["decisions"] == spread["held_posts"] * 8 and spread["held_posts"] > 1000
    assert 0 < spread["decisions_changed"] < spread["decisions"] // 50  # a refit on changed labels: close, not equal
