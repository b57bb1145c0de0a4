"""Runs the synchronous core off the event loop: a bounded worker pool and a load-in-background start.

The server answers /healthz at once and /readyz with 503 until the model and index are loaded; model
work goes to a small thread pool (torch and FAISS release the GIL while they compute), with a cap on
waiting requests so overload becomes a quick 503 rather than a growing queue. The assistant is
immutable, so concurrent requests share it safely; a new guidance version is swapped in whole.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.assistant import Assistant

T = TypeVar("T")
log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """The model and index are still loading (or failed to load)."""


class Busy(RuntimeError):
    """More requests are waiting than the configured queue allows."""


class AssistantHost:
    def __init__(self, load: Callable[[], Assistant], workers: int = 2, max_queue: int = 64) -> None:
        self._load = load
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="guidance-worker")
        self._max_queue = max_queue
        self._pending = 0
        self._lock = threading.Lock()
        self._assistant: Assistant | None = None
        self.load_error: str | None = None
        self._loaded = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._assistant is not None

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    async def start(self) -> None:
        """Load in a separate thread so the server is up (and /healthz answers) while the model loads."""
        loop = asyncio.get_running_loop()
        try:
            assistant = await loop.run_in_executor(None, self._load)
        except Exception as exc:  # the server stays up and /readyz says why
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("loading the assistant failed", extra={"error": self.load_error})
            return
        self.swap(assistant)
        self._loaded.set()

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._loaded.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def swap(self, assistant: Assistant) -> None:
        """Make another whole assistant current; requests already running finish on the one they took."""
        self._assistant = assistant

    async def run(self, work: Callable[[Assistant], T]) -> T:
        assistant = self._assistant  # taken once: a request never mixes two versions
        if assistant is None:
            raise NotReady(self.load_error or "the model and guidance index are still loading")
        with self._lock:
            if self._pending >= self._max_queue:
                raise Busy("too many requests are waiting; try again shortly")
            self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work, assistant)
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
