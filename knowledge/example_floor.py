"""A refit may not raise a category's threshold past the positive examples of its own semantic rule.

Thresholds come from the out-of-fold precision curve (knowledge/risk_model.py), and near the raised targets
that curve is steep: two fits on the same posts, 35 labels apart, put password sharing's threshold at 0.79
and 0.84, and the second stopped flagging "Sarah from the office helped me use Hootsuite, she posts my
updates from her laptop", an example written into the rule as a post the check must flag. A rule's
examples are its specification; the precision curve is an estimate. So a threshold is capped just below
the lowest whole-post score among its semantic rule's positive examples, but never below the threshold at
the issue's own precision bar (0.9), where the curve stops protecting clean posts. Only the categories
whose target is raised above that bar (knowledge/risk_model.py RAISED_PRECISION) can move; for the others
`report` names any example left unflagged. The negative examples are guarded the other way, by the raised
targets and by the real-model suite that runs every example.
"""

from __future__ import annotations

import numpy as np

from knowledge import risk_model
from knowledge.draft_model import SemanticModel
from knowledge.embedding import Embedder
from knowledge.offensive import names_neutralised
from knowledge.rules import CATEGORIES, Rule

# Below the lowest positive example by this much, so engines that agree to 1e-5 and a float32 round trip of
# the stored threshold cannot tip an example either way.
MARGIN = 0.01
# What a category with no semantic rule positives gets: no cap.
NO_EXAMPLES = np.inf


def semantic_positives(rules: tuple[Rule, ...] | list[Rule]) -> dict[str, list[str]]:
    """Per category, the positive examples of its semantic rules: the posts the model alone must flag."""
    found: dict[str, list[str]] = {}
    for rule in rules:
        if rule.spec.detector == "semantic" and rule.spec.examples.positive:
            found.setdefault(rule.category, []).extend(rule.spec.examples.positive)
    return found


def lowest_positive_scores(embedder: Embedder, semantic: SemanticModel, positives: dict[str, list[str]]) -> np.ndarray:
    """Per category, the lowest whole-post probability among its positives, scored as the check scores a post."""
    lowest = np.full(len(CATEGORIES), NO_EXAMPLES)
    for category, texts in positives.items():
        column = CATEGORIES.index(category)
        scores = semantic.probabilities(embedder.encode([names_neutralised(t.strip()) for t in texts]))[:, column]
        lowest[column] = float(scores.min())
    return lowest


def floored_thresholds(thresholds: np.ndarray, at_base_target: np.ndarray, lowest_positive: np.ndarray) -> np.ndarray:
    """`thresholds`, each lowered to `MARGIN` below its lowest positive example, but not below `at_base_target`."""
    capped = np.minimum(thresholds, lowest_positive - MARGIN)
    return np.maximum(capped, np.minimum(thresholds, at_base_target)).astype(np.float32)


def report(before: np.ndarray, after: np.ndarray, lowest_positive: np.ndarray) -> list[str]:
    """One line per category whose threshold the examples moved, for the refit's output."""
    lines = []
    for j, category in enumerate(CATEGORIES):
        moved = after[j] != np.float32(before[j])
        missed = after[j] > lowest_positive[j]
        if not (moved or missed):
            continue
        line = f"{category}: threshold {before[j]:.3f} -> {after[j]:.3f}" if moved else f"{category}: threshold {after[j]:.3f}"
        line += f" (its semantic rule's lowest positive example scores {lowest_positive[j]:.3f})"
        if missed:
            line += f"; that example stays unflagged: the threshold at precision {risk_model.TARGET_PRECISION} is above it"
        lines.append(line)
    return lines
