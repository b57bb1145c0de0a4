"""Decide what a message is: a greeting or help request, a question about the guidance, or a draft post.

The rule is deliberately simple and stated to members in the help text: "check:" (or the platform's
explicit check action) always checks; otherwise a message that reads as a question is answered and
anything else is treated as a draft. Replies offer a one-click switch when the guess was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.contracts import IncomingMessage, RouteKind

_CHECK_PREFIX = re.compile(r"^\s*(?:/?check|draft|review)\s*[:\-–]\s*|^\s*/?check\s+(?=\S)", re.I)
_ASK_PREFIX = re.compile(r"^\s*(?:ask|question|q)\s*[:\-–]\s*", re.I)
_GREETINGS = {
    "hi", "hello", "hey", "hiya", "help", "start", "menu", "thanks", "thank you", "cheers", "good morning",
    "good afternoon", "good evening", "what can you do", "what do you do", "how do i use this", "who are you",
    "usage", "commands", "hi there", "hello there", "ta",
}
_QUESTION_WORDS = {
    "can", "could", "may", "might", "should", "shall", "is", "are", "am", "do", "does", "did", "what", "how",
    "when", "where", "who", "whom", "why", "which", "will", "would", "must", "have", "has", "if", "any", "whats",
    "what's", "hows", "is't", "isn't", "aren't", "can't", "cannot", "tell", "explain", "show",
}
_POST_MARKERS = re.compile(r"#\w|https?://|www\.|@\w|[!]{1}\s*$|\b(?:RT|DM me)\b")


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    text: str  # the text with any routing prefix removed


def is_greeting(text: str) -> bool:
    words = re.sub(r"[^\w\s']", " ", text.casefold()).split()
    key = " ".join(words)
    return key in _GREETINGS or (len(words) <= 3 and bool(words) and words[0] in {"hi", "hello", "hey", "help"})


def reads_as_question(text: str) -> bool:
    """A question ends with "?", opens like one, or is a short topic ("password sharing")."""
    stripped = text.strip()
    if not stripped:
        return False
    first = re.sub(r"[^\w']", "", stripped.split()[0].casefold())
    if stripped.endswith("?") and len(stripped) <= 400:
        return True
    if _POST_MARKERS.search(stripped):
        return False
    if first in _QUESTION_WORDS and len(stripped) <= 250:
        return True
    return len(stripped.split()) <= 6 and not re.search(r"[.!]\s", stripped)


def route(message: IncomingMessage) -> Route:
    text = message.text.strip()
    if message.force == "draft":
        return Route("draft", _CHECK_PREFIX.sub("", text, count=1))
    if message.force == "question":
        return Route("question", _ASK_PREFIX.sub("", text, count=1))
    if _CHECK_PREFIX.match(text):
        return Route("draft", _CHECK_PREFIX.sub("", text, count=1))
    if _ASK_PREFIX.match(text):
        return Route("question", _ASK_PREFIX.sub("", text, count=1))
    if not text or is_greeting(text):
        return Route("help", text)
    return Route("question" if reads_as_question(text) else "draft", text)
