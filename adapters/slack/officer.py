"""Officers in Slack: a guidance file sent in a DM gets a preview with Publish / Cancel buttons, and
`history`, `rollback N` and `publish` work as `/guidance ...` or as DM text.

Everything that decides (who is an officer, what changes, the audit log) is the core's `OfficerDesk`;
this module downloads the file, runs the desk off the event loop, renders its results as Block Kit
and posts the announcement. The bot token is only ever sent to Slack's own hosts or to the host of
SLACK_API_URL (where tests run a fake), never to an arbitrary URL a payload names.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids
from adapters.slack.blocks import Block, Rendered, button, context, escape, render_reply, section
from adapters.slack.deliver import Target, send
from adapters.slack.settings import SlackSettings
from adapters.slack.translate import PLATFORM, shared_file
from bot.officer import OfficerDesk
from bot.officer_results import Actor, OfficerResult, Preview
from knowledge.ingest import MAX_BYTES

log = logging.getLogger(__name__)
MAX_DIFF_CHARS = 2_400  # leaves room for the code fence inside one 3,000-character section
MAX_DIFF_LINE = 300
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)


class DownloadError(Exception):
    """The file could not be fetched from Slack; the message is shown to the officer."""


def may_send_token(url: str, api_url: str) -> bool:
    """Only Slack (https, *.slack.com) or the configured Web API host may receive the bot token."""
    target, api = urlsplit(url), urlsplit(api_url)
    host = (target.hostname or "").lower()
    if target.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return True
    return bool(host) and (target.scheme, host, target.port) == (api.scheme, (api.hostname or "").lower(), api.port)


async def download(client: AsyncWebClient, slack: SlackSettings, file_id: str) -> tuple[bytes, str]:
    """The file's bytes and name: files.info for the private download URL, then GET with the bot token."""
    try:
        info = await client.files_info(file=file_id)
    except SlackApiError as exc:
        raise DownloadError(f"Slack would not give me the file ({exc.response.get('error', 'unknown error')}).") from None
    file: Mapping[str, Any] = info.get("file") or {}
    name = str(file.get("name") or file.get("title") or "guidance")[:200]
    size = file.get("size")
    if isinstance(size, int) and size > MAX_BYTES:
        raise DownloadError(f"{name} is {size / 1_048_576:.1f} MB; the limit is {MAX_BYTES // 1_048_576} MB.")
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not may_send_token(url, slack.api_url):
        raise DownloadError("Slack did not give a download address for that file.")
    data = bytearray()
    try:
        async with aiohttp.ClientSession(timeout=DOWNLOAD_TIMEOUT) as session:
            async with session.get(url, headers={"Authorization": f"Bearer {slack.secret('bot_token')}"}, max_redirects=3) as response:
                if response.status != 200:
                    raise DownloadError(f"Slack refused the download (HTTP {response.status}).")
                if response.content_type == "text/html" and not name.lower().endswith((".htm", ".html")):
                    raise DownloadError("Slack sent a sign-in page instead of the file: the app needs the files:read scope.")
                async for chunk in response.content.iter_chunked(65_536):
                    data += chunk
                    if len(data) > MAX_BYTES:
                        raise DownloadError(f"{name} is over {MAX_BYTES // 1_048_576} MB, the limit.")
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise DownloadError(f"The download from Slack failed ({type(exc).__name__}).") from None
    return bytes(data), name


def diff_excerpt(diff: str) -> str:
    """The start of the readable diff, without file headers or blank context, short enough for one block."""
    lines = [line[:MAX_DIFF_LINE] for line in diff.splitlines() if line.strip() and not line.startswith(("---", "+++"))]
    out: list[str] = []
    used = 0
    for line in lines:
        cost = len(escape(line)) + 1
        if used + cost > MAX_DIFF_CHARS:
            out.append("… (more changes: see `guidance-bot guidance diff`)")
            break
        out.append(line)
        used += cost
    return escape("\n".join(out)).replace("```", "'''")


def preview_blocks(preview: Preview, fallback_text: str) -> Rendered:
    """The preview: version, sections added / removed / changed, a diff excerpt, Publish and Cancel."""

    def names(refs: tuple[Any, ...]) -> str:
        """Section titles, at most ~900 characters (so the three lists fit one block), then a count."""
        shown: list[str] = []
        for ref in refs:
            title = escape(ref.title[:150])
            if sum(len(t) + 2 for t in shown) + len(title) > 900:
                return "; ".join(shown) + f" … and {len(refs) - len(shown)} more"
            shown.append(title)
        return "; ".join(shown) or "none"

    head = f"*Preview: {escape(preview.filename)} would become guidance version {preview.version}* (now version {preview.current_version})\n"
    rules = getattr(preview, "rules", None)  # a draft-check rules file (.yaml) brings new rules
    if getattr(preview, "guidance_changed", True):
        blocks: list[Block] = section(head + f"{preview.sections} sections, {preview.passages} passages")
        blocks += section(f"*Added:* {names(preview.added)}\n*Removed:* {names(preview.removed)}\n*Changed:* {names(preview.changed)}")
    else:
        blocks = section(head + f"The same guidance ({preview.sections} sections) with new draft-check rules.")
    dropped = getattr(preview, "examples_dropped", ())
    if dropped:
        phrases = escape("; ".join(f'"{p}"' for p in dropped))[:900]
        blocks += section(f"*Example questions no longer matched* ({len(dropped)}): {phrases}. Members' own wordings for those passages will be recognised less well.")
    if rules is not None:
        blocks += section(escape(rules.summary()))
    excerpt = diff_excerpt(preview.diff or (rules.diff if rules is not None else ""))
    if excerpt:
        blocks += section(f"```{excerpt}```")
    blocks.append(context("Nothing changes until you press Publish. This preview expires in an hour."))
    blocks.append({
        "type": "actions",
        "block_id": "officer_preview",
        "elements": [
            button(f"Publish version {preview.version}", ids.ACTION_PUBLISH, preview.preview_id, "primary"),
            button("Cancel", ids.ACTION_CANCEL, preview.preview_id),
        ],
    })
    return Rendered(fallback_text, blocks)


def render_result(result: OfficerResult, note: str = "") -> Rendered:
    """Any officer result as Block Kit; a publish or rollback leads with the version now current."""
    rendered = render_reply(result.reply())
    if result.preview is not None:
        return preview_blocks(result.preview, rendered.text)
    head: list[Block] = []
    if result.ok and result.action in ("publish", "rollback") and result.version is not None:
        head = section(f":white_check_mark: *Version {result.version.number} is now current.*")
    tail = [context(escape(note))] if note else []
    return Rendered(rendered.text, head + rendered.blocks[: 50 - len(head) - len(tail)] + tail)


class OfficerFlows:
    """The officer surfaces of the bolt app, around one `OfficerDesk` (blocking calls go to a thread)."""

    def __init__(self, desk: OfficerDesk, slack: SlackSettings) -> None:
        self.desk = desk
        self.slack = slack

    def is_officer(self, slack_user: str) -> bool:
        return self.desk.is_officer(Actor(PLATFORM, slack_user))

    async def _run(self, work: Callable[[], OfficerResult | None]) -> OfficerResult | None:
        try:
            return await asyncio.to_thread(work)
        except Exception as exc:  # the desk reports expected failures itself; this is a bug or a broken disk
            log.error("an officer command failed", extra={"error": type(exc).__name__})
            return OfficerResult(False, "error", "Something went wrong. Use `/guidance history` to see which version is current.")

    async def announce(self, client: AsyncWebClient, result: OfficerResult) -> str:
        """Post the announcement to the configured channel; a line for the officer saying what happened."""
        if not (result.ok and result.announcement and result.announce_channel):
            return ""
        try:
            await client.chat_postMessage(channel=result.announce_channel, text=escape(result.announcement), blocks=section(escape(result.announcement)))
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown"))
            log.warning("the guidance announcement was not posted", extra={"slack_error": code})
            return f"The announcement could not be posted in {result.announce_channel} ({code}): invite the bot to that channel."
        except Exception as exc:
            log.warning("the guidance announcement was not posted", extra={"slack_error": type(exc).__name__})
            return f"The announcement could not be posted in {result.announce_channel}."
        return f"Announced in {result.announce_channel}."

    async def respond(self, client: AsyncWebClient, target: Target, result: OfficerResult, *, replace_original: bool = False) -> None:
        note = await self.announce(client, result)
        await send(client, target, render_result(result, note), replace_original=replace_original)

    async def command(self, client: AsyncWebClient, slack_user: str, text: str, target: Target) -> bool:
        """Run `text` as an officer command and answer it; False when it is not one (ask the assistant)."""
        actor = Actor(PLATFORM, slack_user)
        result = await self._run(lambda: self.desk.handle_text(actor, text))
        if result is None:
            return False
        await self.respond(client, target, result)
        return True

    async def on_file(self, event: Mapping[str, Any], client: AsyncWebClient) -> None:
        """A file in a DM: officers get a preview; anyone else the refusal, without downloading it."""
        file = shared_file(event) or {}
        user = str(event.get("user", ""))
        actor = Actor(PLATFORM, user)
        target = Target(channel=str(event.get("channel", "")), user=user)
        name = str(file.get("name") or file.get("title") or file.get("id") or "a file")[:200]
        if not self.desk.is_officer(actor):
            result = await self._run(lambda: self.desk.preview(actor, b"", name))  # refuses and audits
        else:
            try:
                data, name = await download(client, self.slack, str(file.get("id", "")))
            except DownloadError as exc:
                detail = str(exc)
                await self._run(lambda: self.desk.store.audit(actor.label, "publish", f"refused: {detail}", name))  # type: ignore[func-returns-value]
                result = OfficerResult(False, "error", f"Not published: {detail}")
            else:
                result = await self._run(lambda: self.desk.preview(actor, data, name))
        if result is not None:
            await self.respond(client, target, result)

    async def on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        """Publish or Cancel under a preview; the preview message is replaced by the outcome."""
        await ack()
        who = body.get("user") or {}
        actor = Actor(PLATFORM, str(who.get("id", "")), str(who.get("name") or who.get("username") or ""))
        preview_id = str(action.get("value", ""))[:100]
        if action.get("action_id") == ids.ACTION_PUBLISH:
            result = await self._run(lambda: self.desk.publish(actor, preview_id))
        else:
            result = await self._run(lambda: self.desk.cancel(actor, preview_id))
        assert result is not None
        response_url = str(body.get("response_url", ""))
        channel = str((body.get("channel") or {}).get("id", "") or (body.get("container") or {}).get("channel_id", ""))
        target = Target(response_url=response_url) if response_url else Target(channel=channel, user=actor.user_id, private=True)
        await self.respond(client, target, result, replace_original=result.ok and bool(response_url))
