"""Teams over real HTTP: Activities posted to /api/messages on loopback, replies read from the response
(deliveryMode expectReplies) or from a fake connector service on loopback (the Activity's serviceUrl)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.teams.mount import build_mount
from adapters.teams.settings import TeamsSettings
from bot.serve import create_app
from tests.fakes.teams_connector import FakeConnector
from tests.scenario.live import LiveServer, request

QUESTION = "Can I share my password with my assistant?"
DRAFT = "John Smith is a crook and a liar"


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    fake = FakeConnector().start()
    yield fake
    fake.stop()


@pytest.fixture
def server(settings, fake_assistant) -> Iterator[LiveServer]:
    mount, note = build_mount(settings, teams=TeamsSettings(_env_file=None, id=""))
    assert mount is not None and "UNAUTHENTICATED" in note
    with LiveServer(create_app(settings, lambda: fake_assistant, [mount])) as live:
        yield live.wait_ready()


def activity(service_url: str, text: str = "", conversation_type: str = "personal", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "id": "msg-1",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:user", "name": "Cllr Jones", "aadObjectId": "aad-1"},
        "recipient": {"id": "28:bot", "name": "Guide"},
        "conversation": {"id": f"conv-{conversation_type}", "conversationType": conversation_type, "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}},
        "text": text,
    }
    body.update(extra)
    return body


def card_of(posted: dict[str, Any]) -> dict[str, Any]:
    [attachment] = posted["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def test_personal_question_reply_reaches_the_connector(server: LiveServer, connector: FakeConnector, fake_assistant) -> None:
    response = request(server.port, "POST", "/api/messages", activity(connector.url, QUESTION))
    assert response.status == 201
    [posted] = connector.wait_for(1)
    assert posted.conversation_id == "conv-personal" and posted.reply_to_id == "msg-1"
    expected = fake_assistant.ask(QUESTION).results[0]
    assert expected.passage in card_of(posted.activity)["fallbackText"]


def test_expect_replies_returns_the_card_in_the_response(server: LiveServer, connector: FakeConnector, fake_assistant) -> None:
    response = request(server.port, "POST", "/api/messages", activity(connector.url, f"check: {DRAFT}", deliveryMode="expectReplies"))
    assert response.status == 200
    [reply] = response.json()["activities"]
    card = card_of(reply)
    assert len(fake_assistant.check(DRAFT).flags) == sum(1 for item in card["body"] if item.get("type") == "Container")
    assert connector.posted == []


def test_channel_mention_answers_in_the_thread(server: LiveServer, connector: FakeConnector, fake_assistant) -> None:
    mention = {"type": "mention", "text": "<at>Guide</at>", "mentioned": {"id": "28:bot", "name": "Guide"}}
    body = activity(connector.url, f"<at>Guide</at> {QUESTION}", "channel", entities=[mention])
    body["conversation"]["id"] = "19:abc@thread.tacv2;messageid=msg-1"
    assert request(server.port, "POST", "/api/messages", body).status == 201
    [posted] = connector.wait_for(1)
    assert posted.reply_to_id == "msg-1"
    assert fake_assistant.ask(QUESTION).results[0].passage in card_of(posted.activity)["fallbackText"]


def test_channel_draft_check_goes_to_a_private_chat(server: LiveServer, connector: FakeConnector) -> None:
    mention = {"type": "mention", "text": "<at>Guide</at>", "mentioned": {"id": "28:bot", "name": "Guide"}}
    body = activity(connector.url, f"<at>Guide</at> check: {DRAFT}", "channel", entities=[mention])
    assert request(server.port, "POST", "/api/messages", body).status == 201
    posts = connector.wait_for(2)
    [created] = connector.created
    assert created["members"] == [{"id": "29:user"}] and created["isGroup"] is False
    private = [p for p in posts if p.conversation_id == "a:private-1"]
    public = [p for p in posts if p.conversation_id == "conv-channel"]
    assert len(private) == 1 and "risk" in card_of(private[0].activity)["fallbackText"]
    assert len(public) == 1 and "private chat" in public[0].activity["text"] and not public[0].activity.get("attachments")


def test_welcome_card_on_install(server: LiveServer, connector: FakeConnector) -> None:
    body = activity(connector.url, type="conversationUpdate", membersAdded=[{"id": "28:bot"}])
    assert request(server.port, "POST", "/api/messages", body).status == 201
    [posted] = connector.wait_for(1)
    assert "guidance" in card_of(posted.activity)["body"][0]["text"].lower()


def test_message_extension_invoke_returns_its_card_and_posts_nothing(server: LiveServer, connector: FakeConnector, fake_assistant) -> None:
    value = {"commandId": "checkPost", "commandContext": "message", "messagePayload": {"body": {"contentType": "html", "content": f"<p>{DRAFT}</p>"}}}
    body = activity(connector.url, type="invoke", name="composeExtension/fetchTask", value=value)
    response = request(server.port, "POST", "/api/messages", body)
    assert response.status == 200
    task = response.json()["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Check this post"
    card = task["value"]["card"]["content"]
    assert len(fake_assistant.check(DRAFT).flags) == sum(1 for item in card["body"] if item.get("type") == "Container")
    assert connector.posted == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{}", {"Content-Type": "text/plain"}, 415),
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b"[1, 2]", {"Content-Type": "application/json"}, 400),
        (b'{"text": "no type"}', {"Content-Type": "application/json"}, 400),
    ],
)
def test_bad_requests_get_a_clear_status(server: LiveServer, body: bytes, headers: dict[str, str], status: int) -> None:
    response = request(server.port, "POST", "/api/messages", body, headers)
    assert response.status == status
    assert response.json()["error"]


def test_unauthenticated_teams_is_refused_off_loopback(settings) -> None:
    off = settings.model_copy(update={"host": "0.0.0.0"})
    mount, note = build_mount(off, teams=TeamsSettings(_env_file=None, id=""))
    assert mount is None and "MICROSOFT_APP_ID" in note


def test_feedback_button_is_recorded_in_the_feedback_log(server: LiveServer, connector: FakeConnector, fake_assistant) -> None:
    from bot.reload import FEEDBACK_KEY

    answer = request(server.port, "POST", "/api/messages", activity(connector.url, QUESTION, deliveryMode="expectReplies")).json()
    [helpful] = [a for a in card_of(answer["activities"][0])["actions"] if a["title"] == "Helpful"]
    response = request(server.port, "POST", "/api/messages", activity(connector.url, value=helpful["data"]))
    assert response.status == 201
    [thanks] = connector.wait_for(1)
    assert "recorded" in thanks.activity["text"]
    with server.app[FEEDBACK_KEY].store.connect() as db:
        rows = db.execute("SELECT platform, helpful, section_id FROM feedback").fetchall()
    assert [tuple(r) for r in rows] == [("teams", 1, fake_assistant.ask(QUESTION).results[0].section_id)]
