"""A threshold is a cut through ranked scores, so posts with the same score fall on the same side of it."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.draft_model import threshold_for


@pytest.mark.parametrize("order", [[0, 1, 2], [0, 2, 1]], ids=["clean post last in the tie", "clean post first in the tie"])
def test_a_threshold_never_splits_posts_with_the_same_score(order: list[int]) -> None:
    """A cut at 0.8 flags both 0.8 posts, one of them clean: precision 2/3, below the target, whatever the sort."""
    scores = np.array([0.9, 0.8, 0.8], dtype=np.float32)[order]
    labels = np.array([1, 1, 0])[order]
    assert threshold_for(labels, scores, 0.9) == pytest.approx(0.9)
    assert threshold_for(labels, scores, 0.6) == pytest.approx(0.8)  # 2 of 3 reaches a lower target


def test_a_threshold_is_never_set_at_a_score_only_clean_posts_share() -> None:
    scores = np.array([0.9, 0.8, 0.8, 0.7], dtype=np.float32)
    assert threshold_for(np.array([1, 0, 0, 1]), scores, 0.5) == pytest.approx(0.7)
    assert threshold_for(np.array([1, 0, 0, 0]), scores, 0.5) == pytest.approx(0.9)
    assert threshold_for(np.array([0, 0, 0, 0]), scores, 0.5) > 1.0  # nothing to flag: never flags
    assert threshold_for(np.array([], dtype=int), np.array([], dtype=np.float32), 0.5) > 1.0


def test_a_threshold_stops_at_the_last_risky_post_not_at_a_clean_one_below_it() -> None:
    """4 of 5 is still precision 0.8, but lowering the cut to the clean post flags it and finds nothing more."""
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.55], dtype=np.float32)
    assert threshold_for(np.array([1, 1, 1, 1, 0]), scores, 0.8) == pytest.approx(0.6)
