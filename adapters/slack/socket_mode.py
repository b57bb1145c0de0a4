"""Socket Mode: the same bolt app over a WebSocket Slack opens for us, so no public URL is needed.

`serve --socket-mode` runs the HTTP server as usual (web chat, health) and, alongside it on the
same event loop, `run_socket_mode(...)`, which connects with the app-level token (xapp-...).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from adapters.slack.app import FeedbackRecorder, build_app
from adapters.slack.settings import SlackSettings
from bot.host import AssistantHost

log = logging.getLogger(__name__)


async def run_socket_mode(
    app_token: str,
    host: AssistantHost,
    slack: SlackSettings | None = None,
    record_feedback: FeedbackRecorder | None = None,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Connect to Slack over Socket Mode and handle requests until `stop` is set (or the task is cancelled)."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    slack = slack or SlackSettings()
    if not app_token.startswith("xapp-"):
        raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    if not slack.secret("bot_token"):
        raise ValueError("SLACK_BOT_TOKEN must be set for Socket Mode")
    bolt_app = build_app(slack, host, record_feedback, socket_mode=True)
    handler = AsyncSocketModeHandler(bolt_app, app_token=app_token, web_client=bolt_app.client)
    await handler.connect_async()
    log.warning("Slack: connected in Socket Mode")
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await handler.close_async()


def socket_mode_context(slack: SlackSettings, record_feedback: FeedbackRecorder | None = None):  # type: ignore[no-untyped-def]
    """An aiohttp cleanup context for `serve --socket-mode`: connects after start-up, closes on shutdown.

    Use: `app.cleanup_ctx.append(socket_mode_context(slack))` on the app create_app returned.
    """
    from bot.http_api import HOST_KEY

    async def context(app: web.Application):  # type: ignore[no-untyped-def]
        stop = asyncio.Event()
        task = asyncio.get_running_loop().create_task(
            run_socket_mode(slack.secret("app_token"), app[HOST_KEY], slack, record_feedback, stop=stop)
        )
        yield
        stop.set()
        try:
            await asyncio.wait_for(task, 10)
        except (asyncio.TimeoutError, Exception) as exc:  # shutting down: report, don't raise
            log.warning("Slack Socket Mode did not close cleanly", extra={"error": type(exc).__name__})

    return context
