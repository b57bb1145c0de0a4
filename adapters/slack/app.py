"""The slack-bolt AsyncApp: every Slack surface, each translated to the core and back at the edge.

Handlers acknowledge first and answer after: with `process_before_response=False` bolt returns the
HTTP response as soon as `ack()` is called (events are acked before the listener runs) and the
listener goes on as a task that awaits `host.run(...)` and posts with the Web API client.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids
from adapters.slack.blocks import Rendered, render_reply, thanks_blocks
from adapters.slack.deliver import Target, deliver, is_dm_channel, send
from adapters.slack.officer import OfficerFlows
from adapters.slack.recording import AskRecorder, FeedbackRecorder, record_vote
from adapters.slack.recording import record_ask as store_ask
from adapters.slack.settings import SlackSettings
from adapters.slack.translate import (
    PLATFORM,
    SeenEvents,
    command_to_incoming,
    draft_to_incoming,
    is_direct_message,
    is_ignored_message,
    is_officer_command,
    mention_to_incoming,
    message_to_incoming,
    modal_draft,
    parse_vote,
    question_to_incoming,
    retry_number,
    shared_file,
    shortcut_message_to_incoming,
    thread_of,
    user_key,
)
from adapters.slack.views import checking_modal, draft_modal, home_view, loading_home, section_modal
from bot.contracts import IncomingMessage, Reply
from bot.host import AssistantHost, Busy, NotReady
from bot.officer import USAGE as OFFICER_USAGE

if TYPE_CHECKING:
    from bot.officer import OfficerDesk

__all__ = ["AskRecorder", "FeedbackRecorder", "build_app", "run_core"]

log = logging.getLogger(__name__)
_VIEW_KEYS = ("type", "callback_id", "title", "close", "submit", "private_metadata")


NO_DESK = "Publishing guidance from chat is not available here: this server answers from a fixed guidance file."


def quiet_logger() -> logging.Logger:
    """bolt and slack_sdk log request bodies at DEBUG; bodies hold drafts, so their loggers stop at WARNING."""
    for name in ("slack_bolt", "slack_sdk", "adapters.slack.sdk"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    return logging.getLogger("adapters.slack.sdk")


async def run_core(host: AssistantHost, work: Callable[[Any], Reply]) -> Reply:
    """The core's reply, or an error reply saying why there is none; never an exception into bolt."""
    try:
        return await host.run(work)
    except NotReady:
        return Reply("error", "The assistant is still starting up (loading the guidance). Please try again in a minute.", private=True)
    except Busy:
        return Reply("error", "The assistant is busy right now. Please try again in a moment.", private=True)
    except Exception as exc:
        log.error("the core failed on a Slack request", extra={"error": type(exc).__name__})
        return Reply("error", "Something went wrong answering that. Please try again.", private=True)


def _action_target(body: dict[str, Any]) -> Target:
    """Answer a button click where it was clicked: the modal, the DM, or privately in a channel."""
    container = body.get("container") or {}
    user = str((body.get("user") or {}).get("id", ""))
    if container.get("type") == "view" and body.get("view"):
        return Target(view_id=str(body["view"]["id"]), user=user)
    channel = str((body.get("channel") or {}).get("id", "") or container.get("channel_id", ""))
    if channel and is_dm_channel(channel):
        return Target(channel=channel, user=user)
    return Target(response_url=str(body.get("response_url", "")), channel=channel, user=user, private=True)


def build_app(
    slack: SlackSettings,
    host: AssistantHost,
    record_feedback: FeedbackRecorder | None = None,
    *,
    socket_mode: bool = False,
    desk: OfficerDesk | None = None,
    record_ask: AskRecorder | None = None,
) -> AsyncApp:
    """The bolt app for HTTP (`socket_mode=False`, signatures verified) or Socket Mode (no signing secret).

    With a `desk`, officers can publish, roll back and list versions from Slack; `record_ask` receives
    every answered question (never a draft) for the officers' report."""
    logger = quiet_logger()
    client = AsyncWebClient(token=slack.secret("bot_token"), base_url=slack.api_url, logger=logger)
    app = AsyncApp(
        client=client,
        signing_secret=slack.secret("signing_secret") or None,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        logger=logger,
    )
    seen = SeenEvents()
    officers = OfficerFlows(desk, slack) if desk is not None else None

    async def answer(message: IncomingMessage) -> Reply:
        reply = await run_core(host, lambda assistant: assistant.handle(message))
        if reply.kind == "help" and officers is not None and officers.is_officer(message.user_id.removeprefix(f"{PLATFORM}:")):
            reply = dataclasses.replace(reply, text=f"{reply.text}\n\n{OFFICER_USAGE}")
        return reply

    async def remember(message: IncomingMessage, reply: Reply) -> None:
        """After the answer is sent: the question for the officers' report (a draft check never is)."""
        if record_ask is not None and reply.kind == "answer" and reply.ask is not None and message.force != "draft":
            await store_ask(record_ask, message.user_id, reply.ask)

    async def officer_command(client: AsyncWebClient, slack_user: str, text: str, target: Target) -> bool:
        """True when `text` was an officer command and has been answered (or refused)."""
        if not is_officer_command(text):
            return False
        if officers is None:  # `/guidance history` says why; plain DM text goes to the assistant
            if text.lstrip().startswith("/"):
                await send(client, target, render_reply(Reply("error", NO_DESK, private=True)))
            return text.lstrip().startswith("/")
        return await officers.command(client, slack_user, text, target)

    @app.middleware
    async def drop_duplicate_events(body: dict[str, Any], request: Any, next: Callable[[], Any]) -> BoltResponse | None:
        """Slack retries an event it thinks we missed (X-Slack-Retry-Num); answer each event_id once."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not seen.first_time(str(event_id)):
            log.info("duplicate Slack event ignored", extra={"retry_num": retry_number(request.headers)})
            return BoltResponse(status=200, body="")
        return await next()

    @app.event("message")
    async def on_direct_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        if shared_file(event) is not None:  # an officer sending a guidance file
            if officers is not None:
                await officers.on_file(event, client)
            else:
                await send(client, Target(channel=str(event.get("channel", ""))), render_reply(Reply("error", NO_DESK)))
            return
        if is_ignored_message(event) or not is_direct_message(event):
            return
        message = message_to_incoming(event)
        target = Target(channel=str(event.get("channel", "")), user=str(event["user"]))
        if await officer_command(client, str(event["user"]), message.text, target):
            return
        reply = await answer(message)
        await deliver(client, target, reply)
        await remember(message, reply)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        channel = str(event.get("channel", ""))
        if is_ignored_message(event) or is_dm_channel(channel):  # a DM mention also arrives as message.im
            return
        message = mention_to_incoming(event)
        reply = await answer(message)
        target = Target(channel=channel, thread_ts=thread_of(event), user=str(event["user"]), private=reply.private)
        await deliver(client, target, reply)
        await remember(message, reply)

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        try:
            view = await host.run(lambda assistant: home_view(assistant.document))
        except (NotReady, Busy):
            view = loading_home()
        await client.views_publish(user_id=str(event["user"]), view=view)

    @app.command(ids.COMMAND)
    async def on_command(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = str(command.get("user_id", ""))
        target = Target(response_url=str(command.get("response_url", "")), channel=str(command.get("channel_id", "")), user=user, private=True)
        text = str(command.get("text", ""))
        if await officer_command(client, user, f"{ids.COMMAND} {text}", target):  # members get the refusal
            return
        message = command_to_incoming(command)
        reply = await answer(message)
        await deliver(client, target, reply)
        await remember(message, reply)

    @app.shortcut(ids.MESSAGE_SHORTCUT)
    async def on_check_post(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = await answer(shortcut_message_to_incoming(shortcut))
        channel = str((shortcut.get("channel") or {}).get("id", ""))
        await deliver(client, Target(channel=channel, user=str((shortcut.get("user") or {}).get("id", "")), private=True), reply)

    @app.shortcut(ids.GLOBAL_SHORTCUT)
    async def on_check_draft(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=str(shortcut["trigger_id"]), view=draft_modal())

    @app.view(ids.DRAFT_MODAL)
    async def on_draft_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        text = modal_draft(view, ids.DRAFT_BLOCK, ids.DRAFT_INPUT)
        if not text.strip():
            await ack(response_action="errors", errors={ids.DRAFT_BLOCK: "Paste the post you want checked."})
            return
        await ack(response_action="update", view=checking_modal())
        reply = await answer(draft_to_incoming(text, str((body.get("user") or {}).get("id", ""))))
        await deliver(client, Target(view_id=str(view.get("id", ""))), reply)

    async def on_vote(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        helpful = action.get("action_id") == ids.ACTION_HELPFUL
        vote = parse_vote(action.get("value"))
        user = str((body.get("user") or {}).get("id", ""))
        if vote is not None and record_feedback is not None:
            await record_vote(record_feedback, user_key(user), helpful, vote.section_id, vote.guidance_version)
        target = _action_target(body)
        if target.view_id:
            view = body["view"]
            updated = {k: view[k] for k in _VIEW_KEYS if k in view} | {"blocks": thanks_blocks(view.get("blocks", []), helpful)}
            await client.views_update(view_id=target.view_id, view=updated)
            return
        message = body.get("message") or {}
        if message.get("blocks") and body.get("response_url"):
            rendered = Rendered(str(message.get("text", "")), thanks_blocks(message["blocks"], helpful))
            await send(client, Target(response_url=str(body["response_url"])), rendered, replace_original=True)
        else:
            note = "Thanks: recorded as helpful." if helpful else "Thanks: recorded as not helpful."
            await send(client, Target(response_url=str(body.get("response_url", "")), channel=target.channel, user=user, private=True), Rendered(note))

    app.action(ids.ACTION_HELPFUL)(on_vote)
    app.action(ids.ACTION_NOT_HELPFUL)(on_vote)

    @app.action(ids.ACTION_SHOW_SECTION)
    async def on_show_section(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        section_id = str(action.get("value", ""))[:200]
        reply = await run_core(host, lambda assistant: assistant.whole_section(section_id))
        target = _action_target(body)
        if target.view_id and body.get("trigger_id"):
            await client.views_push(trigger_id=str(body["trigger_id"]), view=section_modal(reply))
        else:
            await send(client, target, render_reply(reply, buttons=False))

    async def on_switch(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        text = str(action.get("value", ""))
        user = str((body.get("user") or {}).get("id", ""))
        target = _action_target(body)
        in_channel = bool(target.response_url)
        to_core = draft_to_incoming if action.get("action_id") == ids.ACTION_AS_DRAFT else question_to_incoming
        message = to_core(text, user, in_channel)
        reply = await answer(message)
        await deliver(client, target, reply)
        await remember(message, reply)

    app.action(ids.ACTION_AS_DRAFT)(on_switch)
    app.action(ids.ACTION_AS_QUESTION)(on_switch)

    async def on_officer_button(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        if officers is not None:
            await officers.on_button(ack, body, action, client)
        else:
            await ack()

    app.action(ids.ACTION_PUBLISH)(on_officer_button)
    app.action(ids.ACTION_CANCEL)(on_officer_button)
    return app
