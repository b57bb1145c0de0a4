"""Rules match lower-cased text without IGNORECASE (it is faster); that must never change what they flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.rules import _folded, load_rules

ROOT = Path(__file__).resolve().parents[2]


def _texts() -> list[str]:
    texts = [x for rule in load_rules() for x in (*rule.spec.examples.positive, *rule.spec.examples.negative)]
    for path in (ROOT / "tests/data/drafts-blind1.jsonl", ROOT / "tests/data/drafts-blind2.jsonl"):
        texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    return [t for t in texts if len(t.lower()) == len(t)]


def test_every_packaged_matcher_finds_the_same_spans_folded_as_case_blind() -> None:
    texts = _texts()
    assert len(texts) > 300
    checked = 0
    for rule in load_rules():
        for matcher, folded in zip(rule.matchers, rule.folded, strict=True):
            assert folded is not None, f"{rule.id}: {matcher.pattern[:60]} could not be folded"
            for text in texts:
                assert [m.span() for m in matcher.finditer(text)] == [m.span() for m in folded.finditer(text.lower())], (rule.id, text)
                checked += 1
    assert checked > 10_000


@pytest.mark.parametrize(
    "expr",
    [r"(?-i:US)\s+firms", r"\x41ccused", r"\N{LATIN CAPITAL LETTER A}"],
)
def test_patterns_whose_meaning_depends_on_case_are_not_folded(expr: str) -> None:
    assert _folded(expr) is None


def test_escapes_keep_their_case_when_literals_are_folded() -> None:
    folded = _folded(r"\bI\s+Will\S*")
    assert folded is not None and folded.pattern == r"\bi\s+will\S*"
    assert folded.search("i will! yes").group() == "i will!"  # \S still means "not a space", not "s"


def test_a_post_whose_lower_case_is_longer_is_still_checked(fake_assistant) -> None:
    # "İ" lower-cases to two characters, so offsets would shift: the checker matches case-blind instead.
    post = "İstanbul trip photos. John Smith is a crook and a liar."
    flags = fake_assistant.check(post).flags
    defamation = [f for f in flags if f.category == "defamation"]
    assert defamation and post[defamation[0].start : defamation[0].end] == defamation[0].evidence
    assert "crook" in defamation[0].evidence.lower() or "liar" in defamation[0].evidence.lower()
