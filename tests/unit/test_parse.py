"""The guidance as members will see it quoted: verbatim wording, clean Do and Don't lists, sized passages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.model import hash_content
from knowledge.parse import GuidanceParseError, parse_guidance, parse_markdown, parse_plain_text
from knowledge.passages import MAX_PASSAGE_CHARS

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_3ba1335fd117a0ac.txt"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.casefold().replace("’", "'"))


def test_front_matter_is_read(document):
    assert document.meta.title == "Guidance on use of social media for elected members"
    assert document.meta.version == "1"
    assert document.meta.effective_date
    assert document.meta.council


def test_every_passage_is_within_the_quote_limit(document):
    assert document.passages
    assert all(0 < len(p.text) <= MAX_PASSAGE_CHARS for p in document.passages)


def test_section_ids_are_unique_and_carry_heading_paths(document):
    ids = [s.id for s in document.sections]
    assert len(ids) == len(set(ids))
    defamation = document.section("legal-considerations/defamation")
    assert defamation is not None
    assert defamation.heading_path == ("Legal Considerations", "Defamation")


def test_donts_read_as_donts_on_their_own(document):
    donts = document.section("general-tips/dont")
    assert donts is not None and len(donts.passages) == 11
    assert all(p.text.startswith("Don't: ") for p in donts.passages)
    assert any(p.text == "Don't: share your passwords" for p in donts.passages)
    # No "Don't" item leaked into the Do list, and vice versa.
    do = document.section("general-tips/do")
    assert do is not None
    assert not any("password" in p.text for p in do.passages)
    assert not any("Talk to residents".casefold() in p.text.casefold() for p in donts.passages)


def test_table_columns_are_restored_whole(document):
    donts = " ".join(p.text for p in document.section("general-tips/dont").passages)
    assert "more respect for it in the long run" in donts
    assert "the places where your audiences are already having conversations" in donts
    assert "leave your accounts unattended for long spells" in donts
    do = " ".join(p.text for p in document.section("general-tips/do").passages)
    assert "answer their questions (quickly and honestly)" in do


def test_wording_is_verbatim_with_the_seed(document):
    """Every word of the seed appears in the structured guidance, in order, apart from the table layout."""
    if not SEED.exists():
        pytest.skip("shared seed not present")
    seed = _words(SEED.read_text(encoding="utf-8"))
    ours = _words(" ".join(p.text for p in document.passages)) + _words(" ".join(s.title for s in document.sections))
    assert set(seed) - {"do", "don't"} <= set(ours)
    legal = document.section("legal-considerations/bullying-and-discriminatory-comments").passages[0].text
    assert "pregnancy or maternity, religion or belief or age" in legal  # page break mended


def test_content_hash_changes_with_content():
    a = parse_markdown("# T\n\n## One\n\nText one.\n")
    b = parse_markdown("# T\n\n## One\n\nText two.\n")
    assert a.content_hash == hash_content("# T\n\n## One\n\nText one.\n")
    assert a.content_hash != b.content_hash


def test_long_paragraphs_split_at_sentences():
    sentence = "Members should take care when posting about sensitive matters online. "
    doc = parse_markdown("# T\n\n## Care\n\n" + sentence * 40)
    passages = doc.passages
    assert len(passages) > 1
    assert all(len(p.text) <= MAX_PASSAGE_CHARS and p.text.endswith(".") for p in passages)


def test_plain_text_headings_are_detected():
    text = (
        "Social Media Policy\n\nPurpose\n\nThis policy explains how members use social media.\n\n"
        "Privacy\n\nDo not publish residents' addresses or phone numbers.\n\n"
        "1.2 Complaints\n\nComplaints go to the monitoring officer.\n"
    )
    doc = parse_plain_text(text, source="policy.txt")
    assert doc.meta.title == "Social Media Policy"
    # Numbered "1.2" headings nest one level below the plain heading before them.
    assert [(s.id, s.level) for s in doc.sections] == [("purpose", 2), ("privacy", 2), ("privacy/1-2-complaints", 3)]
    assert doc.section("privacy").passages[0].text.startswith("Do not publish")


def test_markdown_lead_in_lists_stay_together():
    doc = parse_guidance("# T\n\n## Tools\n\nTools include:\n\n- Blogs\n- Wikis\n")
    assert doc.passages[0].text == "Tools include:\n- Blogs\n- Wikis"


@pytest.mark.parametrize("text", ["", "   \n\n", "# Only a title\n", "---\ntitle: x\n"])
def test_documents_without_text_are_refused(text):
    with pytest.raises(GuidanceParseError):
        parse_guidance(text)


def test_bad_front_matter_is_named():
    with pytest.raises(GuidanceParseError, match="front matter"):
        parse_markdown("---\ntitle: [unclosed\n---\n## A\n\nText.\n")
