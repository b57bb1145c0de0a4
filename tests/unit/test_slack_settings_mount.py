"""Slack settings and the mount decision: no token, no route, and the start-up note says why."""

from __future__ import annotations

import pytest
from aiohttp import web

from adapters.slack.mount import EVENTS_PATH, build_mount
from adapters.slack.settings import DEFAULT_API_URL, SlackSettings, load_slack_settings
from bot.host import AssistantHost
from bot.settings import Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)


def test_settings_come_from_slack_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sec")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    slack = load_slack_settings()
    assert slack.secret("bot_token") == "xoxb-1" and slack.secret("app_token") == ""
    assert slack.api_url == "http://127.0.0.1:9/api/", "slack_sdk joins method names onto a base URL ending in /"
    assert "xoxb-1" not in repr(slack), "secrets never appear in reprs or logs"
    monkeypatch.delenv("SLACK_API_URL")
    assert SlackSettings().api_url == DEFAULT_API_URL


def test_a_bad_api_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "slack.com/api")
    with pytest.raises(ValueError, match="SLACK_API_URL"):
        load_slack_settings()
    mount, note = build_mount(Settings())
    assert mount is None and "SLACK_API_URL" in note


def test_without_a_token_nothing_is_mounted_and_the_note_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "  ")
    mount, note = build_mount(Settings())
    assert mount is None and "not mounted" in note and "SLACK_BOT_TOKEN" in note


def test_without_a_signing_secret_nothing_is_mounted() -> None:
    mount, note = build_mount(Settings(), SlackSettings(bot_token="xoxb-1"))
    assert mount is None and "SLACK_SIGNING_SECRET" in note


def test_with_both_the_events_route_is_added() -> None:
    mount, note = build_mount(Settings(), SlackSettings(bot_token="xoxb-1", signing_secret="s", api_url="http://127.0.0.1:9/api/"))
    assert mount is not None and EVENTS_PATH in note
    app = web.Application()
    mount(app, AssistantHost(lambda: None))  # type: ignore[arg-type, return-value]
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None}
    assert ("POST", "/slack/events") in routes
