"""A real aiohttp server on a free port in a background thread, and a tiny HTTP client for tests."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web


class LiveServer:
    """Runs an app on host:0 (a free port) in its own event loop thread until `stop()`."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # surfaced by start(), not lost in the thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def start(self) -> LiveServer:
        self._thread.start()
        if not self._started.wait(30):
            raise TimeoutError("the server did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"the server failed to start: {self._error!r}") from self._error
        return self

    def wait_ready(self, timeout: float = 120.0) -> LiveServer:
        """Poll /readyz until the assistant is loaded (it loads in the background after start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if request(self.port, "GET", "/readyz").status == 200:
                return self
            time.sleep(0.05)
        raise TimeoutError(f"/readyz did not turn 200 within {timeout} s")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | str | dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Response:
    """Always to 127.0.0.1: tests never send traffic anywhere else."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=headers)
    raw = conn.getresponse()
    out = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
    conn.close()
    return out
