"""Measuring a reseed must never replace the shipped retrieval encoder."""

from __future__ import annotations

import pytest

from knowledge import ask_tuning
from knowledge.encoder_adapters import shipped_adapters_path


def test_another_seed_without_out_is_refused_and_the_shipped_file_is_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    shipped = shipped_adapters_path("ask")
    before = shipped.read_bytes()
    with pytest.raises(SystemExit) as stopped:
        ask_tuning.main(["--seed", "101"])
    assert stopped.value.code == 2
    assert "give --out" in capsys.readouterr().err
    assert shipped.read_bytes() == before
