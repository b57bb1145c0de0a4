"""Slack's interactive surfaces end to end over loopback: the slash command, both shortcuts and the
"Check a draft" modal, and every button under an answer (feedback, whole section, switch)."""

from __future__ import annotations

import time
from typing import Any


from adapters.slack.blocks import escape
from tests.fakes.slack_api import BOT_USER, Call, FakeSlackApi, SlackSender, all_text, buttons, serve_with_slack

SECRET = "interactive-secret"
QUESTION = "can I tweet about a planning application?"
DRAFT = "Councillor Smith is a liar and everyone knows it. My password is hunter2"


def _ask_in_thread(fake: FakeSlackApi, sender: SlackSender) -> dict[str, Any]:
    mention = {"type": "app_mention", "user": "U0000001", "channel": "C0000001", "ts": "1700000100.000100", "text": f"<@{BOT_USER}> {QUESTION}"}
    assert sender.event(mention).status == 200
    return fake.wait_calls("chat.postMessage")[0].params


def _click(sender: SlackSender, fake: FakeSlackApi, action_id: str, value: str, **where: Any) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0000001"},
        "trigger_id": "9.9.9",
        "response_url": fake.response_url("click"),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "reply_actions", "value": value, "action_ts": "1.2"}],
        "container": {"type": "message", "channel_id": "C0000001", "message_ts": "1700000100.000200"},
        "channel": {"id": "C0000001"},
        **where,
    }
    assert sender.interactive(payload).status == 200


def _responses(fake: FakeSlackApi, count: int = 1) -> list[Call]:
    return fake.wait_calls("response_url", count)


def test_slash_command_question_check_and_help_answer_privately(slack, assistant) -> None:
    fake, sender, _ = slack
    assert sender.command(QUESTION, fake.response_url("q")).status == 200
    assert sender.command(f"check {DRAFT}", fake.response_url("c")).status == 200
    assert sender.command("help", fake.response_url("h")).status == 200
    by_key = {c.params["key"]: c.params for c in _responses(fake, 3)}
    assert all(p["response_type"] == "ephemeral" for p in by_key.values())
    assert escape(assistant.ask(QUESTION).results[0].passage) in all_text(by_key["q"]["blocks"])
    for flag in assistant.check(DRAFT).flags:
        assert escape(flag.evidence) in all_text(by_key["c"]["blocks"])
    assert "check:" in by_key["h"]["text"]
    assert not fake.called("chat.postMessage"), "slash command answers never go to the channel"


def test_message_shortcut_result_goes_only_to_whoever_used_it(slack, assistant) -> None:
    fake, sender, _ = slack
    payload = {
        "type": "message_action", "callback_id": "check_this_post", "trigger_id": "1.1", "user": {"id": "U0000007"},
        "channel": {"id": "C0000001"}, "message": {"type": "message", "user": "U0000002", "ts": "1.5", "text": DRAFT},
        "response_url": fake.response_url("shortcut"), "message_ts": "1.5",
    }
    assert sender.interactive(payload).status == 200
    eph = fake.wait_calls("chat.postEphemeral")[0].params
    assert eph["channel"] == "C0000001" and eph["user"] == "U0000007"
    assert escape(assistant.check(DRAFT).flags[0].evidence) in all_text(eph["blocks"])
    fake.reset()
    fake.fail["chat.postEphemeral"] = "not_in_channel"  # the bot is not in that channel: DM instead
    assert sender.interactive(payload).status == 200
    posted = fake.wait_calls("chat.postMessage")[0].params
    assert fake.called("conversations.open")[0].params["users"] == "U0000007"
    assert posted["channel"].startswith("D") and "liar" in all_text(posted["blocks"])


def test_global_shortcut_opens_a_modal_and_shows_the_result_in_it(slack, assistant) -> None:
    fake, sender, _ = slack
    assert sender.interactive({"type": "shortcut", "callback_id": "check_a_draft", "trigger_id": "77.1", "user": {"id": "U0000001"}}).status == 200
    opened = fake.wait_calls("views.open")[0].params
    assert opened["trigger_id"] == "77.1" and opened["view"]["callback_id"] == "check_draft_modal"
    assert opened["view"]["blocks"][0]["element"]["multiline"] is True
    view = {"id": "V0000042", "type": "modal", "callback_id": "check_draft_modal", "state": {"values": {"draft": {"draft_text": {"type": "plain_text_input", "value": DRAFT}}}}}
    submitted = sender.interactive({"type": "view_submission", "user": {"id": "U0000001"}, "view": view})
    assert submitted.status == 200 and submitted.json()["response_action"] == "update"
    updated = fake.wait_calls("views.update")[0].params
    assert updated["view_id"] == "V0000042"
    shown = all_text(updated["view"]["blocks"])
    for flag in assistant.check(DRAFT).flags:
        assert escape(flag.evidence) in shown
    empty = {**view, "state": {"values": {"draft": {"draft_text": {"type": "plain_text_input", "value": "  "}}}}}
    refused = sender.interactive({"type": "view_submission", "user": {"id": "U0000001"}, "view": empty})
    assert refused.json() == {"response_action": "errors", "errors": {"draft": "Paste the post you want checked."}}


def test_feedback_buttons_record_the_vote_without_text_and_thank_once(slack, assistant) -> None:
    fake, sender, votes = slack
    answer = _ask_in_thread(fake, sender)
    vote = buttons(answer["blocks"])["feedback_not_helpful"]
    _click(sender, fake, "feedback_not_helpful", vote, message={"text": answer["text"], "blocks": answer["blocks"]})
    replaced = _responses(fake)[0].params
    expected = assistant.ask(QUESTION)
    assert votes == [("slack", "slack:U0000001", False, expected.results[0].section_id, expected.guidance_version, "")]
    assert replaced["replace_original"] is True
    assert "feedback_helpful" not in buttons(replaced["blocks"]) and "not helpful" in all_text(replaced["blocks"])
    assert "show_section" in buttons(replaced["blocks"]), "the other buttons stay"
    _click(sender, fake, "feedback_helpful", "not json", message={"text": "x", "blocks": answer["blocks"]})
    _responses(fake, 2)
    assert len(votes) == 1, "a forged vote value is not recorded"


def test_show_the_whole_section_and_switch_buttons(slack, assistant) -> None:
    fake, sender, _ = slack
    answer = _ask_in_thread(fake, sender)
    values = buttons(answer["blocks"])
    _click(sender, fake, "show_section", values["show_section"])
    whole = _responses(fake)[0].params
    section = assistant.whole_section(values["show_section"]).section
    assert section is not None and whole["response_type"] == "ephemeral"
    for passage in section.passages:
        assert escape(passage) in all_text(whole["blocks"])
    fake.reset()
    assert values["switch_to_draft"] == QUESTION
    _click(sender, fake, "switch_to_draft", values["switch_to_draft"], channel={"id": "D0000001"}, container={"type": "message", "channel_id": "D0000001"})
    checked = fake.wait_calls("chat.postMessage")[0].params
    assert checked["channel"] == "D0000001" and "switch_to_question" in buttons(checked["blocks"])
    assert "risk" in checked["text"].lower()


def test_buttons_inside_the_modal_update_it(slack) -> None:
    fake, sender, votes = slack
    view = {"id": "V0000043", "type": "modal", "callback_id": "check_draft_modal", "state": {"values": {"draft": {"draft_text": {"type": "plain_text_input", "value": DRAFT}}}}}
    sender.interactive({"type": "view_submission", "user": {"id": "U0000001"}, "view": view})
    result = fake.wait_calls("views.update")[0].params["view"]
    in_view = {"type": "block_actions", "user": {"id": "U0000001"}, "trigger_id": "5.5", "container": {"type": "view", "view_id": "V0000043"}, "view": {**result, "id": "V0000043"}}
    values = buttons(result["blocks"])
    sender.interactive({**in_view, "actions": [{"type": "button", "action_id": "show_section", "value": values["show_section"]}]})
    assert fake.wait_calls("views.push")[0].params["trigger_id"] == "5.5"
    sender.interactive({**in_view, "actions": [{"type": "button", "action_id": "feedback_helpful", "value": values["feedback_helpful"]}]})
    thanked = fake.wait_calls("views.update", 2)[1].params
    assert thanked["view_id"] == "V0000043" and "Thanks" in all_text(thanked["view"]["blocks"])
    assert votes and votes[0][2] is True and votes[0][5] == ""
    time.sleep(0.2)
    assert not fake.called("chat.postMessage") and not fake.called("response_url")


def test_interactive_payloads_need_a_valid_signature(slack) -> None:
    fake, sender, _ = slack
    payload = {"type": "shortcut", "callback_id": "check_a_draft", "trigger_id": "1", "user": {"id": "U1"}}
    assert sender.interactive(payload, secret="wrong").status == 401
    assert sender.interactive(payload, timestamp=int(time.time()) - 301).status == 401
    time.sleep(0.2)
    assert not fake.called("views.open")


def test_votes_reach_the_feedback_log_serve_provides(tmp_path, assistant) -> None:
    """Production wiring: no recorder passed, so the mount uses serve's FeedbackLog; no text is stored."""
    from bot.feedback import FeedbackLog

    with serve_with_slack(assistant, tmp_path, SECRET, own_votes=False) as (_server, fake, sender, _votes):
        answer = _ask_in_thread(fake, sender)
        _click(sender, fake, "feedback_helpful", buttons(answer["blocks"])["feedback_helpful"], message={"text": answer["text"], "blocks": answer["blocks"]})
        _responses(fake)
    with FeedbackLog(tmp_path).store.connect() as db:
        rows = db.execute("SELECT platform, helpful, section_id, guidance_version, question FROM feedback").fetchall()
    expected = assistant.ask(QUESTION)
    assert [tuple(r) for r in rows] == [("slack", 1, expected.results[0].section_id, expected.guidance_version, "")]
