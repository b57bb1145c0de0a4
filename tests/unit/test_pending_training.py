"""Taking pending training data: the next refit must be able to rebuild exactly the training set a
previous session fitted, and a stale or mistyped label change must stop it before anything changes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge import refit_checkpoints
from knowledge.encoder_adapters import ADAPTED, RANK
from knowledge.rules import CATEGORIES
from knowledge.pending_training import RESUME_FROM, TRAINING, PendingError, read_changes, take_pending


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def training(tmp_path: Path) -> Path:
    root = tmp_path / "training"
    (root / "pending").mkdir(parents=True)
    _write(root / "posts-a.jsonl", [{"text": "Rumour has it the officer is 'on leave'.", "labels": []}, {"text": "Lovely day.", "labels": []}, {"text": "Bins day.", "labels": ["inflammatory", "obscene"]}])
    _write(root / "pending" / "posts-b.jsonl", [{"text": "My login is Tulip99", "labels": ["password_sharing"]}])
    _write(root / "pending" / "label-changes.jsonl", [{"file": "posts-a.jsonl", "text": "Rumour has it the officer is 'on leave'.", "add": "defamation"}])
    return root


def test_additions_are_applied_and_pending_posts_join_the_training_set(training: Path) -> None:
    done = take_pending(training)
    assert done == ["1 labels to add and 0 to remove in 1 files", "move posts-b.jsonl"]
    assert _read(training / "posts-a.jsonl")[0]["labels"] == ["defamation"]
    assert _read(training / "posts-a.jsonl")[1]["labels"] == []
    assert (training / "posts-b.jsonl").exists()
    assert not list((training / "pending").glob("*.jsonl"))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"file": "posts-a.jsonl", "text": "Rumour has it", "add": "defamation"}, "0 posts"),
        ({"file": "posts-a.jsonl", "text": "Lovely day.", "add": "slander"}, "unknown category"),
        ({"file": "posts-z.jsonl", "text": "Lovely day.", "add": "defamation"}, "no training file"),
        ({"file": "../posts-a.jsonl", "text": "Lovely day.", "add": "defamation"}, "not a training file name"),
        ({"file": "posts-a.jsonl", "text": "Lovely day."}, "not a {file, text, add}"),
        ({"file": "posts-a.jsonl", "text": "Lovely day.", "add": "obscene", "remove": "obscene"}, "not a {file, text, add}"),
        ({"file": "posts-a.jsonl", "text": "Lovely day.", "remove": 3}, "not a {file, text, add}"),
        ({"file": "posts-a.jsonl", "text": "Lovely day.", "remove": "slander"}, "unknown category"),
        ({"file": "posts-a.jsonl", "text": "Lovely day.", "remove": "obscene"}, "is not labelled obscene"),
        ({"file": "posts-a.jsonl", "text": "Lovely day.", "remove": "obscene", "add ": "defamation"}, "not a {file, text, add}"),
        ({"file": "posts-a.jsonl", "text": "Rumour has it the officer is 'on leave'.", "remove": "defamation"}, "label-changes.jsonl:2: a second change to the same post and category as line 1"),
        ({"file": None, "text": "Lovely day.", "add": "defamation"}, "not a {file, text, add}"),
        ({"file": "./posts-a.jsonl", "text": "Lovely day.", "add": "defamation"}, "not a training file name"),
        ({"file": "asked.yaml", "text": "Lovely day.", "add": "defamation"}, "not a training file name"),
        ({"file": "posts-a.jsonl", "text": "Bins day.", "add": "obscene"}, "is already labelled obscene"),
    ],
)
def test_a_bad_change_is_named_and_nothing_changes(training: Path, change: dict[str, object], needle: str) -> None:
    before = {p.relative_to(training): p.read_bytes() for p in training.rglob("*.jsonl")}
    with (training / "pending" / "label-changes.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(change) + "\n")
    with pytest.raises(PendingError, match=needle.replace("{", r"\{").replace("}", r"\}")):
        take_pending(training)
    after = {p.relative_to(training): p.read_bytes() for p in training.rglob("*.jsonl") if p.name != "label-changes.jsonl"}
    assert after == {k: v for k, v in before.items() if k.name != "label-changes.jsonl"}


def test_a_removal_takes_only_its_category_and_keeps_the_others(training: Path) -> None:
    with (training / "pending" / "label-changes.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"file": "posts-a.jsonl", "text": "Bins day.", "remove": "inflammatory"}) + "\n")
    assert take_pending(training)[0] == "1 labels to add and 1 to remove in 1 files"
    rows = _read(training / "posts-a.jsonl")
    assert [r["labels"] for r in rows] == [["defamation"], [], ["obscene"]]


def test_check_only_changes_nothing(training: Path) -> None:
    before = {p: p.read_bytes() for p in training.rglob("*.jsonl")}
    assert take_pending(training, check_only=True)[0] == "1 labels to add and 0 to remove in 1 files"
    assert {p: p.read_bytes() for p in training.rglob("*.jsonl")} == before


def test_the_repositorys_pending_data_applies_cleanly(tmp_path: Path) -> None:
    """Every waiting change still names exactly one post of its file, and applies."""
    copy = tmp_path / "training"
    shutil.copytree(TRAINING, copy, ignore=shutil.ignore_patterns(".refit", "*.npz"))
    changes = read_changes(copy / "pending")
    take_pending(copy)
    for change in changes:
        rows = [r for r in _read(copy / change.file) if r["text"] == change.text]
        assert len(rows) == 1 and (change.category in rows[0]["labels"]) != change.remove  # type: ignore[operator]


def test_kept_folds_go_where_the_refit_resumes_from(training: Path) -> None:
    (training / "pending" / "checkpoints").mkdir()
    (training / "pending" / "checkpoints" / "fold-1-of-5-abc.npz").write_bytes(b"fold")
    (training / "pending" / "checkpoints" / "final-abc.npz").write_bytes(b"final")
    done = take_pending(training)
    assert "resume from fold-1-of-5-abc.npz" in done and "resume from final-abc.npz" in done
    assert (training / RESUME_FROM / "fold-1-of-5-abc.npz").read_bytes() == b"fold"
    assert (training / RESUME_FROM / "final-abc.npz").read_bytes() == b"final"
    assert refit_checkpoints.CHECKPOINTS == TRAINING / RESUME_FROM


def test_errors_name_the_line_of_the_file(training: Path) -> None:
    with (training / "pending" / "label-changes.jsonl").open("a", encoding="utf-8") as out:
        out.write("\n\n" + json.dumps({"file": "posts-a.jsonl", "text": "nowhere", "add": "defamation"}) + "\n")
    with pytest.raises(PendingError, match=r"label-changes.jsonl:4: 0 posts"):
        take_pending(training)


def test_two_posts_with_the_text_are_refused(training: Path) -> None:
    with (training / "posts-a.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"text": "Rumour has it the officer is 'on leave'.", "labels": ["inflammatory"]}) + "\n")
    with pytest.raises(PendingError, match="2 posts"):
        take_pending(training)


@pytest.mark.parametrize(
    ("line", "needle"),
    [('{"text": "x", "labels": ["slander"]}', "unknown label"), ("{not json", "not valid JSON"), ('{"labels": []}', "not a {text, labels}")],
)
def test_a_pending_posts_file_the_loader_would_refuse_is_not_moved(training: Path, line: str, needle: str) -> None:
    with (training / "pending" / "posts-b.jsonl").open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    before = {p: p.read_bytes() for p in training.rglob("*.jsonl")}
    with pytest.raises(PendingError, match=needle.replace("{", r"\{").replace("}", r"\}")):
        take_pending(training)
    assert {p: p.read_bytes() for p in training.rglob("*.jsonl")} == before, "no file relabelled, none moved"


def test_a_pending_file_already_in_the_training_set_is_refused(training: Path) -> None:
    shutil.copy(training / "pending" / "posts-b.jsonl", training / "posts-b.jsonl")
    with pytest.raises(PendingError, match="already in the training set: posts-b.jsonl"):
        take_pending(training)


def test_a_failed_write_leaves_every_training_file_as_it_was(training: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(training / "posts-c.jsonl", [{"text": "Second file.", "labels": []}])
    with (training / "pending" / "label-changes.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"file": "posts-c.jsonl", "text": "Second file.", "add": "obscene"}) + "\n")
    before = {p: p.read_bytes() for p in training.rglob("*.jsonl")}
    real_fdopen = os.fdopen
    opened: list[int] = []

    def disk_fills(fd: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(fd)
        if len(opened) == 2:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fdopen", disk_fills)
    with pytest.raises(OSError, match="No space"):
        take_pending(training)
    assert {p: p.read_bytes() for p in training.rglob("*.jsonl")} == before
    assert not list(training.glob(".*.tmp")), "no temporary file is left behind"


def test_check_only_lists_kept_folds_and_moves_nothing(training: Path) -> None:
    (training / "pending" / "checkpoints").mkdir()
    (training / "pending" / "checkpoints" / "fold-2-of-5-abc.npz").write_bytes(b"fold")
    assert "resume from fold-2-of-5-abc.npz" in take_pending(training, check_only=True)
    assert not (training / RESUME_FROM).exists()


def test_a_kept_fold_never_overwrites_one_the_refit_already_has(training: Path) -> None:
    (training / "pending" / "checkpoints").mkdir()
    (training / "pending" / "checkpoints" / "fold-1-of-5-abc.npz").write_bytes(b"kept")
    (training / RESUME_FROM).mkdir()
    (training / RESUME_FROM / "fold-1-of-5-abc.npz").write_bytes(b"running")
    before = {p: p.read_bytes() for p in training.rglob("*") if p.is_file()}
    with pytest.raises(PendingError, match="already where the refit resumes from: fold-1-of-5-abc.npz"):
        take_pending(training)
    assert {p: p.read_bytes() for p in training.rglob("*") if p.is_file()} == before


def test_a_run_stopped_between_renames_is_finished_by_the_next(training: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(training / "posts-c.jsonl", [{"text": "Second file.", "labels": []}, {"text": "Third post.", "labels": ["inflammatory"]}])
    with (training / "pending" / "label-changes.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"file": "posts-c.jsonl", "text": "Second file.", "add": "obscene"}) + "\n")
        out.write(json.dumps({"file": "posts-c.jsonl", "text": "Third post.", "remove": "inflammatory"}) + "\n")
    real_replace = os.replace
    calls: list[object] = []

    def power_cut_on_the_second_file(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 3:  # the journal, the first file, then this
            raise OSError(5, "Input/output error")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", power_cut_on_the_second_file)
    with pytest.raises(OSError):
        take_pending(training)
    monkeypatch.setattr(os, "replace", real_replace)
    assert _read(training / "posts-a.jsonl")[0]["labels"] == ["defamation"] and _read(training / "posts-c.jsonl")[1]["labels"] == ["inflammatory"]
    assert take_pending(training, check_only=True)[0].startswith("1 labels to add and 1 to remove"), "what is left, not what was applied"
    take_pending(training)
    assert _read(training / "posts-a.jsonl")[0]["labels"] == ["defamation"], "applied once, not twice"
    assert [r["labels"] for r in _read(training / "posts-c.jsonl")] == [["obscene"], []], "the unrenamed file's addition and removal both applied"
    assert not [p.name for p in (training / "pending").iterdir() if p.is_file()], "journal and changes gone"
    assert (training / "posts-c.jsonl").stat().st_mode & 0o777 == 0o644


def test_a_removal_the_stopped_run_applied_is_skipped_on_resume(training: Path) -> None:
    """The journal left by a stopped run still lists a removal its first file already took."""
    (training / "pending" / "label-changes.jsonl").unlink()
    _write(training / "pending" / ".label-changes.applying", [{"file": "posts-a.jsonl", "text": "Lovely day.", "remove": "obscene"}])
    take_pending(training)
    assert [r["labels"] for r in _read(training / "posts-a.jsonl")] == [[], [], ["inflammatory", "obscene"]]
    assert not (training / "pending" / ".label-changes.applying").exists()


@pytest.mark.parametrize(("old", "new"), [("label-additions.jsonl", "label-changes.jsonl"), (".label-additions.applying", ".label-changes.applying")])
def test_the_files_old_name_is_refused_not_skipped(training: Path, old: str, new: str) -> None:
    (training / "pending" / "label-changes.jsonl").rename(training / "pending" / old)
    before = {p: p.read_bytes() for p in training.rglob("*.jsonl")}
    with pytest.raises(PendingError, match=f"{old}: the old name of {new}; rename it to that"):
        take_pending(training)
    assert {p: p.read_bytes() for p in training.rglob("*.jsonl")} == before, "no post moved without its labels"


def test_a_changes_file_restored_beside_the_journal_is_finished_with_it(training: Path) -> None:
    """A checkout after a stopped run brings the tracked changes file back beside the journal: the same
    changes, so the run finishes and neither is left to fail the next refit with "already labelled"."""
    pending = training / "pending"
    shutil.copy(pending / "label-changes.jsonl", pending / ".label-changes.applying")
    take_pending(training)
    assert _read(training / "posts-a.jsonl")[0]["labels"] == ["defamation"]
    assert not [p.name for p in pending.iterdir() if p.is_file()]


def test_new_changes_written_while_a_journal_waits_are_refused_not_dropped(training: Path) -> None:
    pending = training / "pending"
    _write(pending / ".label-changes.applying", [{"file": "posts-a.jsonl", "text": "Lovely day.", "add": "obscene"}])
    before = {p: p.read_bytes() for p in training.rglob("*") if p.is_file()}
    with pytest.raises(PendingError, match="a different label-changes.jsonl are both in"):
        take_pending(training, check_only=True)
    with pytest.raises(PendingError, match="finish the stopped run"):
        take_pending(training)
    assert {p: p.read_bytes() for p in training.rglob("*") if p.is_file()} == before


def test_what_a_refit_keeps_is_what_this_command_carries_over(training: Path) -> None:
    """Written by the refit's own functions, not by name here: were the two to disagree on a file name,
    a kept fit would be left behind and silently fitted again (an hour of a session)."""
    kept = training / "pending" / "checkpoints"
    held = np.arange(3)
    refit_checkpoints.save_fold(kept, "abc", 4, held, np.zeros((3, len(CATEGORIES)), dtype=np.float32))
    pairs = {f"encoder.layer.0.{layer}.weight": (np.ones((RANK, 4), np.float32), np.ones((4, RANK), np.float32)) for layer in ADAPTED}
    refit_checkpoints.save_final(kept, "abc-1", (pairs, np.ones((len(CATEGORIES), 4), np.float32), np.zeros(len(CATEGORIES), np.float32)))
    take_pending(training)
    assert not list(kept.iterdir())
    resume = training / RESUME_FROM
    assert refit_checkpoints.load_fold(resume, "abc", 4, held) is not None
    assert refit_checkpoints.load_final(resume, "abc-1") is not None
