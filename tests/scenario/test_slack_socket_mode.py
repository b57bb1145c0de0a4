"""Socket Mode against a local WebSocket fake: apps.connections.open on the fake Web API returns a
ws:// URL on loopback, the fake pushes envelopes, and the bot acks them and answers through the API."""

from __future__ import annotations

import asyncio

import pytest

from adapters.slack.blocks import escape
from adapters.slack.settings import SlackSettings
from adapters.slack.socket_mode import run_socket_mode
from bot.host import AssistantHost
from bot.settings import Settings
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackApi, all_text

QUESTION = "can I tweet about a planning application?"
APP_TOKEN = "xapp-1-A0000001-1-abc"


def _event_envelope(envelope_id: str, event_id: str, retry: int = 0) -> dict:
    event = {"type": "app_mention", "user": "U0000001", "channel": "C0000001", "ts": "1700000900.0001", "text": f"<@{BOT_USER}> {QUESTION}"}
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": {"type": "event_callback", "team_id": TEAM, "event_id": event_id, "event_time": 1, "event": event, "authorizations": [{"user_id": BOT_USER, "is_bot": True}]},
    }


def test_socket_mode_connects_acks_answers_and_ignores_a_redelivery(tmp_path, fake_embedder, document) -> None:
    from bot.runtime import build_assistant

    assistant = build_assistant(Settings(data_dir=tmp_path), embedder=fake_embedder, document=document)
    fake = FakeSlackApi().start()
    slack = SlackSettings(bot_token="xoxb-test", app_token=APP_TOKEN, api_url=fake.api_url)

    async def scenario() -> None:
        host = AssistantHost(lambda: assistant)
        await host.start()
        stop = asyncio.Event()
        task = asyncio.create_task(run_socket_mode(APP_TOKEN, host, slack, stop=stop))
        try:
            await asyncio.to_thread(fake.wait_calls, "socket.connect")
            opened = fake.called("apps.connections.open")
            assert opened and opened[0].token == APP_TOKEN, "the app-level token opens the socket"
            await asyncio.to_thread(fake.send_envelope, _event_envelope("env-1", "EvSOCK1"))
            assert await asyncio.to_thread(fake.wait_ack, "env-1") is not None
            posted = (await asyncio.to_thread(fake.wait_calls, "chat.postMessage"))[0].params
            assert posted["thread_ts"] == "1700000900.0001"
            assert escape(assistant.ask(QUESTION).results[0].passage) in all_text(posted["blocks"])

            await asyncio.to_thread(fake.send_envelope, _event_envelope("env-2", "EvSOCK1", retry=1))
            assert await asyncio.to_thread(fake.wait_ack, "env-2") is not None
            command = {"command": "/guidance", "text": "help", "user_id": "U0000001", "channel_id": "C0000001", "team_id": TEAM, "response_url": fake.response_url("sock"), "trigger_id": "1"}
            await asyncio.to_thread(fake.send_envelope, {"envelope_id": "env-3", "type": "slash_commands", "accepts_response_payload": True, "payload": command})
            assert await asyncio.to_thread(fake.wait_ack, "env-3") is not None
            helped = (await asyncio.to_thread(fake.wait_calls, "response_url"))[0].params
            assert helped["response_type"] == "ephemeral" and "check:" in helped["text"]
            await asyncio.sleep(0.3)
            assert len(fake.called("chat.postMessage")) == 1, "the redelivered event was not answered again"
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            host.close()

    try:
        asyncio.run(scenario())
    finally:
        fake.stop()


def test_socket_mode_refuses_a_bot_token_in_place_of_the_app_token(tmp_path) -> None:
    slack = SlackSettings(bot_token="xoxb-test", api_url="http://127.0.0.1:9/api/")
    with pytest.raises(ValueError, match="xapp-"):
        asyncio.run(run_socket_mode("xoxb-wrong", AssistantHost(lambda: None), slack))  # type: ignore[arg-type, return-value]


def test_serve_with_the_socket_mode_mount_connects_on_start_and_answers_a_dm(tmp_path, fake_embedder, document) -> None:
    """The wiring `serve --socket-mode` uses: create_app + build_socket_mode_mount, no /slack/events route."""
    from adapters.slack.socket_mode import build_socket_mode_mount
    from bot.runtime import build_assistant
    from bot.serve import create_app
    from tests.scenario.live import LiveServer, request

    assistant = build_assistant(Settings(data_dir=tmp_path / "a"), embedder=fake_embedder, document=document)
    fake = FakeSlackApi().start()
    settings = Settings(data_dir=tmp_path / "s")
    assert build_socket_mode_mount(settings, SlackSettings(bot_token="xoxb-test"))[0] is None
    mount, note = build_socket_mode_mount(settings, SlackSettings(bot_token="xoxb-test", app_token=APP_TOKEN, api_url=fake.api_url))
    assert mount is not None and "Socket Mode" in note
    try:
        with LiveServer(create_app(settings, lambda: assistant, [mount])) as server:
            server.wait_ready()
            fake.wait_calls("socket.connect")
            dm = {"type": "message", "channel_type": "im", "channel": "D0000005", "user": "U0000005", "ts": "1.1", "text": "check: my password is hunter2"}
            fake.send_envelope({"envelope_id": "env-9", "type": "events_api", "accepts_response_payload": False, "payload": {"type": "event_callback", "event_id": "EvSOCK9", "event": dm}})
            posted = fake.wait_calls("chat.postMessage")[0].params
            assert posted["channel"] == "D0000005" and "hunter2" in all_text(posted["blocks"])
            assert request(server.port, "POST", "/slack/events", "{}").status == 404, "socket mode adds no HTTP route"
    finally:
        fake.stop()
