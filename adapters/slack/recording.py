"""Where the Slack adapter hands what members asked and their votes: the FeedbackLog `serve` provides.

Both calls run off the event loop (the log writes SQLite) and never raise into bolt: a failing store
must not stop an answer. Draft text never comes here; votes carry no message text at all.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import TYPE_CHECKING, Any, Protocol

from adapters.slack.translate import PLATFORM

if TYPE_CHECKING:
    from bot.contracts import AskResult

log = logging.getLogger("adapters.slack.app")


class FeedbackRecorder(Protocol):
    """What the adapter needs from the feedback store (bot/feedback.py FeedbackLog.record fits it).

    `question` is always "" from Slack: no message text is stored with a vote.
    """

    def __call__(self, platform: str, user_id: str, helpful: bool, section_id: str, guidance_version: str, question: str) -> Any: ...


class AskRecorder(Protocol):
    """Where answered questions go for the officers' report (FeedbackLog.record_ask fits it): the log
    keeps what its settings allow (by default the redacted text of unanswered questions only)."""

    def __call__(self, platform: str, user_id: str, result: AskResult) -> Any: ...


async def record_ask(record: AskRecorder, user_id: str, result: AskResult) -> None:
    """Store an answered question off the event loop; a failing store never breaks Slack."""
    try:
        outcome = await asyncio.to_thread(record, PLATFORM, user_id, result)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as exc:
        log.error("recording a Slack question failed", extra={"error": type(exc).__name__})


async def record_vote(record: FeedbackRecorder, user_id: str, helpful: bool, section_id: str, version: str) -> None:
    """Store a vote off the event loop (the store may write a file); a failing store never breaks Slack."""
    try:
        result = await asyncio.to_thread(record, PLATFORM, user_id, helpful, section_id, version, "")
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        log.error("recording Slack feedback failed", extra={"error": type(exc).__name__})
