"""Slack payloads -> IncomingMessage, ignore rules, retry de-duplication and vote values (pure functions)."""

from __future__ import annotations

import pytest

from adapters.slack.translate import (
    SeenEvents,
    command_to_incoming,
    is_ignored_message,
    mention_to_incoming,
    message_to_incoming,
    modal_draft,
    parse_vote,
    retry_number,
    shortcut_message_to_incoming,
    thread_of,
    vote_value,
)
from bot.routing import route


def test_a_dm_keeps_its_text_and_is_not_in_a_channel() -> None:
    msg = message_to_incoming({"type": "message", "channel_type": "im", "user": "U1", "text": "check: great turnout &amp; thanks <https://x.org|x.org>"})
    assert msg.platform == "slack" and msg.user_id == "slack:U1" and not msg.in_channel and msg.force is None
    assert msg.text == "check: great turnout & thanks x.org"
    assert route(msg).kind == "draft"


def test_a_mention_drops_the_bot_and_is_in_a_channel_so_checks_are_private() -> None:
    msg = mention_to_incoming({"type": "app_mention", "user": "U2", "text": "<@UBOT> check: my password is hunter2", "ts": "1.2"})
    assert msg.in_channel and msg.text == "check: my password is hunter2" and route(msg).kind == "draft"
    assert thread_of({"ts": "1.2"}) == "1.2" and thread_of({"ts": "1.3", "thread_ts": "1.0"}) == "1.0"


@pytest.mark.parametrize(
    "event",
    [
        {"user": "U1", "text": "x", "subtype": "message_changed"},
        {"user": "U1", "text": "x", "subtype": "message_deleted"},
        {"user": "U1", "text": "x", "bot_id": "B1"},
        {"text": "x", "subtype": "bot_message"},
        {"user": "U1", "text": "x", "edited": {"user": "U1", "ts": "2"}},
        {"user": "U1"},
        {"text": "no user"},
    ],
)
def test_bot_posts_edits_and_subtypes_are_ignored(event: dict) -> None:
    assert is_ignored_message(event)


def test_a_plain_person_message_is_not_ignored() -> None:
    assert not is_ignored_message({"user": "U1", "text": "can I tweet?", "channel_type": "im"})


@pytest.mark.parametrize(
    ("text", "force", "expected"),
    [
        ("can I tweet about planning?", "question", "can I tweet about planning?"),
        ("ask: is this ok", "question", "is this ok"),
        ("check Great night at the hustings!", "draft", "Great night at the hustings!"),
        ("check: my password is x", "draft", "my password is x"),
        ("CHECK - a post", "draft", "a post"),
        ("checklist for posting?", "question", "checklist for posting?"),
    ],
)
def test_slash_command_forms(text: str, force: str, expected: str) -> None:
    msg = command_to_incoming({"text": text, "user_id": "U1", "channel_id": "C1"})
    assert (msg.force, msg.text, msg.in_channel) == (force, expected, True)


@pytest.mark.parametrize("text", ["", "help", " HELP ", "?"])
def test_slash_command_help(text: str) -> None:
    msg = command_to_incoming({"text": text, "user_id": "U1", "channel_id": "D1"})
    assert route(msg).kind == "help" and not msg.in_channel


def test_message_shortcut_always_checks_the_message_as_a_draft_for_the_user_who_used_it() -> None:
    msg = shortcut_message_to_incoming({"user": {"id": "U9"}, "message": {"user": "U2", "text": "Is this a question?"}})
    assert msg.force == "draft" and msg.user_id == "slack:U9" and msg.in_channel and route(msg).kind == "draft"


def test_modal_draft_reads_the_input_and_tolerates_missing_state() -> None:
    view = {"state": {"values": {"draft": {"draft_text": {"value": "my post"}}}}}
    assert modal_draft(view, "draft", "draft_text") == "my post"
    assert modal_draft({}, "draft", "draft_text") == "" and modal_draft({"state": {"values": {"draft": {"draft_text": {"value": None}}}}}, "draft", "draft_text") == ""


def test_votes_round_trip_and_forged_values_are_rejected() -> None:
    vote = parse_vote(vote_value("legal-considerations/copyright", "3", "answer"))
    assert vote is not None and (vote.section_id, vote.guidance_version, vote.kind) == ("legal-considerations/copyright", "3", "answer")
    for bad in (None, "", "nope", "[1]", '{"s": 5}', '{"s": "' + "x" * 500 + '"}'):
        assert parse_vote(bad) is None


def test_retry_header_and_seen_events() -> None:
    assert retry_number({"x-slack-retry-num": ["2"]}) == 2 and retry_number({}) == 0 and retry_number({"x-slack-retry-num": ["x"]}) == 0
    seen = SeenEvents(capacity=3)
    assert seen.first_time("a") and not seen.first_time("a")
    for key in "bcd":
        assert seen.first_time(key)
    assert len(seen) == 3 and seen.first_time("a"), "the oldest id ages out: memory stays bounded"
