"""The platform-free officer commands the Slack and Teams adapters call."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.officer import REFUSAL, OfficerDesk
from bot.officer_results import Actor, is_officer
from knowledge.store import GuidanceStore

V2 = (Path(__file__).resolve().parents[1] / "data" / "guidance-v2.md").read_bytes()
OFFICER = Actor("slack", "U123", "Jo Officer")
MEMBER = Actor("teams", "aad-999", "Cllr Smith")


@pytest.fixture
def desk(tmp_path: Path, fake_embedder) -> OfficerDesk:  # type: ignore[no-untyped-def]
    store = GuidanceStore.open(tmp_path / "data")
    return OfficerDesk(store, frozenset({"slack:U123", "teams:aad-1"}), embedder=lambda: fake_embedder, announce_channel="C-ANNOUNCE")


def test_is_officer_matches_platform_qualified_ids() -> None:
    officers = "slack:U123,teams:aad-1"
    assert is_officer("slack:U123", officers)
    assert is_officer("Slack:U123", frozenset({"slack:U123"}))
    assert not is_officer("teams:U123", officers)  # same id on another platform is someone else
    assert not is_officer("slack:u123", officers)  # Slack ids are case-sensitive
    assert not is_officer("slack:", officers)


def test_preview_then_publish(desk: OfficerDesk) -> None:
    shown = desk.preview(OFFICER, V2, "guidance-v2.md")
    assert shown.ok and shown.preview is not None
    p = shown.preview
    assert (p.version, p.current_version) == (2, 1)
    assert [r.section_id for r in p.added] == ["short-form-video"]
    assert [r.section_id for r in p.changed] == ["legal-considerations/copyright"]
    assert p.removed == () and "+## Short-form video" in p.diff
    assert desk.store.current_number() == 1  # a preview changes nothing

    done = desk.publish(OFFICER, p.preview_id, note="TikTok")
    assert done.ok and done.version is not None and done.version.number == 2
    assert desk.store.current_number() == 2
    assert done.announce_channel == "C-ANNOUNCE"
    assert "version 2" in done.announcement and "New: Short-form video" in done.announcement
    assert desk.store.versions()[-1].published_by == "Jo Officer (slack:U123)"
    again = desk.publish(OFFICER, p.preview_id)
    assert not again.ok and "expired or was already used" in again.text


def test_publish_refused_when_guidance_changed_since_the_preview(desk: OfficerDesk) -> None:
    first = desk.preview(OFFICER, V2, "guidance-v2.md").preview
    second = desk.preview(Actor("teams", "aad-1"), V2, "again.md").preview
    assert first and second
    assert desk.publish(OFFICER, first.preview_id).ok
    stale = desk.publish(Actor("teams", "aad-1"), second.preview_id)
    assert not stale.ok and "changed since this preview" in stale.text
    assert desk.store.current_number() == 2 and len(desk.store.versions()) == 2


def test_cancel_and_bad_files(desk: OfficerDesk) -> None:
    p = desk.preview(OFFICER, V2, "guidance-v2.md").preview
    assert p and desk.cancel(OFFICER, p.preview_id).text.startswith("Cancelled")
    assert not desk.publish(OFFICER, p.preview_id).ok
    bad = desk.preview(OFFICER, b"\x00\x01", "guidance.xlsx")
    assert not bad.ok and bad.preview is None and ".xlsx" in bad.text
    assert desk.store.audit_log()[-1].outcome.startswith("refused: guidance.xlsx is a .xlsx file")
    assert len(desk.store.versions()) == 1


def test_direct_publish_without_a_separate_preview(desk: OfficerDesk) -> None:
    done = desk.publish(OFFICER, data=V2, filename="guidance-v2.md")
    assert done.ok and desk.store.current_number() == 2


def test_history_and_rollback(desk: OfficerDesk) -> None:
    desk.publish(OFFICER, data=V2, filename="guidance-v2.md")
    history = desk.history(OFFICER)
    assert [v.number for v in history.history] == [2, 1] and "v2 (current)" in history.text
    back = desk.rollback(OFFICER, 1)
    assert back.ok and desk.store.current_number() == 1 and "rolled back to version 1" in back.announcement
    nope = desk.rollback(OFFICER, 5)
    assert not nope.ok and "no guidance version 5" in nope.text


@pytest.mark.parametrize(
    "attempt",
    [
        lambda d: d.preview(MEMBER, V2, "guidance-v2.md"),
        lambda d: d.publish(MEMBER, data=V2, filename="guidance-v2.md"),
        lambda d: d.publish(MEMBER, "some-preview-id"),
        lambda d: d.history(MEMBER),
        lambda d: d.rollback(MEMBER, 1),
        lambda d: d.cancel(MEMBER, "x"),
        lambda d: d.handle_text(MEMBER, "/guidance rollback 1"),
        lambda d: d.handle_text(MEMBER, "/guidance history"),
    ],
)
def test_non_officers_are_refused_politely_audited_and_nothing_changes(desk: OfficerDesk, attempt) -> None:  # type: ignore[no-untyped-def]
    desk.publish(OFFICER, data=V2, filename="guidance-v2.md")
    before = [v.as_dict() for v in desk.store.versions()]
    result = attempt(desk)
    assert not result.ok and result.action == "refused" and result.text == REFUSAL
    assert result.reply().kind == "error" and result.reply().private
    assert [v.as_dict() for v in desk.store.versions()] == before
    last = desk.store.audit_log()[-1]
    assert (last.actor, last.outcome) == ("Cllr Smith (teams:aad-999)", "refused: not an officer")


def test_text_commands(desk: OfficerDesk) -> None:
    assert desk.handle_text(MEMBER, "history") is None  # a member's word goes to the assistant
    assert desk.handle_text(MEMBER, "can I tweet about planning?") is None
    assert desk.handle_text(OFFICER, "can I tweet about planning?") is None
    assert desk.handle_text(OFFICER, "history").action == "history"  # type: ignore[union-attr]
    assert desk.handle_text(OFFICER, "/guidance help").action == "help"  # type: ignore[union-attr]
    assert "Send me the guidance file" in desk.handle_text(OFFICER, "/guidance publish").text  # type: ignore[union-attr]
    assert not desk.handle_text(OFFICER, "rollback").ok  # type: ignore[union-attr]
    assert not desk.handle_text(OFFICER, "/guidance frobnicate").ok  # type: ignore[union-attr]
    p = desk.preview(OFFICER, V2, "guidance-v2.md").preview
    assert p is not None
    assert desk.handle_text(OFFICER, f"publish {p.preview_id}").action == "publish"  # type: ignore[union-attr]
    rolled = desk.handle_text(OFFICER, "guidance rollback to 1")
    assert rolled is not None and rolled.ok and desk.store.current_number() == 1
    assert rolled.reply().kind == "officer"


def test_a_preview_id_starting_with_v_publishes_by_text(desk: OfficerDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    """"v2" names a version for rollback, but one preview id in 32 starts with "v" or "V": typing
    "publish vR2x..." must publish that preview, not look for "R2x..." and say it expired."""
    for preview_id in ("vR2x-k_Q9aBc", "V7qYhZ0-mmKd"):
        monkeypatch.setattr("bot.officer.secrets.token_urlsafe", lambda _n, pid=preview_id: pid)
        p = desk.preview(OFFICER, V2, "guidance-v2.md").preview
        assert p is not None and p.preview_id == preview_id
        done = desk.handle_text(OFFICER, f"publish {preview_id}")
        assert done is not None and done.action == "publish", done and done.text
        assert desk.handle_text(OFFICER, "rollback v1").action == "rollback"  # type: ignore[union-attr]
        assert desk.store.current_number() == 1
    cancel = desk.preview(OFFICER, V2, "guidance-v2.md").preview
    assert cancel is not None and desk.handle_text(OFFICER, f"cancel {cancel.preview_id}").text.startswith("Cancelled")  # type: ignore[union-attr]
    assert "Send me the guidance file" in desk.handle_text(OFFICER, "publish v").text  # type: ignore[union-attr]
    kept = desk.preview(OFFICER, V2, "guidance-v2.md").preview
    assert kept is not None and desk.handle_text(OFFICER, f"publish to {kept.preview_id}").action == "publish"  # type: ignore[union-attr]


def test_preview_names_the_passages_whose_example_questions_a_rewording_drops(desk: OfficerDesk) -> None:
    """Rewording "Don't: share your passwords" loses the example questions filed under it, which the
    officer should know before members' "can my team have my login?" stops finding it."""
    reworded = V2.replace(b"- Share your passwords", b"- Give anyone your login details")
    assert reworded != V2
    shown = desk.preview(OFFICER, reworded, "guidance-v2.md")
    assert shown.ok and shown.preview is not None
    assert shown.preview.examples_dropped == ("share your passwords",)
    assert 'Example questions no longer matched (1 passages reworded or removed: "share your passwords")' in shown.text
    untouched = desk.preview(OFFICER, V2, "guidance-v2.md")
    assert untouched.preview is not None and untouched.preview.examples_dropped == ()
    assert "Example questions" not in untouched.text
