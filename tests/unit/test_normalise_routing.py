"""Chat markup is stripped before the core sees it, and messages are routed as a member would expect."""

from __future__ import annotations

import pytest

from bot.contracts import IncomingMessage
from bot.normalise import has_words, normalise_chat
from bot.routing import route


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<@U123ABC> can I tweet about this?", "can I tweet about this?"),
        ("posting in <#C01AB|planning> ok?", "posting in #planning ok?"),
        ("see <https://example.org/a|the report> &amp; reply", "see the report & reply"),
        ("see <https://example.org/a>", "see https://example.org/a"),
        ("<at>Guidance Bot</at> can I share photos?", "can I share photos?"),
        ("<p>Can I <b>post</b> this?</p>", "Can I post this?"),
        ("tab\x00null\x07bell", "tabnullbell"),
    ],
)
def test_normalise_chat(raw, clean):
    assert normalise_chat(raw) == clean


def test_emoji_only_has_no_words():
    assert not has_words("🎉🎉 👍")
    assert has_words("👍 ok")


@pytest.mark.parametrize("text", ["hi", "Hello!", "help", "what can you do?", "thanks"])
def test_greetings_get_help(text):
    assert route(IncomingMessage(text)).kind == "help"


@pytest.mark.parametrize(
    "text",
    ["can I tweet about this planning app?", "Should I use one account for everything", "password sharing", "What about copyright?"],
)
def test_questions(text):
    assert route(IncomingMessage(text)).kind == "question"


@pytest.mark.parametrize(
    "text",
    [
        "Looking forward to the ward surgery at St Mark's Hall on Saturday, 10am to noon. All welcome!",
        "Great turnout at the litter pick today. Thanks to all our volunteers #proud",
    ],
)
def test_posts_are_checked(text):
    assert route(IncomingMessage(text)).kind == "draft"


def test_check_prefix_always_checks_and_is_removed():
    routed = route(IncomingMessage("check: Can anyone come to the meeting?"))
    assert routed.kind == "draft"
    assert routed.text == "Can anyone come to the meeting?"


def test_forced_route_wins():
    assert route(IncomingMessage("Can anyone come to the meeting?", force="draft")).kind == "draft"
    assert route(IncomingMessage("Great meeting tonight. Thanks all.", force="question")).kind == "question"
