"""Every rule's examples with the real model and the trained semantic model, as `make test` ships them.

The unit tests run the precise rules with a fake embedder; here the whole checker runs, so a rule's
positive example must be flagged for its category and a negative one must not, whichever signal
(rule, personal data, swearing, semantic model) would have spoken.
"""

from __future__ import annotations

import pytest

from knowledge.rules import load_rules

pytestmark = pytest.mark.slow

RULES = load_rules()
POSITIVE = [(r.id, r.category, ex) for r in RULES for ex in r.spec.examples.positive]
NEGATIVE = [(r.id, r.category, ex) for r in RULES for ex in r.spec.examples.negative]


@pytest.mark.parametrize("rule_id,category,draft", POSITIVE, ids=[f"{r}+{i}" for i, (r, _, _) in enumerate(POSITIVE)])
def test_positive_example_is_flagged(real_assistant, rule_id, category, draft):
    flags = [f for f in real_assistant.check(draft).flags if f.category == category]
    assert flags, f"{rule_id} missed: {draft}"


@pytest.mark.parametrize("rule_id,category,draft", NEGATIVE, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(NEGATIVE)])
def test_negative_example_is_not_flagged(real_assistant, rule_id, category, draft):
    flags = [f.evidence for f in real_assistant.check(draft).flags if f.category == category]
    assert not flags, f"{rule_id}: clean draft flagged: {flags}"


def test_the_check_reads_the_tuned_encoder_with_every_category_trusted(real_assistant):
    checker = real_assistant.checker
    assert checker.semantic is not None, "no training data was found: knowledge/training/*.jsonl"
    assert checker.tuned is not None, "the draft check fell back to the linear model: are the adapters stale?"
    assert (checker.semantic.thresholds <= 1.0).all(), "a category has too few training examples to be trusted"


def test_shipped_adapters_match_the_training_data():
    from knowledge.draft_model import load_training
    from knowledge.risk_model import shipped_adapters

    assert shipped_adapters(load_training()) is not None, "run: python -m knowledge.risk_tuning (training data changed)"
