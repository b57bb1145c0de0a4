"""What changed between two guidance versions: sections added, removed and changed, and a readable diff.

Officers see this before they publish (the preview) and members may see it in the announcement, so it
speaks in sections and their titles rather than in line numbers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from knowledge.model import GuidanceDocument, Section


@dataclass(frozen=True)
class SectionRef:
    section_id: str
    title: str


@dataclass(frozen=True)
class Changes:
    added: tuple[SectionRef, ...]
    removed: tuple[SectionRef, ...]
    changed: tuple[SectionRef, ...]
    diff: str  # unified diff of the two documents rendered section by section

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        """One line per kind of change, e.g. "Added: Short-form video"."""
        if self.empty:
            return "No sections changed."
        parts = []
        for label, refs in (("Added", self.added), ("Removed", self.removed), ("Changed", self.changed)):
            if refs:
                parts.append(f"{label} ({len(refs)}): " + "; ".join(r.title for r in refs))
        return "\n".join(parts)

    def as_dict(self) -> dict[str, object]:
        def refs(items: tuple[SectionRef, ...]) -> list[dict[str, str]]:
            return [{"section_id": r.section_id, "title": r.title} for r in items]

        return {"added": refs(self.added), "removed": refs(self.removed), "changed": refs(self.changed), "diff": self.diff}


def _label(section: Section) -> str:
    return " › ".join(section.heading_path)


def _render(document: GuidanceDocument) -> list[str]:
    lines: list[str] = []
    for section in document.sections:
        lines.append(f"## {_label(section)}  [{section.id}]")
        for passage in section.passages:
            lines.extend(passage.text.splitlines())
        lines.append("")
    return lines


def _body(section: Section) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return section.title, section.heading_path, tuple(p.text for p in section.passages)


def compare(old: GuidanceDocument, new: GuidanceDocument, old_label: str = "current", new_label: str = "new") -> Changes:
    """Sections are matched by their stable id; a section whose title or text differs is "changed"."""
    old_by_id = {s.id: s for s in old.sections}
    new_by_id = {s.id: s for s in new.sections}
    added = tuple(SectionRef(s.id, _label(s)) for s in new.sections if s.id not in old_by_id)
    removed = tuple(SectionRef(s.id, _label(s)) for s in old.sections if s.id not in new_by_id)
    changed = tuple(
        SectionRef(s.id, _label(s)) for s in new.sections if s.id in old_by_id and _body(old_by_id[s.id]) != _body(s)
    )
    diff = "\n".join(
        line.rstrip("\n")
        for line in difflib.unified_diff(_render(old), _render(new), fromfile=old_label, tofile=new_label, n=2, lineterm="")
    )
    return Changes(added, removed, changed, diff)
