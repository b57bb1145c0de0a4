"""The retrieval encoder's adapters are used only while they match the questions and guidance they were tuned on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import ask_model
from knowledge.asked import Examples
from knowledge.encoder_adapters import write_adapters


def _write(path: Path, purpose: str, fingerprint: str) -> Path:
    rng = np.random.default_rng(0)
    write_adapters(path, purpose, {"layer.weight": (rng.normal(size=(2, 4)), rng.normal(size=(3, 2)))}, fingerprint)
    return path


@pytest.fixture
def shipped_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "ask.npz"
    monkeypatch.setattr(ask_model, "shipped_adapters_path", lambda purpose: path)
    return path


def test_current_adapters_are_used(shipped_at: Path) -> None:
    _write(shipped_at, "ask", ask_model.training_fingerprint(*ask_model.training_examples()))
    adapters = ask_model.shipped_ask_adapters()
    assert adapters is not None and adapters.purpose == "ask" and adapters.label.startswith("ask-")


def test_stale_missing_or_foreign_adapters_are_not_used(shipped_at: Path) -> None:
    assert ask_model.shipped_ask_adapters() is None  # missing
    _write(shipped_at, "ask", "0" * 24)  # tuned on other questions or another guidance text
    assert ask_model.shipped_ask_adapters() is None
    _write(shipped_at, "risk", ask_model.training_fingerprint(*ask_model.training_examples()))  # the draft check's
    assert ask_model.shipped_ask_adapters() is None


def test_the_fingerprint_follows_every_example_question_and_its_passage() -> None:
    document, examples = ask_model.training_examples()
    first_owner, first_question = examples.asked[0]
    reworded = Examples(((first_owner, first_question + "?"),) + examples.asked[1:], examples.declined)
    moved = Examples(((first_owner + 1, first_question),) + examples.asked[1:], examples.declined)
    fingerprint = ask_model.training_fingerprint(document, examples)
    assert len({fingerprint, ask_model.training_fingerprint(document, reworded), ask_model.training_fingerprint(document, moved)}) == 3
