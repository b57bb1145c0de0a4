"""Acceptance with the real model: the dev sets in shared/eval and our own extra sets.

Thresholds are the issue's: questions top-1 >= 0.9 (passages <= 1,000 chars), out-of-scope
abstention >= 0.9; drafts precision and recall >= 0.9 per category with no flag on a clean draft.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import read_jsonl, score_drafts, score_questions
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[1] / "data"
# questions-extra is ours; the *-blind1 sets were written by a reviewer who had not seen the rules or the
# thesaurus (their first scores are in the README), and have been used for development since.
QUESTION_SETS = [SHARED / "eval" / "dev-questions.jsonl", DATA / "questions-extra.jsonl", DATA / "questions-blind1.jsonl"]
DRAFT_SETS = [SHARED / "eval" / "dev-drafts.jsonl", DATA / "drafts-blind1.jsonl", DATA / "drafts-blind2.jsonl"]
# tests/data/heldout/ holds sets that are measured (README), so they assert nothing: blind20-24 and
# blind27-44 are held out (by mistake, the texts of blind20's 4 missed questions and of one clean
# blind21 draft were once printed). The others were held out until they became development or training data:
# blind2-19's and blind25-26's questions are in asked.yaml; blind3-13's drafts in posts-g, -h and -i,
# blind14-19's in posts-k, blind25-26's (read to develop rules) in training/posts-o.
# questions-calibration.jsonl (200 questions, development) is measured in the README, not asserted: it sits
# at the 0.9 target, where one question would fail it, and is what the abstention margins are checked on.


@pytest.mark.parametrize("path", QUESTION_SETS, ids=lambda p: p.name)
def test_question_set(real_assistant, path: Path):
    if not path.exists() and path.is_relative_to(SHARED):
        pytest.skip(f"{path} not present (../shared is not beside this checkout)")
    report = score_questions(real_assistant, read_jsonl(path))
    assert report["longest_passage"] <= 1000
    assert report["top1"] >= 0.9, report["misses"]
    assert report["abstention"] >= 0.9


@pytest.mark.parametrize("path", DRAFT_SETS, ids=lambda p: p.name)
def test_draft_set(real_assistant, path: Path):
    if not path.exists() and path.is_relative_to(SHARED):
        pytest.skip(f"{path} not present (../shared is not beside this checkout)")
    report = score_drafts(real_assistant, read_jsonl(path))
    assert report["clean_drafts_flagged"] == 0, report["errors"]
    assert report["min_precision"] >= 0.9, report["per_category"]
    assert report["min_recall"] >= 0.9, report["per_category"]


def test_questions_are_answered_by_the_tuned_retrieval_encoder(real_assistant):
    """The thresholds and the figures above were measured on it; the base model is only a fallback."""
    assert "+ask-" in real_assistant.retriever.embedder.name, "stale adapters: run python -m knowledge.ask_tuning"


@pytest.mark.parametrize(
    "question",
    ["my partner helps with my twitter, can she have my login?", "can I give my login to my ward assistant while I'm away?"],
)
def test_login_questions_are_answered_not_taken_for_it_help(real_assistant, question):
    """Logins sit next to "reset my password" (IT help, declined); sharing one is what the guidance forbids."""
    result = real_assistant.ask(question)
    assert result.answered
    assert "share your passwords" in result.results[0].passage


def test_planning_tweet_gets_the_predetermination_passage(real_assistant):
    result = real_assistant.ask("can I tweet about this planning app?")
    assert result.answered
    assert result.results[0].section_id == "legal-considerations/bias-and-pre-determination"
    assert "open mind" in result.results[0].passage


@pytest.mark.parametrize(
    "question",
    ["How do I book annual leave?", "Who won the football last night?", "What's the recipe for scones?"],
)
def test_out_of_scope_is_declined_with_did_you_mean(real_assistant, question):
    result = real_assistant.ask(question)
    assert not result.answered
    assert "monitoring officer" in result.message
    assert len(result.results) <= 3


def test_markup_does_not_change_the_answer(real_assistant):
    plain = real_assistant.ask("can I share my password with my assistant?")
    marked = real_assistant.ask("<@U123ABC> can I share my password with my assistant?")
    assert plain.results[0].passage == marked.results[0].passage


def test_non_english_is_declined_politely(real_assistant):
    result = real_assistant.ask("ソーシャルメディアで計画について投稿できますか？")
    assert not result.answered
    assert "English" in result.message
