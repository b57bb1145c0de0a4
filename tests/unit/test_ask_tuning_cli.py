"""Measuring a reseed must never replace the shipped retrieval encoder."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from knowledge import ask_tuning
from knowledge.encoder_adapters import shipped_adapters_path


@pytest.fixture
def no_fit(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Where a run would write. The fit itself (~30 min) and torch are replaced, so a broken guard fails
    in milliseconds and never touches the shipped file."""
    written: list[Path] = []
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda n: None))
    examples = types.SimpleNamespace(asked=[])
    document = types.SimpleNamespace(passages=[])
    monkeypatch.setattr(ask_tuning, "training_examples", lambda: (document, examples))
    monkeypatch.setattr(ask_tuning, "fit", lambda document, examples, seed=0: (None, []))
    monkeypatch.setattr(ask_tuning, "trained_pairs", lambda adapters: {})
    monkeypatch.setattr(ask_tuning, "training_fingerprint", lambda document, examples: "fp")
    monkeypatch.setattr(ask_tuning, "write_adapters", lambda path, *args: written.append(Path(path)))
    return written


@pytest.mark.parametrize("argv", [["--seed", "101"], ["--seed", "101", "--out", str(shipped_adapters_path("ask"))]])
def test_another_seed_aimed_at_the_shipped_file_is_refused(no_fit: list[Path], argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        ask_tuning.main(argv)
    assert stopped.value.code == 2
    assert "give --out" in capsys.readouterr().err
    assert no_fit == []


def test_another_seed_with_out_writes_there(no_fit: list[Path], tmp_path: Path) -> None:
    ask_tuning.main(["--seed", "101", "--out", str(tmp_path / "measured.npz")])
    assert no_fit == [tmp_path / "measured.npz"]


def test_the_shipped_seed_writes_the_shipped_file(no_fit: list[Path]) -> None:
    ask_tuning.main([])
    assert no_fit == [shipped_adapters_path("ask")]
