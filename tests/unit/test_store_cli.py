"""`guidance-bot guidance ...`: every verb, every refusal, and a publish killed at each of its steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.store import CRASH_ENV, PUBLISH_STEPS, GuidanceStore

ROOT = Path(__file__).resolve().parents[2]
V2 = ROOT / "tests" / "data" / "guidance-v2.md"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GUIDANCE_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GUIDANCE_BOT_TEST_EMBEDDER", "hashing")
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def snapshot(data_dir: Path) -> tuple[object, ...]:
    store = GuidanceStore(data_dir)
    files = sorted((str(p.relative_to(store.versions_dir)), p.read_bytes()) for p in store.versions_dir.rglob("*") if p.is_file())
    return tuple(v.as_dict().items() for v in store.versions()), tuple(files)


def test_history_json_lists_versions(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "guidance", "history", "--json")
    assert code == 0
    [v1] = json.loads(out)
    assert {"version", "current", "published_by", "published_at", "note", "content_hash"} <= v1.keys()
    assert (v1["version"], v1["current"]) == (1, True)


def test_publish_dry_run_changes_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "guidance", "history")
    before = snapshot(data_dir)
    code, out, _ = run(capsys, "guidance", "publish", str(V2), "--by", "Jo", "--dry-run")
    assert code == 0
    assert "would become guidance version 2" in out and "Added: Short-form video" in out
    assert "+## Short-form video" in out and "Dry run: nothing was published." in out
    assert snapshot(data_dir) == before


def test_publish_diff_show_export_rollback_audit(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "guidance", "publish", str(V2), "--by", "Jo Officer", "--note", "TikTok")
    assert code == 0 and "Published guidance-v2.md as guidance version 2" in out
    history = json.loads(run(capsys, "guidance", "history", "--json")[1])
    assert [(v["version"], v["current"], v["published_by"], v["note"]) for v in history] == [(2, True, "Jo Officer", "TikTok"), (1, False, "guidance-bot", "Bundled default guidance")]

    code, out, _ = run(capsys, "guidance", "diff", "1", "2")
    assert code == 0 and "Added (1): Short-form video" in out and "Changed (1): Legal Considerations › Copyright" in out

    code, out, _ = run(capsys, "guidance", "show")
    assert code == 0 and "Guidance version 2" in out and "short-form-video  Short-form video" in out
    code, out, _ = run(capsys, "guidance", "show", "short-form-video")
    assert code == 0 and "TikTok, Instagram Reels and YouTube Shorts" in out

    code, out, _ = run(capsys, "guidance", "export", "2")
    assert code == 0 and out == V2.read_text(encoding="utf-8")

    code, out, _ = run(capsys, "guidance", "rollback", "1", "--by", "Jo Officer")
    assert code == 0 and "version 1 is current again" in out
    code, _, err = run(capsys, "guidance", "show", "short-form-video")
    assert code == 2 and "no section 'short-form-video' in version 1" in err

    code, out, _ = run(capsys, "guidance", "audit", "--json")
    assert [(e["action"], e["version"], e["outcome"]) for e in json.loads(out)] == [("seed", 1, "ok"), ("publish", 2, "ok"), ("rollback", 1, "ok")]
    code, out, _ = run(capsys, "guidance", "audit")
    assert code == 0 and "Jo Officer  rollback v1  ok" in out


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("policy.xlsx", b"PK\x03\x04", "is a .xlsx file"),
        ("huge.md", b"#" * (5 * 1024 * 1024 + 10), "the limit is 5 MB"),
        ("empty.md", b"", "is empty"),
        ("broken.docx", b"PK\x03\x04 not really", "could not be read as a Word document"),
        ("broken.pdf", b"%PDF-1.7 nonsense", "could not be read as a PDF"),
        ("gap.md", b"# T\n\n## A\n\n## B\n\ntext\n", "empty section"),
    ],
)
def test_refused_files_exit_2_and_lose_nothing(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, reason: str) -> None:
    assert run(capsys, "guidance", "publish", str(V2), "--by", "Jo")[0] == 0
    before = snapshot(data_dir)
    bad = tmp_path / name
    bad.write_bytes(content)
    code, _, err = run(capsys, "guidance", "publish", str(bad), "--by", "Jo")
    assert code == 2 and reason in err
    assert snapshot(data_dir) == before
    assert GuidanceStore(data_dir).audit_log()[-1].outcome.startswith("refused") or reason == "the limit is 5 MB"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("guidance", "rollback", "7", "--by", "Jo"), "no guidance version 7"),
        (("guidance", "rollback", "1", "--by", "Jo"), "already current"),
        (("guidance", "diff", "1", "3"), "no guidance version 3"),
        (("guidance", "export", "4"), "no guidance version 4"),
        (("guidance", "publish", "/no/such/file.md", "--by", "Jo"), "no such file"),
        (("guidance", "publish", str(V2), "--by", "  "), "--by must name"),
    ],
)
def test_bad_requests_exit_2_with_a_message(data_dir: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err


def test_missing_by_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "guidance", "rollback", "1")[0] == 2
    assert run(capsys, "guidance", "publish", str(V2))[0] == 2


def _cli(data_dir: Path, *argv: str, crash_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GUIDANCE_BOT_DATA_DIR": str(data_dir), "GUIDANCE_BOT_TEST_EMBEDDER": "hashing"}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.Popen([sys.executable, "-m", "bot", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _assert_serves(data_dir: Path, version: int, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from bot.runtime import build_assistant
    from bot.settings import Settings

    store = GuidanceStore.open(data_dir)  # what a (re)starting serve does
    assert store.problems() == []
    assert store.current_number() == version
    assert [p.name for p in sorted(store.versions_dir.iterdir())] == [str(v.number) for v in store.versions()]
    assistant = build_assistant(Settings(data_dir=data_dir), embedder=fake_embedder)
    result = assistant.ask("Can I post TikTok videos and Instagram Reels?")
    assert result.guidance_version == str(version)
    assert (result.results[0].section_id == "short-form-video") == (version == 2)


@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_publish_killed_at_each_step_leaves_a_consistent_store(data_dir: Path, step: str, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    GuidanceStore.open(data_dir)
    proc = _cli(data_dir, "guidance", "publish", str(V2), "--by", "Jo", crash_at=step)
    proc.communicate(timeout=120)
    assert proc.returncode == 99  # it really died at that step
    survived = 2 if step == "committed" else 1
    _assert_serves(data_dir, survived, fake_embedder)
    # and the store keeps working: the next publish succeeds with the next free number
    proc = _cli(data_dir, "guidance", "publish", str(V2), "--by", "Jo")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert GuidanceStore(data_dir).current_number() == survived + 1


def test_publish_killed_by_sigkill_at_random_moments(data_dir: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    GuidanceStore.open(data_dir)
    for delay in (0.2, 0.45, 0.7, 0.9):
        proc = _cli(data_dir, "guidance", "publish", str(V2), "--by", "Jo")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        store = GuidanceStore.open(data_dir)
        assert store.problems() == []
        current = store.current_number()
        assert store.document(current).version_label == str(current)
        if current != 1:
            store.rollback(1, "test")
    _assert_serves(data_dir, 1, fake_embedder)
