"""The refit-spread report: what a reviewer reads to tell a refit's real change from a reseed's noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import refit_spread
from benchmarks.refit_spread import compare_predictions, report
from knowledge.draft_model import load_training
from knowledge.encoder_adapters import read_adapters, shipped_adapters_path
from knowledge.refit_checkpoints import held_posts, load_fold, read_fold_file, save_fold
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
    for mode in (["--checkpoint", str(tmp_path / "f.npz")], ["--in-sample"]):
        for extra in (["--fold", "1"], ["--seed", "7"]):
            monkeypatch.setattr("sys.argv", ["refit_spread", *mode, *extra])
            with pytest.raises(SystemExit) as stopped:
                refit_spread.main()
            assert stopped.value.code == 2 and "apply only when fitting" in capsys.readouterr().err
    monkeypatch.setattr("sys.argv", ["refit_spread", "--checkpoint", str(tmp_path / "f.npz"), "--in-sample"])
    with pytest.raises(SystemExit) as stopped:
        refit_spread.main()
    assert stopped.value.code == 2 and "give one" in capsys.readouterr().err


def test_in_sample_compares_every_training_post_in_counts_only(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Scored by the model (replaced here: the real one takes minutes), every post is compared, not a fold's."""
    posts = load_training()
    read = read_adapters(shipped_adapters_path("risk"), "risk")
    if read is None or "out_of_fold" not in read[1] or len(read[1]["out_of_fold"]) != len(posts):
        pytest.skip("no shipped out-of-fold predictions for these training posts")
    shipped = read[1]["out_of_fold"].astype(np.float32)
    scored: list[int] = []

    def every_post_found(texts: list[str]) -> np.ndarray:
        scored.append(len(texts))
        return np.where(np.asarray([[c in p.labels for c in CATEGORIES] for p in posts]), 1.0, 0.0).astype(np.float32)

    monkeypatch.setattr(refit_spread, "in_sample_scores", every_post_found)
    monkeypatch.setattr("sys.argv", ["refit_spread", "--in-sample", "--json"])
    refit_spread.main()
    out = capsys.readouterr().out
    spread = json.loads(out)
    assert scored == [len(posts)] and spread["held_posts"] == len(posts)
    assert all(c["true_flags"][1] == c["positives"] and c["false_flags"][1] == 0 for c in spread["categories"])
    assert spread["clean_posts_flagged"][1] == 0 and spread["clean_posts_flagged"][0] == int((shipped >= read[1]["thresholds"]).any(axis=1)[[not p.labels for p in posts]].sum())
    assert not any(post.text[:40] in out for post in posts[:50])


def test_a_finished_fold_is_compared_in_counts_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A fold file equal to the shipped out-of-fold predictions but for three flipped decisions reports
    exactly those three, and prints counts, never a post."""
    posts = load_training()
    read = read_adapters(shipped_adapters_path("risk"), "risk")
    if read is None or "out_of_fold" not in read[1] or len(read[1]["out_of_fold"]) != len(posts):
        pytest.skip("no shipped out-of-fold predictions for these training posts")
    shipped, thresholds = read[1]["out_of_fold"].astype(np.float32), read[1]["thresholds"].astype(np.float32)
    held = held_posts(len(posts), 0)
    predictions = shipped[held].copy()
    for row in range(3):
        predictions[row, row] = 0.0 if predictions[row, row] >= thresholds[row] else 1.0
    save_fold(tmp_path, "test", 0, held, predictions)
    monkeypatch.setattr("sys.argv", ["refit_spread", "--checkpoint", str(next(tmp_path.glob("fold-1-*.npz"))), "--json"])
    refit_spread.main()
    out = capsys.readouterr().out
    spread = json.loads(out)
    assert (spread["held_posts"], spread["decisions_changed"], spread["decisions"]) == (len(held), 3, len(held) * len(CATEGORIES))
    assert set(spread) == {"held_posts", "mean_abs_difference", "decisions_changed", "decisions", "clean_posts", "clean_posts_flagged", "categories"}
    assert not any(post.text[:40] in out for post in (posts[i] for i in held[:50]))


def test_a_fold_file_that_does_not_fit_is_refitted_not_trusted(tmp_path: Path) -> None:
    """load_fold: a checkpoint for other posts, of the wrong shape, damaged, or with non-integer post
    numbers means "fit this fold again" (None), and only a matching one is used."""
    held = held_posts(50, 1)
    good = np.full((len(held), len(CATEGORIES)), 0.25, dtype=np.float32)
    save_fold(tmp_path, "k", 1, held, good)
    assert np.array_equal(load_fold(tmp_path, "k", 1, held), good)  # type: ignore[arg-type]
    assert load_fold(tmp_path, "k", 1, held_posts(50, 2)) is None  # other posts
    assert load_fold(tmp_path, "k", 2, held) is None  # never fitted
    save_fold(tmp_path, "k", 3, held, good[:, :3])
    assert load_fold(tmp_path, "k", 3, held) is None  # wrong shape
    save_fold(tmp_path, "k", 4, held.astype(np.float64), good)
    with pytest.raises(ValueError, match="not a readable fold checkpoint"):
        read_fold_file(next(tmp_path.glob("fold-5-*.npz")))
    next(tmp_path.glob("fold-2-*.npz")).write_bytes(b"PK\x03\x04 truncated")
    assert load_fold(tmp_path, "k", 1, held) is None  # damaged
