"""The shapes the guidance takes once parsed: a document of sections, each cut into quotable passages.

These are the contract between the parser, the index, the retriever and the draft checker, so they
are frozen dataclasses with no behaviour beyond simple look-ups.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Passage:
    """A paragraph- or bullet-sized quote (at most 1,000 characters) that a reply can show on its own."""

    id: str
    section_id: str
    text: str
    kind: str = "paragraph"  # "paragraph", "bullet", "do" or "dont"


@dataclass(frozen=True)
class Section:
    """A headed part of the guidance with a stable id and the path of headings above it."""

    id: str
    title: str
    level: int
    heading_path: tuple[str, ...]
    passages: tuple[Passage, ...]

    @property
    def path_label(self) -> str:
        return " › ".join(self.heading_path)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.passages)


@dataclass(frozen=True)
class GuidanceMeta:
    """Front matter of a guidance document."""

    title: str
    council: str = ""
    version: str = ""
    effective_date: str = ""
    source: str = ""


@dataclass(frozen=True)
class GuidanceDocument:
    """One whole version of the guidance: what every answer and every draft check is drawn from."""

    meta: GuidanceMeta
    sections: tuple[Section, ...]
    content_hash: str = field(default="")

    @property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(p for s in self.sections for p in s.passages)

    @property
    def version_label(self) -> str:
        return self.meta.version or self.content_hash[:12]

    def section(self, section_id: str) -> Section | None:
        for section in self.sections:
            if section.id == section_id:
                return section
        return None

    def passage(self, passage_id: str) -> Passage | None:
        for p in self.passages:
            if p.id == passage_id:
                return p
        return None

    def find_passage(self, section_id: str, contains: str = "") -> Passage | None:
        """The passage of a section holding `contains` (case-insensitive), or the section's first."""
        section = self.section(section_id)
        if section is None or not section.passages:
            return None
        needle = contains.casefold()
        for p in section.passages:
            if needle and needle in p.text.casefold():
                return p
        return None if needle else section.passages[0]

    def search_passage(self, contains: str) -> Passage | None:
        """The first passage anywhere holding `contains`: a fallback when a section id has changed."""
        needle = contains.casefold()
        for p in self.passages:
            if needle and needle in p.text.casefold():
                return p
        return None


def hash_content(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
