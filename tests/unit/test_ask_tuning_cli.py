"""Measuring a reseed must never replace the shipped retrieval encoder."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from knowledge import ask_tuning
from knowledge.encoder_adapters import shipped_adapters_path


seeds: list[int] = []  # the seed each write recorded in its file


@pytest.fixture
def no_fit(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Where a run would write. The fit itself (~30 min) and torch are replaced, so a broken guard fails
    in milliseconds and never touches the shipped file."""
    written: list[Path] = []
    seeds.clear()
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda n: None))
    examples = types.SimpleNamespace(asked=[])
    document = types.SimpleNamespace(passages=[])
    monkeypatch.setattr(ask_tuning, "training_examples", lambda: (document, examples))
    monkeypatch.setattr(ask_tuning, "fit", lambda document, examples, seed=0: (None, []))
    monkeypatch.setattr(ask_tuning, "trained_pairs", lambda adapters: {})
    monkeypatch.setattr(ask_tuning, "training_fingerprint", lambda document, examples: "fp")

    def write(path: Path, *args: object, **extra: object) -> None:
        written.append(Path(path))
        seeds.append(int(extra["seed"]))  # type: ignore[call-overload]

    monkeypatch.setattr(ask_tuning, "write_adapters", write)
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
    assert seeds == [101], "a reseeded copy carries the shipped fingerprint; only its seed tells it apart"


@pytest.mark.parametrize("where", ["folder", "no-such-folder/measured.npz", "risk"])
def test_an_out_that_cannot_be_written_is_refused_before_the_fit(
    no_fit: list[Path], tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "folder").mkdir()
    monkeypatch.setattr(ask_tuning, "fit", lambda *a, **k: pytest.fail("the fit ran before --out was checked"))
    out = shipped_adapters_path("risk") if where == "risk" else tmp_path / where
    with pytest.raises(SystemExit) as stopped:
        ask_tuning.main(["--seed", "101", "--out", str(out)])
    assert stopped.value.code == 2 and str(out) in capsys.readouterr().err
    assert no_fit == []


def test_the_shipped_seed_writes_the_shipped_file(no_fit: list[Path]) -> None:
    ask_tuning.main([])
    assert no_fit == [shipped_adapters_path("ask")]
