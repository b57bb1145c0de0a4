"""A refit's final fit (the longest of its six fits) is kept like a fold, so a refit split across
sessions, or across processes, never fits a finished fit again; a kept file that does not fit is
refitted, never trusted."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge import risk_tuning
from knowledge.draft_model import LabelledPost
from knowledge.encoder_adapters import ADAPTED, RANK
from knowledge.risk_model import CATEGORIES
from knowledge.refit_checkpoints import load_final, save_final
from knowledge.risk_tuning import final_key

NAMES = [f"encoder.layer.{i}.{layer}.weight" for i in range(2) for layer in ADAPTED]
PAIRS = {name: (np.full((RANK, 16), 0.5, dtype=np.float32), np.full((16, RANK), -0.25, dtype=np.float32)) for name in NAMES}
HEAD = np.arange(len(CATEGORIES) * 16, dtype=np.float32).reshape(len(CATEGORIES), 16)
BIAS = np.linspace(-1, 1, len(CATEGORIES), dtype=np.float32)
POSTS = [LabelledPost(f"post {i}", frozenset({CATEGORIES[i % len(CATEGORIES)]} if i % 3 else set())) for i in range(40)]


def test_a_kept_final_fit_reads_back_as_it_was_written(tmp_path: Path) -> None:
    save_final(tmp_path, "k", (PAIRS, HEAD, BIAS))
    kept = load_final(tmp_path, "k")
    assert kept is not None
    pairs, head, bias = kept
    assert list(pairs) == NAMES and all(np.array_equal(pairs[n][i], PAIRS[n][i]) for n in NAMES for i in (0, 1))
    assert np.array_equal(head, HEAD) and np.array_equal(bias, BIAS)


@pytest.mark.parametrize(
    "broken",
    [
        {"head": HEAD[:3], "bias": BIAS[:3]},  # a head for other categories
        {"pairs": {n: p for n, p in PAIRS.items() if "query" not in n}},  # a layer missing
        {"pairs": {n: (u, d) for n, (d, u) in PAIRS.items()}},  # down and up swapped
        {"head": np.full_like(HEAD, np.nan)},  # a fit that diverged
        {"head": np.float32(1.0)},  # not a matrix at all
    ],
)
def test_a_malformed_final_fit_means_fit_it_again(tmp_path: Path, broken: dict[str, Any]) -> None:
    save_final(tmp_path, "k", (broken.get("pairs", PAIRS), broken.get("head", HEAD), broken.get("bias", BIAS)))
    assert load_final(tmp_path, "k") is None


def test_a_final_fit_for_other_posts_or_damaged_is_not_trusted(tmp_path: Path) -> None:
    save_final(tmp_path, "k", (PAIRS, HEAD, BIAS))
    (tmp_path / "final-k.npz").rename(tmp_path / "final-other.npz")
    assert load_final(tmp_path, "other") is None, "a file renamed to another key still says whose it is"
    (tmp_path / "final-k.npz").write_bytes(b"PK\x03\x04 truncated")
    assert load_final(tmp_path, "k") is None


def _scaled_differently(adapters: Any) -> Any:
    return {name: (down, up * 2.0) for name, (down, up) in adapters}


def test_the_final_key_covers_how_the_fit_is_scaled_before_it_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept file holds the adapters as trained_pairs scales them; a change there must not reuse it."""
    monkeypatch.setattr(risk_tuning, "checkpoint_key", lambda posts: "same-posts-and-fitting-code")
    before = final_key(POSTS)
    monkeypatch.setattr(risk_tuning, "trained_pairs", _scaled_differently)
    assert final_key(POSTS) != before


@pytest.mark.parametrize(("name", "changed"), [("HEAD_SCALE", 40.0), ("RANK", 16), ("EPOCHS", 6)])
def test_every_fold_and_final_key_covers_the_fitting_numbers(monkeypatch: pytest.MonkeyPatch, name: str, changed: object) -> None:
    before = risk_tuning.checkpoint_key(POSTS), final_key(POSTS)
    monkeypatch.setattr(risk_tuning, name, changed)
    after = risk_tuning.checkpoint_key(POSTS), final_key(POSTS)
    assert after[0] != before[0] and after[1] != before[1]


def _refit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fit: Any) -> dict[str, Any]:
    """Run the refit's main() on fake posts with folds, model and writing replaced; what it would write."""
    written: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda n: None))
    monkeypatch.setattr(risk_tuning, "CHECKPOINTS", tmp_path)
    monkeypatch.setattr(risk_tuning, "load_training", lambda: POSTS)
    monkeypatch.setattr(risk_tuning, "out_of_fold_predictions", lambda p, y, **k: np.full(y.shape, 0.5, dtype=np.float32))
    monkeypatch.setattr(risk_tuning, "_fit", fit)
    monkeypatch.setattr(risk_tuning, "checkpoint_key", lambda posts: "posts-and-code")  # the key reads _fit's source, replaced here
    monkeypatch.setattr(risk_tuning, "trained_pairs", lambda adapters: {n: (d, u * 2.0) for n, (d, u) in adapters})
    monkeypatch.setattr(risk_tuning, "write_adapters", lambda path, pairs, weights, bias, *rest: written.update(pairs=pairs, weights=weights, bias=bias))
    monkeypatch.setattr(risk_tuning, "rethreshold", lambda: None)
    monkeypatch.setattr("sys.argv", ["risk_tuning"])
    risk_tuning.main()
    return written


def test_a_fresh_final_fit_is_kept_and_the_next_run_writes_the_same_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Head:
        weight = types.SimpleNamespace(detach=lambda: types.SimpleNamespace(numpy=lambda: HEAD))
        bias = types.SimpleNamespace(detach=lambda: types.SimpleNamespace(numpy=lambda: BIAS))

    raw = [(n, (d, u)) for n, (d, u) in PAIRS.items()]
    first = _refit(tmp_path, monkeypatch, lambda posts, seed: (None, Head(), None, raw))
    assert np.array_equal(first["weights"], HEAD * risk_tuning.HEAD_SCALE)
    assert np.array_equal(first["pairs"][NAMES[0]][1], PAIRS[NAMES[0]][1] * 2.0), "written scaled, as a fresh fit writes"
    assert list(tmp_path.glob("final-*.npz")), "the finished final fit is kept"
    second = _refit(tmp_path, monkeypatch, lambda *a, **k: pytest.fail("the kept final fit was fitted again"))
    assert np.array_equal(second["weights"], first["weights"]) and np.array_equal(second["bias"], first["bias"])
    assert all(np.array_equal(second["pairs"][n][i], first["pairs"][n][i]) for n in NAMES for i in (0, 1))


def test_a_refit_first_names_the_kept_fits_it_will_not_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fold-1-of-5-kept-for-more-epochs.npz").write_bytes(b"a fold")
    def fit(posts: Any, seed: int) -> Any:
        raise InterruptedError("stopped at the first fit")

    with pytest.raises(InterruptedError):
        _refit(tmp_path, monkeypatch, fit)
    assert capsys.readouterr().out.startswith("not used: 1 kept fits made for other posts, code or numbers than this refit's (posts-and-code): fold-1-of-5-kept-for-more-epochs.npz")


def test_the_recipe_name_says_the_epochs_the_fit_runs() -> None:
    """The recipe's name is in the shipped model's fingerprint (and so in the name of its cached ONNX graph):
    a refit with other epochs under the old name would read as current, and run beside a stale graph."""
    assert f"/{risk_tuning.EPOCHS}-epochs/" in risk_tuning.RECIPE
