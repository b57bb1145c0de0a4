"""Rules match lower-cased text without IGNORECASE (it is faster); that must never change what they flag."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge.case_folding import fold_pattern, fold_text, match_spans
from knowledge.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]


def _texts() -> list[str]:
    texts = [x for rule in load_rules() for x in (*rule.spec.examples.positive, *rule.spec.examples.negative)]
    for path in (ROOT / "tests/data/drafts-blind1.jsonl", ROOT / "tests/data/drafts-blind2.jsonl"):
        texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    return [t for t in texts if fold_text(t) is not None]


def test_every_packaged_matcher_finds_the_same_spans_and_evidence_folded_as_case_blind() -> None:
    texts = _texts()
    assert len(texts) > 300
    checked = 0
    for rule in load_rules():
        for matcher, folded in zip(rule.matchers, rule.folded, strict=True):
            assert folded is not None, f"{rule.id}: {matcher.pattern[:60]} could not be folded"
            for text in texts:
                assert match_spans(matcher, text) == match_spans(folded, fold_text(text) or ""), (rule.id, text)
                checked += 1
    assert checked > 10_000


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        (r"(?-i:US)\s+firms", "case-sensitive group"),
        (r"(?s-i:US)\s+firms", "case-sensitive group with another flag"),
        (r"(?a)k", "ASCII-only matching"),
        (r"\x41ccused", "a character written as a code"),
        (r"\111diot", "an octal character code"),
        (r"\N{LATIN CAPITAL LETTER A}", "a named character"),
        (r"[A-z]+", "an uppercase bound in a character class"),
        (r"ſtop", "a letter IGNORECASE equates with another lower case"),
        (r"İstanbul", "a letter whose lower case is two characters"),
    ],
)
def test_patterns_whose_meaning_depends_on_case_are_not_folded(expr: str, why: str) -> None:
    assert fold_pattern(re.compile(expr, re.IGNORECASE)) is None, why


def test_escapes_and_group_names_keep_their_case_when_literals_are_folded() -> None:
    folded = fold_pattern(re.compile(r"\bI\s+Will\S*\s(?P<Ev>NOW)(?P=Ev)?\s[A-Z]", re.IGNORECASE))
    assert folded is not None and folded.pattern == r"\bi\s+will\S*\s(?P<Ev>now)(?P=Ev)?\s[a-z]"
    assert folded.search("i will! now yes").group() == "i will! now y"  # \S still means "not a space"


def test_a_pattern_that_differs_on_its_own_examples_is_not_folded() -> None:
    # The last safety net: whatever the checks above miss, a folded pattern that finds different spans
    # on its rule's examples is dropped. A case-sensitive original is the simplest way to make one.
    sensitive = re.compile(r"\bUS\b")
    assert fold_pattern(sensitive, ["Tell us more"]) is None
    assert fold_pattern(sensitive, ["US firms"]) is not None


@pytest.mark.parametrize("odd", ["İstanbul trip photos.", "Our wıfı is down.", "ſo there."])
def test_posts_with_letters_that_fold_oddly_are_matched_case_blind(fake_assistant, odd: str) -> None:
    assert fold_text(odd) is None
    post = f"{odd} Cllr Smith is a crook and a lıar."  # dotless i: still "liar" to case-blind rules
    plain = fake_assistant.check(f"{odd} Cllr Smith is a crook and a liar.").flags
    flags = fake_assistant.check(post).flags
    assert [(f.category, f.start, f.end) for f in flags] == [(f.category, f.start, f.end) for f in plain]
    assert any(f.category == "defamation" for f in flags)
    assert all(post[f.start : f.end] == f.evidence for f in flags)


def test_ordinary_posts_with_curly_quotes_dashes_pounds_and_emoji_take_the_fast_path() -> None:
    assert fold_text("It’s a “great” day – £5 entry, café open 🎉") == "it’s a “great” day – £5 entry, café open 🎉"
