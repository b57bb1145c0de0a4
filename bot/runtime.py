"""Composition root for the core: load the guidance, the model, the index and the rules, once.

Everything is built here and passed in explicitly; nothing below looks anything up globally.
"""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

from bot.assistant import Assistant
from bot.settings import Settings
from knowledge.ask_model import load_retrieval_embedder
from knowledge.asked import packaged_examples
from knowledge.draft_check import DraftChecker
from knowledge.draft_model import load_or_train, load_training
from knowledge.embedding import Embedder
from knowledge.index import load_or_build_index
from knowledge.model import GuidanceDocument
from knowledge.parse import load_default, load_path
from knowledge.retrieval import RetrievalSettings, Retriever, load_scope
from knowledge.risk_model import TunedRiskModel, load_risk_model
from knowledge.rules import load_rules


def load_guidance(settings: Settings) -> GuidanceDocument:
    return load_path(settings.guidance_file) if settings.guidance_file else load_default()


def build_assistant(
    settings: Settings,
    embedder: Embedder | None = None,
    document: GuidanceDocument | None = None,
    retrieval: RetrievalSettings | None = None,
    index_directory: Path | None = None,
    rules_directory: Path | None = None,
    encoder_threads: int | None = None,
    tuned: TunedRiskModel | None = None,
) -> Assistant:
    """Load once per process; `gc.freeze()` then keeps the model's objects out of every later collection,
    which removes the ~200 ms full-collection pauses a loaded model otherwise causes. `rules_directory`
    None means the packaged rules; with no document given, guidance and rules come from the store.
    `encoder_threads` is the draft check's tuned encoder's intra-op thread count (serve: 1); `tuned` reuses
    one already loaded (a hot reload)."""
    if document is None and settings.guidance_file is None:
        document, index_directory, rules_directory = store_guidance(settings)  # the current published version
    document = document or load_guidance(settings)
    embedder = embedder or load_retrieval_embedder(settings.encoder, settings.model_cache_dir)
    examples = packaged_examples(document, embedder.name)  # example questions, answered and declined (knowledge/asked.py)
    index = load_or_build_index(document, embedder, index_directory or index_dir(settings.data_dir), examples)
    retriever = Retriever(document, embedder, index, retrieval, out_of_scope=load_scope())
    # The draft check's tuned encoder for the real model, else a linear model over the retrieval vectors.
    # A hot reload passes the running one in, so neither the training posts nor the model are read again.
    posts = load_training() if tuned is None else []
    tuned = tuned or load_risk_model(embedder, settings.encoder, settings.model_cache_dir, encoder_threads, posts)
    semantic = tuned.semantic if tuned else load_or_train(embedder, index_dir(settings.data_dir), posts)
    checker = DraftChecker(document, load_rules(rules_directory), embedder, semantic, tuned.embedder if tuned else None)
    gc.collect()
    gc.freeze()
    return Assistant(document, retriever, checker)


def store_guidance(settings: Settings) -> tuple[GuidanceDocument | None, Path | None, Path | None]:
    """The store's current version, its index directory and its rules directory, all of one version (a
    fresh data dir is seeded with the bundled guidance and rules as version 1); Nones when the data dir
    cannot hold a store, e.g. it is read-only."""
    from knowledge.store import GuidanceStore

    try:
        store = GuidanceStore.open(settings.data_dir)
    except (OSError, sqlite3.Error):
        return None, None, None
    number = store.current_number()
    return store.document(number), store.index_dir(number), store.rules_dir(number)


def index_dir(data_dir: Path) -> Path:
    return data_dir / "index"
