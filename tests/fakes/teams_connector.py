"""A fake Bot Framework connector service on loopback: the `serviceUrl` the bot replies to in tests.

Records every activity the bot posts (POST /v3/conversations/{id}/activities[/{activityId}]) and
answers POST /v3/conversations (the bot opening a 1:1 chat) with a new conversation id. It also plays
the file host behind a Teams `downloadUrl`: `serve_file` returns a URL and `downloads` records each GET.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.scenario.live import LiveServer


@dataclass
class Posted:
    conversation_id: str
    reply_to_id: str | None
    activity: dict[str, Any]


class FakeConnector:
    """Start with `FakeConnector().start()`; `url` is the serviceUrl; `posted` what the bot sent."""

    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.created: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._post)
        app.router.add_get("/files/{name}", self._file)
        self._server = LiveServer(app)

    def start(self) -> FakeConnector:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url + "/"

    def serve_file(self, name: str, data: bytes) -> str:
        """Host `data` at a download URL, as SharePoint does for a file sent to the bot."""
        self.files[name] = data
        return f"{self._server.url}/files/{name}"

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        with self._lock:
            self.downloads.append(name)
        if name not in self.files:
            return web.Response(status=404)
        response = web.StreamResponse()  # chunked, no Content-Length: the bot must stop reading itself
        await response.prepare(request)
        data = self.files[name]
        try:
            for start in range(0, len(data), 256 * 1024):
                await response.write(data[start : start + 256 * 1024])
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the bot stopped reading (too large): expected
            pass
        return response

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.created.append(body)
            conversation_id = f"a:private-{next(self._ids)}"
        return web.json_response({"id": conversation_id, "activityId": "", "serviceUrl": self.url}, status=201)

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.posted.append(Posted(request.match_info["conversation_id"], request.match_info.get("activity_id"), body))
            activity_id = f"sent-{next(self._ids)}"
        return web.json_response({"id": activity_id}, status=201)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Posted]:
        """The first `count` posts, waiting for them to arrive (the bot posts during the request)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.posted) >= count:
                    return list(self.posted)
            time.sleep(0.02)
        with self._lock:
            return list(self.posted)
