"""Turn an uploaded guidance file (Markdown, plain text, Word or PDF) into text the parser accepts.

Officers publish whatever their word processor produces, so this is the gate: it refuses, with a
reason an officer can act on, anything too large, of another type, unreadable, without sections or
with an empty section, before a single byte is written to the store.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from knowledge.model import GuidanceDocument
from knowledge.parse import GuidanceParseError, parse_markdown, parse_plain_text

MAX_BYTES = 5 * 1024 * 1024
KINDS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".docx": "docx", ".pdf": "pdf"}
ACCEPTED = "Markdown (.md), plain text (.txt), Word (.docx) or PDF (.pdf)"
TextFormat = Literal["markdown", "plain"]

_MD_HEADING = re.compile(r"^(#{1,6})\s+\S")


class IngestError(ValueError):
    """The file cannot become a guidance version; the message says why, for the officer who sent it."""


@dataclass(frozen=True)
class Ingested:
    """A validated upload: the text that will be stored and re-parsed, and the document it parses to."""

    filename: str
    kind: str  # "markdown", "text", "docx" or "pdf"
    text: str
    format: TextFormat
    document: GuidanceDocument


def parse_text(text: str, fmt: TextFormat, source: str = "") -> GuidanceDocument:
    """The one way stored text becomes a document, so a version parses the same on every load."""
    return parse_markdown(text, source) if fmt == "markdown" else parse_plain_text(text, source)


def ingest(data: bytes, filename: str) -> Ingested:
    """Validate and parse an upload; raises IngestError naming the problem."""
    name = PurePath(filename or "").name or "the file"
    suffix = PurePath(name).suffix.lower()
    if len(data) > MAX_BYTES:
        raise IngestError(f"{name} is {len(data) / 1_048_576:.1f} MB; the limit is {MAX_BYTES // 1_048_576} MB.")
    kind = KINDS.get(suffix)
    if kind is None:
        shown = f"a {suffix} file" if suffix else "a file without an extension"
        raise IngestError(f"{name} is {shown}; guidance must be {ACCEPTED}.")
    if not data.strip():
        raise IngestError(f"{name} is empty.")
    if kind == "docx":
        text, fmt = _docx_text(data, name)
    elif kind == "pdf":
        text, fmt = _pdf_text(data, name), "plain"
    else:
        text = _decode(data, name)
        fmt = "markdown" if kind == "markdown" or text.lstrip("\ufeff").startswith("---") or _has_md_headings(text) else "plain"
    return Ingested(name, kind, text, fmt, validate(text, fmt, name))


def validate(text: str, fmt: TextFormat, name: str) -> GuidanceDocument:
    """Parse and insist on real sections: at least one heading and no heading left without text."""
    if not text.strip():
        raise IngestError(f"{name} has no text.")
    if fmt == "markdown":
        empty = _empty_markdown_sections(text)
        if empty:
            listed = ", ".join(f'"{title}"' for title in empty[:5])
            raise IngestError(f"{name} has {'an empty section' if len(empty) == 1 else 'empty sections'} (a heading with no text under it): {listed}.")
    try:
        document = parse_text(text, fmt, name)
    except GuidanceParseError as exc:
        raise IngestError(f"{name} could not be read as guidance: {exc}") from None
    with_text = [s for s in document.sections if s.passages]
    if not with_text or (len(with_text) == 1 and with_text[0].id == "overview"):  # only the parser's stand-in
        raise IngestError(f"{name} has no sections: give each part of the guidance a heading so answers can cite it.")
    return document


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{name} is not a text file (it contains binary data).")
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            break
        if "\x00" in text:
            break
        return text.replace("\r\n", "\n")
    raise IngestError(f"{name} is not UTF-8 text: save it as UTF-8 and send it again.")


def _has_md_headings(text: str) -> bool:
    return any(_MD_HEADING.match(line) for line in text.splitlines())


def _empty_markdown_sections(text: str) -> list[str]:
    """Headings followed by nothing but a heading of the same or a higher level (or the end)."""
    from knowledge.parse import _HEADING, _split_front_matter

    try:
        _, body = _split_front_matter(text.lstrip("\ufeff"))
    except GuidanceParseError:
        return []  # reported by the parser with its own reason
    open_heading: tuple[int, str] | None = None
    has_text = False
    empty: list[str] = []
    seen_section = False
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match is None:
            has_text = has_text or bool(line.strip())
            continue
        level = len(match.group(1))
        if open_heading is not None and not has_text and level <= open_heading[0]:
            empty.append(open_heading[1])
        if level == 1 and not seen_section:
            open_heading = None  # the document title
        else:
            open_heading, seen_section = (level, match.group(2).strip()), True
        has_text = False
    if open_heading is not None and not has_text:
        empty.append(open_heading[1])
    return empty


def _docx_text(data: bytes, name: str) -> tuple[str, TextFormat]:
    """Word paragraphs to Markdown: Title/Heading N styles become headings, list styles bullets."""
    if not data.startswith(b"PK"):
        raise IngestError(f"{name} could not be read as a Word document (it is not a .docx file).")
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        headings = 0
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block))
                continue
            text = " ".join(block.text.split())
            if not text:
                continue
            style = (block.style.name if block.style is not None else "") or ""
            level = _heading_level(style)
            if level is not None:
                headings += 1
                lines.extend(["", "#" * level + " " + text, ""])
            elif "list" in style.casefold():
                lines.append(f"- {text}")
            else:
                lines.extend(["", text, ""])
    except IngestError:
        raise
    except Exception as exc:  # python-docx raises many types for damaged files
        raise IngestError(f"{name} could not be read as a Word document ({type(exc).__name__}).") from None
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text, ("markdown" if headings else "plain")


def _heading_level(style: str) -> int | None:
    key = style.casefold()
    if key == "title":
        return 1
    match = re.fullmatch(r"heading\s*(\d)", key)
    return min(int(match.group(1)) + 1, 6) if match else None


def _table_lines(table: object) -> list[str]:
    """A table read column by column (a Do's/Don'ts table is two lists), header cell as the lead-in."""
    rows = [[" ".join(cell.text.split()) for cell in row.cells] for row in table.rows]  # type: ignore[attr-defined]
    lines: list[str] = []
    for col in range(max((len(r) for r in rows), default=0)):
        cells = [r[col] for r in rows if col < len(r) and r[col]]
        if not cells:
            continue
        lines.extend(["", cells[0].rstrip(":") + ":"] + [f"- {c}" for c in cells[1:]] + [""])
    return lines


def _pdf_text(data: bytes, name: str) -> str:
    if not data.lstrip().startswith(b"%PDF-"):
        raise IngestError(f"{name} could not be read as a PDF (it does not start like one).")
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{name} is password-protected: send an unprotected copy.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise IngestError(f"{name} could not be read as a PDF ({type(exc).__name__}).") from None
    text = "\n\n".join(_pdf_paragraphs(page) for page in pages)
    if not text.strip():
        raise IngestError(f"{name} has no text layer (is it a scanned image?): send the Word or text version.")
    return text


def _pdf_paragraphs(page: str) -> str:
    """Extracted PDF text has no blank lines: put them round heading-like lines and after sentence ends."""
    out: list[str] = []
    lines = [line.rstrip() for line in page.splitlines()]
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        heading = len(stripped) <= 90 and len(stripped.split()) <= 12 and stripped[-1] not in ".,;:!?)\"" and stripped[0].isupper()
        bullet = bool(re.match(r"^(?:[-*•▪◦]|\d{1,2}[.)])\s", stripped))
        if heading and not bullet:
            out.extend(["", stripped, ""])
        elif stripped[-1] in ".!?:" and (not nxt or nxt[0].isupper() or re.match(r"^[-*•▪◦]\s", nxt)) and not bullet:
            out.extend([stripped, ""])
        else:
            out.append(stripped)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
