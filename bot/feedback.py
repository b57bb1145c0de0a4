"""What members asked, kept for the officers' report: questions the bot could not answer and answers
marked helpful or not helpful.

Question text is redacted (bot/redact.py) before it is written, and stored only as the
`store_questions` setting allows: "unanswered" (the default) keeps the text of unanswered questions
only, "all" also keeps it with feedback, "off" keeps none. Draft posts are never passed here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from bot.redact import redact
from knowledge.store import GuidanceStore, now_iso

if TYPE_CHECKING:
    from bot.contracts import AskResult
    from bot.settings import Settings

MAX_STORED_CHARS = 1_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    platform TEXT NOT NULL,
    member TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    section_id TEXT NOT NULL,
    guidance_version TEXT NOT NULL,
    question TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    platform TEXT NOT NULL,
    member TEXT NOT NULL,
    nearest_section TEXT NOT NULL,
    guidance_version TEXT NOT NULL,
    question TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at);
CREATE INDEX IF NOT EXISTS unanswered_at ON unanswered (at);
"""


def member_key(platform: str, user_id: str) -> str:
    """A stable pseudonym, so the report can count distinct members without holding their ids."""
    return hashlib.sha256(f"{platform}:{user_id}".encode()).hexdigest()[:16]


class FeedbackLog:
    """Writes to the store's SQLite database; safe to share across threads (a connection per call)."""

    def __init__(self, data_dir: Path, store_questions: str = "unanswered") -> None:
        self.store = GuidanceStore.open(data_dir)
        self.store_questions = store_questions
        with self.store.connect() as db:
            db.executescript(SCHEMA)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackLog:
        return cls(settings.data_dir, settings.store_questions)

    def _text(self, question: str, keep: bool) -> str:
        return redact(question.strip())[:MAX_STORED_CHARS] if keep and question else ""

    def record(self, platform: str, user_id: str, helpful: bool, section_id: str, guidance_version: str, question: str = "") -> None:
        """A member's helpful / not helpful on an answer. `question` is the question, never a draft."""
        text = self._text(question, self.store_questions == "all")
        with self.store.connect() as db:
            db.execute(
                "INSERT INTO feedback (at, platform, member, helpful, section_id, guidance_version, question) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now_iso(), platform, member_key(platform, user_id), int(helpful), section_id, guidance_version, text),
            )

    def record_unanswered(self, platform: str, user_id: str, question: str, nearest_section: str, guidance_version: str) -> None:
        text = self._text(question, self.store_questions in {"unanswered", "all"})
        with self.store.connect() as db:
            db.execute(
                "INSERT INTO unanswered (at, platform, member, nearest_section, guidance_version, question) VALUES (?, ?, ?, ?, ?, ?)",
                (now_iso(), platform, member_key(platform, user_id), nearest_section, guidance_version, text),
            )

    def record_ask(self, platform: str, user_id: str, result: AskResult) -> None:
        """Call after every answer: an unanswered one is logged with its nearest ("did you mean") section."""
        if not result.answered:
            nearest = result.results[0].section_id if result.results else ""
            self.record_unanswered(platform, user_id, result.question, nearest, result.guidance_version)
