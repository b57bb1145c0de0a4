"""The readable terminal answer (`guidance-bot ask` without --json), rendered from the assistant's result."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from bot.contracts import AskResult
from bot.render import render_answer


def _rendered(result: AskResult) -> str:
    console = Console(file=StringIO(), width=100, color_system=None)
    render_answer(console, result)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_an_unanswered_question_lists_its_suggestions_once_with_their_ids(fake_assistant) -> None:  # type: ignore[no-untyped-def]
    result = fake_assistant.ask("what's the capital of France")
    assert not result.answered and result.results
    shown = _rendered(result)
    assert "Not covered by the guidance" in shown
    assert shown.count("Did you mean") == 1
    for item in result.results:
        assert f"({item.section_id})" in shown


def test_an_answer_quotes_the_passage_and_names_its_section(fake_assistant) -> None:  # type: ignore[no-untyped-def]
    result = fake_assistant.ask("can I share my password with my assistant?")
    assert result.answered
    shown = " ".join(_rendered(result).split())
    assert result.results[0].section_id in shown
    assert " ".join(result.results[0].passage.split()[:4]) in shown
