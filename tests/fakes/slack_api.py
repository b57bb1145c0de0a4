"""A fake Slack Web API (and Socket Mode WebSocket) on 127.0.0.1 that records every call.

Like bolt-python's own mock_web_api_server: answers `ok: true` with plausible fields, counts calls,
and lets a test make a method fail (`fake.fail["chat.postEphemeral"] = "not_in_channel"`). Response
URLs (`fake.response_url("x")`) accept POSTs too, as Slack's do. `send_envelope` pushes a Socket
Mode envelope to the connected client and `acks` records the envelope ids it acknowledged.
`add_file` uploads a file: files.info then describes it and its `url_private_download` (on this
loopback server) serves the bytes only with `Authorization: Bearer <bot_token>`, as Slack's do.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web

from tests.scenario.live import LiveServer, Response, request

BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0000001"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response_url" for POSTs to a response URL
    params: dict[str, Any]
    token: str = ""
    at: float = field(default_factory=time.monotonic)


def _decode(params: dict[str, Any]) -> dict[str, Any]:
    """Form posts carry blocks and views as JSON strings; decode them so tests assert on structure."""
    for key in ("blocks", "view", "attachments"):
        if isinstance(params.get(key), str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                pass
    return params


class FakeSlackApi:
    def __init__(self, bot_token: str = "xoxb-test") -> None:
        self.bot_token = bot_token
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.calls: list[Call] = []
        self.fail: dict[str, str] = {}
        self.acks: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/link", self._websocket)
        app.router.add_get("/files-pri/{id}/{name}", self._file)
        self.server = LiveServer(app)

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/response/{key}"

    def add_file(self, name: str, data: bytes, *, mimetype: str = "text/plain", size: int | None = None) -> dict[str, Any]:
        """Store a file as if uploaded; returns the file object a `file_share` message event carries."""
        file_id = f"F{len(self.files) + 1:08d}"
        url = f"{self.url}/files-pri/{file_id}/{name}"
        info = {"id": file_id, "name": name, "title": name, "mimetype": mimetype, "size": len(data) if size is None else size,
                "url_private": url, "url_private_download": url + "?download=1"}
        self.files[file_id] = (info, data)
        return dict(info)

    # recording -------------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def called(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 15.0) -> list[Call]:
        """Block until `predicate(calls)` holds; the calls so far either way (tests then assert)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.calls)

    def wait_calls(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        self.wait_for(lambda calls: sum(c.method == method for c in calls) >= count, timeout)
        return self.called(method)

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self.acks.clear()
            self.fail.clear()

    # handlers --------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        params: dict[str, Any] = dict(request.query)
        if raw:
            if request.content_type == "application/json":
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw.decode()))
        return _decode(params)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or str(params.get("token", ""))
        self._record(Call(method, params, token))
        if method in self.fail:
            return web.json_response({"ok": False, "error": self.fail[method]})
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        return web.json_response({"ok": True, **self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"url": "https://fake.slack.test/", "team": "Fake", "user": "guidance", "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}
        if method in ("chat.postMessage", "chat.update"):
            return {"channel": params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}", "message": {"text": params.get("text")}}
        if method == "chat.postEphemeral":
            return {"message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.open":
            return {"channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
        if method.startswith("views."):
            view = params.get("view") if isinstance(params.get("view"), dict) else {}
            return {"view": {"id": params.get("view_id") or f"V{next(self._ts):06d}", **view}}
        if method == "files.info":
            known = self.files.get(str(params.get("file")))
            return {"file": known[0] if known else {"id": params.get("file"), "name": "file.txt"}}
        if method == "apps.connections.open":
            return {"url": self.url.replace("http://", "ws://") + "/link"}
        return {}

    async def _file(self, request: web.Request) -> web.Response:
        """A private file: the bytes with the bot token; Slack's sign-in page (HTML) without it."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        file_id = request.match_info["id"]
        self._record(Call("file.download", {"id": file_id, "query": dict(request.query)}, token))
        known = self.files.get(file_id)
        if known is None:
            return web.Response(status=404, text="not found")
        if token != self.bot_token:
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        return web.Response(body=known[1], content_type=known[0]["mimetype"])

    async def _response_url(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        params["key"] = request.match_info["key"]
        self._record(Call("response_url", params))
        return web.Response(text="ok")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self._record(Call("socket.connect", {}))
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                with self._cond:
                    self.acks.append(data)
                    self._cond.notify_all()
        self._sockets.remove(ws)
        return ws

    def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push a Socket Mode envelope to every connected client (from the test's thread)."""

        async def push() -> None:
            for ws in list(self._sockets):
                await ws.send_json(envelope)

        asyncio.run_coroutine_threadsafe(push(), self.server._loop).result(10)

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)


# signed requests to the app under test ----------------------------------------------------------
def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of "v0:{timestamp}:{body}" with the signing secret."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()


class SlackSender:
    """Posts to /slack/events as Slack does: JSON events, form-encoded commands and `payload=` interactivity."""

    def __init__(self, port: int, secret: str, path: str = "/slack/events") -> None:
        self.port, self.secret, self.path = port, secret, path
        self._ids = itertools.count(1)

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str | None = None, retry: int | None = None) -> Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret or self.secret, ts, body),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return request(self.port, "POST", self.path, body, headers)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, **kw: Any) -> Response:
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0000001",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": event,
        }
        return self.post(json.dumps(body), "application/json", **kw)

    def command(self, text: str, response_url: str, *, user: str = "U0000001", channel: str = "C0000001") -> Response:
        form = {
            "token": "legacy", "team_id": TEAM, "channel_id": channel, "user_id": user, "user_name": "cllr",
            "command": "/guidance", "text": text, "response_url": response_url, "trigger_id": "1.2.3",
            "api_app_id": "A0000001",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any], **kw: Any) -> Response:
        payload = {"team": {"id": TEAM}, "api_app_id": "A0000001", "token": "legacy", **payload}
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)


@contextlib.contextmanager
def serve_with_slack(
    assistant: Any, data_dir: Path, secret: str, *, own_votes: bool = True, **settings: Any
) -> Iterator[tuple[LiveServer, FakeSlackApi, SlackSender, list[tuple]]]:
    """`serve` (create_app + the Slack mount) on loopback, wired to a started fake Web API.

    Yields the server, the fake, a signed-request sender and the list feedback votes are recorded in
    (with `own_votes=False` votes go to the FeedbackLog serve puts on the app, as in production).
    Extra keyword arguments are `Settings` fields, e.g. `officers="slack:U1", announce_channel="C1"`.
    """
    from adapters.slack.mount import build_mount
    from adapters.slack.settings import SlackSettings
    from bot.serve import create_app
    from bot.settings import Settings

    fake = FakeSlackApi().start()
    votes: list[tuple] = []
    slack = SlackSettings(bot_token="xoxb-test", signing_secret=secret, api_url=fake.api_url)
    config = Settings(data_dir=data_dir, **settings)
    mount, note = build_mount(config, slack, (lambda *args: votes.append(args)) if own_votes else None)
    assert mount is not None, note
    server = LiveServer(create_app(config, lambda: assistant, [mount])).start().wait_ready()
    try:
        yield server, fake, SlackSender(server.port, secret), votes
    finally:
        server.stop()
        fake.stop()


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every mrkdwn/plain text in a list of blocks, with quote markers removed."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(line.removeprefix("> ") for text in out for line in text.splitlines())


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button in the blocks (actions blocks and accessories)."""
    found: dict[str, str] = {}
    for block in blocks:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("type") == "button":
                found.setdefault(element["action_id"], element.get("value", ""))
    return found
