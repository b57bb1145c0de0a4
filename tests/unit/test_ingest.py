"""Officers' uploads: each accepted format becomes sections, each bad file is refused with a clear reason."""

from __future__ import annotations

import io

import pytest

from knowledge.ingest import MAX_BYTES, IngestError, ingest

GOOD_MD = b"""# Council guidance

## Passwords

Never share your passwords with anyone, including council staff.

## Short-form video

Apps such as TikTok and Instagram Reels are covered by this guidance.
"""


def make_docx(paragraphs: list[tuple[str, str]], table: list[list[str]] | None = None) -> bytes:
    """A real .docx written with python-docx: (style, text) pairs, and optionally a table."""
    import docx

    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with a text layer (one line per entry), written by hand."""
    esc = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    content = "BT /F1 11 Tf 14 TL 50 800 Td " + " ".join(f"({line}) Tj T*" for line in esc) + " ET" if lines else ""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_markdown_becomes_sections() -> None:
    item = ingest(GOOD_MD, "guidance.md")
    assert item.format == "markdown"
    assert [s.id for s in item.document.sections] == ["passwords", "short-form-video"]
    assert item.document.meta.title == "Council guidance"


def test_plain_text_headings_are_detected() -> None:
    text = b"Council guidance\n\nPasswords\n\nNever share your passwords with anyone.\n\nVideo\n\nTikTok is social media too.\n"
    item = ingest(text, "guidance.txt")
    assert item.format == "plain"
    assert [s.title for s in item.document.sections] == ["Passwords", "Video"]


def test_word_headings_and_lists_come_from_paragraph_styles() -> None:
    data = make_docx(
        [
            ("Title", "Council guidance"),
            ("Heading 1", "Passwords"),
            ("Normal", "Never share your passwords with anyone."),
            ("Heading 1", "Video"),
            ("Heading 2", "Short-form video"),
            ("List Bullet", "Ask before filming residents."),
            ("List Bullet", "Do not film in committee."),
        ],
        table=[["Do", "Don't"], ["Be polite", "Share passwords"]],
    )
    item = ingest(data, "Guidance.DOCX")
    assert item.kind == "docx" and item.format == "markdown"
    ids = [s.id for s in item.document.sections]
    assert ids == ["passwords", "video", "video/short-form-video"]
    video = item.document.section("video/short-form-video")
    assert video is not None and "Ask before filming residents." in video.text
    assert "Don't:" in video.text and "- Share passwords" in video.text  # the table, column by column


def test_pdf_text_is_split_into_sections() -> None:
    data = make_pdf(["Council guidance", "Passwords", "Never share your passwords with anyone.", "Short-form video", "TikTok and Reels are social media too."])
    item = ingest(data, "guidance.pdf")
    assert item.kind == "pdf"
    assert [s.title for s in item.document.sections] == ["Passwords", "Short-form video"]
    assert "TikTok" in item.document.section("short-form-video").text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"a" * (MAX_BYTES + 1), "big.md", "the limit is 5 MB"),
        (b"PK\x03\x04", "sheet.xlsx", "is a .xlsx file; guidance must be Markdown"),
        (b"#!/bin/sh\n", "script", "without an extension"),
        (b"", "empty.md", "is empty"),
        (b"  \n\n ", "blank.txt", "is empty"),
        (b"not a zip at all", "broken.docx", "could not be read as a Word document"),
        (b"PK\x03\x04 truncated zip", "broken2.docx", "could not be read as a Word document"),
        (b"hello", "fake.pdf", "could not be read as a PDF"),
        (b"%PDF-1.4\n garbage", "damaged.pdf", "could not be read as a PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture.txt", "not a text file"),
        (b"caf\xe9 guidance\n", "latin.md", "not UTF-8"),
        (b"# Title\n\n## Passwords\n\n## Video\n\nTikTok text.\n", "gap.md", 'empty section (a heading with no text under it): "Passwords"'),
        (b"# Title\n\n## Passwords\n\nText.\n\n## Video\n", "tail.md", '"Video"'),
        (b"just one paragraph of text with no headings at all.\n", "flat.txt", "has no sections"),
        (b"---\ntitle: [unclosed\n---\n## A\n\ntext\n", "front.md", "front matter is not valid YAML"),
        (b"---\ntitle: x\n## A\n\ntext\n", "open.md", "never closed"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(IngestError) as err:
        ingest(data, name)
    assert reason in str(err.value)


def test_pdf_without_a_text_layer_is_refused() -> None:
    with pytest.raises(IngestError, match="no text layer"):
        ingest(make_pdf([]), "scan.pdf")


def test_heading_with_subsections_is_not_empty() -> None:
    item = ingest(b"# T\n\n## Legal\n\n### Copyright\n\nAsk permission first.\n", "ok.md")
    assert [s.id for s in item.document.sections] == ["legal", "legal/copyright"]
