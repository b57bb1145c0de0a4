"""Where a reply goes and how it gets there: a thread, a DM, an ephemeral message, a response_url or a modal.

Privacy is decided here once: a `private` target is never posted to a channel. If Slack refuses an
ephemeral message (the bot is not in that channel), the reply falls back to a DM with the person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import Rendered, render_reply
from adapters.slack.views import result_modal
from bot.contracts import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """One destination. Set `view_id`, or `response_url`, or `channel` (+ `thread_ts`, `user`, `private`)."""

    channel: str = ""
    thread_ts: str = ""
    user: str = ""
    private: bool = False
    response_url: str = ""
    view_id: str = ""


def is_dm_channel(channel: str) -> bool:
    return channel.startswith("D")


async def dm(client: AsyncWebClient, user: str, rendered: Rendered) -> None:
    opened = await client.conversations_open(users=user)
    channel = str((opened.get("channel") or {}).get("id", ""))
    await client.chat_postMessage(channel=channel, text=rendered.text, blocks=rendered.blocks)


async def send(client: AsyncWebClient, target: Target, rendered: Rendered, *, replace_original: bool = False) -> None:
    """Send already-rendered blocks; Slack API failures are logged by error code, never raised to bolt."""
    try:
        if target.response_url:
            webhook = AsyncWebhookClient(target.response_url, logger=client.logger)
            await webhook.send(
                text=rendered.text,
                blocks=rendered.blocks,
                response_type="ephemeral",
                replace_original=replace_original,
            )
        elif target.private and target.channel and not is_dm_channel(target.channel):
            try:
                await client.chat_postEphemeral(
                    channel=target.channel,
                    user=target.user,
                    text=rendered.text,
                    blocks=rendered.blocks,
                    thread_ts=target.thread_ts or None,  # the SDK drops None arguments
                )
            except SlackApiError as exc:  # e.g. not_in_channel: the person still gets the answer, privately
                log.info("ephemeral refused; sending a DM instead", extra={"slack_error": _code(exc)})
                await dm(client, target.user, rendered)
        elif target.channel:
            await client.chat_postMessage(
                channel=target.channel,
                text=rendered.text,
                blocks=rendered.blocks,
                thread_ts=target.thread_ts or None,
            )
        elif target.user:
            await dm(client, target.user, rendered)
        else:
            log.warning("a Slack reply had nowhere to go")
    except SlackApiError as exc:
        log.warning("posting to Slack failed", extra={"slack_error": _code(exc)})
    except Exception as exc:  # network trouble reaching Slack: the listener must not crash
        log.warning("posting to Slack failed", extra={"slack_error": type(exc).__name__})


async def deliver(client: AsyncWebClient, target: Target, reply: Reply) -> None:
    """Render a Reply for its destination (a modal gets a whole view) and send it."""
    if target.view_id:
        try:
            await client.views_update(view_id=target.view_id, view=result_modal(reply))
        except SlackApiError as exc:
            log.warning("updating the modal failed", extra={"slack_error": _code(exc)})
        return
    await send(client, target, render_reply(reply))


def _code(exc: SlackApiError) -> str:
    response: Any = exc.response
    try:
        return str(response.get("error", "unknown"))
    except Exception:
        return "unknown"
