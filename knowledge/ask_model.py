"""The retrieval encoder: all-MiniLM-L6-v2 with adapters tuned to put a member's question next to its passage.

Why: the base model scores a question by topic words, so a hub passage that mentions accounts and Facebook
outranked "Don't: share your passwords" for "can my partner log into my Twitter?". Tuned offline
(knowledge/ask_tuning.py) on the example questions of knowledge/training/asked.yaml against the bundled
guidance's passages, it ranks the answering passage first more often on question sets never trained on
(README, "How questions are answered"). The adapters are tied by a fingerprint to those questions, the
passages and the recipe; while they are stale the base model answers (logged) and a test fails.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from knowledge.asked import Examples, load_asked, resolve
from knowledge.embedding import REAL_MODEL_NAME, Embedder, load_real_embedder
from knowledge.encoder_adapters import EncoderAdapters, read_adapters, shipped_adapters_path
from knowledge.index import index_text
from knowledge.model import GuidanceDocument
from knowledge.parse import load_default

log = logging.getLogger(__name__)

RECIPE = "lora-r8-all-linear/question-to-passage-softmax/scale-20/4-epochs/v1"


def training_examples() -> tuple[GuidanceDocument, Examples]:
    """The bundled guidance and the example questions tied to its passages: what the adapters learn from."""
    document = load_default()
    return document, resolve(document, load_asked())


def training_fingerprint(document: GuidanceDocument, examples: Examples) -> str:
    digest = hashlib.sha256(f"{RECIPE}|{REAL_MODEL_NAME}|{examples.fingerprint()}".encode())
    for passage in document.passages:
        digest.update(f"{index_text(document, passage)}\x1e".encode())
    return digest.hexdigest()[:24]


def shipped_ask_adapters() -> EncoderAdapters | None:
    """The packaged adapters when they were tuned on exactly the current examples and guidance, else None."""
    read = read_adapters(shipped_adapters_path("ask"), "ask")
    if read is None:
        return None
    if read[0].fingerprint != training_fingerprint(*training_examples()):
        return None
    return read[0]


def load_retrieval_embedder(engine: str = "onnx", cache_dir: Path | None = None, threads: int | None = None) -> Embedder:
    """The tuned retrieval encoder, or the base model (with a warning) when the shipped adapters are stale."""
    adapters = shipped_ask_adapters()
    if adapters is None:
        log.warning("The retrieval encoder's adapters are missing or stale (run: python -m knowledge.ask_tuning); using the base model.")
    return load_real_embedder(engine, cache_dir, threads, adapters=adapters)
