"""Each Teams surface through botbuilder's TestAdapter, against the fast fake-embedder assistant."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity, ChannelAccount

from adapters.teams import cards
from adapters.teams.bot import PRIVATE_FAILED, GuidanceTeamsBot
from tests.fakes.teams_turns import card_of, conversation_template, run_turns

QUESTION = "Can I share my password with my assistant?"
DRAFT = "check: John Smith is a crook and a liar"


class RecordingFeedback:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def record(self, platform: str, user_id: str, helpful: bool, section_id: str, guidance_version: str, question: str) -> None:
        self.calls.append((platform, user_id, helpful, section_id, guidance_version, question))

    def record_ask(self, platform: str, user_id: str, result: Any) -> None:
        self.calls.append(("ask", platform, user_id, result.question, result.answered))


def _turns(assistant: Any, conversation_type: str, activities: list[Activity], feedback: Any = None, timeout: float = 4.5) -> list[list[Activity]]:
    """Send each activity in turn; the bot's outgoing activities for each."""
    template = conversation_template(ChannelAccount(id="29:user", name="Cllr Jones", aad_object_id="aad-1"), conversation_type)
    return run_turns(assistant, template, activities, lambda host: GuidanceTeamsBot(host, feedback, extension_timeout=timeout))


def _texts(card: Any) -> str:
    """Every string in the card, for "does the user see X" checks."""
    if isinstance(card, dict):
        return " ".join(_texts(v) for v in card.values())
    if isinstance(card, list):
        return " ".join(_texts(v) for v in card)
    return card if isinstance(card, str) else ""


def _actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in card.get("actions", [])}


def test_personal_question_gets_the_core_passage_with_buttons(fake_assistant) -> None:
    [[reply]] = _turns(fake_assistant, "personal", [Activity(type="message", text=QUESTION)])
    card = card_of(reply)
    expected = fake_assistant.ask(QUESTION).results[0]
    assert card["version"] == "1.5"
    assert card["body"][0]["text"] == cards._md(expected.title)
    assert cards._md(expected.passage) in _texts(card)
    assert expected.passage in card["fallbackText"]
    actions = _actions(card)
    assert {"Helpful", "Not helpful", cards.SHOW_SECTION, cards.AS_DRAFT} <= set(actions)
    assert actions[cards.AS_DRAFT]["data"]["text"] == QUESTION


def test_switch_button_rechecks_the_question_as_a_draft(fake_assistant) -> None:
    [[first]] = _turns(fake_assistant, "personal", [Activity(type="message", text=QUESTION)])
    data = _actions(card_of(first))[cards.AS_DRAFT]["data"]
    [[second]] = _turns(fake_assistant, "personal", [Activity(type="message", value=data)])
    card = card_of(second)
    assert "risk" in card["body"][0]["text"].lower()
    assert cards.AS_QUESTION in _actions(card)


def test_personal_draft_is_checked_with_flags_severity_and_advice(fake_assistant) -> None:
    [[reply]] = _turns(fake_assistant, "personal", [Activity(type="message", text=DRAFT)])
    card = card_of(reply)
    expected = fake_assistant.check("John Smith is a crook and a liar")
    assert expected.flags, "the fixture draft should raise flags"
    shown = _texts(card)
    for flag in expected.flags:
        assert flag.advice.split(".")[0][:40] in shown.replace("\\", "")
        assert f"{flag.severity} risk" in shown
    assert _actions(card)[cards.AS_QUESTION]["data"]["force"] == "question"
    assert all(a["data"].get("question", "") == "" for a in card["actions"] if a["title"] in ("Helpful", "Not helpful"))


def test_channel_answers_only_when_mentioned_and_replies_in_the_thread(fake_assistant) -> None:
    mention = {"type": "mention", "text": "<at>Guide</at>", "mentioned": {"id": "28:bot", "name": "Guide"}}
    unaddressed = Activity(type="message", text=QUESTION, id="m1")
    addressed = Activity(type="message", text=f"<at>Guide</at> {QUESTION}", id="m2", entities=[Activity().deserialize({"type": "x", "entities": [mention]}).entities[0]])
    ignored, answered = _turns(fake_assistant, "channel", [unaddressed, addressed])
    assert ignored == []
    [reply] = answered
    assert reply.reply_to_id == "m2"
    card = card_of(reply)
    assert cards._md(fake_assistant.ask(QUESTION).results[0].passage) in _texts(card)
    assert cards.AS_DRAFT not in _actions(card)  # the switch is for personal chat


def test_channel_draft_check_is_never_shown_in_the_channel(fake_assistant) -> None:
    mention = Activity().deserialize({"type": "x", "entities": [{"type": "mention", "text": "<at>Guide</at>", "mentioned": {"id": "28:bot"}}]}).entities[0]
    [[reply]] = _turns(fake_assistant, "channel", [Activity(type="message", text=f"<at>Guide</at> {DRAFT}", entities=[mention])])
    assert not reply.attachments
    assert reply.text == PRIVATE_FAILED  # TestAdapter has no connector to open a 1:1 chat with


def test_welcome_card_when_the_bot_is_installed(fake_assistant) -> None:
    install = Activity(type="conversationUpdate", members_added=[ChannelAccount(id="28:bot")])
    someone = Activity(type="conversationUpdate", members_added=[ChannelAccount(id="29:other", aad_object_id="x")])
    welcomed, quiet = _turns(fake_assistant, "personal", [install, someone])
    [card_activity] = welcomed
    assert "guidance" in card_of(card_activity)["body"][0]["text"].lower()
    assert quiet == []


def _invoke_body(replies: list[Activity]) -> tuple[int, Any]:
    [response] = [a for a in replies if a.type == "invokeResponse"]
    return response.value.status, response.value.body


def test_check_this_post_returns_the_check_as_a_dialogcard_of(fake_assistant) -> None:
    value = {"commandId": "checkPost", "commandContext": "message", "messagePayload": {"body": {"contentType": "html", "content": "<p>John Smith is a <b>crook</b> and a liar</p>"}}}
    [replies] = _turns(fake_assistant, "channel", [Activity(type="invoke", name="composeExtension/fetchTask", value=value)])
    assert [a.type for a in replies] == ["invokeResponse"]  # nothing posted to the channel
    status, body = _invoke_body(replies)
    assert status == 200
    task = body["task"]
    assert task["type"] == "continue"
    card = task["value"]["card"]["content"]
    assert len(fake_assistant.check("John Smith is a crook and a liar").flags) == sum(
        1 for item in card["body"] if item.get("type") == "Container"
    )


def test_check_this_post_answers_in_time_when_the_core_is_slow(fake_assistant) -> None:
    import threading
    import time

    gate = threading.Event()

    class Stuck:
        """A core that does not answer until the test is over: the reply must not wait for it."""

        def handle(self, message: Any) -> Any:
            gate.wait(timeout=20)
            return fake_assistant.handle(message)

    value = {"commandId": "checkPost", "messagePayload": {"body": {"content": "hello"}}}
    started = time.perf_counter()
    try:
        [replies] = _turns(Stuck(), "personal", [Activity(type="invoke", name="composeExtension/submitAction", value=value)], timeout=0.2)
        assert time.perf_counter() - started < 10, "the reply waited for the stuck core instead of its budget"
    finally:
        gate.set()
    _, body = _invoke_body(replies)
    assert "took too long" in _texts(body)


@pytest.mark.parametrize("helpful", [True, False])
def test_feedback_buttons_are_recorded_without_message_text(fake_assistant, helpful: bool) -> None:
    feedback = RecordingFeedback()
    [[answer]] = _turns(fake_assistant, "personal", [Activity(type="message", text=QUESTION)])
    data = _actions(card_of(answer))["Helpful" if helpful else "Not helpful"]["data"]
    [[thanks]] = _turns(fake_assistant, "personal", [Activity(type="message", value=data)], feedback)
    expected = fake_assistant.ask(QUESTION)
    assert "question" not in data  # the button carries no member text, and none is recorded (as in Slack)
    assert feedback.calls == [("teams", "teams:aad-1", helpful, expected.results[0].section_id, expected.guidance_version, "")]
    assert "thanks" in thanks.text.lower()


def test_every_question_is_recorded_and_a_draft_never_is(fake_assistant) -> None:
    feedback = RecordingFeedback()
    [[answer]] = _turns(fake_assistant, "personal", [Activity(type="message", text=QUESTION)], feedback)
    switched = _actions(card_of(answer))[cards.AS_DRAFT]["data"]
    _turns(fake_assistant, "personal", [Activity(type="message", text=DRAFT), Activity(type="message", value=switched)], feedback)
    assert feedback.calls == [("ask", "teams", "teams:aad-1", QUESTION, fake_assistant.ask(QUESTION).answered)]


def test_show_the_whole_section(fake_assistant) -> None:
    [[answer]] = _turns(fake_assistant, "personal", [Activity(type="message", text=QUESTION)])
    data = _actions(card_of(answer))[cards.SHOW_SECTION]["data"]
    [[section]] = _turns(fake_assistant, "personal", [Activity(type="message", value=data)])
    whole = fake_assistant.whole_section(data["sectionId"])
    assert whole.kind == "section"
    shown = _texts(card_of(section))
    assert all(cards._md(p) in shown for p in whole.section.passages)


def test_action_execute_invoke_replaces_thecard_of(fake_assistant) -> None:
    section_id = fake_assistant.ask(QUESTION).results[0].section_id
    value = {"action": {"type": "Action.Execute", "data": {"guidanceAction": "section", "sectionId": section_id}}}
    [replies] = _turns(fake_assistant, "personal", [Activity(type="invoke", name="adaptiveCard/action", value=value)])
    status, body = _invoke_body(replies)
    assert status == 200 and body["type"] == cards.CONTENT_TYPE
    assert body["value"]["fallbackText"] == fake_assistant.whole_section(section_id).text


def test_stale_or_foreign_button_data_gets_a_clear_message(fake_assistant) -> None:
    [[reply]] = _turns(fake_assistant, "personal", [Activity(type="message", value={"something": "else"})])
    assert "older version" in reply.text


def test_buttons_on_the_check_dialog_come_back_as_submit_action(fake_assistant) -> None:
    feedback = RecordingFeedback()
    post = {"commandId": "checkPost", "messagePayload": {"body": {"content": "John Smith is a crook and a liar"}}}
    [opened] = _turns(fake_assistant, "personal", [Activity(type="invoke", name="composeExtension/fetchTask", value=post)])
    card = _invoke_body(opened)[1]["task"]["value"]["card"]["content"]
    section = next(a for c in card["body"] if c.get("type") == "Container" for i in c["items"] if i["type"] == "ActionSet" for a in i["actions"])
    helpful = _actions(card)["Helpful"]
    pressed = [
        Activity(type="invoke", name="composeExtension/submitAction", value={**post, "data": section["data"]}),
        Activity(type="invoke", name="composeExtension/submitAction", value={**post, "data": helpful["data"]}),
    ]
    shown, thanked = _turns(fake_assistant, "personal", pressed, feedback)
    whole = fake_assistant.whole_section(section["data"]["sectionId"])
    assert _invoke_body(shown)[1]["task"]["value"]["card"]["content"]["fallbackText"] == whole.text
    assert _invoke_body(thanked)[1]["task"] == {"type": "message", "value": "Thanks, your feedback has been recorded."}
    assert feedback.calls and feedback.calls[0][5] == ""  # a check's feedback never carries the draft
