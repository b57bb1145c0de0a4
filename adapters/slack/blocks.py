"""The core's Reply as Block Kit: title, quoted passage, version, flags with their words, and buttons.

Slack's limits are enforced here, not hoped for: 3,000 characters a section text, 50 blocks a message,
2,000 characters a button value, 75 a button label. `&`, `<` and `>` are escaped everywhere (also in
the plain `text` fallback, which Slack parses too), so guidance or drafts cannot inject mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.slack import ids
from adapters.slack.translate import MAX_BUTTON_VALUE, vote_value
from bot.contracts import Reply

Block = dict[str, Any]
MAX_SECTION = 3_000
MAX_BLOCKS = 50
MAX_FALLBACK = 3_000
MAX_LABEL = 75
_SEVERITY_ICON = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":large_blue_circle:"}


@dataclass(frozen=True)
class Rendered:
    text: str  # plain fallback for notifications and clients without Block Kit
    blocks: list[Block] = field(default_factory=list)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> int:
    """Where to cut escaped text at most `limit` long: a newline or space if near, never inside an entity."""
    cut = limit
    for sep in ("\n", " "):
        at = text.rfind(sep, limit // 2, limit)
        if at > 0:
            cut = at
            break
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp >= 0 and ";" not in text[amp:cut]:
        cut = amp
    return max(cut, 1)


def chunks(escaped: str, limit: int = MAX_SECTION) -> list[str]:
    """Split already-escaped mrkdwn into pieces that each fit one section block."""
    out: list[str] = []
    rest = escaped
    while len(rest) > limit:
        at = _cut(rest, limit)
        out.append(rest[:at].rstrip())
        rest = rest[at:].lstrip("\n ")
    if rest.strip():
        out.append(rest)
    return out


def section(mrkdwn: str) -> list[Block]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in chunks(mrkdwn)]


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:MAX_SECTION]}]}


def quote(text: str) -> str:
    return "\n".join(f"> {escape(line)}" if line.strip() else ">" for line in text.splitlines())


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…", "emoji": True},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    return element


def fallback(reply: Reply) -> str:
    text = escape(reply.text)
    return text if len(text) <= MAX_FALLBACK else text[: _cut(text, MAX_FALLBACK - 1)] + "…"


def _answer_blocks(reply: Reply) -> list[Block]:
    result = reply.ask
    assert result is not None
    if not result.answered:
        blocks = section(escape(result.notice))
        if result.results:
            blocks.append(context("Did you mean one of these sections?"))
            blocks.append({"type": "actions", "elements": [button(f"Show “{r.title}”", ids.ACTION_SHOW_SECTION, r.section_id) for r in result.results[:5]]})
        return blocks
    best = result.results[0]
    blocks = section(f"*{escape(best.title)}*")
    blocks += section(quote(best.passage))
    blocks.append(context(f"Guidance version {escape(result.guidance_version)} · section `{escape(best.section_id)}`"))
    return blocks


def _check_blocks(reply: Reply) -> list[Block]:
    result = reply.check
    assert result is not None
    if not result.flags:
        return section(":white_check_mark: " + escape(reply.text))
    count = len(result.flags)
    blocks = section(f"*{count} possible risk{'s' if count != 1 else ''} found in your draft* (only you can see this)")
    for n, flag in enumerate(result.flags, 1):
        label = flag.category.replace("_", " ").capitalize()
        lines = [
            f"*{n}. {escape(label)}* {_SEVERITY_ICON.get(flag.severity, '')} {flag.severity}",
            f"Words: *“{escape(flag.evidence)}”*",
            f"Advice: {escape(flag.advice)}",
        ]
        if flag.suggestion:
            lines.append(f"Try instead: _{escape(flag.suggestion)}_")
        lines.append(quote(flag.passage))
        head = section("\n".join(lines))
        if head and flag.section_id:
            head[0]["accessory"] = button("Whole section", ids.ACTION_SHOW_SECTION, flag.section_id)
        blocks += head
    blocks.append(context(f"Guidance version {escape(result.guidance_version)} · draft text is not stored"))
    return blocks


def _section_blocks(reply: Reply) -> list[Block]:
    view = reply.section
    assert view is not None
    blocks = section(f"*{escape(' › '.join(view.heading_path) or view.title)}*")
    blocks += section("\n\n".join(quote(p) for p in view.passages))
    blocks.append(context(f"Guidance version {escape(view.guidance_version)} · section `{escape(view.section_id)}`"))
    return blocks


def _actions(reply: Reply) -> list[Block]:
    """Buttons under an answer or a check: feedback, the whole section, and the switch."""
    if reply.kind == "answer" and reply.ask is not None:
        first = reply.ask.results[0] if reply.ask.answered and reply.ask.results else None
        version, section_id = reply.ask.guidance_version, first.section_id if first else ""
        switch = ("Check this as a draft instead", ids.ACTION_AS_DRAFT)
    elif reply.kind == "check" and reply.check is not None:
        version = reply.check.guidance_version
        section_id = reply.check.flags[0].section_id if reply.check.flags else ""
        first = None
        switch = ("Ask this as a question instead", ids.ACTION_AS_QUESTION)
    else:
        return []
    vote = vote_value(section_id, version, reply.kind)
    elements = [
        button(":thumbsup: Helpful", ids.ACTION_HELPFUL, vote),
        button(":thumbsdown: Not helpful", ids.ACTION_NOT_HELPFUL, vote),
    ]
    if first is not None:
        elements.append(button("Show the whole section", ids.ACTION_SHOW_SECTION, first.section_id))
    if reply.source_text and len(reply.source_text) <= MAX_BUTTON_VALUE:  # too long to carry: no switch
        elements.append(button(switch[0], switch[1], reply.source_text))
    return [{"type": "actions", "block_id": "reply_actions", "elements": elements}]


def render_reply(reply: Reply, *, buttons: bool = True) -> Rendered:
    """Block Kit for any Reply, never more than 50 blocks; the buttons always survive trimming."""
    if reply.kind == "answer" and reply.ask is not None:
        body = _answer_blocks(reply)
    elif reply.kind == "check" and reply.check is not None:
        body = _check_blocks(reply)
    elif reply.kind == "section" and reply.section is not None:
        body = _section_blocks(reply)
    else:
        body = section(escape(reply.text)) or section("(empty reply)")
    tail = _actions(reply) if buttons else []
    room = MAX_BLOCKS - len(tail)
    if len(body) > room:
        body = body[: room - 1] + [context("Too long to show in full here. Use “Show the whole section” or the web chat.")]
    return Rendered(fallback(reply), body + tail)


def thanks_blocks(blocks: list[Block], helpful: bool) -> list[Block]:
    """The same message with the feedback buttons replaced by a thank-you, so a vote is given once."""
    note = "Thanks: recorded as helpful." if helpful else "Thanks: recorded as not helpful. Officers review these."
    out: list[Block] = []
    for block in blocks:
        if block.get("type") == "actions":
            kept = [e for e in block.get("elements", []) if e.get("action_id") not in (ids.ACTION_HELPFUL, ids.ACTION_NOT_HELPFUL)]
            if len(kept) != len(block.get("elements", [])):
                out.append(context(note))
            if kept:
                out.append({**block, "elements": kept})
            continue
        out.append(block)
    return out
