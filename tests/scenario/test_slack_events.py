"""Slack end to end over real HTTP on loopback: `serve` with the Slack mount, signed requests, and a
fake Slack Web API that records what the bot posted. Uses the fast fake assistant; what the bot posts
is compared with what the core returns for the same text, not with hard-coded guidance."""

from __future__ import annotations

import concurrent.futures
import json
import time

from adapters.slack.blocks import escape
from tests.fakes.slack_api import BOT_USER, all_text, buttons

QUESTION = "can I tweet about a planning application?"
DRAFT = "Councillor Smith is a liar and everyone knows it. My password is hunter2"


def test_mention_is_answered_in_its_thread_with_the_passage_the_core_chose(slack, assistant) -> None:
    fake, sender, _ = slack
    expected = assistant.ask(QUESTION)
    assert expected.answered
    mention = {"type": "app_mention", "user": "U0000001", "channel": "C0000001", "ts": "1700000100.000100", "text": f"<@{BOT_USER}> {QUESTION}"}
    assert sender.event(mention).status == 200
    posted = fake.wait_calls("chat.postMessage")
    assert len(posted) == 1
    params = posted[0].params
    assert params["channel"] == "C0000001" and params["thread_ts"] == "1700000100.000100"
    shown = all_text(params["blocks"])
    assert escape(expected.results[0].passage) in shown and expected.results[0].title in shown
    assert f"Guidance version {expected.guidance_version}" in shown and params["text"]
    actions = buttons(params["blocks"])
    assert {"feedback_helpful", "feedback_not_helpful", "show_section", "switch_to_draft"} <= set(actions)
    assert actions["show_section"] == expected.results[0].section_id
    assert not fake.called("chat.postEphemeral")


def test_direct_message_draft_gets_its_flags_and_the_words_that_raised_them(slack, assistant) -> None:
    fake, sender, _ = slack
    flags = assistant.check(DRAFT).flags
    assert {f.category for f in flags} >= {"defamation", "password_sharing"}
    dm = {"type": "message", "channel_type": "im", "channel": "D0000001", "user": "U0000001", "ts": "1700000200.0001", "text": f"check: {DRAFT}"}
    assert sender.event(dm).status == 200
    params = fake.wait_calls("chat.postMessage")[0].params
    assert params["channel"] == "D0000001" and "thread_ts" not in params
    shown = all_text(params["blocks"])
    for flag in flags:
        assert flag.category.replace("_", " ").capitalize() in shown and escape(flag.evidence) in shown and escape(flag.advice) in shown
    assert "switch_to_question" in buttons(params["blocks"])


def test_a_draft_checked_from_a_channel_is_answered_only_to_the_author(slack) -> None:
    fake, sender, _ = slack
    mention = {"type": "app_mention", "user": "U0000002", "channel": "C0000001", "ts": "1700000300.0001", "text": f"<@{BOT_USER}> check: {DRAFT}"}
    assert sender.event(mention).status == 200
    eph = fake.wait_calls("chat.postEphemeral")[0].params
    assert eph["user"] == "U0000002" and eph["channel"] == "C0000001" and "liar" in all_text(eph["blocks"])
    time.sleep(0.3)
    assert not fake.called("chat.postMessage")


def test_bot_messages_edits_and_own_posts_are_ignored(slack) -> None:
    fake, sender, _ = slack
    base = {"type": "message", "channel_type": "im", "channel": "D0000001", "ts": "1700000400.0001", "text": "can I tweet?"}
    for extra in ({"user": BOT_USER}, {"user": "U1", "bot_id": "B999"}, {"user": "U1", "subtype": "message_changed"}, {"subtype": "bot_message", "bot_id": "B1"}):
        assert sender.event({**base, **extra}).status == 200
    time.sleep(0.5)
    assert not fake.called("chat.postMessage")


def test_bad_signature_and_stale_timestamp_get_401_and_no_reply(slack) -> None:
    fake, sender, _ = slack
    dm = {"type": "message", "channel_type": "im", "channel": "D0000009", "user": "U0000001", "ts": "1.1", "text": QUESTION}
    assert sender.event(dm, secret="not-the-secret").status == 401
    assert sender.event(dm, timestamp=int(time.time()) - 6 * 60).status == 401
    assert sender.post("{}", "application/json", secret="nope").status == 401
    time.sleep(0.3)
    assert not fake.called("chat.postMessage")


def test_url_verification_echoes_the_challenge(slack) -> None:
    _, sender, _ = slack
    answer = sender.post(json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}), "application/json")
    assert answer.status == 200 and answer.json() == {"challenge": "abc123"}


def test_a_retried_event_is_answered_once(slack) -> None:
    fake, sender, _ = slack
    dm = {"type": "message", "channel_type": "im", "channel": "D0000003", "user": "U0000001", "ts": "1700000500.0001", "text": QUESTION}
    assert sender.event(dm, event_id="EvRETRY1").status == 200
    assert sender.event(dm, event_id="EvRETRY1", retry=1).status == 200
    assert sender.event(dm, event_id="EvRETRY1", retry=2).status == 200
    fake.wait_calls("chat.postMessage")
    time.sleep(0.5)
    assert len(fake.called("chat.postMessage")) == 1


def test_a_burst_of_50_events_is_all_answered_exactly_once(slack) -> None:
    fake, sender, _ = slack
    events = [
        {"type": "message", "channel_type": "im", "channel": f"D{n:07d}", "user": f"U{n:07d}", "ts": f"1700000600.{n:04d}", "text": QUESTION}
        for n in range(50)
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(lambda e: sender.event(e).status, events))
    assert statuses == [200] * 50
    fake.wait_calls("chat.postMessage", 50, timeout=60)
    time.sleep(0.5)
    channels = [c.params["channel"] for c in fake.called("chat.postMessage")]
    assert sorted(channels) == sorted(e["channel"] for e in events), "every event answered, none twice"


def test_app_home_shows_what_the_bot_does_the_sections_version_and_examples(slack, assistant) -> None:
    fake, sender, _ = slack
    assert sender.event({"type": "app_home_opened", "user": "U0000001", "channel": "D0000001", "tab": "home"}).status == 200
    params = fake.wait_calls("views.publish")[0].params
    assert params["user_id"] == "U0000001" and params["view"]["type"] == "home"
    shown = all_text(params["view"]["blocks"])
    for section in assistant.document.sections:
        assert escape(section.title) in shown
    assert f"version {assistant.document.version_label}" in shown and assistant.document.meta.effective_date in shown
    assert "/guidance" in shown and "planning application" in shown
    assert sender.event({"type": "app_home_opened", "user": "U0000001", "channel": "D0000001", "tab": "messages"}).status == 200
    time.sleep(0.3)
    assert len(fake.called("views.publish")) == 1, "the Messages tab is not the Home tab"


def test_malformed_bodies_get_a_clear_400_not_a_server_error(slack) -> None:
    from tests.scenario.live import request

    fake, sender, _ = slack
    assert sender.post("not json", "application/json").status == 400
    bad_form = sender.post("payload=%7Bbad", "application/x-www-form-urlencoded")
    assert bad_form.status == 400 and "payload" in bad_form.json()["error"]
    binary = request(sender.port, "POST", "/slack/events", b"\xff\xfe", {"Content-Type": "application/json"})
    assert binary.status == 400 and "UTF-8" in binary.json()["error"]
    assert request(sender.port, "POST", "/slack/events", "x" * 70_000, {"Content-Type": "application/json"}).status == 413
    assert not fake.called("chat.postMessage")
