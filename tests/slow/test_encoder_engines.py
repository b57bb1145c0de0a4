"""Every encoder engine must give the vectors sentence-transformers gives, or every calibrated threshold
(abstention, semantic draft model) would silently drift with the GUIDANCE_BOT_ENCODER setting."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import Embedder, SentenceTransformerEmbedder, load_real_embedder
from knowledge.encoder_adapters import EncoderAdapters
from knowledge.parse import load_default

pytestmark = pytest.mark.slow

ODD = [
    "",
    "   ",
    "🎉🎉🎉",
    "Ça va? Größere Straße, naïve café",
    "can I tweet about this planning app?",
    "word " * 600,  # longer than the 256-token window: all engines truncate the same way
    "Cllr <@U123> said &amp; <http://x|this>",
]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def torch_engine() -> Embedder:
    return load_real_embedder("torch")


@pytest.mark.parametrize("engine", ["onnx", "torch"])
def test_engine_matches_sentence_transformers_on_the_guidance_and_odd_inputs(engine: str, request, reference) -> None:
    ours_embedder = request.getfixturevalue("base_embedder" if engine == "onnx" else "torch_engine")
    texts = [p.text for p in load_default().passages] + ODD
    ours, theirs = ours_embedder.encode(texts), reference.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    # One at a time (no padding) and in a mixed batch (padding) give the same vector.
    single = np.stack([ours_embedder.encode([t])[0] for t in ODD])
    assert np.abs(single - ours[-len(ODD):]).max() < 1e-5


def test_unknown_engine_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown encoder engine 'tensorflow': choose one of onnx, torch"):
        load_real_embedder("tensorflow")


@pytest.mark.parametrize("engine", ["onnx", "torch"])
def test_two_threads_encoding_at_once_each_get_their_own_vectors(engine: str, tmp_path: Path) -> None:
    """serve runs the model from two encoder threads; a fresh encoder makes the first calls (when the
    runtime profiles and optimises the graph) concurrent too."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    before = torch.get_num_threads()
    fresh = load_real_embedder(engine, tmp_path, threads=1)  # as serve asks; torch sets it per process, so restore it
    torch.set_num_threads(before)
    texts = [[f"can I post about planning application {n} on my page?"] for n in range(40)]
    texts += [["short", "a longer second text in one call"]] * 4
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fresh.encode, texts))
    for asked, vectors in zip(texts, together, strict=True):
        assert np.abs(vectors - fresh.encode(asked)).max() < 1e-5


def test_the_exported_graph_is_reused_and_a_damaged_one_is_exported_again(tmp_path: Path, caplog) -> None:
    first = load_real_embedder("onnx", tmp_path)
    graphs = list(tmp_path.glob("*.onnx"))
    assert len(graphs) == 1 and not list(tmp_path.glob("*.partial"))  # no half-written file left behind
    made = graphs[0].stat().st_mtime_ns
    load_real_embedder("onnx", tmp_path)
    assert graphs[0].stat().st_mtime_ns == made  # reused, not exported again
    graphs[0].write_bytes(b"not a model")  # e.g. a disk filled up mid-write by another tool
    with caplog.at_level(logging.WARNING):
        repaired = load_real_embedder("onnx", tmp_path)
    assert "exporting it again" in caplog.text
    probe = ["can I tweet about this planning app?"]
    assert np.abs(repaired.encode(probe) - first.encode(probe)).max() < 1e-6


def test_a_cache_that_cannot_be_written_still_encodes(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data dir should be")  # mkdir under it fails, even for root
    with caplog.at_level(logging.WARNING):
        embedder = load_real_embedder("onnx", blocker / "models")
    assert "using a temporary copy" in caplog.text
    assert embedder.encode(["hello"]).shape == (1, 384)


def _risk_adapters() -> EncoderAdapters:
    from knowledge.draft_model import load_training
    from knowledge.risk_model import shipped_adapters

    adapters = shipped_adapters(load_training())
    assert adapters is not None, "run: python -m knowledge.risk_tuning"
    return adapters.encoder


def _ask_adapters() -> EncoderAdapters:
    from knowledge.ask_model import shipped_ask_adapters

    adapters = shipped_ask_adapters()
    assert adapters is not None, "run: python -m knowledge.ask_tuning (asked.yaml or the bundled guidance changed)"
    return adapters


@pytest.mark.parametrize("adapters_of", [_risk_adapters, _ask_adapters], ids=["draft-check", "retrieval"])
def test_tuned_encoders_are_the_same_on_onnx_and_torch_and_differ_from_the_base(adapters_of, base_embedder, model_cache) -> None:
    """Thresholds were set on each tuned encoder's vectors (the draft check's, the abstention's): both
    engines must give them, and the adapters must really be applied (a base-model graph from the shared
    cache would not be)."""
    adapters = adapters_of()
    on_onnx = load_real_embedder("onnx", model_cache, adapters=adapters)
    on_torch = load_real_embedder("sentence-transformers", adapters=adapters)  # can't merge: runs on torch
    texts = ODD + ["He's a crook and everyone knows it.", "Thanks to everyone at the litter pick!"]
    tuned, tuned_torch, base = on_onnx.encode(texts), on_torch.encode(texts), base_embedder.encode(texts)
    assert np.abs(tuned - tuned_torch).max() < 1e-4
    assert on_onnx.name != base_embedder.name and adapters.purpose in on_onnx.name
    assert np.abs(tuned - base).max() > 0.05
    assert len(list(model_cache.glob("minilm-*.onnx"))) >= 2  # its own graph beside the base one
