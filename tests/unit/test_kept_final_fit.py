"""A refit's final fit (the longest of its six fits) is kept like a fold, so a refit split across
sessions, or across processes, never fits it twice; a kept file that does not fit is refitted, not trusted."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.risk_model import CATEGORIES
from knowledge.risk_tuning import load_final, save_final

PAIRS = {"layer.0.query": (np.full((384, 8), 0.5, dtype=np.float32), np.full((8, 384), -0.25, dtype=np.float32))}
HEAD = np.arange(len(CATEGORIES) * 384, dtype=np.float32).reshape(len(CATEGORIES), 384)
BIAS = np.linspace(-1, 1, len(CATEGORIES), dtype=np.float32)


def test_a_kept_final_fit_reads_back_as_it_was_written(tmp_path: Path) -> None:
    save_final(tmp_path, "k", PAIRS, HEAD, BIAS)
    kept = load_final(tmp_path, "k")
    assert kept is not None
    pairs, head, bias = kept
    assert list(pairs) == ["layer.0.query"] and all(np.array_equal(a, b) for a, b in zip(pairs["layer.0.query"], PAIRS["layer.0.query"]))
    assert np.array_equal(head, HEAD) and np.array_equal(bias, BIAS)


def test_a_final_fit_that_does_not_fit_means_fit_it_again(tmp_path: Path) -> None:
    save_final(tmp_path, "k", PAIRS, HEAD, BIAS)
    assert load_final(tmp_path, "other posts") is None
    save_final(tmp_path, "short head", PAIRS, HEAD[:3], BIAS[:3])
    assert load_final(tmp_path, "short head") is None
    save_final(tmp_path, "no adapters", {}, HEAD, BIAS)
    assert load_final(tmp_path, "no adapters") is None
    half: dict[str, Any] = {"head_weights": HEAD, "head_bias": BIAS, "down|layer.0.query": PAIRS["layer.0.query"][0]}
    np.savez(tmp_path / "final-half.npz", **half)
    assert load_final(tmp_path, "half") is None  # a down without its up
    (tmp_path / "final-k.npz").write_bytes(b"PK\x03\x04 truncated")
    assert load_final(tmp_path, "k") is None


def test_the_refit_uses_a_kept_final_fit_instead_of_fitting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = [LabelledPost(f"post {i}", frozenset({CATEGORIES[i % len(CATEGORIES)]} if i % 3 else set())) for i in range(40)]
    written: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda n: None))
    monkeypatch.setattr(risk_tuning, "CHECKPOINTS", tmp_path)
    monkeypatch.setattr(risk_tuning, "load_training", lambda: posts)
    monkeypatch.setattr(risk_tuning, "out_of_fold_predictions", lambda p, y: np.full(y.shape, 0.5, dtype=np.float32))
    monkeypatch.setattr(risk_tuning, "_fit", lambda *a, **k: pytest.fail("the kept final fit was fitted again"))
    monkeypatch.setattr(risk_tuning, "write_adapters", lambda path, pairs, weights, bias, *rest: written.update(pairs=pairs, weights=weights, bias=bias))
    monkeypatch.setattr(risk_tuning, "rethreshold", lambda: None)
    monkeypatch.setattr("sys.argv", ["risk_tuning"])
    save_final(tmp_path, risk_tuning.checkpoint_key(posts), PAIRS, HEAD, BIAS)
    risk_tuning.main()
    assert np.array_equal(written["weights"], HEAD) and np.array_equal(written["bias"], BIAS)
    assert np.array_equal(written["pairs"]["layer.0.query"][1], PAIRS["layer.0.query"][1])
