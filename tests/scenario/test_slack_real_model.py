"""With the real model: a Slack mention of the issue's example question quotes the bias passage."""

from __future__ import annotations

import pytest

from tests.fakes.slack_api import BOT_USER, all_text, serve_with_slack


@pytest.mark.slow
def test_mention_about_tweeting_on_a_planning_app_quotes_the_open_mind_passage(real_assistant, tmp_path) -> None:
    with serve_with_slack(real_assistant, tmp_path, "real-secret") as (_server, fake, sender, _votes):
        mention = {"type": "app_mention", "user": "U0000001", "channel": "C0000001", "ts": "1700000001.000001", "text": f"<@{BOT_USER}> can I tweet about this planning app?"}
        assert sender.event(mention).status == 200
        params = fake.wait_calls("chat.postMessage", timeout=60)[0].params
    assert params["thread_ts"] == "1700000001.000001"
    shown = all_text(params["blocks"])
    assert "Bias and pre-determination" in shown and "open mind" in shown
