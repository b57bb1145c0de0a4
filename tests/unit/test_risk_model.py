"""The tuned draft-check model's file handling: merging is exact, stale or damaged files fall back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.draft_model import LabelledPost
from knowledge.embedding import HashingEmbedder
from knowledge import risk_model, risk_tuning
from knowledge.risk_model import labels_matrix, load_risk_model, read_adapters, thresholds_for, training_fingerprint, weights_fingerprint, write_adapters

torch = pytest.importorskip("torch")

POSTS = [LabelledPost("He is a crook.", frozenset({"defamation"})), LabelledPost("Lovely day.", frozenset())]


def _written(path: Path, fingerprint: str = "f" * 24, weights_for: str = "w" * 24, out_of_fold: np.ndarray | None = None) -> Path:
    rng = np.random.default_rng(0)
    pairs = {"layer.weight": (rng.normal(size=(2, 4)), rng.normal(size=(3, 2)))}
    oof = np.zeros((2, 8)) if out_of_fold is None else out_of_fold
    write_adapters(path, pairs, rng.normal(size=(8, 3)), np.zeros(8), np.full(8, 0.9), fingerprint, oof, weights_for)
    return path


def test_merging_adds_the_low_rank_delta_and_leaves_the_base_weights_alone(tmp_path: Path) -> None:
    adapters = read_adapters(_written(tmp_path / "a.npz"))
    assert adapters is not None
    base = {"layer.weight": torch.ones(3, 4), "other.bias": torch.zeros(3)}
    merged = adapters.encoder.merged(base)
    down, up = adapters.encoder.pairs["layer.weight"]
    assert np.allclose(merged["layer.weight"].numpy(), 1.0 + up @ down, atol=1e-6)
    assert torch.equal(base["layer.weight"], torch.ones(3, 4))
    assert merged["other.bias"] is base["other.bias"]
    assert adapters.semantic.thresholds.tolist() == pytest.approx([0.9] * 8)


def test_a_damaged_or_missing_adapters_file_reads_as_none(tmp_path: Path) -> None:
    damaged = tmp_path / "bad.npz"
    damaged.write_bytes(b"not a zip")
    assert read_adapters(damaged) is None
    assert read_adapters(tmp_path / "missing.npz") is None
    whole = _written(tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[: len(whole) // 2])  # a copy or download stopped part way
    assert read_adapters(tmp_path / "cut.npz") is None
    (tmp_path / "empty.npz").write_bytes(b"")
    assert read_adapters(tmp_path / "empty.npz") is None


def test_a_corrupted_adapters_file_never_raises(tmp_path: Path) -> None:
    """A flipped byte anywhere (a bad disk, a botched copy) reads as missing or as the arrays it still
    holds, never as a traceback at start-up (numpy and zipfile raise half a dozen kinds of error for them)."""
    whole = bytearray(_written(tmp_path / "whole.npz").read_bytes())
    for at in range(0, len(whole), max(1, len(whole) // 400)):
        broken = bytearray(whole)
        broken[at] ^= 0xFF
        (tmp_path / "broken.npz").write_bytes(bytes(broken))
        read_adapters(tmp_path / "broken.npz")


def test_retrieval_adapters_are_not_taken_for_the_draft_checks(tmp_path: Path) -> None:
    """Both tuned encoders ship as the same kind of file; the draft check must not run on the wrong one."""
    from knowledge.encoder_adapters import write_adapters as write_encoder_adapters

    rng = np.random.default_rng(0)
    path = tmp_path / "ask.npz"
    write_encoder_adapters(path, "ask", {"layer.weight": (rng.normal(size=(2, 4)), rng.normal(size=(3, 2)))}, "a" * 24)
    assert read_adapters(path) is None


def test_the_fingerprint_follows_every_post_and_label() -> None:
    relabelled = [POSTS[0], LabelledPost("Lovely day.", frozenset({"obscene"}))]
    assert training_fingerprint(POSTS) != training_fingerprint(relabelled)
    assert training_fingerprint(POSTS) != training_fingerprint(POSTS[:1])


def test_other_embedders_get_no_tuned_model(tmp_path: Path) -> None:
    assert load_risk_model(HashingEmbedder(), "onnx", tmp_path, None, POSTS) is None


def test_the_semantic_model_sees_swear_alike_names_as_plain_names_but_insults_unchanged() -> None:
    from knowledge.offensive import names_neutralised

    assert names_neutralised("Litter pick with Cllr Dick this morning") == "Litter pick with Cllr Sam this morning"
    assert names_neutralised("Happy retirement, Dick!") == "Happy retirement, Sam!"
    for insult in ("He is a total dick.", "what a knob", "Cllr Jones is a prick"):
        assert names_neutralised(insult) == insult


def test_stale_shipped_adapters_fall_back_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Training posts added without a refit must be visible in the log: the fallback checks drafts far worse."""
    from types import SimpleNamespace

    from knowledge.embedding import REAL_MODEL_NAME

    real_named = SimpleNamespace(name=REAL_MODEL_NAME)
    with caplog.at_level("WARNING", logger="knowledge.risk_model"):
        assert load_risk_model(real_named, "onnx", tmp_path, None, POSTS) is None  # type: ignore[arg-type]
    assert "python -m knowledge.risk_tuning" in caplog.text


def test_the_fingerprint_follows_the_precision_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """New targets mean new thresholds, so the shipped file is stale until they are re-derived."""
    before, weights_before = training_fingerprint(POSTS), weights_fingerprint(POSTS)
    monkeypatch.setitem(risk_model.RAISED_PRECISION, "defamation", 0.99)
    assert training_fingerprint(POSTS) != before
    assert weights_fingerprint(POSTS) == weights_before  # the weights need no refit for new targets


def _shipped_here(monkeypatch: pytest.MonkeyPatch, path: Path, posts: list[LabelledPost], lowest_positive: np.ndarray | None = None) -> None:
    """`path` as the shipped file, fitted on `posts`; its rules' positive examples score `lowest_positive` (default: none)."""
    monkeypatch.setattr(risk_tuning, "shipped_adapters_path", lambda purpose: path)
    monkeypatch.setattr(risk_tuning, "load_training", lambda: posts)
    scores = np.full(8, np.inf) if lowest_positive is None else lowest_positive
    monkeypatch.setattr(risk_tuning, "score_positives", lambda encoder, semantic: scores)


def test_thresholds_are_re_derived_from_the_stored_predictions_without_touching_the_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    oof = np.array([[0.8] + [0.1] * 7, [0.3] * 8], dtype=np.float32)
    path = _written(tmp_path / "risk.npz", weights_for=weights_fingerprint(POSTS), out_of_fold=oof)
    before = read_adapters(path)
    _shipped_here(monkeypatch, path, POSTS)
    risk_tuning.rethreshold()
    after = read_adapters(path)
    assert before is not None and after is not None
    assert after.encoder.fingerprint == training_fingerprint(POSTS)  # current again: the check will use it
    assert after.semantic.thresholds.tolist() == pytest.approx(thresholds_for(labels_matrix(POSTS), oof).tolist(), abs=1e-3)
    assert after.semantic.thresholds[0] == pytest.approx(0.8, abs=1e-3)  # the one crook post sets defamation's
    assert np.array_equal(after.semantic.weights, before.semantic.weights)
    assert all(np.array_equal(after.encoder.pairs[k][i], before.encoder.pairs[k][i]) for k in before.encoder.pairs for i in (0, 1))
    risk_tuning.rethreshold()  # and again: the weights' own fingerprint survived the rewrite


CROOKS = [
    LabelledPost("He is a crook.", frozenset({"defamation"})),
    LabelledPost("Lovely day.", frozenset()),
    LabelledPost("She is a thief.", frozenset({"defamation"})),
]


def test_a_raised_precision_target_raises_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ranked by score: crook 0.9 (right), lovely day 0.7 (wrong), thief 0.6 (right): precision 1.0, 0.5, 0.67.
    oof = np.zeros((3, 8), dtype=np.float32)
    oof[:, 0] = [0.9, 0.7, 0.6]
    path = _written(tmp_path / "risk.npz", weights_for=weights_fingerprint(CROOKS), out_of_fold=oof)
    _shipped_here(monkeypatch, path, CROOKS)
    monkeypatch.setitem(risk_model.RAISED_PRECISION, "defamation", 0.6)
    risk_tuning.rethreshold()
    lenient = read_adapters(path)
    monkeypatch.delitem(risk_model.RAISED_PRECISION, "defamation")  # back to 0.9
    risk_tuning.rethreshold()
    strict = read_adapters(path)
    assert lenient is not None and strict is not None
    assert lenient.semantic.thresholds[0] == pytest.approx(0.6, abs=1e-3)
    assert strict.semantic.thresholds[0] == pytest.approx(0.9, abs=1e-3)


def test_a_threshold_is_capped_below_a_positive_example_it_would_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The raised target puts defamation's threshold at 0.9; a positive example scoring 0.75 brings it to 0.74,
    and one scoring 0.55 could only be reached below the 0.6 the base target allows."""
    oof = np.zeros((3, 8), dtype=np.float32)
    oof[:, 0] = [0.9, 0.7, 0.6]  # precision 1.0, 0.5, 0.67 as the cut goes down
    path = _written(tmp_path / "risk.npz", weights_for=weights_fingerprint(CROOKS), out_of_fold=oof)
    monkeypatch.setattr(risk_model, "TARGET_PRECISION", 0.6)
    monkeypatch.setitem(risk_model.RAISED_PRECISION, "defamation", 0.9)
    _shipped_here(monkeypatch, path, CROOKS, np.array([0.75] + [np.inf] * 7))
    risk_tuning.rethreshold()
    capped = read_adapters(path)
    assert capped is not None and capped.semantic.thresholds[0] == pytest.approx(0.74, abs=1e-3)
    assert capped.encoder.fingerprint == training_fingerprint(CROOKS)  # still current: the check uses it
    assert "defamation: threshold 0.900 -> 0.740" in capsys.readouterr().out
    _shipped_here(monkeypatch, path, CROOKS, np.array([0.55] + [np.inf] * 7))
    risk_tuning.rethreshold()
    barred = read_adapters(path)
    assert barred is not None and barred.semantic.thresholds[0] == pytest.approx(0.6, abs=1e-3)
    assert "stays unflagged" in capsys.readouterr().out


def test_a_file_from_before_the_weights_fingerprint_is_re_derived_only_for_the_posts_it_was_fitted_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import encoder_adapters
    from knowledge.draft_model import posts_fingerprint
    from knowledge.embedding import REAL_MODEL_NAME

    legacy = posts_fingerprint(f"{risk_model.RECIPE}|{REAL_MODEL_NAME}|{risk_model.TARGET_PRECISION}", POSTS, 24)
    rng = np.random.default_rng(0)
    path = tmp_path / "risk.npz"
    pairs = {"layer.weight": (rng.normal(size=(2, 4)), rng.normal(size=(3, 2)))}
    extra = {"head_weights": rng.normal(size=(8, 3)), "head_bias": np.zeros(8), "thresholds": np.full(8, 0.9), "out_of_fold": np.zeros((2, 8))}
    encoder_adapters.write_adapters(path, "risk", pairs, legacy, **extra)
    relabelled = [POSTS[0], LabelledPost("Lovely day.", frozenset({"obscene"}))]  # same count, new label
    _shipped_here(monkeypatch, path, relabelled)
    with pytest.raises(SystemExit, match="changed since the fit"):
        risk_tuning.rethreshold()
    _shipped_here(monkeypatch, path, POSTS)
    risk_tuning.rethreshold()
    assert read_adapters(path) is not None and read_adapters(path).encoder.fingerprint == training_fingerprint(POSTS)


def test_re_deriving_thresholds_is_refused_when_the_posts_changed_since_the_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _written(tmp_path / "risk.npz", weights_for=weights_fingerprint(POSTS[:1]))
    stored = path.read_bytes()
    _shipped_here(monkeypatch, path, POSTS)
    with pytest.raises(SystemExit, match="changed since the fit"):
        risk_tuning.rethreshold()
    assert path.read_bytes() == stored
