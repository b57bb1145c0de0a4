"""The core's behaviour through its neutral message interface, with the fake embedder."""

from __future__ import annotations

import pytest

from bot.assistant import MAX_DRAFT_CHARS, InputError
from bot.contracts import IncomingMessage


def test_greeting_gets_usage_not_abstention(fake_assistant):
    reply = fake_assistant.handle(IncomingMessage("hello"))
    assert reply.kind == "help"
    assert "check:" in reply.text


def test_question_gets_an_answer_with_version(fake_assistant):
    reply = fake_assistant.handle(IncomingMessage("share your passwords"))
    assert reply.kind == "answer" and reply.ask is not None
    assert reply.ask.guidance_version == "1"
    assert "passwords" in reply.text


def test_draft_in_channel_is_answered_privately(fake_assistant):
    reply = fake_assistant.handle(IncomingMessage("check: the password for the page is Tulip99", in_channel=True))
    assert reply.kind == "check"
    assert reply.private is True
    assert any(f.category == "password_sharing" for f in reply.check.flags)


def test_direct_message_draft_is_not_marked_private(fake_assistant):
    reply = fake_assistant.handle(IncomingMessage("check: Great turnout at the litter pick, thank you all!", in_channel=False))
    assert reply.kind == "check" and reply.private is False
    assert reply.check.flags == []
    assert "No risks" in reply.text


def test_empty_check_is_an_error_reply_not_an_exception(fake_assistant):
    reply = fake_assistant.handle(IncomingMessage("check:   "))
    assert reply.kind == "error"
    assert "empty" in reply.text


def test_offsets_survive_control_characters(fake_assistant):
    draft = "Note\x00: the password for the page is Tulip99"
    result = fake_assistant.check(draft)
    flag = result.flags[0]
    assert draft[flag.start : flag.end] == flag.evidence


def test_overlong_inputs_are_refused_with_the_limit(fake_assistant):
    with pytest.raises(InputError, match="limit"):
        fake_assistant.check("word " * (MAX_DRAFT_CHARS // 4))
    with pytest.raises(InputError, match="limit"):
        fake_assistant.ask("why " * 500)


def test_abstention_offers_at_most_three_sections(fake_assistant):
    result = fake_assistant.ask("zxqv plorb wibble")
    assert result.answered is False
    assert "monitoring officer" in result.message
    assert len(result.results) <= 3
    assert len({r.section_id for r in result.results}) == len(result.results)
