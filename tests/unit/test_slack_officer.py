"""Officer flows' pure parts: the preview within Block Kit's limits, where the bot token may go, and
which texts and events are officer commands or guidance uploads."""

from __future__ import annotations

import json
import re

from adapters.slack import ids
from adapters.slack.officer import may_send_token, preview_blocks, render_result
from adapters.slack.translate import is_officer_command, shared_file
from bot.officer import REFUSAL
from bot.officer_results import OfficerResult, Preview
from knowledge.changes import SectionRef
from knowledge.store import VersionInfo
from tests.fakes.slack_api import all_text, buttons


def _preview(**kw: object) -> Preview:
    base = dict(
        preview_id="pid-123", filename="guidance-v2.md", version=2, current_version=1,
        added=(SectionRef("short-form-video", "Short-form video"),), removed=(), changed=(SectionRef("copyright", "Copyright"),),
        diff="--- version 1\n+++ guidance-v2.md\n@@ -1 +1 @@\n+## Short-form video\n", sections=20, passages=80,
    )
    return Preview(**{**base, **kw})  # type: ignore[arg-type]


def test_preview_lists_the_changes_and_carries_its_id_on_both_buttons() -> None:
    rendered = preview_blocks(_preview(), "fallback")
    shown = all_text(rendered.blocks)
    assert "would become guidance version 2" in shown and "*Added:* Short-form video" in shown and "*Changed:* Copyright" in shown
    assert "*Removed:* none" in shown and "+## Short-form video" in shown and "--- version 1" not in shown
    assert buttons(rendered.blocks) == {ids.ACTION_PUBLISH: "pid-123", ids.ACTION_CANCEL: "pid-123"}
    assert rendered.text == "fallback"


def test_a_huge_preview_stays_within_block_kit_limits_and_is_escaped() -> None:
    many = tuple(SectionRef(f"s{n}", f"Section <@U{n}> & more {'x' * 80}") for n in range(300))
    diff = "\n".join(f"+line {n} <!channel> ```" + "y" * 500 for n in range(2_000))
    rendered = preview_blocks(_preview(added=many, changed=many, diff=diff), "x")
    assert len(rendered.blocks) <= 6, "the lists are shortened, not spread over many blocks"
    assert re.search(r"… and \d+ more", all_text(rendered.blocks))
    texts = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in texts)
    joined = "\n".join(texts)
    assert "<@U" not in joined and "<!channel>" not in joined and "&lt;@U1&gt; &amp; more" in joined
    assert joined.count("```") % 2 == 0, "a ``` in the diff cannot close the code block early"
    assert "more changes" in joined
    assert ids.ACTION_PUBLISH in buttons(rendered.blocks), "the buttons survive a long preview"


def test_publish_result_leads_with_the_current_version_and_the_announcement_note() -> None:
    info = VersionInfo(2, "h", "Jo", "2026-01-01", "", "guidance-v2.md", "markdown", True)
    result = OfficerResult(True, "publish", "Published guidance-v2.md as guidance version 2; it is now current.", version=info)
    shown = all_text(render_result(result, "Announced in C1.").blocks)
    assert shown.startswith(":white_check_mark: *Version 2 is now current.*") and shown.endswith("Announced in C1.")
    refused = render_result(OfficerResult(False, "refused", REFUSAL))
    assert refused.text == REFUSAL.replace("&", "&amp;") and "now current" not in all_text(refused.blocks)
    history = OfficerResult(True, "history", "\n".join(f"v{n} · 2026 · someone · file.md · " + "n" * 200 for n in range(500)))
    assert len(render_result(history).blocks) <= 50


def test_the_bot_token_goes_only_to_slack_or_the_configured_api_host() -> None:
    api = "http://127.0.0.1:8123/api/"
    assert may_send_token("https://files.slack.com/files-pri/T1-F1/download/g.md", "https://slack.com/api/")
    assert may_send_token("http://127.0.0.1:8123/files-pri/F1/g.md", api)
    assert not may_send_token("http://127.0.0.1:9999/files-pri/F1/g.md", api), "another port is another server"
    assert not may_send_token("http://files.slack.com/x", "https://slack.com/api/"), "never over plain http to Slack"
    assert not may_send_token("https://files.slack.com.evil.test/x", "https://slack.com/api/")
    assert not may_send_token("https://evil.test/slack.com", "https://slack.com/api/")
    assert not may_send_token("", api)


def test_officer_commands_are_whole_texts_so_questions_still_reach_the_assistant() -> None:
    for text in ("history", "/guidance history", "rollback 2", "rollback to 2", "Rollback v3", "publish", "cancel abc"):
        assert is_officer_command(text), text
    for text in ("history of the rules on tweeting?", "can I publish a photo of a resident?", "help", "check: my post", ""):
        assert not is_officer_command(text), text


def test_a_file_shared_in_a_dm_is_a_guidance_upload_and_nothing_else_is() -> None:
    file = {"id": "F1", "name": "g.md"}
    dm = {"type": "message", "subtype": "file_share", "channel_type": "im", "channel": "D1", "user": "U1", "files": [file]}
    assert shared_file(dm) == file
    assert shared_file({**dm, "subtype": None}) == file
    assert shared_file({**dm, "channel_type": "channel"}) is None
    assert shared_file({**dm, "bot_id": "B1"}) is None
    assert shared_file({**dm, "subtype": "message_changed"}) is None
    assert shared_file({**dm, "files": []}) is None and shared_file({**dm, "files": [{"name": "no id"}]}) is None
    assert shared_file({k: v for k, v in dm.items() if k != "files"}) is None
    json.dumps(dm)  # plain JSON, as Slack sends


def test_preview_names_reworded_passages_whose_example_questions_stop_matching() -> None:
    shown = all_text(preview_blocks(_preview(examples_dropped=("share your passwords", "<!here> & co")), "x").blocks)
    assert '*Example questions no longer matched* (2): "share your passwords"; "&lt;!here&gt; &amp; co"' in shown
    assert "Example questions" not in all_text(preview_blocks(_preview(), "x").blocks)
