"""Officer flows in a Teams personal chat: a guidance file sent to the bot becomes a preview card with
Publish / Cancel buttons, and `history` / `rollback N` are text commands.

Everything that decides is bot.officer.OfficerDesk (who is an officer, the audit log, the store); this
module only fetches the file, calls the desk off the event loop and posts the announcement. A file is
downloaded only for an officer, and never more than 5 MB of it: a member's upload is refused (and
audited) without fetching anything.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import aiohttp
from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import ConversationAccount

from adapters.teams.translate import PLATFORM, CardAction, FileRef, announce_conversation, user_id
from bot.officer import OfficerDesk
from bot.officer_results import Actor, OfficerResult
from knowledge.ingest import MAX_BYTES

if TYPE_CHECKING:
    from botbuilder.schema import Activity

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 30.0
NO_LINK = "Teams didn't send a download link for that file. Please send it again as a file attachment."
# Teams has no slash commands for bots, so a member typing the bare command words gets the refusal too
# (the desk itself refuses only "/guidance ..." from members and lets other text through as a question).
_MEMBER_COMMAND = re.compile(r"^\s*(?:/?guidance\s+)?(?:history|rollback(?:\s+(?:to\s+)?(?:version\s+)?v?\d+)?)\s*$", re.I)


def actor_of(activity: Activity) -> Actor:
    """Teams officers are listed by Entra object id (GUIDANCE_OFFICERS=teams:<aad-object-id>)."""
    name = (getattr(activity.from_property, "name", None) or "") if activity.from_property else ""
    return Actor(PLATFORM, user_id(activity), name)


class TooLarge(Exception):
    """The file is over the size limit; raised as soon as the stream passes it."""


async def download(url: str, limit: int = MAX_BYTES, timeout: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """GET `url` (Teams' pre-authorised downloadUrl, or the Emulator's contentUrl), stopping past `limit` bytes."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, session.get(url) as response:
        response.raise_for_status()
        if (response.content_length or 0) > limit:
            raise TooLarge
        data = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise TooLarge
        return bytes(data)


class OfficerChat:
    """The Teams side of the officer desk; `None` results mean "not an officer command"."""

    def __init__(self, desk: OfficerDesk, download_limit: int = MAX_BYTES) -> None:
        self.desk = desk
        self.download_limit = download_limit

    async def upload(self, activity: Activity, file: FileRef) -> OfficerResult:
        """Preview a sent file: members are refused by the desk before anything is downloaded."""
        actor = actor_of(activity)
        if not self.desk.is_officer(actor):
            return await asyncio.to_thread(self.desk.preview, actor, b"", file.name)  # the desk refuses and audits
        if not file.url:
            return OfficerResult(False, "error", NO_LINK)
        try:
            data = await download(file.url, self.download_limit)
        except TooLarge:
            limit_mb = self.download_limit / 1_048_576
            reason = f"{file.name} is larger than {limit_mb:g} MB, the limit for guidance files."
            await asyncio.to_thread(self.desk.store.audit, actor.label, "publish", f"refused: {reason}", file.name)
            return OfficerResult(False, "error", f"Not published: {reason}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("teams guidance download failed", extra={"error": type(exc).__name__})
            return OfficerResult(False, "error", f"I couldn't download {file.name} from Teams. Please send it again.")
        return await asyncio.to_thread(self.desk.preview, actor, data, file.name)

    async def button(self, activity: Activity, action: CardAction) -> OfficerResult:
        actor = actor_of(activity)
        if action.command == "publish":
            return await asyncio.to_thread(self.desk.publish, actor, action.preview_id)
        return await asyncio.to_thread(self.desk.cancel, actor, action.preview_id)

    async def command(self, activity: Activity, text: str) -> OfficerResult | None:
        """`history`, `rollback N`, `publish`/`cancel ID`, `help` for officers; the refusal for a member
        who types history or rollback; None for everything else (a question or draft)."""
        actor = actor_of(activity)
        slash = text.lstrip().lower().startswith("/guidance")
        if not self.desk.is_officer(actor):
            if not slash and not _MEMBER_COMMAND.match(text):
                return None
            if not slash:
                text = "/guidance " + re.sub(r"^\s*guidance\s+", "", text, flags=re.I)
        return await asyncio.to_thread(self.desk.handle_text, actor, text)

    @staticmethod
    async def announce(turn_context: TurnContext, result: OfficerResult) -> str | None:
        """Post a publish or rollback announcement to the configured conversation on the incoming
        activity's serviceUrl. Returns a note for the officer when it could not be posted, else None."""
        conversation = announce_conversation(result.announce_channel)
        if not (result.ok and result.announcement and conversation):
            return None
        connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        incoming = turn_context.activity
        if connector is None:
            return "The announcement was not posted: this connection cannot post to other conversations."
        activity = MessageFactory.text("\n\n".join(result.announcement.splitlines()))
        activity.from_property = incoming.recipient
        activity.conversation = ConversationAccount(id=conversation, is_group=True)
        activity.channel_id = incoming.channel_id
        activity.service_url = incoming.service_url
        try:
            await connector.conversations.send_to_conversation(conversation, activity)
        except Exception as exc:  # noqa: BLE001 - the publish happened; only the announcement failed
            log.warning("teams announcement failed", extra={"error": type(exc).__name__})
            return f"The announcement could not be posted to {conversation}; check GUIDANCE_ANNOUNCE_CHANNEL and that the app is in that team."
        return None
