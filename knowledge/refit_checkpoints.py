"""Where a refit keeps what it has finished: each fold's out-of-fold predictions and the final fit, so a
refit stopped part way (or split across processes or sessions: knowledge/pending_training.py carries them
over) never fits a finished fit again. Every file is keyed by what it was fitted on
(knowledge/risk_tuning.py checkpoint_key and final_key), and anything damaged or malformed reads as not
there: it costs that fit again, never the run or a bad model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge import encoder_adapters
from knowledge.durable_files import replace_atomically
from knowledge.encoder_adapters import ADAPTED, RANK
from knowledge.risk_model import CATEGORIES, THRESHOLD_FOLDS

# The refit's own working folder; pending_training puts kept files here.
CHECKPOINTS = Path(__file__).resolve().parent / "training" / ".refit"
# The names of every kept file, for a command that moves them without reading them.
KEPT_PATTERNS = ("fold-*.npz", "final-*.npz")
FINAL_PURPOSE = "risk-final"
FinalFit = tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]  # adapter pairs, head weights, head bias


def _fold_path(directory: Path, key: str, fold: int) -> Path:
    return directory / f"fold-{fold + 1}-of-{THRESHOLD_FOLDS}-{key}.npz"


def _final_path(directory: Path, key: str) -> Path:
    return directory / f"final-{key}.npz"


def read_fold_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A fold checkpoint's held post indices and its predictions for them; ValueError naming the problem
    when the file is empty, truncated, foreign or inconsistent."""
    try:
        with np.load(path) as data:
            held, predictions = np.asarray(data["held"]), np.asarray(data["predictions"], dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - numpy raises OSError, ValueError, KeyError or zipfile errors
        raise ValueError(f"not a readable fold checkpoint ({exc})") from None
    if held.ndim != 1 or held.dtype.kind not in "iu" or predictions.shape != (len(held), len(CATEGORIES)):
        raise ValueError(f"not a readable fold checkpoint (held {held.shape} {held.dtype}, predictions {predictions.shape})")
    return held, predictions


def load_fold(directory: Path, key: str, fold: int, held: np.ndarray) -> np.ndarray | None:
    """A finished fold's predictions for `held`, or None when that fold has not run under `key` or its
    file is damaged in any way (a damaged checkpoint costs a refit of one fold, never the run)."""
    try:
        kept, predictions = read_fold_file(_fold_path(directory, key, fold))
    except ValueError:
        return None
    return predictions if np.array_equal(kept, held) else None


def save_fold(directory: Path, key: str, fold: int, held: np.ndarray, predictions: np.ndarray) -> None:
    """Keep one fold's predictions: written and synced under a temporary name, then renamed, so neither a
    kill nor a power cut leaves a half-written checkpoint under the real name."""
    replace_atomically(_fold_path(directory, key, fold), lambda out: np.savez(out, held=held, predictions=predictions), suffix=".partial", durable=True)


def kept_for_other_fits(directory: Path, key: str, final: str) -> list[str]:
    """The kept folds and final fits in `directory` that a refit under these keys (checkpoint_key and
    final_key) will not use: fitted on other posts, or with other code or numbers. So a refit can say so
    before it spends hours fitting them again."""
    used = {_fold_path(directory, key, fold).name for fold in range(THRESHOLD_FOLDS)} | {_final_path(directory, final).name}
    return sorted(p.name for pattern in KEPT_PATTERNS for p in directory.glob(pattern) if p.name not in used)


def held_posts(count: int, fold: int) -> np.ndarray:
    """The posts fold `fold` (0-based) holds out: fixed by the count alone, so a refit of the same number of
    posts holds out the same ones (benchmarks/refit_spread.py compares folds on that)."""
    return np.random.default_rng(0).permutation(count)[fold::THRESHOLD_FOLDS]


def save_final(directory: Path, key: str, fit: FinalFit) -> None:
    """Keep the final fit (the longest of the six) beside the folds, so a refit stopped after it, or one
    whose fits ran in separate processes, does not fit it again. It is an adapters file like the shipped
    one (written atomically), for purpose "risk-final" so neither can be taken for the other."""
    pairs, head_weights, head_bias = fit
    encoder_adapters.write_adapters(_final_path(directory, key), FINAL_PURPOSE, pairs, key, durable=True, head_weights=head_weights, head_bias=head_bias)


def _adapter_names(names: set[str]) -> bool:
    """Every adapted layer of every block, and nothing else: a file missing one would ship a half-tuned encoder."""
    blocks = {name.split(".")[2] for name in names if name.startswith("encoder.layer.")}
    expected = {f"encoder.layer.{i}.{layer}.weight" for i in range(len(blocks)) for layer in ADAPTED}
    return bool(names) and names == expected


def load_final(directory: Path, key: str) -> FinalFit | None:
    """The kept final fit under `key`, or None when there is none, or it is for other posts or code, or
    damaged or malformed in any way (that costs the final fit again, never the run or a bad model)."""
    try:
        read = encoder_adapters.read_adapters(_final_path(directory, key), FINAL_PURPOSE)
        if read is None or read[0].fingerprint != key:
            return None
        pairs = {n: (np.asarray(d, dtype=np.float32), np.asarray(u, dtype=np.float32)) for n, (d, u) in read[0].pairs.items()}
        weights, bias = (np.asarray(read[1][name], dtype=np.float32) for name in ("head_weights", "head_bias"))
    except Exception:  # noqa: BLE001 - a damaged file can raise more than read_adapters names; any of it means fit again
        return None
    shapes_ok = all(d.ndim == 2 and u.ndim == 2 and d.shape[0] == RANK == u.shape[1] for d, u in pairs.values())
    head_ok = weights.ndim == 2 and weights.shape[0] == len(CATEGORIES) and bias.shape == (len(CATEGORIES),)
    finite = all(np.isfinite(a).all() for a in (weights, bias, *(x for pair in pairs.values() for x in pair)))
    if not (_adapter_names(set(pairs)) and shapes_ok and head_ok and finite):
        return None
    return pairs, weights, bias
