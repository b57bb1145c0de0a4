"""Strip chat-platform markup so questions and drafts reach the core as plain text.

Slack sends `<@U123>` mentions, `<#C1|name>` channels, `<http://x|label>` links and HTML entities;
Teams sends `<at>Bot</at>` mentions and HTML. Both also carry control characters from copy and
paste. The core sees only what a person would read.
"""

from __future__ import annotations

import html
import re
import unicodedata

_SLACK_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_CHANNEL = re.compile(r"<#C[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_SPECIAL = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")
_TEAMS_MENTION = re.compile(r"<at>[^<]*</at>", re.I)
_HTML_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?>", re.I)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_control(text: str) -> str:
    """Drop control and format characters (keeping newlines and tabs) that paste and bad input bring."""
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Co"}
    )


def normalise_chat(text: str) -> str:
    """Plain text from Slack or Teams markup; mentions of the bot itself are dropped."""
    text = _TEAMS_MENTION.sub(" ", text)
    text = _SLACK_USER.sub(lambda m: m.group(1) or "", text)
    text = _SLACK_CHANNEL.sub(lambda m: f"#{m.group(1)}" if m.group(1) else "", text)
    text = _SLACK_SPECIAL.sub(lambda m: f"@{m.group(1)}" if m.group(1) else "", text)
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    text = html.unescape(text)
    text = strip_control(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def has_words(text: str) -> bool:
    """True when there is at least one letter or digit: emoji-only or punctuation-only input is not a question."""
    return any(ch.isalnum() for ch in text)
