"""deploy/slack/manifest.yaml must ask for exactly what the code uses, and name callback ids the app handles."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import yaml

from adapters.slack import ids
from adapters.slack.app import build_app
from adapters.slack.settings import SlackSettings
from bot.host import AssistantHost
from tests.fakes.slack_api import FakeSlackApi, signature

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "deploy/slack/manifest.yaml").read_text())
# Web API method -> bot scope it needs (views.* and auth.test need none).
# files.info and downloading an officer's guidance file (url_private_download) both need files:read.
METHOD_SCOPES = {"chat_postMessage": "chat:write", "chat_postEphemeral": "chat:write", "conversations_open": "im:write", "files_info": "files:read"}
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.im": "im:history", "app_home_opened": None}


def test_scopes_are_exactly_those_the_code_needs() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "adapters/slack").glob("*.py"))
    called = set(re.findall(r"client\.(\w+)\(", source))
    assert called - set(METHOD_SCOPES) <= {"views_open", "views_update", "views_publish", "views_push"}, "a new API call needs its scope here"
    needed = {METHOD_SCOPES[m] for m in called if m in METHOD_SCOPES}
    needed |= {s for s in (EVENT_SCOPES[e] for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]) if s}
    needed.add("commands")  # the slash command and both shortcuts
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed == set(ids.BOT_SCOPES)
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == set(ids.EVENTS)


def test_command_and_shortcuts_match_the_code() -> None:
    features = MANIFEST["features"]
    assert [c["command"] for c in features["slash_commands"]] == [ids.COMMAND]
    shortcuts = {s["type"]: s["callback_id"] for s in features["shortcuts"]}
    assert shortcuts == {"message": ids.MESSAGE_SHORTCUT, "global": ids.GLOBAL_SHORTCUT}
    assert features["app_home"]["home_tab_enabled"] is True
    urls = {features["slash_commands"][0]["url"], MANIFEST["settings"]["event_subscriptions"]["request_url"], MANIFEST["settings"]["interactivity"]["request_url"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")


def _requests(fake: FakeSlackApi) -> list[tuple[str, str, str]]:
    """(what, body, content type) for every entry point the manifest declares."""
    features = MANIFEST["features"]
    out = []
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        kind = event.split(".")[0]
        inner = {"type": kind, "user": "U1", "channel": "D1", "channel_type": "im", "ts": "1.1", "text": "hi", "tab": "home"}
        out.append((event, json.dumps({"type": "event_callback", "event_id": f"Ev{event}", "team_id": "T1", "event": inner}), "application/json"))
    for command in features["slash_commands"]:
        form = {"command": command["command"], "text": "help", "user_id": "U1", "channel_id": "C1", "team_id": "T1", "response_url": fake.response_url("m")}
        out.append((command["command"], urlencode(form), "application/x-www-form-urlencoded"))
    for shortcut in features["shortcuts"]:
        payload = {"type": "message_action" if shortcut["type"] == "message" else "shortcut", "callback_id": shortcut["callback_id"], "trigger_id": "1",
                   "user": {"id": "U1"}, "team": {"id": "T1"}, "channel": {"id": "C1"}, "message": {"text": "hi", "ts": "1"}, "response_url": fake.response_url("s")}
        out.append((shortcut["callback_id"], urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"))
    return out


def test_every_manifest_entry_point_has_a_handler() -> None:
    """bolt answers 404 when no listener matches: each declared event, command and shortcut must get 200."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    fake = FakeSlackApi().start()
    try:
        slack = SlackSettings(bot_token="xoxb-t", signing_secret="s", api_url=fake.api_url)

        async def dispatch_all() -> dict[str, int]:
            app = build_app(slack, AssistantHost(lambda: None))  # type: ignore[arg-type, return-value]
            statuses = {}
            for what, body, kind in _requests(fake):
                ts = str(int(time.time()))
                headers = {"content-type": kind, "x-slack-request-timestamp": ts, "x-slack-signature": signature("s", ts, body)}
                statuses[what] = (await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))).status
            await asyncio.sleep(0.3)  # let the answers (errors: the host has no assistant) go out
            return statuses

        statuses = asyncio.run(dispatch_all())
    finally:
        fake.stop()
    assert statuses and all(status == 200 for status in statuses.values()), statuses


def test_an_undeclared_shortcut_is_not_handled() -> None:
    """The check above can fail: bolt's 404 for an unknown callback id."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    fake = FakeSlackApi().start()
    try:
        app_settings = SlackSettings(bot_token="xoxb-t", signing_secret="s", api_url=fake.api_url)
        body = urlencode({"payload": json.dumps({"type": "shortcut", "callback_id": "not_a_shortcut", "trigger_id": "1", "user": {"id": "U1"}, "team": {"id": "T1"}})})

        async def dispatch() -> int:
            ts = str(int(time.time()))
            headers = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": signature("s", ts, body)}
            app = build_app(app_settings, AssistantHost(lambda: None))  # type: ignore[arg-type, return-value]
            return (await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))).status

        assert asyncio.run(dispatch()) == 404
    finally:
        fake.stop()
