"""The direct torch encoder must give the vectors sentence-transformers gives, or every calibrated
threshold (abstention, semantic draft model) would silently drift."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding import SentenceTransformerEmbedder, load_real_embedder
from knowledge.parse import load_default

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_torch_engine_matches_sentence_transformers_on_the_guidance_and_odd_inputs(real_embedder, reference) -> None:
    passages = [p.text for p in load_default().passages]
    odd = [
        "",
        "   ",
        "🎉🎉🎉",
        "Ça va? Größere Straße, naïve café",
        "can I tweet about this planning app?",
        "word " * 600,  # longer than the 256-token window: both truncate the same way
        "Cllr <@U123> said &amp; <http://x|this>",
    ]
    texts = passages + odd
    ours, theirs = real_embedder.encode(texts), reference.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    # One at a time (no padding) and in a mixed batch (padding) give the same vector.
    single = np.stack([real_embedder.encode([t])[0] for t in odd])
    assert np.abs(single - ours[len(passages):]).max() < 1e-5


def test_unknown_engine_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown encoder engine 'onnx'"):
        load_real_embedder("onnx")


def test_two_threads_encoding_at_once_each_get_their_own_vectors() -> None:
    """serve runs the scripted model from two encoder threads; a fresh encoder makes the first calls
    (when TorchScript profiles and optimises the graph) concurrent too."""
    from concurrent.futures import ThreadPoolExecutor

    fresh = load_real_embedder()
    texts = [[f"can I post about planning application {n} on my page?"] for n in range(40)]
    texts += [["short", "a longer second text in one call"]] * 4
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fresh.encode, texts))
    for asked, vectors in zip(texts, together, strict=True):
        assert np.abs(vectors - fresh.encode(asked)).max() < 1e-5
