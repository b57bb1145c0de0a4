"""Turn guidance documents (Markdown with front matter, or plain text) into sections and passages.

Other councils' guidance arrives as Markdown or as text extracted from Word/PDF, so the plain-text
path detects headings itself. Passages are what a reply quotes: a paragraph or a bullet, never more
than 1,000 characters, and an item of a "Don't" list carries its "Don't:" so it cannot be misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from knowledge.model import GuidanceDocument, GuidanceMeta, Section, hash_content
from knowledge.passages import Block, passages_for, with_lead_in_previews


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{#([A-Za-z0-9/_.-]+)\})?\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦]|\d{1,2}[.)])\s+(.*)$")
_NUMBERED_HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")


class GuidanceParseError(ValueError):
    """The document cannot be turned into usable guidance; the message says why."""


@dataclass
class _RawSection:
    title: str
    level: int
    explicit_id: str | None
    blocks: list[Block] = field(default_factory=list)


def slugify(text: str) -> str:
    text = text.casefold().replace("’", "'").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "section"


def _split_front_matter(text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        return {}, text
    end = re.search(r"^---\s*$", text[3:], flags=re.M)
    if end is None:
        raise GuidanceParseError("The front matter starts with '---' but is never closed.")
    raw = text[3 : 3 + end.start()]
    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise GuidanceParseError(f"The front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise GuidanceParseError("The front matter must be a mapping of keys to values.")
    return data, text[3 + end.end() :]


def _blocks(lines: list[str]) -> list[Block]:
    """Group lines into paragraphs and bullets; a soft-wrapped line continues the block above."""
    blocks: list[Block] = []
    current: Block | None = None
    for line in lines:
        if not line.strip():
            current = None
            continue
        bullet = _BULLET.match(line)
        if bullet:
            current = Block("bullet", bullet.group(1).strip())
            blocks.append(current)
        elif current is not None:
            current.text = f"{current.text} {line.strip()}"
        else:
            current = Block("paragraph", line.strip())
            blocks.append(current)
    return _mend_page_breaks(blocks)


def _mend_page_breaks(blocks: list[Block]) -> list[Block]:
    """Rejoin a paragraph that a page break cut mid-sentence (ends on a comma, next starts lower-case)."""
    mended: list[Block] = []
    for block in blocks:
        prev = mended[-1] if mended else None
        if (
            prev is not None
            and prev.kind == block.kind == "paragraph"
            and prev.text[-1:] in {",", ";"}
            and block.text[:1].islower()
        ):
            prev.text = f"{prev.text} {block.text}"
        else:
            mended.append(block)
    return mended


def _build(meta: GuidanceMeta, raw_sections: list[_RawSection], source_text: str) -> GuidanceDocument:
    sections: list[Section] = []
    stack: list[tuple[int, str, str]] = []  # (level, id, title) of the open headings
    seen: set[str] = set()
    for raw in raw_sections:
        while stack and stack[-1][0] >= raw.level:
            stack.pop()
        parent_id = stack[-1][1] if stack else ""
        section_id = raw.explicit_id or (f"{parent_id}/{slugify(raw.title)}" if parent_id else slugify(raw.title))
        base, n = section_id, 2
        while section_id in seen:
            section_id, n = f"{base}-{n}", n + 1
        seen.add(section_id)
        path = tuple(t for _, _, t in stack) + (raw.title,)
        stack.append((raw.level, section_id, raw.title))
        passages = passages_for(section_id, raw.title, raw.blocks)
        if passages or any(r.level > raw.level for r in raw_sections):
            sections.append(Section(section_id, raw.title, raw.level, path, passages))
    if not any(s.passages for s in sections):
        raise GuidanceParseError("The document has no sections with text: nothing could be quoted from it.")
    return GuidanceDocument(meta=meta, sections=with_lead_in_previews(sections), content_hash=hash_content(source_text))


def parse_markdown(text: str, source: str = "") -> GuidanceDocument:
    """Markdown with optional YAML front matter; the single `#` heading is the document title."""
    front, body = _split_front_matter(text.lstrip("\ufeff"))
    raw_sections: list[_RawSection] = []
    title = str(front.get("title", "")).strip()
    pending: list[str] = []
    current: _RawSection | None = None

    def flush() -> None:
        nonlocal pending
        if current is not None:
            current.blocks.extend(_blocks(pending))
        elif any(line.strip() for line in pending):
            raw_sections.append(_RawSection("Overview", 2, None, _blocks(pending)))
        pending = []

    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading is None:
            pending.append(line)
            continue
        flush()
        level, heading_text, explicit = len(heading.group(1)), heading.group(2).strip(), heading.group(3)
        if level == 1 and not raw_sections and current is None:
            title = title or heading_text
            continue
        current = _RawSection(heading_text, max(level, 2), explicit)
        raw_sections.append(current)
    flush()
    meta = _meta(front, title or "Guidance", source)
    return _build(meta, raw_sections, text)


def _is_heading(block_lines: list[str]) -> bool:
    if len(block_lines) != 1:
        return False
    line = block_lines[0].strip()
    words = line.split()
    return (
        0 < len(words) <= 12
        and len(line) <= 90
        and line[-1] not in ".,;:!?)”\""
        and "\t" not in line
        and "," not in line
        and not _BULLET.match(line)
        and (line[0].isupper() or bool(_NUMBERED_HEADING.match(line)))
    )


def parse_plain_text(text: str, source: str = "") -> GuidanceDocument:
    """Text extracted from a Word or PDF file: short standalone lines become headings."""
    chunks = [c.splitlines() for c in re.split(r"\n\s*\n", text.lstrip("\ufeff").replace("\r\n", "\n"))]
    chunks = [[line for line in c if line.strip()] for c in chunks]
    chunks = [c for c in chunks if c]
    if not chunks:
        raise GuidanceParseError("The document is empty.")
    title = chunks[0][0].strip() if _is_heading(chunks[0]) else ""
    raw_sections: list[_RawSection] = []
    current: _RawSection | None = None
    for chunk in chunks[1:] if title else chunks:
        if _is_heading(chunk):
            line = chunk[0].strip()
            number = _NUMBERED_HEADING.match(line)
            level = 2 + (number.group(1).count(".") if number else 0)
            current = _RawSection(line, min(level, 6), None)
            raw_sections.append(current)
            continue
        if current is None:
            current = _RawSection("Overview", 2, None)
            raw_sections.append(current)
        current.blocks.extend(_blocks(chunk + [""]))
    for raw in raw_sections:
        raw.blocks = _mend_page_breaks(raw.blocks)
    return _build(_meta({}, title or "Guidance", source), raw_sections, text)


def _meta(front: dict[str, object], title: str, source: str) -> GuidanceMeta:
    return GuidanceMeta(
        title=title,
        council=str(front.get("council", "") or ""),
        version=str(front.get("version", "") or ""),
        effective_date=str(front.get("effective_date", "") or ""),
        source=str(front.get("source", "") or source),
    )


def parse_guidance(text: str, source: str = "") -> GuidanceDocument:
    """Markdown if it looks like Markdown (front matter or `#` headings), plain text otherwise."""
    if text.lstrip("\ufeff").startswith("---") or re.search(r"^#{1,6}\s+\S", text, flags=re.M):
        return parse_markdown(text, source)
    return parse_plain_text(text, source)


def load_path(path: Path) -> GuidanceDocument:
    return parse_guidance(path.read_text(encoding="utf-8"), source=path.name)


def default_guidance_text() -> str:
    return resources.files("knowledge").joinpath("guidance/default.md").read_text(encoding="utf-8")


def load_default() -> GuidanceDocument:
    """The bundled guidance every fresh install answers from."""
    return parse_markdown(default_guidance_text(), source="default.md")
