"""Shared fixtures: the bundled guidance, a fast fake embedder, and (for slow tests) the real model once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def document():
    from knowledge.parse import load_default

    return load_default()


@pytest.fixture(scope="session")
def fake_embedder():
    from knowledge.embedding import HashingEmbedder

    return HashingEmbedder()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GUIDANCE_BOT_DATA_DIR", str(tmp_path / "data"))
    from bot.settings import load_settings

    return load_settings()


@pytest.fixture
def fake_assistant(settings, fake_embedder, document):
    from bot.runtime import build_assistant

    return build_assistant(settings, embedder=fake_embedder, document=document)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, fake_embedder, document):  # type: ignore[no-untyped-def]
    """One fast fake-embedder assistant per module, for tests that never change it (building one takes seconds)."""
    from bot.runtime import build_assistant
    from bot.settings import Settings

    return build_assistant(Settings(data_dir=tmp_path_factory.mktemp("assistant-data")), embedder=fake_embedder, document=document)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the real encoder exports its ONNX graph: once per test session, like once per data dir."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def base_embedder(model_cache: Path):  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 as shipped, on the default engine (ONNX Runtime): what the tuned variants start from."""
    from knowledge.embedding import load_real_embedder

    return load_real_embedder(cache_dir=model_cache)


@pytest.fixture(scope="session")
def real_embedder(model_cache: Path):  # type: ignore[no-untyped-def]
    """The retrieval encoder as `serve` and the CLI run it: the tuned adapters on the default engine."""
    from knowledge.ask_model import load_retrieval_embedder

    return load_retrieval_embedder(cache_dir=model_cache)


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory, real_embedder, document):
    from bot.runtime import build_assistant
    from bot.settings import Settings

    return build_assistant(Settings(data_dir=tmp_path_factory.mktemp("real-data")), embedder=real_embedder, document=document)
