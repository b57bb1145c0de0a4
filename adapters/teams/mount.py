"""POST /api/messages: botbuilder's CloudAdapter behind our own request checks.

The request is parsed and authenticated here (bad input -> 400/415, bad or missing token -> 401)
before the adapter runs the turn, so a malformed request can never become a 500. With no app id the
endpoint is unauthenticated for the Bot Framework Emulator and is only mounted on a loopback bind.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.teams.settings import TeamsSettings, load_teams_settings

if TYPE_CHECKING:
    from adapters.teams.bot import FeedbackSink
    from bot.host import AssistantHost
    from bot.officer import OfficerDesk
    from bot.settings import Settings

log = logging.getLogger(__name__)
ROUTE = "/api/messages"
Mount = Callable[[web.Application, "AssistantHost"], None]

UNAUTHENTICATED_WARNING = (
    "WARNING: Teams /api/messages is UNAUTHENTICATED (MICROSOFT_APP_ID is not set): anyone who can reach "
    "this port can talk to the bot. Use this only with the Bot Framework Emulator on this machine."
)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def make_handler(teams: TeamsSettings, host: AssistantHost, feedback: FeedbackSink | None = None, desk: OfficerDesk | None = None) -> Callable:  # type: ignore[type-arg]
    """The aiohttp handler for /api/messages, with its adapter and bot (SDK imports stay in this folder).
    `desk` enables the officers' publish / history / rollback flows in personal chat."""
    from botbuilder.core import TurnContext, serializer_helper
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import Activity

    from adapters.teams.bot import GuidanceTeamsBot

    auth = ConfigurationBotFrameworkAuthentication(teams.sdk_configuration())
    adapter = CloudAdapter(auth)
    bot = GuidanceTeamsBot(host, feedback, desk=desk)

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("teams turn failed", extra={"error": type(error).__name__, "activity_type": context.activity.type})
        if context.activity.type == "message":
            await context.send_activity("Sorry, something went wrong on my side. Please try again.")

    adapter.on_turn_error = on_error

    async def handle(request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _error(415, "send the Activity as application/json")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            return _error(400, "the body is not a Bot Framework Activity (no type)")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # noqa: BLE001 - msrest raises several types for malformed fields
            return _error(400, "the Activity could not be read")
        header = request.headers.get("Authorization", "")
        try:
            authenticated = await auth.authenticate_request(activity, header)
        except Exception as exc:  # noqa: BLE001 - PermissionError, jwt errors, bad key ids: all mean "not authorised"
            log.warning("teams request rejected", extra={"reason": type(exc).__name__})
            return _error(401, "unauthorised: the request does not carry a valid Bot Framework token")
        response = await adapter.process_activity(authenticated, activity, bot.on_turn)
        if response:
            body = serializer_helper(response.body) if hasattr(response.body, "is_xml_model") else response.body
            return web.json_response(body, status=response.status)
        return web.Response(status=201)

    return handle


def build_mount(settings: Settings | None = None, teams: TeamsSettings | None = None, feedback: FeedbackSink | None = None) -> tuple[Mount | None, str]:
    """The Teams mount and a line for the operator; unauthenticated Teams is refused off loopback."""
    try:
        teams = teams or load_teams_settings()
    except ValueError as exc:
        return None, f"Teams: off. {exc}"
    if not teams.authenticated and settings is not None:
        from bot.web_security import is_loopback

        if not is_loopback(settings.host):
            return None, (
                f"Teams: off. MICROSOFT_APP_ID is not set, and unauthenticated {ROUTE} is only served on loopback "
                f"(serve binds {settings.host})."
            )

    def mount(app: web.Application, host: AssistantHost) -> None:
        # serve puts the feedback log and the officer desk on the app before mounting platforms
        from bot.reload import FEEDBACK_KEY, OFFICER_DESK_KEY

        app.router.add_post(ROUTE, make_handler(teams, host, feedback or app.get(FEEDBACK_KEY), app.get(OFFICER_DESK_KEY)))

    if not teams.authenticated:
        return mount, UNAUTHENTICATED_WARNING
    return mount, f"Teams: {ROUTE} for app {teams.id} ({teams.type}); every request's token is validated."
