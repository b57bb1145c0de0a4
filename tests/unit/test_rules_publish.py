"""Officers publish draft-check rules: a new version with the same guidance and new rules, checked before
it is written, served by a running assistant after a reload, and undone by a rollback."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.officer import REFUSAL, OfficerDesk
from bot.officer_results import Actor
from bot.settings import Settings
from knowledge.store import CRASH_ENV, GuidanceStore, packaged_rule_files

ROOT = Path(__file__).resolve().parents[2]
V2 = ROOT / "tests" / "data" / "guidance-v2.md"
PACKAGED = packaged_rule_files()
DRAFT = "Great turnout at the gala today, thanks all, the keypad number is taped inside the hut."
NEW_RULE = """
  - id: password_sharing/door-keypad
    severity: high
    lexicon: [door keypad number, keypad number]
    message: Shares a door keypad number.
    advice: Never share door codes or keypad numbers in a post.
    examples:
      positive:
        - The keypad number for the surgery door is 1234.
      negative:
        - Never share your password, even with your assistant.
"""
WITH_KEYPAD = PACKAGED["password_sharing.yaml"] + NEW_RULE
OFFICER = Actor("slack", "U123", "Jo Officer")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GUIDANCE_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GUIDANCE_BOT_TEST_EMBEDDER", "hashing")
    GuidanceStore.open(tmp_path / "data")
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def snapshot(data_dir: Path) -> tuple[object, ...]:
    store = GuidanceStore(data_dir)
    files = sorted((str(p.relative_to(store.versions_dir)), p.read_bytes()) for p in store.versions_dir.rglob("*") if p.is_file())
    return tuple(v.as_dict().items() for v in store.versions()), tuple(files)


def keypad_flags(data_dir: Path, embedder) -> list[str]:  # type: ignore[no-untyped-def]
    """What a (re)starting serve would flag in DRAFT for password sharing, built from the store."""
    from bot.runtime import build_assistant

    result = build_assistant(Settings(data_dir=data_dir), embedder=embedder).check(DRAFT)
    return [f.evidence for f in result.flags if f.category == "password_sharing"]


def test_publish_rules_file_flags_a_new_word_and_rollback_removes_it(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_embedder) -> None:  # type: ignore[no-untyped-def]
    assert keypad_flags(data_dir, fake_embedder) == []
    rules = write(tmp_path, "password_sharing.yaml", WITH_KEYPAD)
    code, out, err = run(capsys, "guidance", "publish", "--rules", str(rules), "--by", "Jo Officer", "--note", "door codes")
    assert code == 0, err
    assert "the same guidance (12 sections) with new draft-check rules" in out
    assert "Draft-check rules added (1): password_sharing/door-keypad." in out and "+  - id: password_sharing/door-keypad" in out
    assert "Published password_sharing.yaml as guidance version 2" in out

    store = GuidanceStore(data_dir)
    assert store.text(2) == store.text(1)  # the guidance is unchanged
    assert store.rule_files(2) == {**PACKAGED, "password_sharing.yaml": WITH_KEYPAD}
    assert any("keypad number" in e for e in keypad_flags(data_dir, fake_embedder))

    history = json.loads(run(capsys, "guidance", "history", "--json")[1])
    assert [(v["version"], v["rules_changed"], v["rules_source"]) for v in history] == [(2, True, "password_sharing.yaml"), (1, False, "packaged")]
    code, out, _ = run(capsys, "guidance", "history")
    assert "new rules: password_sharing.yaml" in out.splitlines()[0]
    code, out, _ = run(capsys, "guidance", "diff", "1", "2")
    assert code == 0 and "No sections changed." in out and "Draft-check rules added (1): password_sharing/door-keypad." in out
    assert "rules password_sharing.yaml" in store.audit_log()[-1].detail

    assert run(capsys, "guidance", "rollback", "1", "--by", "Jo Officer")[0] == 0
    assert keypad_flags(data_dir, fake_embedder) == []
    assert run(capsys, "guidance", "rollback", "2", "--by", "Jo Officer")[0] == 0
    assert keypad_flags(data_dir, fake_embedder)


def test_guidance_publish_keeps_the_current_rules_and_both_can_go_together(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_embedder) -> None:  # type: ignore[no-untyped-def]
    rules = write(tmp_path, "password_sharing.yaml", WITH_KEYPAD)
    assert run(capsys, "guidance", "publish", "--rules", str(rules), "--by", "Jo")[0] == 0
    assert run(capsys, "guidance", "publish", str(V2), "--by", "Jo")[0] == 0  # guidance only
    store = GuidanceStore(data_dir)
    v2, v3 = store.version(2), store.version(3)
    assert v3.rules_hash == v2.rules_hash and store.document(3).section("short-form-video") is not None
    assert keypad_flags(data_dir, fake_embedder)

    both = write(tmp_path, "rules.yml", PACKAGED["password_sharing.yaml"])  # undo the new rule, with new guidance
    code, out, err = run(capsys, "guidance", "publish", str(V2), "--rules", str(both), "--by", "Jo")
    assert code == 0, err
    assert "Draft-check rules removed (1): password_sharing/door-keypad." in out
    assert store.rule_files(4) == PACKAGED and keypad_flags(data_dir, fake_embedder) == []


def test_rules_folder_replaces_every_file_and_dry_run_changes_nothing(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, text in PACKAGED.items():
        write(folder, name, text)
    write(folder, "password_sharing.yaml", WITH_KEYPAD.replace("severity: high\n    lexicon", "severity: low\n    lexicon"))
    write(folder, "README.md", "not a rules file: ignored")
    (folder / "copyright.yaml").unlink()
    before = snapshot(data_dir)
    code, out, _ = run(capsys, "guidance", "publish", "--rules", str(folder), "--by", "Jo", "--dry-run")
    assert code == 0 and "Dry run: nothing was published." in out
    assert "added (1): password_sharing/door-keypad" in out and "removed (" in out and "copyright/" in out
    assert snapshot(data_dir) == before
    assert run(capsys, "guidance", "publish", "--rules", str(folder), "--by", "Jo")[0] == 0
    assert "copyright.yaml" not in GuidanceStore(data_dir).rule_files(2)


BAD_REGEX = PACKAGED["password_sharing.yaml"].replace("patterns:\n", "patterns:\n      - '(unclosed'\n", 1)
FAILING_EXAMPLE = PACKAGED["password_sharing.yaml"] + NEW_RULE.replace("The keypad number for the surgery door is 1234.", "Lovely weather for the fete today.")
FLAGGED_NEGATIVE = PACKAGED["password_sharing.yaml"] + NEW_RULE.replace("Never share your password, even with your assistant.", "The keypad number is 99.")
DUPLICATE_ID = PACKAGED["password_sharing.yaml"] + NEW_RULE.replace("password_sharing/door-keypad", "password_sharing/discloses-secret")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("syntax.yaml", "category: [unclosed\n", "syntax.yaml: not valid YAML"),
        ("gossip.yaml", PACKAGED["password_sharing.yaml"].replace("category: password_sharing", "category: gossip"), "unknown category 'gossip'"),
        ("password_sharing.yaml", BAD_REGEX, "bad regular expression '(unclosed'"),
        ("password_sharing.yaml", FAILING_EXAMPLE, "rule password_sharing/door-keypad no longer flags its positive example 'Lovely weather for the fete today.'"),
        ("password_sharing.yaml", FLAGGED_NEGATIVE, "rule password_sharing/door-keypad flags its negative example 'The keypad number is 99.'"),
        ("password_sharing.yaml", DUPLICATE_ID, "rule id 'password_sharing/discloses-secret' is used twice"),
        ("big.yaml", b"#" * (1024 * 1024 + 1), "a rules file may be at most 1 MB"),
        ("rules.txt", "category: copyright\n", "rules.txt is a .txt file; draft-check rules must be YAML"),
        ("empty.yaml", "  \n", "empty.yaml is empty"),
        ("list.yaml", "- just\n- a list\n", "list.yaml:"),
        ("latin1.yaml", "category: copyright # caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_refused_rules_exit_2_name_the_problem_and_change_nothing(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes, reason: str) -> None:
    before = snapshot(data_dir)
    code, out, err = run(capsys, "guidance", "publish", "--rules", str(write(tmp_path, name, content)), "--by", "Jo")
    assert code == 2 and reason in err, err
    assert "Published" not in out
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("guidance", "publish", "--by", "Jo"), "give the guidance FILE to publish, --rules PATH, or both"),
        (("guidance", "publish", "--rules", "/no/such/rules", "--by", "Jo"), "no such rules file or folder"),
    ],
)
def test_bad_rules_requests_exit_2(data_dir: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err


def test_a_folder_with_two_files_for_one_category_or_none_is_refused(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "twice"
    folder.mkdir()
    write(folder, "a.yaml", PACKAGED["copyright.yaml"])
    write(folder, "b.yaml", PACKAGED["copyright.yaml"])
    code, _, err = run(capsys, "guidance", "publish", "--rules", str(folder), "--by", "Jo")
    assert code == 2 and "a.yaml and b.yaml are both rules for copyright" in err
    (tmp_path / "none").mkdir()
    code, _, err = run(capsys, "guidance", "publish", "--rules", str(tmp_path / "none"), "--by", "Jo")
    assert code == 2 and "has no rules files (*.yaml)" in err
    assert len(GuidanceStore(data_dir).versions()) == 1


def test_officer_sends_a_rules_file_previews_and_publishes(data_dir: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    desk = OfficerDesk(GuidanceStore.open(data_dir), frozenset({"slack:U123"}), embedder=lambda: fake_embedder, announce_channel="C1")
    member = desk.preview(Actor("slack", "U999", "Cllr Smith"), WITH_KEYPAD.encode(), "password_sharing.yaml")
    assert member.text == REFUSAL and len(desk.store.versions()) == 1

    bad = desk.preview(OFFICER, BAD_REGEX.encode(), "password_sharing.yaml")
    assert not bad.ok and "bad regular expression" in bad.text
    assert desk.store.audit_log()[-1].outcome.startswith("refused: password_sharing.yaml")

    shown = desk.preview(OFFICER, WITH_KEYPAD.encode(), "password_sharing.yaml")
    assert shown.ok and shown.preview is not None and shown.preview.rules is not None
    assert shown.preview.rules.added == ("password_sharing/door-keypad",) and not shown.preview.guidance_changed
    assert "Draft-check rules added (1): password_sharing/door-keypad" in shown.text
    assert len(desk.store.versions()) == 1  # a preview changes nothing

    done = desk.publish(OFFICER, shown.preview.preview_id)
    assert done.ok and done.version is not None and done.version.number == 2
    assert desk.store.text(2) == desk.store.text(1)
    assert "draft check has been updated" in done.announcement and "New:" not in done.announcement
    assert "new draft-check rules: password_sharing.yaml" in desk.history(OFFICER).text

    same = desk.preview(OFFICER, WITH_KEYPAD.encode(), "password_sharing.yaml")
    assert same.ok and "Nothing would change." in same.text


def test_a_running_server_swaps_in_published_rules(data_dir: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from bot.host import AssistantHost
    from bot.reload import Reloader, store_builder
    from bot.runtime import build_assistant

    settings = Settings(data_dir=data_dir)
    store = GuidanceStore.open(data_dir)
    desk = OfficerDesk(store, frozenset(), embedder=lambda: fake_embedder, local=True)

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        host = AssistantHost(lambda: build_assistant(settings, embedder=fake_embedder))
        await host.start()
        reloader = Reloader(store, host, store_builder(settings, store))
        try:
            flagged = lambda: [f.category for f in host.assistant.check(DRAFT).flags]  # type: ignore[union-attr]  # noqa: E731
            before = flagged()
            assert desk.publish(OFFICER, data=WITH_KEYPAD.encode(), filename="password_sharing.yaml").ok
            assert await reloader.check_once()
            after = flagged()
            assert desk.rollback(OFFICER, 1).ok and await reloader.check_once()
            return before, after, flagged()
        finally:
            reloader.close()
            host.close()

    before, after, rolled_back = asyncio.run(scenario())
    assert "password_sharing" not in before and "password_sharing" in after and "password_sharing" not in rolled_back


def test_damaged_rules_are_reported_and_never_made_current(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "guidance", "publish", "--rules", str(write(tmp_path, "password_sharing.yaml", WITH_KEYPAD)), "--by", "Jo")[0] == 0
    assert run(capsys, "guidance", "rollback", "1", "--by", "Jo")[0] == 0
    store = GuidanceStore(data_dir)
    (store.version_dir(2) / "rules" / "password_sharing.yaml").write_text("category: copyright\n", encoding="utf-8")
    assert any("rules of guidance version 2" in p for p in store.problems())
    code, _, err = run(capsys, "guidance", "rollback", "2", "--by", "Jo")
    assert code == 2 and "Not rolled back" in err and "do not match their recorded hash" in err
    assert store.current_number() == 1


def test_a_store_from_before_rules_were_versioned_is_upgraded_in_place(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    store = GuidanceStore.open(tmp_path / "data")
    with store.connect() as db:  # the schema as it was: no rules columns
        db.executescript(
            "ALTER TABLE versions RENAME TO v_new;"
            "CREATE TABLE versions (number INTEGER PRIMARY KEY, content_hash TEXT NOT NULL, published_by TEXT NOT NULL,"
            " published_at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', source_name TEXT NOT NULL, format TEXT NOT NULL,"
            " current INTEGER NOT NULL DEFAULT 0);"
            "INSERT INTO versions SELECT number, content_hash, published_by, published_at, note, source_name, format, current FROM v_new;"
            "DROP TABLE v_new;"
        )
    reopened = GuidanceStore.open(tmp_path / "data")
    with reopened.connect() as db:
        assert {"rules_hash", "rules_source"} <= {row[1] for row in db.execute("PRAGMA table_info(versions)")}
    assert reopened.rules_dir(1) is None and reopened.rule_files(1) == PACKAGED and reopened.problems() == []
    desk = OfficerDesk(reopened, frozenset(), embedder=lambda: fake_embedder, local=True)
    assert desk.publish(OFFICER, data=WITH_KEYPAD.encode(), filename="password_sharing.yaml").ok
    assert reopened.rules_dir(2) is not None


@pytest.mark.parametrize("step", ["moved", "committed"])
def test_rules_publish_killed_mid_way_leaves_a_consistent_store(data_dir: Path, tmp_path: Path, step: str) -> None:
    rules = write(tmp_path, "password_sharing.yaml", WITH_KEYPAD)
    env = {**os.environ, CRASH_ENV: step}
    proc = subprocess.run([sys.executable, "-m", "bot", "guidance", "publish", "--rules", str(rules), "--by", "Jo"], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 99, proc.stderr.decode()
    store = GuidanceStore.open(data_dir)
    assert store.problems() == []
    assert store.current_number() == (2 if step == "committed" else 1)
    assert ("password_sharing/door-keypad" in store.rule_files(store.current_number())["password_sharing.yaml"]) == (step == "committed")


def test_concurrent_rules_publish_is_never_silently_undone(data_dir: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    """A guidance publish staged on version 1's rules must not commit over a rules publish that landed meanwhile."""
    from knowledge.ingest import ingest
    from knowledge.store import StoreError

    store = GuidanceStore.open(data_dir)
    item = ingest(V2.read_bytes(), V2.name)
    original = store.transaction

    def rules_land_first():  # type: ignore[no-untyped-def]
        store.transaction = original  # type: ignore[method-assign]
        OfficerDesk(store, frozenset(), embedder=lambda: fake_embedder, local=True).publish(OFFICER, data=WITH_KEYPAD.encode(), filename="password_sharing.yaml")
        return original()

    store.transaction = rules_land_first  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="rules changed while this was being published"):
        store.publish(item, "Jo")
    assert store.current_number() == 2 and store.problems() == []
    with sqlite3.connect(store.db_path) as db:
        assert db.execute("SELECT count(*) FROM versions").fetchone()[0] == 2
