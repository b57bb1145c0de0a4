"""A rule's own positive examples cap the thresholds a refit derives from its precision curve."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.draft_model import SemanticModel
from knowledge.embedding import HashingEmbedder
from knowledge.example_floor import MARGIN, floored_thresholds, lowest_positive_scores, report, semantic_positives
from knowledge.rules import CATEGORIES, parse_rules_file

PASSWORDS = """
category: password_sharing
guidance: {section: x}
rules:
  - id: password_sharing/said
    patterns: ['\\bpassword\\b']
    message: m
    advice: a
    examples:
      positive: [My password is hunter2.]
  - id: password_sharing/semantic
    detector: semantic
    message: m
    advice: a
    examples:
      positive: [Sarah posts my updates from her laptop., My son logs on for me.]
      negative: [My grandson helped me set up this page.]
"""


def test_only_the_semantic_rules_positives_cap_a_threshold() -> None:
    """The patterns rule's examples are flagged by their patterns; the model alone must flag the semantic rule's."""
    positives = semantic_positives(parse_rules_file(PASSWORDS, "password_sharing.yaml"))
    assert positives == {"password_sharing": ["Sarah posts my updates from her laptop.", "My son logs on for me."]}


def test_each_category_gets_its_lowest_positive_score_and_others_no_cap() -> None:
    embedder = HashingEmbedder()
    column = CATEGORIES.index("password_sharing")
    weights = np.zeros((len(CATEGORIES), embedder.dimension), dtype=np.float32)
    weights[column] = np.random.default_rng(1).normal(size=embedder.dimension)
    model = SemanticModel(weights, np.zeros(len(CATEGORIES), dtype=np.float32), np.full(len(CATEGORIES), 0.9, dtype=np.float32))
    texts = ["  Sarah posts my updates from her laptop.", "Cllr Dick's son logs on for him.\n"]
    lowest = lowest_positive_scores(embedder, model, {"password_sharing": texts})
    as_checked = model.probabilities(embedder.encode(["Sarah posts my updates from her laptop.", "Cllr Sam's son logs on for him."]))[:, column]
    assert lowest[column] == pytest.approx(float(as_checked.min()))  # scored as the check reads a post: trimmed, names neutralised
    assert np.isinf(np.delete(lowest, column)).all()


def test_a_threshold_above_an_example_comes_down_to_just_below_it_but_not_past_the_precision_bar() -> None:
    thresholds = np.array([0.84, 0.70, 0.90, 0.60, 0.60, 0.60, 0.60, 0.60], dtype=np.float32)
    at_bar = np.array([0.50, 0.50, 0.88, 0.50, 0.50, 0.50, 0.50, 0.50], dtype=np.float32)
    lowest = np.array([0.80, np.inf, 0.85, 0.95, np.inf, np.inf, np.inf, np.inf])
    floored = floored_thresholds(thresholds, at_bar, lowest)
    assert floored[0] == pytest.approx(0.80 - MARGIN)  # the refit's 0.84 would have missed a 0.80 example
    assert floored[1] == pytest.approx(0.70)  # no examples: the curve's threshold stands
    assert floored[2] == pytest.approx(0.88)  # the example is below the 0.9 precision bar: the bar wins
    assert floored[3] == pytest.approx(0.60)  # already below every example: never raised
    lines = report(thresholds, floored, lowest)
    assert len(lines) == 2 and lines[0].startswith(f"{CATEGORIES[0]}: threshold 0.840 -> 0.790")
    assert lines[1].startswith(f"{CATEGORIES[2]}: threshold 0.900 -> 0.880") and "stays unflagged" in lines[1]
    assert "unflagged" not in lines[0]
