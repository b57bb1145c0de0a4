"""Modal and App Home views: the "Check a draft" modal (input, progress, result) and the Home tab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.slack import ids
from adapters.slack.blocks import Block, context, escape, render_reply, section
from bot.assistant import MAX_DRAFT_CHARS
from bot.contracts import Reply

if TYPE_CHECKING:
    from knowledge.model import GuidanceDocument

MAX_VIEW_BLOCKS = 100
MAX_INPUT = 3_000  # Slack's limit on a plain_text_input's max_length
EXAMPLES = (
    "Can I tweet about this planning application?",
    "Can I share a photo of a resident at my surgery?",
    "Someone posted my password in a group chat, what should I do?",
    "check: Great turnout at the litter pick on Saturday, thank you all!",
)


def _modal(title: str, blocks: list[Block], submit: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.DRAFT_MODAL,
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if submit:
        view["submit"] = {"type": "plain_text", "text": submit[:24]}
    return view


def draft_modal() -> dict[str, Any]:
    """The global shortcut's modal: one multiline box; the result replaces it in the same modal."""
    return _modal(
        "Check a draft",
        [
            {
                "type": "input",
                "block_id": ids.DRAFT_BLOCK,
                "label": {"type": "plain_text", "text": "Paste the post you are about to publish"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.DRAFT_INPUT,
                    "multiline": True,
                    "max_length": min(MAX_INPUT, MAX_DRAFT_CHARS),
                    "placeholder": {"type": "plain_text", "text": "e.g. Great turnout at the litter pick on Saturday!"},
                },
            },
            context("Only you see the result. Draft text is not stored."),
        ],
        submit="Check",
    )


def checking_modal() -> dict[str, Any]:
    return _modal("Check a draft", section(":hourglass_flowing_sand: Checking your draft against the guidance…"))


def result_modal(reply: Reply) -> dict[str, Any]:
    return _modal("Draft check", render_reply(reply).blocks)


def section_modal(reply: Reply) -> dict[str, Any]:
    return _modal("Guidance section", render_reply(reply, buttons=False).blocks)


def home_view(document: GuidanceDocument) -> dict[str, Any]:
    """The App Home tab: what the bot does, the guidance's sections and version, examples to try."""
    meta = document.meta
    version = f"version {escape(document.version_label)}" + (f", effective {escape(meta.effective_date)}" if meta.effective_date else "")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Social media guidance assistant"}},
        *section(
            "I answer questions from the council's social media guidance for elected members, quoting the passage "
            "that applies, and I check draft posts for the risks the guidance names (defamation, copyright, data "
            "protection, bias and pre-determination, obscene material, bullying, password sharing, inflammatory "
            "language). Draft checks are private and never stored."
        ),
        {"type": "divider"},
        *section(f"*{escape(meta.title or 'The guidance')}*" + (f" – {escape(meta.council)}" if meta.council else "") + f"\n{version}"),
    ]
    lines = ["  " * max(0, s.level - 2) + f"• {escape(s.title)}" for s in document.sections]
    blocks += section("*Sections*\n" + "\n".join(lines))
    blocks.append({"type": "divider"})
    blocks += section(
        "*Try*\n"
        + "\n".join(f"• {escape(e)}" for e in EXAMPLES)
        + "\n\nMessage me here, mention me in a channel, use `/guidance <question>` or `/guidance check <draft>`, "
        "the *Check this post* message shortcut or the *Check a draft* shortcut."
    )
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def loading_home() -> dict[str, Any]:
    return {"type": "home", "blocks": section("The assistant is starting up; the guidance will show here in a minute.")}
