"""Reply -> Block Kit: Slack's limits, escaping, the buttons under every answer, and the views."""

from __future__ import annotations

import json

import pytest

from adapters.slack import ids
from adapters.slack.blocks import MAX_BLOCKS, MAX_SECTION, chunks, escape, render_reply, thanks_blocks
from adapters.slack.views import draft_modal, home_view, result_modal
from bot.contracts import AskResult, AskResultItem, CheckResult, FlagItem, Reply, SectionView


def _texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return out


def _answer(passage: str, source: str = "can I tweet?") -> Reply:
    ask = AskResult(question=source, answered=True, results=[AskResultItem(section_id="s/1", title="Bias <& pre-determination>", passage=passage, score=0.9)], guidance_version="7", message="")
    return Reply("answer", f"Bias\n> {passage}", ask=ask, source_text=source)


def _buttons(blocks: list[dict]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks for e in b.get("elements", []) + [b.get("accessory", {})] if e.get("type") == "button"}


def test_an_answer_has_title_quote_version_and_all_four_buttons() -> None:
    rendered = render_reply(_answer("Keep an open mind <@U123> & don't pre-judge."))
    texts = "\n".join(_texts(rendered.blocks))
    assert "*Bias &lt;&amp; pre-determination&gt;*" in texts
    assert "> Keep an open mind &lt;@U123&gt; &amp; don't pre-judge." in texts, "escaped: no mention can be injected"
    assert "Guidance version 7" in texts
    buttons = _buttons(rendered.blocks)
    assert set(buttons) == {ids.ACTION_HELPFUL, ids.ACTION_NOT_HELPFUL, ids.ACTION_SHOW_SECTION, ids.ACTION_AS_DRAFT}
    assert buttons[ids.ACTION_SHOW_SECTION] == "s/1" and buttons[ids.ACTION_AS_DRAFT] == "can I tweet?"
    assert "can I tweet" not in buttons[ids.ACTION_HELPFUL], "votes carry no message text"
    assert rendered.text and "<@U123>" not in rendered.text


def test_a_text_too_long_for_a_button_value_loses_only_the_switch_button() -> None:
    long_source = "word " * 500  # 2,500 characters: over Slack's 2,000 limit on a value
    buttons = _buttons(render_reply(_answer("p", source=long_source)).blocks)
    assert ids.ACTION_AS_DRAFT not in buttons and ids.ACTION_HELPFUL in buttons
    assert all(len(v) <= 2000 for v in buttons.values())


def test_long_passages_are_split_under_3000_characters_and_never_inside_an_entity() -> None:
    passage = ("Tom & Jerry <said> " * 400).strip()
    rendered = render_reply(_answer(passage))
    sections = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert len(sections) > 2 and all(len(t) <= MAX_SECTION for t in sections)
    for text in sections:
        assert not text.rstrip().endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))
    assert all(len(piece) <= 10 for piece in chunks("&amp;" * 10, 10)) and "".join(chunks("&amp;" * 10, 10)) == "&amp;" * 10


def test_never_more_than_50_blocks_and_the_buttons_survive() -> None:
    flags = [
        FlagItem(category="defamation", severity="high", start=0, end=4, evidence=f"liar{n}", section_id="legal/defamation", passage="Defamation passage.", advice="Don't.", suggestion=None)
        for n in range(80)
    ]
    reply = Reply("check", "80 risks", check=CheckResult(flags=flags, guidance_version="1"), source_text="liar " * 80)
    blocks = render_reply(reply).blocks
    assert len(blocks) == MAX_BLOCKS and blocks[-1]["type"] == "actions"
    assert "Too long to show in full" in "\n".join(_texts(blocks))
    assert len(json.dumps(blocks)) < 100_000


def test_a_check_shows_severity_words_advice_suggestion_and_a_whole_section_button() -> None:
    flag = FlagItem(category="password_sharing", severity="high", start=3, end=21, evidence="password is hunter2", section_id="general-tips/dont", passage="Don't: share your passwords", advice="Never share it.", suggestion="Ask IT for help.")
    blocks = render_reply(Reply("check", "1 risk", check=CheckResult(flags=[flag], guidance_version="2"), source_text="my password is hunter2")).blocks
    text = "\n".join(_texts(blocks))
    for expected in ("Password sharing", "high", "“password is hunter2”", "Never share it.", "Ask IT for help.", "> Don't: share your passwords", "Guidance version 2"):
        assert expected in text
    buttons = _buttons(blocks)
    assert buttons[ids.ACTION_SHOW_SECTION] == "general-tips/dont" and buttons[ids.ACTION_AS_QUESTION] == "my password is hunter2"


@pytest.mark.parametrize("kind", ["help", "error"])
def test_help_and_errors_are_plain_sections_without_buttons(kind: str) -> None:
    rendered = render_reply(Reply(kind, "Use <check:> & ask"))  # type: ignore[arg-type]
    assert rendered.text == "Use &lt;check:&gt; &amp; ask" and not _buttons(rendered.blocks)


def test_a_whole_section_lists_every_passage() -> None:
    view = SectionView(section_id="a/b", title="B", heading_path=("A", "B"), passages=("one", "two"), guidance_version="3")
    text = "\n".join(_texts(render_reply(Reply("section", "B", section=view)).blocks))
    assert "*A › B*" in text and "> one" in text and "> two" in text and "Guidance version 3" in text


def test_feedback_buttons_are_replaced_by_thanks() -> None:
    blocks = render_reply(_answer("p")).blocks
    after = thanks_blocks(blocks, helpful=True)
    assert ids.ACTION_HELPFUL not in _buttons(after) and ids.ACTION_SHOW_SECTION in _buttons(after)
    assert "recorded as helpful" in "\n".join(_texts(after))


def test_views_fit_slack_limits(document) -> None:
    modal = draft_modal()
    assert modal["callback_id"] == ids.DRAFT_MODAL and modal["blocks"][0]["block_id"] == ids.DRAFT_BLOCK
    assert modal["blocks"][0]["element"]["action_id"] == ids.DRAFT_INPUT and len(modal["title"]["text"]) <= 24
    home = home_view(document)
    text = "\n".join(_texts(home["blocks"]))
    assert home["type"] == "home" and len(home["blocks"]) <= 100
    assert all(escape(s.title) in text for s in document.sections) and document.meta.effective_date in text
    assert len(result_modal(_answer("p"))["blocks"]) <= 100
