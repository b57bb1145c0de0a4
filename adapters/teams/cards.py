"""The core's Reply as an Adaptive Card (schema 1.5), with the plain text as the card's fallback.

Pure JSON building: no SDK import. Buttons are Action.Submit whose data carries `guidanceAction`
(see translate.card_action); Teams sends that data back as the next activity's `value`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.assistant import MAX_QUESTION_CHARS
from bot.contracts import AskResult, CheckResult, Reply

from adapters.teams.translate import ACTION_KEY

if TYPE_CHECKING:
    from bot.officer_results import OfficerResult, Preview

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
AS_DRAFT = "Check this as a draft instead"
AS_QUESTION = "Ask this as a question instead"
SHOW_SECTION = "Show the whole section"
_SEVERITY_COLOUR = {"high": "Attention", "medium": "Warning", "low": "Accent"}
_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "*_[]`#>"})

Card = dict[str, Any]


def _md(text: str) -> str:
    """User and guidance text shown literally: Adaptive Card TextBlocks read a little Markdown."""
    return text.translate(_MD_SPECIAL)


def _text(text: str, **style: Any) -> Card:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _quote(passage: str) -> Card:
    return {"type": "Container", "style": "emphasis", "items": [_text(_md(passage), isSubtle=False)]}


def _submit(title: str, **data: Any) -> Card:
    return {"type": "Action.Submit", "title": title, "data": data}


def _card(body: list[Card], actions: list[Card], fallback: str) -> Card:
    card: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body, "fallbackText": fallback}
    if actions:
        card["actions"] = actions
    return card


def attachment(card: Card) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}


def _feedback(section_id: str, version: str) -> list[Card]:
    """Helpful / Not helpful; the data names the section and version only, never the member's text."""
    common = {ACTION_KEY: "feedback", "sectionId": section_id, "version": version}
    return [_submit("Helpful", helpful=True, **common), _submit("Not helpful", helpful=False, **common)]


def _section_button(section_id: str, title: str = SHOW_SECTION) -> Card:
    return _submit(title, **{ACTION_KEY: "section", "sectionId": section_id})


def _switch(force: str, text: str) -> Card:
    return _submit(AS_DRAFT if force == "draft" else AS_QUESTION, **{ACTION_KEY: "switch", "force": force, "text": text})


def answer_card(result: AskResult, fallback: str, *, offer_switch: bool, source_text: str) -> Card:
    actions: list[Card] = []
    if result.answered:
        best = result.results[0]
        body = [
            _text(_md(best.title), weight="Bolder", size="Medium"),
            _quote(best.passage),
            _text(f"Guidance version {_md(result.guidance_version)} · section {_md(best.section_id)}", isSubtle=True, size="Small"),
        ]
        actions += _feedback(best.section_id, result.guidance_version)
        actions.append(_section_button(best.section_id))
    else:
        body = [_text("Not covered by the guidance", weight="Bolder", size="Medium"), _text(_md(result.message))]
        actions += [_section_button(r.section_id, f"Show: {r.title}"[:60]) for r in result.results[:3]]
        actions += _feedback("", result.guidance_version)
    if offer_switch and source_text:
        actions.append(_switch("draft", source_text))
    return _card(body, actions, fallback)


def check_card(result: CheckResult, fallback: str, *, offer_switch: bool, source_text: str) -> Card:
    n = len(result.flags)
    if not n:
        body = [
            _text("No risks found", weight="Bolder", size="Medium", color="Good"),
            _text("Nothing in the draft matched the risks the guidance names. Use your judgement before posting."),
        ]
    else:
        body = [_text(f"{n} possible risk{'s' if n != 1 else ''} found", weight="Bolder", size="Medium", color="Attention")]
    for flag in result.flags:
        items: list[Card] = [
            _text(f"**{flag.category.replace('_', ' ').capitalize()}** · {flag.severity} risk", color=_SEVERITY_COLOUR[flag.severity]),
            _text(f"Words: “{_md(flag.evidence)}”"),
            _text(f"Advice: {_md(flag.advice)}"),
        ]
        if flag.suggestion:
            items.append(_text(f"Try instead: {_md(flag.suggestion)}", color="Good"))
        items.append(_quote(flag.passage))
        items.append({"type": "ActionSet", "actions": [_section_button(flag.section_id)]})
        body.append({"type": "Container", "separator": True, "spacing": "Medium", "items": items})
    body.append(_text(f"Guidance version {_md(result.guidance_version)}. The draft is not stored.", isSubtle=True, size="Small"))
    first = result.flags[0].section_id if result.flags else ""
    actions = _feedback(first, result.guidance_version)  # never the draft text
    if offer_switch and source_text and len(source_text) <= MAX_QUESTION_CHARS:
        actions.append(_switch("question", source_text))
    return _card(body, actions, fallback)


def section_card(reply: Reply) -> Card:
    view = reply.section
    if view is None:
        return message_card(reply.text)
    body = [
        _text(_md(" › ".join(view.heading_path) or view.title), weight="Bolder", size="Medium"),
        *(_quote(p) for p in view.passages),
        _text(f"Guidance version {_md(view.guidance_version)} · section {_md(view.section_id)}", isSubtle=True, size="Small"),
    ]
    return _card(body, [], reply.text)


def message_card(text: str, *, warning: bool = False) -> Card:
    style = {"color": "Attention"} if warning else {}
    return _card([_text(_md(text), **style)], [], text)


def reply_card(reply: Reply, *, personal: bool) -> Card:
    """Any core reply as a card; the switch button is offered in personal chat, as in Slack's DMs."""
    if reply.kind == "answer" and reply.ask is not None:
        return answer_card(reply.ask, reply.text, offer_switch=personal, source_text=reply.source_text)
    if reply.kind == "check" and reply.check is not None:
        return check_card(reply.check, reply.text, offer_switch=personal, source_text=reply.source_text)
    if reply.kind == "section":
        return section_card(reply)
    return message_card(reply.text, warning=reply.kind == "error")


DIFF_LINES = 24  # a preview shows the start of the diff; the CLI's `guidance diff` shows all of it
_DIFF_COLOUR = {"+": "Good", "-": "Attention", "@": "Accent"}


def _diff_excerpt(diff: str) -> Card:
    """The diff's first lines as plain runs (RichTextBlock reads no Markdown, so `-`/`+` stay literal)."""
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    shown = [line if len(line) <= 160 else line[:159] + "…" for line in lines[:DIFF_LINES]]
    if len(lines) > DIFF_LINES:
        shown.append(f"… {len(lines) - DIFF_LINES} more lines (guidance-bot guidance diff shows them all)")
    runs = [
        {"type": "TextRun", "text": line + "\n", "fontType": "Monospace", "size": "Small", **({"color": _DIFF_COLOUR[line[0]]} if line[:1] in _DIFF_COLOUR else {})}
        for line in shown
    ]
    return {"type": "RichTextBlock", "inlines": runs or [{"type": "TextRun", "text": "(no differences in the text)"}]}


def preview_card(preview: Preview) -> Card:
    """What publishing a file would change, with Publish / Cancel buttons carrying the preview's id."""

    def titles(refs: tuple[Any, ...]) -> str:
        return _md("; ".join(r.title for r in refs)) or "none"

    body = [
        _text(f"Preview: guidance version {preview.version}", weight="Bolder", size="Medium"),
        _text(f"{_md(preview.filename)}: {preview.sections} sections, {preview.passages} passages. Version {preview.current_version} is current; nothing changes until you publish."),
        {"type": "FactSet", "facts": [
            {"title": "Added", "value": titles(preview.added)},
            {"title": "Removed", "value": titles(preview.removed)},
            {"title": "Changed", "value": titles(preview.changed)},
        ]},
        {"type": "Container", "style": "emphasis", "items": [_diff_excerpt(preview.diff)]},
    ]
    if not (preview.added or preview.removed or preview.changed):
        body.insert(2, _text("The text is the same as the current version.", color="Warning"))
    if preview.examples_dropped:
        phrases = _md("; ".join(f'"{p}"' for p in preview.examples_dropped))[:900]
        body.insert(3, _text(f"Example questions no longer matched ({len(preview.examples_dropped)}): {phrases}. Members' own wordings for those passages will be recognised less well.", color="Warning"))
    data = {ACTION_KEY: "officer", "previewId": preview.preview_id}
    actions = [
        {**_submit(f"Publish version {preview.version}", command="publish", **data), "style": "positive"},
        _submit("Cancel", command="cancel", **data),
    ]
    return _card(body, actions, preview.summary)


def officer_card(result: OfficerResult) -> Card:
    """An officer command's outcome: the preview card, or its message (a refusal or error in red)."""
    if result.preview is not None:
        return preview_card(result.preview)
    return message_card(result.text, warning=not result.ok)


EXAMPLE_QUESTION = "Can I tweet about a planning application?"
EXAMPLE_DRAFT = "Great turnout at the litter pick this morning, thank you all!"


def welcome_card() -> Card:
    """Sent when the app is installed: what it does, how to use it, and two one-click examples."""
    body = [
        _text("Social media guidance assistant", weight="Bolder", size="Large"),
        _text("I answer questions from the council's social media guidance for councillors, and check draft posts before you publish."),
        _text("• **Ask** a question in this chat, e.g. “Can I tweet about a planning application?”\n"
              "• **Check a draft**: start with “check:” and paste the post. Checks are private and never stored.\n"
              "• In a channel, @mention me with a question.\n"
              "• On any message, choose … › **Check this post**."),
    ]
    actions = [_switch("question", EXAMPLE_QUESTION), _switch("draft", EXAMPLE_DRAFT)]
    actions[0]["title"] = "Try a question"
    actions[1]["title"] = "Try a draft check"
    fallback = "Social media guidance assistant: ask me a question, or send \"check:\" followed by a draft post."
    return _card(body, actions, fallback)
