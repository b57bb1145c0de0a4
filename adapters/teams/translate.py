"""Teams Activities -> the core's IncomingMessage, and the small decisions about them. Pure functions.

Teams puts the bot's mention in the text as `<at>Bot name</at>` (listed in `entities`), sends HTML
from the message extension, and carries button presses in `activity.value`. Everything here reads
plain attributes or dicts, so the tests build Activities with no server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from bot.contracts import IncomingMessage
from bot.normalise import normalise_chat

if TYPE_CHECKING:
    from botbuilder.schema import Activity

PLATFORM = "teams"
Scope = Literal["personal", "channel", "groupChat"]

_AT_TAG = re.compile(r"<at>([^<]*)</at>", re.I)


def user_id(activity: Activity) -> str:
    """The sender's Entra object id when Teams sends it (stable across chats), else their channel id."""
    sender = activity.from_property
    return (getattr(sender, "aad_object_id", None) or getattr(sender, "id", None) or "unknown") if sender else "unknown"


def user_key(activity: Activity) -> str:
    """The neutral user id: `teams:<aad object id>`, as GUIDANCE_OFFICERS lists Teams officers."""
    return f"{PLATFORM}:{user_id(activity)}"


def scope(activity: Activity) -> Scope:
    kind = getattr(activity.conversation, "conversation_type", None) if activity.conversation else None
    if kind == "channel":
        return "channel"
    if kind == "groupChat":
        return "groupChat"
    return "personal"


def _mentioned_id(entity: Any) -> str | None:
    if getattr(entity, "type", None) != "mention":
        return None
    mentioned = getattr(entity, "mentioned", None) or (getattr(entity, "additional_properties", None) or {}).get("mentioned")
    if isinstance(mentioned, Mapping):
        return str(mentioned.get("id") or "")
    return getattr(mentioned, "id", None)


def _mention_text(entity: Any) -> str:
    text = getattr(entity, "text", None) or (getattr(entity, "additional_properties", None) or {}).get("text")
    return text if isinstance(text, str) else ""


def mentions_bot(activity: Activity) -> bool:
    """True when the message @mentions this bot (Teams lists each mention in `entities`)."""
    bot_id = getattr(activity.recipient, "id", None) if activity.recipient else None
    return any(_mentioned_id(e) == bot_id for e in (activity.entities or []) if bot_id)


def strip_bot_mention(activity: Activity) -> str:
    """The text without the bot's own `<at>` mention; other people's mentions keep just their name."""
    text = activity.text or ""
    bot_id = getattr(activity.recipient, "id", None) if activity.recipient else None
    for entity in activity.entities or []:
        if bot_id and _mentioned_id(entity) == bot_id:
            mention = _mention_text(entity)
            if mention:
                text = text.replace(mention, " ")
    return _AT_TAG.sub(lambda m: m.group(1), text)


def to_incoming(activity: Activity, force: Literal["question", "draft"] | None = None, text: str | None = None) -> IncomingMessage:
    """A chat message (or a button that re-sends its text) as the core's neutral message."""
    raw = strip_bot_mention(activity) if text is None else text
    return IncomingMessage(
        text=normalise_chat(raw),
        user_id=user_key(activity),
        platform=PLATFORM,
        in_channel=scope(activity) != "personal",
        force=force,
    )


def html_to_text(content: str) -> str:
    """Plain text from the HTML Teams sends for a message (messagePayload.body.content)."""
    return normalise_chat(content)


def extension_text(value: Any) -> str:
    """The text of the message "Check this post" was used on, or "" when Teams sent none."""
    if not isinstance(value, Mapping):
        return ""
    payload = value.get("messagePayload")
    body = payload.get("body") if isinstance(payload, Mapping) else None
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, str):
        return ""
    kind = str(body.get("contentType") or "html").lower()  # type: ignore[union-attr]
    return html_to_text(content) if kind == "html" else normalise_chat(content)


@dataclass(frozen=True)
class CardAction:
    """A press of one of our Adaptive Card buttons, validated: anything else in `value` is ignored."""

    kind: Literal["feedback", "section", "switch", "officer"]
    helpful: bool = False
    section_id: str = ""
    version: str = ""
    question: str = ""
    text: str = ""
    force: Literal["question", "draft"] | None = None
    command: Literal["publish", "cancel"] | None = None  # officer preview buttons
    preview_id: str = ""


ACTION_KEY = "guidanceAction"  # the key our buttons put in Action.Submit data


def _str(data: Mapping[str, Any], key: str, limit: int = 20_000) -> str:
    value = data.get(key)
    return value[:limit] if isinstance(value, str) else ""


def card_action(value: Any) -> CardAction | None:
    """Our button's data from `activity.value` (Action.Submit) or `value.action.data` (Action.Execute)."""
    if isinstance(value, Mapping) and isinstance(value.get("action"), Mapping):
        value = value["action"].get("data")  # adaptiveCard/action invoke
    if not isinstance(value, Mapping):
        return None
    kind = value.get(ACTION_KEY)
    if kind == "feedback":
        return CardAction(
            "feedback",
            helpful=value.get("helpful") is True,
            section_id=_str(value, "sectionId", 300),
            version=_str(value, "version", 100),
            question=_str(value, "question", 1_000),
        )
    if kind == "section" and _str(value, "sectionId", 300):
        return CardAction("section", section_id=_str(value, "sectionId", 300))
    if kind == "switch" and value.get("force") in ("question", "draft") and _str(value, "text").strip():
        return CardAction("switch", text=_str(value, "text"), force=value["force"])
    if kind == "officer" and value.get("command") in ("publish", "cancel") and _PREVIEW_ID.fullmatch(_str(value, "previewId", 100)):
        return CardAction("officer", command=value["command"], preview_id=_str(value, "previewId", 100))
    return None


_PREVIEW_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
_NOT_A_FILE = ("image/", "text/html", "application/vnd.microsoft.card.", "application/vnd.microsoft.teams.card.")


@dataclass(frozen=True)
class FileRef:
    """A file sent to the bot: its name (with an extension, which decides how it is read) and where to get it."""

    name: str
    url: str


def sent_file(activity: Activity) -> FileRef | None:
    """The file in a message: Teams' file.download.info attachment (personal chat with supportsFiles),
    or any other attachment with a contentUrl (the Bot Framework Emulator). Inline images, HTML and cards
    are not files; `url` is "" when Teams sent no download link."""
    for attachment in activity.attachments or []:
        kind = (getattr(attachment, "content_type", None) or "").lower()
        name = str(getattr(attachment, "name", None) or "")[:200]
        if kind == FILE_DOWNLOAD_INFO:
            content = attachment.content if isinstance(attachment.content, Mapping) else {}
            url, file_type = content.get("downloadUrl"), content.get("fileType")
            if isinstance(file_type, str) and file_type.isalnum() and not PurePosixPath(name).suffix:
                name = f"{name or 'guidance'}.{file_type.lower()}"
            return FileRef(name or "guidance", url if isinstance(url, str) and _web_url(url) else "")
        url = getattr(attachment, "content_url", None)
        if kind.startswith(_NOT_A_FILE) or not isinstance(url, str) or not _web_url(url):
            continue
        return FileRef(name or unquote(PurePosixPath(urlsplit(url).path).name) or "guidance", url)
    return None


def _web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def announce_conversation(setting: str) -> str:
    """The Teams conversation to announce in, from GUIDANCE_ANNOUNCE_CHANNEL: its `teams:` entry when the
    setting names one per platform (`slack:C123,teams:19:abc@thread.tacv2`), else the first unqualified one."""
    entries = [e.strip() for e in setting.split(",") if e.strip()]
    for entry in entries:
        platform, _, rest = entry.partition(":")
        if platform.lower() == PLATFORM and rest:
            return rest
    return next((e for e in entries if e.partition(":")[0].lower() not in ("slack", "web")), "")
