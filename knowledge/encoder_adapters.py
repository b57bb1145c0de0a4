"""Low-rank adapters for all-MiniLM-L6-v2: what a tuned variant of the encoder adds to the shipped weights.

Two variants ship, each tuned offline on our own labelled data and tied to it by a fingerprint:
- "risk" (knowledge/risk_tuning.py): the draft check's encoder, with an 8-way head over its vectors;
- "ask" (knowledge/ask_tuning.py): the retrieval encoder, tuned to put members' questions next to the
  passage that answers them.
A file holds a (down, up) pair per adapted weight (delta = up @ down), the fingerprint of what it was tuned
on, its purpose, and optional extra arrays (the risk head). Loading merges the deltas into a copy of the base
weights, which gives an ordinary BERT that runs on every engine (knowledge/embedding.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.durable_files import replace_atomically
from knowledge.embedding import REAL_MODEL_NAME

RANK = 8
# The linear layers of each BERT block that get an adapter (names inside `encoder.layer.N.`).
ADAPTED = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


@dataclass(frozen=True)
class EncoderAdapters:
    """Weight deltas as low-rank pairs, what they are for, and the file they came from."""

    purpose: str  # "risk" or "ask": names the tuned encoder, so indexes and graphs are kept per variant
    pairs: dict[str, tuple[np.ndarray, np.ndarray]]  # base weight name -> (down, up); delta = up @ down
    fingerprint: str
    source: Path

    def merged(self, weights: dict[str, Any]) -> dict[str, Any]:
        """A copy of the base weights (torch tensors) with every delta added; the base stays untouched."""
        import torch

        out = dict(weights)
        for name, (down, up) in self.pairs.items():
            base = weights[name]
            out[name] = base + torch.from_numpy(up.astype(np.float32) @ down.astype(np.float32)).to(base.dtype)
        return out

    @property
    def label(self) -> str:
        """Short id of these exact weights ("ask-1a2b3c4d5e6f"), for cache file names and the tuned encoder's name."""
        return f"{self.purpose}-{self.fingerprint[:12]}"


def shipped_adapters_path(purpose: str) -> Path:
    """Where the packaged adapters of one tuned encoder live (knowledge/training/)."""
    return Path(str(resources.files("knowledge").joinpath("training"))) / f"{purpose}-adapters-{REAL_MODEL_NAME.rsplit('/', 1)[-1]}.npz"


def adapted_model(torch: Any, model_dir: Path) -> tuple[Any, list[tuple[str, Any]]]:
    """For tuning: the base BERT with frozen weights and a trainable adapter pair beside each adapted layer."""
    from transformers import AutoModel

    body = AutoModel.from_pretrained(str(model_dir))
    for parameter in body.parameters():
        parameter.requires_grad = False

    class Adapted(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, base: Any) -> None:
            super().__init__()
            self.base = base
            self.down = torch.nn.Parameter(torch.randn(RANK, base.in_features) * base.in_features**-0.5)
            self.up = torch.nn.Parameter(torch.zeros(base.out_features, RANK))

        def forward(self, x: Any) -> Any:
            return self.base(x) + (x @ self.down.T @ self.up.T) * 2.0  # alpha = 2 * rank

    adapters: list[tuple[str, Any]] = []
    for i, layer in enumerate(body.encoder.layer):
        for name in ADAPTED:
            parent_path, attribute = name.rsplit(".", 1)
            parent = layer.get_submodule(parent_path)
            adapted = Adapted(getattr(parent, attribute))
            setattr(parent, attribute, adapted)
            adapters.append((f"encoder.layer.{i}.{name}.weight", adapted))
    return body, adapters


def mean_pooled(torch: Any, tokenizer: Any, body: Any, max_tokens: int) -> Callable[[list[str]], Any]:
    """For tuning: texts -> the vectors the shipped encoder computes (masked mean, L2-normalised), with gradients."""

    def pooled(texts: list[str]) -> Any:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
        hidden = body(**batch).last_hidden_state
        mask = batch["attention_mask"][:, :, None].float()
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)

    return pooled


def warmup_then_decay(torch: Any, optimiser: Any, steps: int) -> Any:
    """For tuning: a linear warm-up over the first tenth of the steps, then a linear decay to zero."""
    return torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))


def trained_pairs(adapters: list[tuple[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The tuned (down, up) pairs as arrays, with the adapter scale folded into `up`."""
    return {name: (a.down.detach().numpy(), (a.up.detach() * 2.0).numpy()) for name, a in adapters}


def write_adapters(
    path: Path, purpose: str, pairs: dict[str, tuple[np.ndarray, np.ndarray]], fingerprint: str, *, durable: bool = False, **extra: np.ndarray
) -> None:
    """Write atomically (a reader never sees half a file); `extra` arrays are stored beside the pairs.
    `durable` also fsyncs it, for a file that costs a long fit to make again."""
    arrays: dict[str, Any] = {"fingerprint": fingerprint, "purpose": purpose, **extra}
    for name, (down, up) in pairs.items():
        arrays[f"down|{name}"] = down.astype(np.float32)
        arrays[f"up|{name}"] = up.astype(np.float32)
    replace_atomically(path, lambda handle: np.savez_compressed(handle, **arrays), suffix=".npz.tmp", durable=durable)


def read_adapters(path: Path, purpose: str | None = None) -> tuple[EncoderAdapters, dict[str, np.ndarray]] | None:
    """The adapters in `path` and the file's other arrays, or None when it is missing, unreadable or (with
    `purpose`) made for the other tuned encoder: neither may run on the other's file."""
    try:
        with np.load(path) as data:
            pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            extra: dict[str, np.ndarray] = {}
            for key in data.files:
                kind, _, name = key.partition("|")
                if kind == "down":
                    pairs[name] = (data[key], data[f"up|{name}"])
                elif kind not in ("up", "fingerprint", "purpose"):
                    extra[key] = data[key]
            adapters = EncoderAdapters(str(data["purpose"]), pairs, str(data["fingerprint"]), path)
    except Exception:  # noqa: BLE001 - a damaged zip raises OSError, EOFError, BadZipFile, zlib.error, NotImplementedError...: all mean unusable
        return None
    return None if purpose is not None and adapters.purpose != purpose else (adapters, extra)
