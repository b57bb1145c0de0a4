"""Index persistence and retrieval mechanics with the deterministic fake embedder (no model needed)."""

from __future__ import annotations

import json

from knowledge.index import build_index, load_or_build_index
from knowledge.lexical import expand, tokens
from knowledge.parse import parse_markdown
from knowledge.retrieval import Retriever, RetrievalSettings


def test_index_is_persisted_and_reused(tmp_path, document, fake_embedder):
    first = load_or_build_index(document, fake_embedder, tmp_path)
    sidecars = list(tmp_path.glob("*.json"))
    assert len(sidecars) == 1
    sidecar = json.loads(sidecars[0].read_text())
    assert sidecar["content_hash"] == document.content_hash
    assert sidecar["model"] == fake_embedder.name
    assert sidecar["passage_ids"] == [p.id for p in document.passages]
    mtime = sidecars[0].stat().st_mtime_ns
    second = load_or_build_index(document, fake_embedder, tmp_path)
    assert sidecars[0].stat().st_mtime_ns == mtime  # not rebuilt
    assert second.passage_ids == first.passage_ids


def test_index_rebuilt_when_content_changes(tmp_path, fake_embedder):
    a = parse_markdown("# T\n\n## A\n\nFirst text.\n")
    b = parse_markdown("# T\n\n## A\n\nSecond text.\n\n## B\n\nMore.\n")
    load_or_build_index(a, fake_embedder, tmp_path)
    rebuilt = load_or_build_index(b, fake_embedder, tmp_path)
    assert rebuilt.content_hash == b.content_hash
    assert len(rebuilt.passage_ids) == 2


def test_damaged_index_is_rebuilt(tmp_path, document, fake_embedder):
    load_or_build_index(document, fake_embedder, tmp_path)
    for f in tmp_path.glob("*.faiss"):
        f.write_bytes(b"garbage")
    again = load_or_build_index(document, fake_embedder, tmp_path)
    assert len(again.passage_ids) == len(document.passages)


def test_thesaurus_bridges_member_words():
    expanded = expand(tokens("can my assistant have my login"))
    assert "password" in expanded


def test_retriever_finds_lexical_match_and_abstains_on_nonsense(document, fake_embedder):
    retriever = Retriever(document, fake_embedder, build_index(document, fake_embedder))
    found = retriever.retrieve("share your passwords")
    assert found.answered
    assert "passwords" in found.hits[0].passage.text
    nonsense = retriever.retrieve("zxqv plorb wibble")
    assert not nonsense.answered
    assert len(nonsense.suggestions()) <= 3


def test_suggestions_are_distinct_sections(document, fake_embedder):
    retriever = Retriever(document, fake_embedder, build_index(document, fake_embedder), RetrievalSettings(answer_threshold=99))
    found = retriever.retrieve("social media do's and don'ts")
    ids = [h.section.id for h in found.suggestions()]
    assert len(ids) == len(set(ids)) and 1 <= len(ids) <= 3


def test_only_the_tuned_encoder_gets_the_lower_lexical_weight(document, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    """The base model (used while the shipped adapters are stale) keeps the weight it was calibrated with."""
    from knowledge.embedding import REAL_MODEL_NAME
    from knowledge.retrieval import TUNED_LEXICAL_WEIGHT, settings_for

    assert settings_for(f"{REAL_MODEL_NAME}+ask-0123456789ab").lexical_weight == TUNED_LEXICAL_WEIGHT
    assert settings_for(REAL_MODEL_NAME).lexical_weight == RetrievalSettings().lexical_weight > TUNED_LEXICAL_WEIGHT
    retriever = Retriever(document, fake_embedder, build_index(document, fake_embedder))
    assert retriever.settings.lexical_weight == RetrievalSettings().lexical_weight
