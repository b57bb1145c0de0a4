"""The platform-free core: answer a question, check a draft, or handle a neutral incoming message.

Synchronous and pure apart from the model it holds: adapters call it from worker threads. It never
logs or keeps the text it is given.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from bot.contracts import SUGGESTIONS_LEAD, AskResult, AskResultItem, CheckResult, FlagItem, IncomingMessage, Reply, SectionView
from bot.normalise import has_words, normalise_chat
from bot.routing import route

if TYPE_CHECKING:  # the CLI validates input before paying for these imports
    from knowledge.draft_check import DraftChecker
    from knowledge.model import GuidanceDocument
    from knowledge.retrieval import Retriever

MAX_QUESTION_CHARS = 1_000
MAX_DRAFT_CHARS = 10_000

ABSTAIN_MESSAGE = (
    "The guidance doesn't cover this. Please ask your monitoring officer or democratic services."
)
NOT_ENGLISH_MESSAGE = (
    "The guidance is written in English and I can only answer questions asked in English. "
    "Please rephrase, or ask your monitoring officer or democratic services."
)
HELP_TEXT = (
    "I answer questions from the council's social media guidance and check draft posts before you publish.\n"
    "• Ask a question, e.g. \"Can I tweet about this planning application?\"\n"
    "• Check a draft: start with \"check:\" and paste the post, e.g. \"check: Great turnout at the litter pick!\"\n"
    "A message that reads like a question is answered; anything else is checked as a draft. "
    "Draft checks are private and never stored."
)


class InputError(ValueError):
    """Input the assistant cannot work with; the message names the problem for the person who sent it."""


def _mostly_non_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin / len(letters) < 0.5


def _blank_controls(text: str) -> str:
    """Replace control characters with spaces, keeping every offset into the original text valid."""
    return "".join(" " if unicodedata.category(ch) == "Cc" and ch not in "\n\t" else ch for ch in text)


def validate_question(question: str) -> str:
    """The question as plain text, or InputError naming what is wrong (cheap: no model needed)."""
    text = normalise_chat(question)
    if not text:
        raise InputError("The question is empty: type a question about using social media as a councillor.")
    if not has_words(text):
        raise InputError("The question has no words, only emoji or symbols: type a question about using social media as a councillor.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"The question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
            "To check a long post, use check instead."
        )
    return text


def validate_draft(draft: str) -> None:
    if not draft.strip():
        raise InputError("The draft is empty: paste the text of the post you want checked.")
    if not has_words(draft):
        raise InputError("The draft has no words to check, only emoji or symbols: paste the text of the post you want checked.")
    if len(draft) > MAX_DRAFT_CHARS:
        raise InputError(
            f"The draft is {len(draft):,} characters long; the limit is {MAX_DRAFT_CHARS:,}. Check it in parts."
        )


class Assistant:
    """One guidance version's question answering and draft checking, wired together."""

    def __init__(self, document: GuidanceDocument, retriever: Retriever, checker: DraftChecker) -> None:
        self.document = document
        self.retriever = retriever
        self.checker = checker

    @property
    def guidance_version(self) -> str:
        return self.document.version_label

    def ask(self, question: str) -> AskResult:
        text = validate_question(question)
        if _mostly_non_latin(text):
            return AskResult(question=text, answered=False, results=[], guidance_version=self.guidance_version, message=NOT_ENGLISH_MESSAGE)
        found = self.retriever.retrieve(text)
        hits = found.hits[: self.retriever.settings.top_k] if found.answered else found.suggestions()
        results = [
            AskResultItem(section_id=h.section.id, title=h.section.title, passage=h.passage.text, score=round(h.score, 4))
            for h in hits
        ]
        if found.answered:
            message = f"From the guidance section \"{results[0].title}\"."
        else:
            titles = "; ".join(f"\"{r.title}\"" for r in results)
            message = ABSTAIN_MESSAGE + (f"{SUGGESTIONS_LEAD} {titles}?" if titles else "")
        return AskResult(question=text, answered=found.answered, results=results, guidance_version=self.guidance_version, message=message)

    def check(self, draft: str) -> CheckResult:
        validate_draft(draft)
        flags = self.checker.check(_blank_controls(draft))
        return CheckResult(
            flags=[
                FlagItem(
                    category=f.category,
                    severity=f.severity,  # type: ignore[arg-type]
                    start=f.start,
                    end=f.end,
                    evidence=draft[f.start : f.end],
                    section_id=f.section_id,
                    passage=f.passage,
                    advice=f.advice,
                    suggestion=f.suggestion,
                )
                for f in flags
            ],
            guidance_version=self.guidance_version,
        )

    def handle(self, message: IncomingMessage) -> Reply:
        """Route a neutral message and answer it; input problems become an error reply, never an exception."""
        routed = route(message)
        try:
            if routed.kind == "help":
                return Reply("help", HELP_TEXT)
            if routed.kind == "question":
                result = self.ask(routed.text)
                return Reply("answer", answer_text(result), ask=result, source_text=result.question)
            draft = normalise_chat(routed.text) if message.platform != "cli" else routed.text
            checked = self.check(draft)
            return Reply("check", check_text(checked), check=checked, private=message.in_channel, source_text=draft)
        except InputError as exc:
            return Reply("error", str(exc), private=message.in_channel)

    def whole_section(self, section_id: str) -> Reply:
        """The "Show the whole section" view; an unknown id (say, from an old version's button) is an error reply."""
        section = self.document.section(section_id)
        if section is None:
            return Reply("error", f"That section ({section_id}) is not in guidance version {self.guidance_version}.")
        view = SectionView(
            section_id=section.id,
            title=section.title,
            heading_path=section.heading_path,
            passages=tuple(p.text for p in section.passages),
            guidance_version=self.guidance_version,
        )
        body = "\n\n".join(view.passages)
        return Reply("section", f"{section.title}\n\n{body}\n(Guidance version {self.guidance_version})", section=view)


def answer_text(result: AskResult) -> str:
    """Plain-text rendering: the fallback every platform needs alongside its rich card."""
    if not result.answered:
        return result.message
    best = result.results[0]
    quoted = "\n".join(f"> {line}" for line in best.passage.splitlines())
    return f"{best.title}\n{quoted}\n(Guidance version {result.guidance_version})"


def check_text(result: CheckResult) -> str:
    if not result.flags:
        return f"No risks found against the guidance (version {result.guidance_version}). Use your judgement before posting."
    lines = [f"{len(result.flags)} possible risk{'s' if len(result.flags) != 1 else ''} found:"]
    for flag in result.flags:
        label = re.sub(r"_", " ", flag.category)
        lines.append(f"• {label} ({flag.severity}): \"{flag.evidence}\" – {flag.advice}")
    return "\n".join(lines)
