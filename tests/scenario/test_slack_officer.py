"""Officers in Slack end to end over loopback: a guidance file sent in a DM is downloaded from the fake
Web API with the bot token, previewed, published (announced in the configured channel) or cancelled;
`/guidance history` and `rollback` work for officers and are refused (and audited) for members; and
what members asked reaches the FeedbackLog redacted, while drafts never do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.feedback import FeedbackLog
from bot.officer import REFUSAL, OfficerDesk
from bot.officer_results import Actor
from bot.settings import Settings
from knowledge.store import GuidanceStore
from tests.fakes.slack_api import FakeSlackApi, SlackSender, all_text, buttons, serve_with_slack
from tests.scenario.live import LiveServer

SECRET = "officer-secret"
OFFICER, MEMBER = "UOFFICER1", "UMEMBER01"
ANNOUNCE = "CANNOUNCE1"
V2 = (Path(__file__).resolve().parents[1] / "data" / "guidance-v2.md").read_bytes()
UNANSWERED = "Where can I renew the parking permit for jo.bloggs@example.com?"
TIKTOK = "Can I post TikTok videos and Instagram Reels?"


@pytest.fixture
def stack(tmp_path: Path, assistant) -> Iterator[tuple[LiveServer, FakeSlackApi, SlackSender, Path]]:  # type: ignore[no-untyped-def]
    """A fresh data dir per test: publishing changes the store."""
    with serve_with_slack(assistant, tmp_path, SECRET, own_votes=False, officers=f"slack:{OFFICER}", announce_channel=ANNOUNCE) as (server, fake, sender, _):
        yield server, fake, sender, tmp_path


def _dm(text: str, user: str = MEMBER, **extra: Any) -> dict[str, Any]:
    channel = "D" + user[1:]
    return {"type": "message", "channel_type": "im", "channel": channel, "user": user, "ts": f"{time.time():.6f}", "text": text, **extra}


def _upload(fake: FakeSlackApi, sender: SlackSender, user: str, name: str = "guidance-v2.md", data: bytes = V2) -> dict[str, Any]:
    """Send a file to the bot in a DM as Slack does (message.im, subtype file_share); the bot's reply."""
    file = fake.add_file(name, data, mimetype="text/markdown")
    assert sender.event(_dm("", user, subtype="file_share", files=[file], upload=True)).status == 200
    return fake.wait_calls("chat.postMessage")[0].params


def _click(fake: FakeSlackApi, sender: SlackSender, user: str, action_id: str, value: str) -> dict[str, Any]:
    payload = {
        "type": "block_actions", "user": {"id": user, "name": "jo.officer"}, "trigger_id": "1.2",
        "response_url": fake.response_url(action_id), "channel": {"id": "D" + user[1:]},
        "container": {"type": "message", "channel_id": "D" + user[1:], "message_ts": "1.1"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "officer_preview", "value": value, "action_ts": "1.3"}],
    }
    assert sender.interactive(payload).status == 200
    return fake.wait_calls("response_url")[0].params


def _command(fake: FakeSlackApi, sender: SlackSender, text: str, user: str) -> dict[str, Any]:
    fake.reset()
    assert sender.command(text, fake.response_url("cmd"), user=user).status == 200
    return fake.wait_calls("response_url")[0].params


def test_officer_uploads_previews_and_publishes_with_an_announcement(stack) -> None:  # type: ignore[no-untyped-def]
    server, fake, sender, data_dir = stack
    preview = _upload(fake, sender, OFFICER)
    download = fake.wait_calls("file.download")[0]
    assert download.token == "xoxb-test", "the file is fetched with the bot token"
    assert preview["channel"] == "D" + OFFICER[1:]
    shown = all_text(preview["blocks"])
    assert "would become guidance version 2" in shown and "(now version 1)" in shown
    added = next(line for line in shown.splitlines() if line.startswith("*Added:*"))
    assert "Short-form video" in added
    assert "Copyright" in next(line for line in shown.splitlines() if line.startswith("*Changed:*"))
    assert "+## Short-form video" in shown, "a diff excerpt is shown"
    assert all(len(b["text"]["text"]) <= 3000 for b in preview["blocks"] if b["type"] == "section")
    values = buttons(preview["blocks"])
    assert values["guidance_publish"] == values["guidance_cancel"] != ""
    store = GuidanceStore(data_dir)
    assert store.current_number() == 1, "a preview changes nothing"

    fake.reset()
    done = _click(fake, sender, OFFICER, "guidance_publish", values["guidance_publish"])
    assert done["replace_original"] is True and "Version 2 is now current" in all_text(done["blocks"])
    assert store.current_number() == 2 and store.versions()[-1].published_by == "jo.officer (slack:UOFFICER1)"
    announced = fake.wait_calls("chat.postMessage")[0].params
    assert announced["channel"] == ANNOUNCE and "version 2" in announced["text"] and "Short-form video" in announced["text"]
    assert f"Announced in {ANNOUNCE}" in all_text(done["blocks"])

    fake.reset()  # the running server answers from version 2 without a restart (timed in test_hot_reload)
    deadline = time.monotonic() + 20  # generous: the machine is shared
    while True:
        assert sender.event(_dm(TIKTOK)).status == 200
        answer = fake.wait_calls("chat.postMessage")[-1].params
        if "Guidance version 2" in all_text(answer["blocks"]) or time.monotonic() > deadline:
            break
        fake.reset()
        time.sleep(0.25)
    assert "Guidance version 2" in all_text(answer["blocks"]) and "Short-form video" in all_text(answer["blocks"])


def test_cancel_leaves_version_1_and_the_preview_cannot_be_published_after(stack) -> None:  # type: ignore[no-untyped-def]
    _, fake, sender, data_dir = stack
    preview_id = buttons(_upload(fake, sender, OFFICER)["blocks"])["guidance_cancel"]
    fake.reset()
    cancelled = _click(fake, sender, OFFICER, "guidance_cancel", preview_id)
    assert "Cancelled: nothing was published" in cancelled["text"]
    fake.reset()
    late = _click(fake, sender, OFFICER, "guidance_publish", preview_id)
    assert "expired or was already used" in late["text"]
    assert GuidanceStore(data_dir).current_number() == 1 and len(GuidanceStore(data_dir).versions()) == 1
    assert not fake.called("chat.postMessage"), "nothing announced"


def test_a_member_upload_or_publish_click_is_refused_audited_and_changes_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    _, fake, sender, data_dir = stack
    refused = _upload(fake, sender, MEMBER)
    assert refused["text"] == REFUSAL and "guidance_publish" not in buttons(refused["blocks"])
    assert not fake.called("file.download"), "a member's file is never downloaded"
    store = GuidanceStore(data_dir)
    entry = store.audit_log()[-1]
    assert entry.actor == f"slack:{MEMBER}" and entry.outcome == "refused: not an officer" and entry.detail == "guidance-v2.md"

    fake.reset()  # a member who gets hold of a preview id still cannot publish it
    preview_id = buttons(_upload(fake, sender, OFFICER)["blocks"])["guidance_publish"]
    fake.reset()
    click = _click(fake, sender, MEMBER, "guidance_publish", preview_id)
    assert click["text"] == REFUSAL and click["replace_original"] is False
    assert store.current_number() == 1 and store.audit_log()[-1].outcome == "refused: not an officer"
    time.sleep(0.2)
    assert not fake.called("chat.postMessage")


def test_a_bad_file_gets_the_reason_and_changes_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    _, fake, sender, data_dir = stack
    reply = _upload(fake, sender, OFFICER, name="budget.xlsx", data=b"PK\x03\x04 not guidance")
    assert reply["text"].startswith("Not published:") and ".xlsx" in reply["text"]
    fake.reset()
    big = fake.add_file("huge.md", b"# Big\n", size=6 * 1024 * 1024)
    sender.event(_dm("", OFFICER, subtype="file_share", files=[big]))
    assert "limit is 5 MB" in fake.wait_calls("chat.postMessage")[0].params["text"]
    assert not fake.called("file.download"), "a file over the limit is not downloaded"
    store = GuidanceStore(data_dir)
    assert store.current_number() == 1 and store.audit_log()[-1].outcome.startswith("refused: huge.md is 6.0 MB")


def test_history_and_rollback_for_officers_refused_for_members(stack, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    _, fake, sender, data_dir = stack
    store = GuidanceStore(data_dir)
    OfficerDesk(store, frozenset(), embedder=lambda: fake_embedder, local=True).publish(Actor("cli", "", "Jo"), data=V2, filename="guidance-v2.md")
    assert store.current_number() == 2

    history = _command(fake, sender, "history", OFFICER)
    assert history["response_type"] == "ephemeral" and "v2 (current)" in history["text"] and "v1 ·" in history["text"]
    for text in ("history", "rollback 1"):
        refused = _command(fake, sender, text, MEMBER)
        assert refused["text"] == REFUSAL
    assert store.current_number() == 2
    assert [e.outcome for e in store.audit_log()[-2:]] == ["refused: not an officer"] * 2

    rolled = _command(fake, sender, "rollback 1", OFFICER)
    assert "Version 1 is now current" in all_text(rolled["blocks"]) and store.current_number() == 1
    announced = fake.wait_calls("chat.postMessage")[0].params
    assert announced["channel"] == ANNOUNCE and "rolled back to version 1" in announced["text"]

    fake.reset()  # the same as plain DM text
    assert sender.event(_dm("history", OFFICER)).status == 200
    assert "v1 (current)" in fake.wait_calls("chat.postMessage")[0].params["text"]
    how = _command(fake, sender, "publish", OFFICER)
    assert "Send me the guidance file" in how["text"]


def test_member_commands_still_reach_the_assistant(stack, assistant) -> None:  # type: ignore[no-untyped-def]
    _, fake, sender, _ = stack
    help_text = _command(fake, sender, "help", MEMBER)["text"]
    assert "check:" in help_text and "rollback" not in help_text
    assert "rollback" in _command(fake, sender, "help", OFFICER)["text"], "officers also see their commands"
    asked = _command(fake, sender, TIKTOK, MEMBER)
    assert "Guidance version 1" in all_text(asked["blocks"])
    checked = _command(fake, sender, "check Councillor Smith is a liar", MEMBER)
    assert "risk" in checked["text"].lower()
    fake.reset()
    sender.event(_dm("history", MEMBER))  # for a member, a DM "history" is a question, not a refusal
    assert fake.wait_calls("chat.postMessage")[0].params["text"] != REFUSAL


def test_what_members_asked_is_recorded_redacted_and_drafts_never(stack) -> None:  # type: ignore[no-untyped-def]
    _, fake, sender, data_dir = stack
    sender.event(_dm(f"check: {UNANSWERED} Smith is a liar"))
    sender.event(_dm(UNANSWERED))
    fake.wait_calls("chat.postMessage", 2)
    assert sender.command(f"check {UNANSWERED}", fake.response_url("draft"), user=MEMBER).status == 200
    assert sender.command(UNANSWERED.replace("Where", "Where on earth"), fake.response_url("question"), user=MEMBER).status == 200
    fake.wait_calls("response_url", 2)
    deadline = time.monotonic() + 5
    rows: list[tuple] = []
    while time.monotonic() < deadline and len(rows) < 2:
        with FeedbackLog(data_dir).store.connect() as db:
            rows = [tuple(r) for r in db.execute("SELECT platform, question, guidance_version FROM unanswered")]
        time.sleep(0.05)
    time.sleep(0.3)
    with FeedbackLog(data_dir).store.connect() as db:
        rows = [tuple(r) for r in db.execute("SELECT platform, question, guidance_version FROM unanswered")]
        member = db.execute("SELECT member FROM unanswered").fetchone()[0]
    assert sorted(rows) == [
        ("slack", "Where can I renew the parking permit for [email]?", "1"),
        ("slack", "Where on earth can I renew the parking permit for [email]?", "1"),
    ], "the DM and the slash-command question, redacted; neither draft"
    assert MEMBER not in member


def test_the_web_chat_records_what_members_asked_the_same_way(tmp_path: Path, assistant) -> None:  # type: ignore[no-untyped-def]
    """bot/http_api.py api_ask hands each result to the same FeedbackLog (platform "web")."""
    from bot.serve import create_app
    from tests.scenario.live import request

    with LiveServer(create_app(Settings(data_dir=tmp_path), lambda: assistant)) as server:
        server.wait_ready()
        assert request(server.port, "POST", "/api/ask", {"q": UNANSWERED}).json()["answered"] is False
        assert request(server.port, "POST", "/api/ask", {"q": TIKTOK}).json()["answered"] is True
        assert request(server.port, "POST", "/api/check", {"text": UNANSWERED}).status == 200
    with FeedbackLog(tmp_path).store.connect() as db:
        rows = [tuple(r) for r in db.execute("SELECT platform, question FROM unanswered")]
    assert rows == [("web", "Where can I renew the parking permit for [email]?")]
