"""`build_mount(settings)`: what `serve` calls to add POST /slack/events, or a note saying why not."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from adapters.slack.app import AskRecorder, FeedbackRecorder, build_app
from adapters.slack.settings import SlackSettings, load_slack_settings
from bot.host import AssistantHost
from bot.officer import OfficerDesk
from bot.settings import Settings

EVENTS_PATH = "/slack/events"
log = logging.getLogger(__name__)


def events_handler(bolt_app: object) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """One aiohttp handler for events, slash commands and interactivity; bolt verifies the signature."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            bolt_request = await to_bolt_request(request)  # parses the body (before bolt checks the signature)
        except UnicodeDecodeError:
            return web.json_response({"error": "the body is not valid UTF-8"}, status=400)
        except ValueError:  # bad JSON, or a `payload=` field that is not JSON
            return web.json_response({"error": "the body is not a Slack request (JSON or form with a JSON payload)"}, status=400)
        response = await bolt_app.async_dispatch(bolt_request)  # type: ignore[attr-defined]
        return await to_aiohttp_response(response)

    return handle


def shared_session(client: object) -> Callable[[web.Application], AsyncIterator[None]]:
    """One keep-alive HTTP session for all Web API calls (slack_sdk otherwise opens one per call)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        import aiohttp

        session = aiohttp.ClientSession()
        client.session = session  # type: ignore[attr-defined]
        yield
        client.session = None  # type: ignore[attr-defined]
        await session.close()

    return context


def feedback_from(app: web.Application) -> FeedbackRecorder | None:
    """The FeedbackLog `serve` puts on the app before mounting platforms (None: votes are not recorded)."""
    from bot.reload import FEEDBACK_KEY

    log_ = app.get(FEEDBACK_KEY)
    return log_.record if log_ is not None else None


def officer_desk_from(app: web.Application) -> OfficerDesk | None:
    """The OfficerDesk `serve` puts on the app (None when it answers from a pinned guidance file)."""
    from bot.reload import OFFICER_DESK_KEY

    return app.get(OFFICER_DESK_KEY)


def ask_recorder_from(app: web.Application) -> AskRecorder | None:
    """FeedbackLog.record_ask from the app: what members asked, for the officers' report."""
    from bot.reload import FEEDBACK_KEY

    log_ = app.get(FEEDBACK_KEY)
    return log_.record_ask if log_ is not None else None


def build_mount(
    settings: Settings,
    slack: SlackSettings | None = None,
    record_feedback: FeedbackRecorder | None = None,
) -> tuple[Callable[[web.Application, AssistantHost], None] | None, str]:
    """The Slack mount and a start-up line; without a bot token and signing secret nothing is mounted."""
    try:
        slack = slack or load_slack_settings()
    except ValueError as exc:
        return None, f"Slack: not mounted: {exc}"
    if not slack.secret("bot_token"):
        return None, "Slack: not mounted (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to answer at POST /slack/events)."
    if not slack.secret("signing_secret"):
        return None, "Slack: not mounted: SLACK_SIGNING_SECRET is not set, so requests to /slack/events could not be verified."

    def mount(app: web.Application, host: AssistantHost) -> None:
        bolt_app = build_app(slack, host, record_feedback or feedback_from(app), desk=officer_desk_from(app), record_ask=ask_recorder_from(app))
        app.router.add_post(EVENTS_PATH, events_handler(bolt_app))
        app.cleanup_ctx.append(shared_session(bolt_app.client))

    return mount, f"Slack: answering at POST {EVENTS_PATH} (Web API {slack.api_url})."
