"""Fixtures the scenario tests share."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, fake_embedder, document):  # type: ignore[no-untyped-def]
    """One fast fake-embedder assistant per module: building it takes seconds, and no test changes it."""
    from bot.runtime import build_assistant
    from bot.settings import Settings

    return build_assistant(Settings(data_dir=tmp_path_factory.mktemp("assistant-data")), embedder=fake_embedder, document=document)
