"""Hot reload: the running `serve` notices a new current guidance version and swaps it in whole.

Every 0.25 s the event loop reads SQLite's `PRAGMA data_version` (a counter that changes when any other
connection, in this process or another, commits) and, only when it moved, the current version number.
A different version is built off the loop (its index was built at publish time, so this is a load)
and handed to `AssistantHost.swap`; requests already running keep the assistant they took, so every
answer comes from one whole version. This module also puts the officer desk and the feedback log on
the app for the chat adapters (OFFICER_DESK_KEY, FEEDBACK_KEY).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.feedback import FeedbackLog
from bot.officer import OfficerDesk
from knowledge.store import GuidanceStore

if TYPE_CHECKING:
    from bot.assistant import Assistant
    from bot.host import AssistantHost
    from bot.settings import Settings

POLL_SECONDS = 0.25  # a PRAGMA read costs microseconds; the build dominates the 2 s budget
log = logging.getLogger(__name__)

OFFICER_DESK_KEY = web.AppKey("officer_desk", OfficerDesk)
FEEDBACK_KEY = web.AppKey("feedback_log", FeedbackLog)


class Reloader:
    """Polls the store and swaps a newly current version into the host; `swaps` counts the swaps made."""

    def __init__(self, store: GuidanceStore, host: AssistantHost, build: Callable[[int, Assistant], Assistant], interval: float = POLL_SECONDS) -> None:
        self.store = store
        self.host = host
        self._build = build
        self.interval = interval
        self._db: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self._current: int | None = None
        self._failed: int | None = None
        self.swaps = 0
        self.last_swap_at: float | None = None

    def current_version(self) -> int | None:
        """The store's current version, re-read only when another connection has committed since."""
        if self._db is None:
            self._db = sqlite3.connect(self.store.db_path, timeout=5, isolation_level=None, check_same_thread=False)
        data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if data_version != self._data_version or self._current is None:
            row = self._db.execute("SELECT number FROM versions WHERE current = 1").fetchone()
            self._data_version, self._current = data_version, (int(row[0]) if row else None)
        return self._current

    def serving_version(self) -> int | None:
        assistant = self.host.assistant
        label = assistant.guidance_version if assistant is not None else ""
        return int(label) if label.isdigit() else None

    async def check_once(self) -> bool:
        """Swap in the current version if the host serves another one; True when a swap happened."""
        current, serving = self.current_version(), self.serving_version()
        old = self.host.assistant
        if current is None or serving is None or old is None or current == serving or current == self._failed:
            return False
        started = time.monotonic()
        try:
            new = await asyncio.get_running_loop().run_in_executor(None, self._build, current, old)
        except Exception as exc:  # a damaged version must not stop the service: keep serving the old one
            self._failed = current
            log.error("guidance version could not be loaded; still serving the previous one", extra={"version": current, "error": f"{type(exc).__name__}: {exc}"})
            return False
        self.host.swap(new)
        self._failed = None
        self.swaps += 1
        self.last_swap_at = time.monotonic()
        log.info("guidance version swapped in", extra={"version": current, "previous": serving, "build_ms": round((self.last_swap_at - started) * 1000)})
        return True

    async def run(self) -> None:
        await self.host.wait_ready()
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check_once()
            except sqlite3.Error as exc:  # e.g. the store is locked for longer than the timeout: try again
                log.warning("could not read the guidance store", extra={"error": str(exc)})

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


RELOADER_KEY = web.AppKey("guidance_reloader", Reloader)
RELOADER_TASK_KEY = web.AppKey("guidance_reloader_task", asyncio.Task)


def store_builder(settings: Settings, store: GuidanceStore) -> Callable[[int, Assistant], Assistant]:
    """Build a version with the running assistant's model and retrieval settings (no second model load)."""

    def build(number: int, old: Assistant) -> Assistant:
        from bot.runtime import build_assistant

        return build_assistant(
            settings,
            embedder=old.retriever.embedder,
            document=store.document(number),
            retrieval=old.retriever.settings,
            index_directory=store.index_dir(number),
            rules_directory=store.rules_dir(number),  # a rules-only publish is a new version too
            tuned=old.checker.tuned,  # the draft check's tuned encoder, not loaded again
        )

    return build


def install(app: web.Application, host: AssistantHost, settings: Settings) -> None:
    """Start the reloader with the app and offer the officer desk and feedback log to the adapters.
    Does nothing when GUIDANCE_BOT_GUIDANCE_FILE pins a file, or the data dir cannot hold a store."""
    if settings.guidance_file is not None:
        return
    try:
        store = GuidanceStore.open(settings.data_dir)
        feedback = FeedbackLog(settings.data_dir, settings.store_questions)
    except (OSError, sqlite3.Error) as exc:
        log.warning("guidance store unavailable: no hot reload or officer commands", extra={"error": str(exc)})
        return
    app[OFFICER_DESK_KEY] = OfficerDesk.from_settings(
        settings, embedder=lambda: host.assistant.retriever.embedder if host.assistant is not None else None
    )
    app[FEEDBACK_KEY] = feedback
    reloader = Reloader(store, host, store_builder(settings, store))

    async def start(app: web.Application) -> None:
        app[RELOADER_TASK_KEY] = asyncio.get_running_loop().create_task(reloader.run())

    async def stop(app: web.Application) -> None:
        task = app.get(RELOADER_TASK_KEY)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        reloader.close()

    app[RELOADER_KEY] = reloader
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
