"""The refit rule, applied by benchmarks/refit_acceptance.py: what decides whether hours of refitting ship."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks import refit_acceptance
from benchmarks.refit_acceptance import Counts, tally, verdict


def _report(found: dict[str, tuple[int, int, int]], clean: int, flagged: int) -> dict[str, Any]:
    """A score_drafts report: per category (tp, fn, fp), and clean posts with how many were flagged."""
    return {"per_category": {c: {"tp": tp, "fn": fn, "fp": fp} for c, (tp, fn, fp) in found.items()}, "clean_drafts": clean, "clean_drafts_flagged": flagged}


BEFORE = replace(
    tally(
        [_report({"inflammatory": (8, 2, 0), "defamation": (9, 1, 1)}, 20, 1), _report({"bullying_discrimination": (7, 3, 0)}, 10, 0)],
        [_report({}, 30, 2)],
    ),
    measured_on="sets-and-rules",
    model="shipped-model",
)
REFIT = replace(BEFORE, model="refit-model")


def test_sets_are_pooled_and_clean_sources_counted_together() -> None:
    assert (BEFORE.found, BEFORE.risks, BEFORE.false_flags) == (24, 30, 1)
    assert BEFORE.found_by_category == {"inflammatory": 8, "defamation": 9, "bullying_discrimination": 7}
    assert (BEFORE.clean_flagged, BEFORE.weakest_found) == (3, 15)


def _taken(after: Counts) -> bool:
    return all(met for _, met in verdict(BEFORE, after))


def test_a_refit_within_every_bound_is_taken() -> None:
    assert _taken(replace(REFIT, unread_clean_flagged=BEFORE.unread_clean_flagged + 3))
    assert _taken(replace(REFIT, found=BEFORE.found - 10))


@pytest.mark.parametrize(
    "change",
    [
        {"comparators_clean_flagged": BEFORE.comparators_clean_flagged + 4},  # four more, over every clean source
        {"found": 13},  # eleven fewer risks found
        {"found_by_category": {"inflammatory": 9, "defamation": 12, "bullying_discrimination": 5}},  # weakest pair 15 -> 14
        {"model": BEFORE.model},  # the model measured before: no refit happened
        {"measured_on": "rules-edited-since"},  # other rules or sets: no comparison at all
        {"risks": 31},
        {"comparators_clean": 31},
        {"found_by_category": {"inflammatory": 8, "defamation": 9, "bullying": 7}},  # a category renamed
    ],
)
def test_a_refit_over_any_bound_or_measured_otherwise_is_not_taken(change: dict[str, Any]) -> None:
    assert not _taken(replace(REFIT, **change))


def test_counts_saved_elsewhere_or_damaged_are_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "before.json").write_text(json.dumps({"found": 1}))
    with pytest.raises(SystemExit) as stopped:
        refit_acceptance.main(["--against", str(tmp_path / "before.json")])
    assert stopped.value.code == 2 and "not counts saved by --save" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        refit_acceptance.main(["--save", str(tmp_path / "missing" / "before.json")])
    assert stopped.value.code == 2 and "its folder does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:  # saving again after the refit would make it its own baseline
        refit_acceptance.main(["--save", str(tmp_path / "before.json")])
    assert stopped.value.code == 2 and "already there" in capsys.readouterr().err
    assert json.loads((tmp_path / "before.json").read_text()) == {"found": 1}


def test_the_verdict_is_the_exit_status(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "before.json"
    monkeypatch.setattr(refit_acceptance, "measure", lambda: BEFORE)
    assert refit_acceptance.main(["--save", str(saved)]) == 0
    monkeypatch.setattr(refit_acceptance, "measure", lambda: REFIT)
    assert refit_acceptance.main(["--against", str(saved)]) == 0
    monkeypatch.setattr(refit_acceptance, "measure", lambda: replace(REFIT, found=BEFORE.found - 11))
    assert refit_acceptance.main(["--against", str(saved)]) == 1
    out = capsys.readouterr().out
    assert "FAILED unread risks found: 24 -> 13 of 30" in out and out.rstrip().endswith("not taken")


def test_every_source_the_rule_reads_is_there() -> None:
    assert all(p.exists() for p in [*refit_acceptance.UNREAD, *refit_acceptance.COMPARATORS]) and list(refit_acceptance.RULES.glob("*.yaml"))
