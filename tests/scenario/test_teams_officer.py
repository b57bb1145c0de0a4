"""Officer flows and what members asked, over real HTTP: Activities posted to /api/messages of a running
`serve` on loopback; replies, the announcement and the guidance file's download all go through the fake
connector service on loopback. The store, desk and feedback log are the ones serve puts on the app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.teams.mount import build_mount
from adapters.teams.settings import TeamsSettings
from adapters.teams.translate import FILE_DOWNLOAD_INFO
from bot.officer import REFUSAL
from bot.reload import FEEDBACK_KEY, OFFICER_DESK_KEY
from bot.serve import create_app
from tests.fakes.teams_connector import FakeConnector, Posted
from tests.scenario.live import LiveServer, request

V2 = (Path(__file__).resolve().parents[1] / "data" / "guidance-v2.md").read_bytes()
ANNOUNCE = "19:guidance-news@thread.tacv2"
OFFICER = {"id": "29:officer", "name": "Jo Officer", "aadObjectId": "aad-officer"}
MEMBER = {"id": "29:member", "name": "Cllr Jones", "aadObjectId": "aad-member"}
TIKTOK = "Can I post TikTok videos and Instagram Reels?"


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    fake = FakeConnector().start()
    yield fake
    fake.stop()


@pytest.fixture
def server(settings, assistant) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"officers": "teams:aad-officer", "announce_channel": f"slack:C1,teams:{ANNOUNCE}", "rate_limit_per_minute": 0})
    mount, _ = build_mount(settings, teams=TeamsSettings(_env_file=None, id=""))
    assert mount is not None
    with LiveServer(create_app(settings, lambda: assistant, [mount])) as live:
        yield live.wait_ready()


def send(server: LiveServer, connector: FakeConnector, sender: dict[str, str], **fields: Any) -> int:
    body: dict[str, Any] = {
        "type": "message", "id": "msg-1", "channelId": "msteams", "serviceUrl": connector.url,
        "from": sender, "recipient": {"id": "28:bot", "name": "Guide"},
        "conversation": {"id": "conv-personal", "conversationType": "personal", "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}}, "text": "",
    }
    body.update(fields)
    return request(server.port, "POST", "/api/messages", body).status


def next_post(connector: FakeConnector, seen: int) -> Posted:
    """The bot's next post in the personal chat (an announcement may go elsewhere first)."""
    for count in range(seen + 1, seen + 3):
        mine = [p for p in connector.wait_for(count)[seen:] if p.conversation_id == "conv-personal"]
        if mine:
            return mine[0]
    raise AssertionError("the bot posted nothing in the personal chat")


def card(posted: Posted) -> dict[str, Any]:
    [attachment] = posted.activity["attachments"]
    return attachment["content"]


def upload(server: LiveServer, connector: FakeConnector, sender: dict[str, str]) -> Posted:
    url = connector.serve_file("guidance-v2.md", V2)
    attachment = {"contentType": FILE_DOWNLOAD_INFO, "name": "guidance-v2.md", "content": {"downloadUrl": url, "uniqueId": "1", "fileType": "md"}}
    seen = len(connector.posted)
    assert send(server, connector, sender, attachments=[attachment]) == 201
    return next_post(connector, seen)


def press(server: LiveServer, connector: FakeConnector, sender: dict[str, str], preview: dict[str, Any], title: str) -> Posted:
    data = next(a["data"] for a in preview["actions"] if a["title"].startswith(title))
    seen = len(connector.posted)
    assert send(server, connector, sender, value=data) == 201
    return next_post(connector, seen)


def say(server: LiveServer, connector: FakeConnector, sender: dict[str, str], text: str) -> Posted:
    seen = len(connector.posted)
    assert send(server, connector, sender, text=text) == 201
    return next_post(connector, seen)


def test_officer_publishes_and_the_announcement_reaches_the_channel(server: LiveServer, connector: FakeConnector) -> None:
    store = server.app[OFFICER_DESK_KEY].store
    preview = upload(server, connector, OFFICER)
    assert preview.conversation_id == "conv-personal" and connector.downloads == ["guidance-v2.md"]
    shown = card(preview)
    facts = {f["title"]: f["value"] for item in shown["body"] if item["type"] == "FactSet" for f in item["facts"]}
    assert shown["body"][0]["text"] == "Preview: guidance version 2" and facts["Added"] == "Short-form video"
    assert store.current_number() == 1

    done = press(server, connector, OFFICER, shown, "Publish")
    assert "guidance version 2; it is now current" in card(done)["fallbackText"]
    assert store.current_number() == 2
    [announcement] = [p for p in connector.wait_for(len(connector.posted)) if p.conversation_id == ANNOUNCE]
    assert "updated to version 2" in announcement.activity["text"] and "New: Short-form video" in announcement.activity["text"]
    # members are then answered from the new version (the 2 s budget is test_hot_reload's; here a fresh
    # data dir may first have to build its draft model)
    assert served_within(server, "2", seconds=60.0)


def served_within(server: LiveServer, version: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if request(server.port, "POST", "/api/ask", {"q": TIKTOK}).json()["guidance_version"] == version:
            return True
        time.sleep(0.05)
    return False


def test_cancel_leaves_version_1(server: LiveServer, connector: FakeConnector) -> None:
    cancelled = press(server, connector, OFFICER, card(upload(server, connector, OFFICER)), "Cancel")
    assert card(cancelled)["fallbackText"].startswith("Cancelled")
    assert server.app[OFFICER_DESK_KEY].store.current_number() == 1
    assert not any(p.conversation_id == ANNOUNCE for p in connector.posted)


def test_member_upload_and_publish_press_are_refused_and_audited(server: LiveServer, connector: FakeConnector) -> None:
    store = server.app[OFFICER_DESK_KEY].store
    refused = upload(server, connector, MEMBER)
    assert card(refused)["fallbackText"] == REFUSAL and connector.downloads == []
    preview = card(upload(server, connector, OFFICER))
    pressed = press(server, connector, MEMBER, preview, "Publish")
    assert card(pressed)["fallbackText"] == REFUSAL
    assert store.current_number() == 1 and len(store.versions()) == 1
    refusals = [e for e in store.audit_log() if e.outcome == "refused: not an officer"]
    assert [e.actor for e in refusals] == ["Cllr Jones (teams:aad-member)"] * 2


def test_history_and_rollback_for_an_officer_not_a_member(server: LiveServer, connector: FakeConnector) -> None:
    store = server.app[OFFICER_DESK_KEY].store
    press(server, connector, OFFICER, card(upload(server, connector, OFFICER)), "Publish")
    assert card(say(server, connector, MEMBER, "history"))["fallbackText"] == REFUSAL
    assert card(say(server, connector, MEMBER, "rollback 1"))["fallbackText"] == REFUSAL
    assert store.current_number() == 2
    history = card(say(server, connector, OFFICER, "history"))["fallbackText"]
    assert history.startswith("v2 (current)") and "Jo Officer (teams:aad-officer)" in history
    rolled = say(server, connector, OFFICER, "rollback 1")
    assert card(rolled)["fallbackText"] == "Guidance version 1 is current again."
    assert store.current_number() == 1
    assert any(p.conversation_id == ANNOUNCE and "rolled back to version 1" in p.activity["text"] for p in connector.wait_for(len(connector.posted)))


def test_unanswered_question_is_stored_redacted_and_a_draft_never(server: LiveServer, connector: FakeConnector) -> None:
    question = "Will jo.bloggs@example.com get the weather forecast for Leeds tomorrow?"  # unanswered with the hashing embedder
    unanswered = say(server, connector, MEMBER, question)
    assert card(unanswered)["body"][0]["text"] == "Not covered by the guidance"
    checked = say(server, connector, MEMBER, "check: Jo Bloggs of 12 Elm Street is a crook and a liar")
    assert "risk" in card(checked)["body"][0]["text"]
    with server.app[FEEDBACK_KEY].store.connect() as db:
        stored = [tuple(r) for r in db.execute("SELECT platform, question FROM unanswered")]
        votes = [tuple(r) for r in db.execute("SELECT question FROM feedback")]
    assert len(stored) == 1 and stored[0][0] == "teams"
    assert "Leeds" in stored[0][1] and "jo.bloggs@example.com" not in stored[0][1]
    assert not any("crook" in q for _, q in stored) and votes == []
