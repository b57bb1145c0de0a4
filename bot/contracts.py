"""The JSON contract other tools depend on (`ask --json`, `check --json`, the web API), and the neutral
message and reply types that adapters translate to and from their platforms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel


class AskResultItem(BaseModel):
    section_id: str
    title: str
    passage: str
    score: float


# An unanswered question's message ends with its suggestions: "... democratic services. Did you mean: "Do"?"
SUGGESTIONS_LEAD = " Did you mean:"


class AskResult(BaseModel):
    """Best first. When `answered` is false the results are "did you mean" sections, not answers."""

    question: str
    answered: bool
    results: list[AskResultItem]
    guidance_version: str
    message: str

    @property
    def notice(self) -> str:
        """The message without its suggestions, for replies that list the suggested sections themselves."""
        return self.message.split(SUGGESTIONS_LEAD)[0]


class FlagItem(BaseModel):
    category: str
    severity: Literal["high", "medium", "low"]
    start: int
    end: int
    evidence: str
    section_id: str
    passage: str
    advice: str
    suggestion: str | None


class CheckResult(BaseModel):
    flags: list[FlagItem]
    guidance_version: str


RouteKind = Literal["help", "question", "draft"]


@dataclass(frozen=True)
class IncomingMessage:
    """What any platform hands the core: plain text plus who and where, nothing platform-specific."""

    text: str
    user_id: str = ""
    platform: str = "cli"
    in_channel: bool = False
    force: Literal["question", "draft"] | None = None


@dataclass(frozen=True)
class Reply:
    """What the core hands back; adapters render it as Block Kit, Adaptive Cards, HTML or a terminal view.

    `private` is set for draft checks asked in a channel: the adapter must answer only the asker.
    """

    kind: Literal["help", "answer", "check", "section", "officer", "error"]
    text: str
    ask: AskResult | None = None
    check: CheckResult | None = None
    private: bool = False
    source_text: str = ""  # what was answered or checked, so adapters can offer "ask/check this instead"
    section: SectionView | None = None


@dataclass(frozen=True)
class SectionView:
    """A whole guidance section, for the "Show the whole section" button."""

    section_id: str
    title: str
    heading_path: tuple[str, ...]
    passages: tuple[str, ...]
    guidance_version: str
