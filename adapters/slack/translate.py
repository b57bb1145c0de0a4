"""Slack payloads -> the core's IncomingMessage, and the small decisions about them (ignore? retry?).

Pure functions over the JSON Slack sends, so they are tested without a server. Text is normalised
here (mentions, links, entities) because routing looks at the "check:" prefix before anything else.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.contracts import IncomingMessage
from bot.normalise import normalise_chat
from bot.officer import parse_officer_command

PLATFORM = "slack"
MAX_BUTTON_VALUE = 2_000  # Slack's limit on a button's value

_CHECK_WORD = re.compile(r"^\s*check\b[:\s-]*", re.I)
_ASK_WORD = re.compile(r"^\s*ask\b[:\s-]*", re.I)
_HELP = {"", "help", "?", "usage"}


def user_key(slack_user: str) -> str:
    """The neutral user id: platform-qualified so a Slack and a Teams id can never collide."""
    return f"{PLATFORM}:{slack_user}"


def is_ignored_message(event: Mapping[str, Any]) -> bool:
    """Bot posts, edits, deletions and every other subtype never reach the core."""
    return bool(
        event.get("subtype")
        or event.get("bot_id")
        or event.get("bot_profile")
        or event.get("edited")
        or not event.get("user")
        or not isinstance(event.get("text"), str)
    )


def is_officer_command(text: str) -> bool:
    """Text that is one of the officer verbs (publish, cancel, history, rollback N), not a question.
    "help" is left to the assistant, whose usage message covers both members and officers."""
    command = parse_officer_command(text)
    return command is not None and command.verb != "help"


def shared_file(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first file a person shared with the bot in a DM (a guidance upload), or None.

    Slack sends it as a `message` event with subtype `file_share` and `files`; bots' uploads are ignored.
    """
    files = event.get("files")
    if event.get("subtype") not in (None, "file_share") or not isinstance(files, list) or not files:
        return None
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user") or not is_direct_message(event):
        return None
    first = files[0]
    return first if isinstance(first, dict) and first.get("id") else None


def is_direct_message(event: Mapping[str, Any]) -> bool:
    return event.get("channel_type") == "im"


def message_to_incoming(event: Mapping[str, Any]) -> IncomingMessage:
    """A DM to the bot: the core decides question or draft from the text ("check:" always checks)."""
    return IncomingMessage(
        text=normalise_chat(str(event.get("text", ""))),
        user_id=user_key(str(event.get("user", ""))),
        platform=PLATFORM,
        in_channel=not is_direct_message(event),
    )


def mention_to_incoming(event: Mapping[str, Any]) -> IncomingMessage:
    """`@bot ...` in a channel: the mention is dropped; a draft check here is answered privately."""
    return IncomingMessage(
        text=normalise_chat(str(event.get("text", ""))),
        user_id=user_key(str(event.get("user", ""))),
        platform=PLATFORM,
        in_channel=True,
    )


def thread_of(event: Mapping[str, Any]) -> str:
    """The thread to answer in: the mention's own thread, or start one under the mention."""
    return str(event.get("thread_ts") or event.get("ts") or "")


def command_to_incoming(command: Mapping[str, Any]) -> IncomingMessage:
    """`/guidance help`, `/guidance check <draft>`, `/guidance ask <q>` and `/guidance <q>`."""
    text = normalise_chat(str(command.get("text", "")))
    user = user_key(str(command.get("user_id", "")))
    in_channel = not str(command.get("channel_id", "")).startswith("D")
    if text.casefold() in _HELP:
        return IncomingMessage(text="help", user_id=user, platform=PLATFORM, in_channel=in_channel)
    if _CHECK_WORD.match(text):
        return IncomingMessage(_CHECK_WORD.sub("", text, count=1), user, PLATFORM, in_channel, force="draft")
    return IncomingMessage(_ASK_WORD.sub("", text, count=1), user, PLATFORM, in_channel, force="question")


def shortcut_message_to_incoming(body: Mapping[str, Any]) -> IncomingMessage:
    """Message shortcut "Check this post": always a draft check, answered only to whoever used it."""
    message = body.get("message") or {}
    return IncomingMessage(
        text=normalise_chat(str(message.get("text", ""))),
        user_id=user_key(str((body.get("user") or {}).get("id", ""))),
        platform=PLATFORM,
        in_channel=True,
        force="draft",
    )


def modal_draft(view: Mapping[str, Any], block_id: str, action_id: str) -> str:
    """The text typed into the "Check a draft" modal ("" when missing)."""
    values = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    return str((values.get(action_id) or {}).get("value") or "")


def draft_to_incoming(text: str, slack_user: str, in_channel: bool = False) -> IncomingMessage:
    return IncomingMessage(text=text, user_id=user_key(slack_user), platform=PLATFORM, in_channel=in_channel, force="draft")


def question_to_incoming(text: str, slack_user: str, in_channel: bool = False) -> IncomingMessage:
    return IncomingMessage(text=text, user_id=user_key(slack_user), platform=PLATFORM, in_channel=in_channel, force="question")


@dataclass(frozen=True)
class Vote:
    """What a helpful / not helpful button carries: never the message text, only where it came from."""

    section_id: str
    guidance_version: str
    kind: str


def vote_value(section_id: str, guidance_version: str, kind: str) -> str:
    return json.dumps({"s": section_id, "v": guidance_version, "k": kind}, separators=(",", ":"))[:MAX_BUTTON_VALUE]


def parse_vote(value: str | None) -> Vote | None:
    """A vote from a button value; anything malformed (forged, old format) is None, never an exception."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields = (data.get("s", ""), data.get("v", ""), data.get("k", ""))
    if not all(isinstance(f, str) and len(f) <= 200 for f in fields):
        return None
    return Vote(*fields)


def retry_number(headers: Mapping[str, Any]) -> int:
    """X-Slack-Retry-Num as an int (0 for a first delivery); bolt gives header values as lists."""
    raw = headers.get("x-slack-retry-num")
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else None
    try:
        return int(raw) if raw is not None else 0
    except (TypeError, ValueError):
        return 0


class SeenEvents:
    """A bounded LRU of event ids, so a retried or replayed event is answered once."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is offered, False afterwards (until it ages out)."""
        if event_id in self._seen:
            self._seen.move_to_end(event_id)
            return False
        self._seen[event_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)
