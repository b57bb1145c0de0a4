"""Socket Mode: the same bolt app over a WebSocket Slack opens for us, so no public URL is needed.

`serve --socket-mode` runs the HTTP server as usual (web chat, health) and, alongside it on the
same event loop, `run_socket_mode(...)`, which connects with the app-level token (xapp-...).
`build_socket_mode_mount` packages that as a mount, so `serve` composes it like the HTTP route.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from adapters.slack.app import AskRecorder, FeedbackRecorder, build_app
from adapters.slack.mount import ask_recorder_from, feedback_from, officer_desk_from
from adapters.slack.settings import SlackSettings, load_slack_settings
from bot.host import AssistantHost
from bot.officer import OfficerDesk
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run_socket_mode(
    app_token: str,
    host: AssistantHost,
    slack: SlackSettings | None = None,
    record_feedback: FeedbackRecorder | None = None,
    *,
    stop: asyncio.Event | None = None,
    desk: OfficerDesk | None = None,
    record_ask: AskRecorder | None = None,
) -> None:
    """Connect to Slack over Socket Mode and handle requests until `stop` is set (or the task is cancelled)."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    slack = slack or load_slack_settings()
    if not app_token.startswith("xapp-"):
        raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    if not slack.secret("bot_token"):
        raise ValueError("SLACK_BOT_TOKEN must be set for Socket Mode")
    bolt_app = build_app(slack, host, record_feedback, socket_mode=True, desk=desk, record_ask=record_ask)
    handler = AsyncSocketModeHandler(bolt_app, app_token=app_token, web_client=bolt_app.client)
    session = aiohttp.ClientSession()  # one keep-alive session for the answers' Web API calls
    bolt_app.client.session = session
    try:
        await handler.connect_async()
        log.info("Slack: connected in Socket Mode")
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await handler.close_async()
        await session.close()


def build_socket_mode_mount(
    settings: Settings,
    slack: SlackSettings | None = None,
    record_feedback: FeedbackRecorder | None = None,
) -> tuple[Callable[[web.Application, AssistantHost], None] | None, str]:
    """For `serve --socket-mode`: a mount that connects to Slack once the server starts and closes on shutdown.

    Same shape as `mount.build_mount`, so `serve` composes it the same way; no route is added.
    """
    try:
        slack = slack or load_slack_settings()
    except ValueError as exc:
        return None, f"Slack Socket Mode: not started: {exc}"
    app_token = slack.secret("app_token")
    if not app_token.startswith("xapp-"):
        return None, "Slack Socket Mode: not started: set SLACK_APP_TOKEN to the app-level token (xapp-...)."
    if not slack.secret("bot_token"):
        return None, "Slack Socket Mode: not started: set SLACK_BOT_TOKEN (xoxb-...)."
    chosen = slack

    def mount(app: web.Application, host: AssistantHost) -> None:
        async def connection(app: web.Application) -> AsyncIterator[None]:
            stop = asyncio.Event()
            recorder = record_feedback or feedback_from(app)
            task = asyncio.get_running_loop().create_task(
                run_socket_mode(app_token, host, chosen, recorder, stop=stop, desk=officer_desk_from(app), record_ask=ask_recorder_from(app))
            )
            task.add_done_callback(_report_failure)
            yield
            stop.set()
            try:
                await asyncio.wait_for(task, 10)
            except Exception as exc:  # shutting down: report, don't raise
                log.warning("Slack Socket Mode did not close cleanly", extra={"error": type(exc).__name__})

        app.cleanup_ctx.append(connection)

    return mount, "Slack: connecting in Socket Mode (no public URL needed)."


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Slack Socket Mode stopped", extra={"error": f"{type(task.exception()).__name__}: {task.exception()}"})
