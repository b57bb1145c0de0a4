"""Every rule's own examples, run as tests: a rule edit that breaks them fails the build.

Positive examples must raise a flag of the rule's category whose evidence lies inside the draft;
negative examples must raise no flag of that category (other categories may apply).
"""

from __future__ import annotations

import pytest

from knowledge.draft_check import DraftChecker
from knowledge.rules import CATEGORIES, RulesError, load_rules, parse_rules_file

RULES = load_rules()
# The semantic rules need the real model's embeddings: tests/slow/test_rules_real_model.py runs theirs.
PRECISE = [r for r in RULES if r.spec.detector != "semantic"]
POSITIVE = [(r.id, r.category, ex) for r in PRECISE for ex in r.spec.examples.positive]
NEGATIVE = [(r.id, r.category, ex) for r in PRECISE for ex in r.spec.examples.negative]


@pytest.fixture(scope="module")
def checker(document, fake_embedder):
    return DraftChecker(document, RULES, fake_embedder)


def test_every_category_has_rules_with_examples():
    assert {r.category for r in RULES} == set(CATEGORIES)
    for rule in RULES:
        assert rule.spec.examples.positive, f"{rule.id} has no positive example"


@pytest.mark.parametrize("rule_id,category,draft", POSITIVE, ids=[f"{r}+{i}" for i, (r, _, _) in enumerate(POSITIVE)])
def test_positive_example_is_flagged(checker, rule_id, category, draft):
    flags = [f for f in checker.check(draft) if f.category == category]
    assert flags, f"{rule_id} missed: {draft}"
    for flag in flags:
        assert 0 <= flag.start < flag.end <= len(draft)
        assert flag.passage and flag.advice and flag.section_id


@pytest.mark.parametrize("rule_id,category,draft", NEGATIVE, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(NEGATIVE)])
def test_negative_example_is_not_flagged(checker, rule_id, category, draft):
    flags = [(f.rule_id, draft[f.start : f.end]) for f in checker.check(draft) if f.category == category]
    assert not flags, f"{rule_id}: clean draft flagged: {flags}"


def test_each_category_quotes_its_own_guidance(checker):
    quoted = {r.category: checker.passage_for(r.id) for r in RULES}
    assert "libel" in quoted["defamation"].text
    assert "open mind" in quoted["bias_predetermination"].text
    assert quoted["password_sharing"].text.startswith("Don't:")
    assert "personal data" in quoted["data_protection"].text


def test_invalid_rules_file_is_refused_with_its_name_and_problem():
    with pytest.raises(RulesError, match="bad.yaml.*unknown category"):
        parse_rules_file("category: gossip\nguidance: {section: x}\nrules: []\n", "bad.yaml")
    with pytest.raises(RulesError, match="bad regular expression"):
        parse_rules_file(
            "category: copyright\nguidance: {section: x}\nrules:\n  - {id: a, patterns: ['(unclosed'], message: m, advice: a}\n",
            "broken.yaml",
        )
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules_file("category: [", "syntax.yaml")


def test_rule_quotes_nearest_passage_when_section_ids_differ(fake_embedder):
    from knowledge.parse import parse_markdown

    other = parse_markdown(
        "# Other council\n\n## Posting photos\n\nAsk the photographer before you post their photos.\n\n"
        "## Keeping accounts safe\n\nNever tell anyone your password or login.\n"
    )
    checker = DraftChecker(other, RULES, fake_embedder)
    flags = checker.check("The password for the ward page is Tulip99")
    assert flags and "password" in flags[0].passage


def _fixed_model(dimension: int, probabilities: dict[str, float], thresholds_by_category: dict[str, float] | None = None):
    """A semantic head that gives every post the same probabilities, at the packaged model's thresholds."""
    import numpy as np

    from knowledge.draft_model import SemanticModel

    p = np.array([probabilities.get(c, 0.001) for c in CATEGORIES], np.float64)
    thresholds = np.array([0.72, 0.5, 0.73, 0.54, 0.68, 0.84, 0.53, 0.85], np.float32)
    for category, threshold in (thresholds_by_category or {}).items():
        thresholds[CATEGORIES.index(category)] = threshold
    return SemanticModel(np.zeros((len(CATEGORIES), dimension), np.float32), np.log(p / (1 - p)).astype(np.float32), thresholds)


def test_bullying_needs_less_evidence_in_a_post_already_inflammatory(document, fake_embedder):
    dimension = fake_embedder.encode(["x"]).shape[1]
    post = "Everyone down to the site office on Monday morning, bring your neighbours along with you."

    def categories(probabilities: dict[str, float]) -> set[str]:
        checker = DraftChecker(document, RULES, fake_embedder, semantic=_fixed_model(dimension, probabilities))
        return {f.category for f in checker.check(post)}

    # 0.65 is below bullying's own threshold, so alone it is not enough...
    assert categories({"bullying_discrimination": 0.65}) == set()
    # ...but beside an inflammatory flag it passes the companion threshold (0.6) the YAML sets.
    assert categories({"bullying_discrimination": 0.65, "inflammatory": 0.95}) == {"inflammatory", "bullying_discrimination"}
    assert categories({"bullying_discrimination": 0.55, "inflammatory": 0.95}) == {"inflammatory"}


def test_the_companion_must_really_be_flagged_and_a_never_flag_head_stays_silent(document, fake_embedder):
    dimension = fake_embedder.encode(["x"]).shape[1]

    def categories(post: str, probabilities: dict[str, float], thresholds: dict[str, float] | None = None) -> set[str]:
        model = _fixed_model(dimension, probabilities, thresholds)
        return {f.category for f in DraftChecker(document, RULES, fake_embedder, semantic=model).check(post)}

    # The model's inflammatory flag on a thank-you is excused by that category's safe phrasing, so it is no
    # companion; bullying is not excused there on its own account (0.9 passes its threshold).
    thanks = "Thanks to everyone who came down to the site office on Monday morning."
    assert categories(thanks, {"bullying_discrimination": 0.65, "inflammatory": 0.95}) == set()
    assert categories(thanks, {"bullying_discrimination": 0.9}) == {"bullying_discrimination"}
    # An inflammatory flag from a rule is a companion as much as the model's.
    vow = "I'll reply to every single one of these critics until they shut up, however long it takes."
    assert categories(vow, {"bullying_discrimination": 0.65}) == {"inflammatory", "bullying_discrimination"}
    # A head too unsure to flag a category at all (threshold above 1) is not overruled by a companion.
    assert categories(vow, {"bullying_discrimination": 0.65}, {"bullying_discrimination": 1.01}) == {"inflammatory"}


def test_companions_are_refused_outside_semantic_rules_and_for_unknown_categories():
    head = "category: bullying_discrimination\nguidance: {section: x}\nrules:\n"
    with pytest.raises(RulesError, match="only to a rule with detector: semantic"):
        parse_rules_file(head + "  - {id: a, patterns: ['x'], companions: {inflammatory: 0.5}, message: m, advice: a}\n", "c.yaml")
    with pytest.raises(RulesError, match="unknown companion category 'gossip'"):
        parse_rules_file(head + "  - {id: a, detector: semantic, companions: {gossip: 0.5}, message: m, advice: a}\n", "c.yaml")
    with pytest.raises(RulesError, match="cannot be its own companion"):
        parse_rules_file(head + "  - {id: a, detector: semantic, companions: {bullying_discrimination: 0.5}, message: m, advice: a}\n", "c.yaml")
    with pytest.raises(RulesError, match="between 0 and 1"):
        parse_rules_file(head + "  - {id: a, detector: semantic, companions: {inflammatory: 1.5}, message: m, advice: a}\n", "c.yaml")
