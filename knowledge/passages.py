"""Cut a section's blocks into passages, the units a reply quotes.

Kept apart from the document parser because the passage rules are the product's promise to members:
at most 1,000 characters, cut at sentence ends, and an item of a "Don't" list always carries its
"Don't:" so it can never be quoted as advice to do it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.model import Passage, Section

MAX_PASSAGE_CHARS = 1000

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_DO_TITLES = {"do", "dos", "do's", "do’s"}
_DONT_TITLES = {"don't", "dont", "don'ts", "donts", "don’t", "don’ts", "do not"}


@dataclass
class Block:
    """A paragraph or bullet of a section's body, before it becomes passages."""

    kind: str  # "paragraph" or "bullet"
    text: str


def _split_long(text: str) -> list[str]:
    """Cut text over the passage limit at sentence ends, so every quote stays readable."""
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > MAX_PASSAGE_CHARS:  # one enormous sentence: cut at a space
            cut = sentence.rfind(" ", 0, MAX_PASSAGE_CHARS) or MAX_PASSAGE_CHARS
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > MAX_PASSAGE_CHARS:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _list_kind(title: str) -> str | None:
    key = title.casefold().strip().rstrip(":")
    if key in _DO_TITLES:
        return "do"
    if key in _DONT_TITLES:
        return "dont"
    return None


def _prefixed(item: str, kind: str) -> str:
    label = "Do" if kind == "do" else "Don't"
    first = item[:1].lower() if item[1:2].islower() else item[:1]
    return f"{label}: {first}{item[1:]}"


def passages_for(section_id: str, title: str, blocks: list[Block]) -> tuple[Passage, ...]:
    list_kind = _list_kind(title)
    texts: list[tuple[str, str]] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "paragraph" and block.text.endswith(":") and i + 1 < len(blocks) and blocks[i + 1].kind == "bullet":
            j = i + 1
            items: list[str] = []
            while j < len(blocks) and blocks[j].kind == "bullet":
                items.append(blocks[j].text)
                j += 1
            joined = block.text + "\n" + "\n".join(f"- {item}" for item in items)
            if len(joined) <= MAX_PASSAGE_CHARS:
                texts.append(("paragraph", joined))
                i = j
                continue
        if block.kind == "bullet" and list_kind:
            texts.append((list_kind, _prefixed(block.text, list_kind)))
        else:
            texts.extend((block.kind, piece) for piece in _split_long(block.text))
        i += 1
    return tuple(Passage(id=f"{section_id}#{n}", section_id=section_id, text=t, kind=k) for n, (k, t) in enumerate(texts, 1))


def _is_lead_in(text: str) -> bool:
    return text.endswith(":") or "the following" in text.casefold()


def with_lead_in_previews(sections: list[Section]) -> tuple[Section, ...]:
    """A section that only introduces its subsections ("the following Do's and Don'ts") is quoted with
    the first item of each, so a member asking for the overview sees what it introduces."""
    out: list[Section] = []
    for i, section in enumerate(sections):
        children = []
        for later in sections[i + 1 :]:
            if later.level <= section.level:
                break
            if later.level == section.level + 1 and later.passages:
                children.append(later.passages[0].text)
        if len(section.passages) == 1 and children and _is_lead_in(section.passages[0].text):
            lead = section.passages[0]
            text = lead.text
            for child in children:
                line = f"\n- {child} …"
                if len(text) + len(line) > MAX_PASSAGE_CHARS:
                    break
                text += line
            section = Section(section.id, section.title, section.level, section.heading_path, (Passage(lead.id, lead.section_id, text, "lead-in"),))
        out.append(section)
    return tuple(out)
