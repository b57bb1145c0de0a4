"""Officer flows in a Teams personal chat through botbuilder's TestAdapter: a guidance file becomes a
preview card, Publish / Cancel act on the store, history and rollback; members are refused. The file is
served from a loopback fake (tests/fakes/teams_connector.py), the desk uses the hashing embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import Activity, Attachment, ChannelAccount

from adapters.teams.bot import NO_UPLOADS, GuidanceTeamsBot
from adapters.teams.translate import FILE_DOWNLOAD_INFO
from bot.feedback import FeedbackLog
from bot.officer import REFUSAL, OfficerDesk
from knowledge.store import GuidanceStore
from tests.fakes.teams_connector import FakeConnector
from tests.fakes.teams_turns import card_of, conversation_template, run_turns

V2 = (Path(__file__).resolve().parents[1] / "data" / "guidance-v2.md").read_bytes()
OFFICER = ChannelAccount(id="29:officer", name="Jo Officer", aad_object_id="aad-officer")
MEMBER = ChannelAccount(id="29:member", name="Cllr Jones", aad_object_id="aad-member")


@pytest.fixture(scope="module")
def files() -> Iterator[FakeConnector]:
    fake = FakeConnector().start()
    fake.serve_file("guidance-v2.md", V2)
    yield fake
    fake.stop()


@pytest.fixture
def desk(tmp_path: Path, fake_embedder) -> OfficerDesk:  # type: ignore[no-untyped-def]
    store = GuidanceStore.open(tmp_path / "data")
    return OfficerDesk(store, frozenset({"teams:aad-officer"}), embedder=lambda: fake_embedder, announce_channel="19:news@thread.tacv2")


def _file_message(url: str, name: str = "guidance-v2.md") -> Activity:
    content = {"downloadUrl": url, "uniqueId": "u1", "fileType": name.rpartition(".")[2]}
    return Activity(type="message", attachments=[Attachment(content_type=FILE_DOWNLOAD_INFO, name=name, content=content)])


def _turns(assistant: Any, who: ChannelAccount, activities: list[Activity], desk: OfficerDesk | None, feedback: Any = None) -> list[list[Activity]]:
    return run_turns(assistant, conversation_template(who), activities, lambda host: GuidanceTeamsBot(host, feedback, desk=desk))


def _button(card: dict[str, Any], starts: str) -> dict[str, Any]:
    return next(a["data"] for a in card["actions"] if a["title"].startswith(starts))


def _preview(assistant: Any, desk: OfficerDesk, files: FakeConnector) -> dict[str, Any]:
    [[reply]] = _turns(assistant, OFFICER, [_file_message(files.serve_file("guidance-v2.md", V2))], desk)
    return card_of(reply)


def test_officer_file_gets_a_preview_card_and_publish_makes_it_current(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    card = _preview(assistant, desk, files)
    facts = {f["title"]: f["value"] for item in card["body"] if item["type"] == "FactSet" for f in item["facts"]}
    assert card["body"][0]["text"] == "Preview: guidance version 2"
    assert facts["Added"] == "Short-form video" and facts["Removed"] == "none" and "Copyright" in facts["Changed"]
    runs = [r["text"] for c in card["body"] if c["type"] == "Container" for b in c["items"] for r in b["inlines"]]
    assert any(r.startswith("+## Short-form video") for r in runs)
    assert desk.store.current_number() == 1  # a preview changes nothing

    [[published]] = _turns(assistant, OFFICER, [Activity(type="message", value=_button(card, "Publish"))], desk)
    assert "guidance version 2; it is now current" in card_of(published)["fallbackText"]
    assert desk.store.current_number() == 2
    assert desk.store.versions()[-1].published_by == "Jo Officer (teams:aad-officer)"
    # TestAdapter has no connector, so the officer is told the announcement was not posted
    assert "announcement was not posted" in card_of(published)["fallbackText"]


def test_cancel_leaves_the_current_version(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    card = _preview(assistant, desk, files)
    cancel, publish = _button(card, "Cancel"), _button(card, "Publish")
    cancelled, late = _turns(assistant, OFFICER, [Activity(type="message", value=cancel), Activity(type="message", value=publish)], desk)
    assert card_of(cancelled[0])["fallbackText"].startswith("Cancelled")
    assert "expired or was already used" in card_of(late[0])["fallbackText"]
    assert desk.store.current_number() == 1 and len(desk.store.versions()) == 1


def test_member_upload_is_refused_without_downloading(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    before = len(files.downloads)
    [[reply]] = _turns(assistant, MEMBER, [_file_message(files.serve_file("guidance-v2.md", V2))], desk)
    assert card_of(reply)["fallbackText"] == REFUSAL
    assert len(files.downloads) == before
    assert desk.store.current_number() == 1 and len(desk.store.versions()) == 1
    last = desk.store.audit_log()[-1]
    assert last.outcome == "refused: not an officer" and "teams:aad-member" in last.actor


def test_member_pressing_publish_is_refused(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    publish = _button(_preview(assistant, desk, files), "Publish")
    [[reply]] = _turns(assistant, MEMBER, [Activity(type="message", value=publish)], desk)
    assert card_of(reply)["fallbackText"] == REFUSAL and desk.store.current_number() == 1
    assert desk.store.audit_log()[-1].outcome == "refused: not an officer"


def test_oversized_file_is_refused_while_streaming(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    url = files.serve_file("huge.md", b"# Big\n\n" + b"x" * (5 * 1024 * 1024 + 10))
    [[reply]] = _turns(assistant, OFFICER, [_file_message(url, "huge.md")], desk)
    assert "larger than 5 MB" in card_of(reply)["fallbackText"]
    assert desk.store.audit_log()[-1].outcome.startswith("refused: huge.md is larger than 5 MB")


def test_wrong_type_and_emulator_content_url(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    sheet = _file_message(files.serve_file("budget.xlsx", b"PK\x03\x04"), "budget.xlsx")
    emulator = Activity(type="message", attachments=[Attachment(content_type="text/markdown", name="guidance-v2.md", content_url=files.serve_file("guidance-v2.md", V2))])
    refused, previewed = _turns(assistant, OFFICER, [sheet, emulator], desk)
    assert ".xlsx" in card_of(refused[0])["fallbackText"] and card_of(refused[0])["body"][0]["color"] == "Attention"
    assert card_of(previewed[0])["body"][0]["text"] == "Preview: guidance version 2"


def test_history_and_rollback_for_an_officer(assistant, desk: OfficerDesk, files: FakeConnector) -> None:
    card = _preview(assistant, desk, files)
    _turns(assistant, OFFICER, [Activity(type="message", value=_button(card, "Publish"))], desk)
    history, rolled = _turns(assistant, OFFICER, [Activity(type="message", text="history"), Activity(type="message", text="rollback 1")], desk)
    assert card_of(history[0])["fallbackText"].startswith("v2 (current)")
    assert "v1" in card_of(history[0])["fallbackText"]
    assert card_of(rolled[0])["fallbackText"] == "Guidance version 1 is current again."
    assert desk.store.current_number() == 1


@pytest.mark.parametrize("text", ["history", "rollback 1", "/guidance history"])
def test_history_and_rollback_are_refused_for_a_member(assistant, desk: OfficerDesk, text: str) -> None:
    from bot.officer_results import Actor

    assert desk.publish(Actor("teams", "aad-officer"), data=V2, filename="guidance-v2.md").ok
    [[reply]] = _turns(assistant, MEMBER, [Activity(type="message", text=text)], desk)
    assert card_of(reply)["fallbackText"] == REFUSAL
    assert desk.store.current_number() == 2
    assert desk.store.audit_log()[-1].outcome == "refused: not an officer"


def test_a_members_question_still_goes_to_the_assistant(assistant, desk: OfficerDesk, tmp_path: Path) -> None:
    feedback = FeedbackLog(tmp_path / "data")
    question = "Will jo.bloggs@example.com get the weather forecast for Leeds tomorrow?"  # unanswered with the hashing embedder
    [answered], [checked] = _turns(assistant, MEMBER, [Activity(type="message", text=question), Activity(type="message", text="check: Jo Bloggs is a liar")], desk, feedback)
    assert card_of(answered)["body"][0]["text"] == "Not covered by the guidance"
    assert "risk" in card_of(checked)["body"][0]["text"]
    with feedback.store.connect() as db:
        stored = [row[0] for row in db.execute("SELECT question FROM unanswered")]
    assert len(stored) == 1 and "Leeds" in stored[0] and "jo.bloggs@example.com" not in stored[0]
    assert not any("liar" in s for s in stored)


def test_without_a_desk_files_are_declined_politely(assistant, files: FakeConnector) -> None:
    [[reply]] = _turns(assistant, OFFICER, [_file_message(files.serve_file("guidance-v2.md", V2))], None)
    assert reply.text == NO_UPLOADS


def test_preview_card_names_reworded_passages_whose_example_questions_stop_matching() -> None:
    import json

    from adapters.teams.cards import preview_card
    from bot.officer_results import Preview

    def card(dropped: tuple[str, ...]) -> str:
        preview = Preview("pid", "v2.md", 2, 1, (), (), (), "", 10, 40, examples_dropped=dropped)
        return json.dumps(preview_card(preview))

    assert 'Example questions no longer matched (1): \\"share your passwords\\"' in card(("share your passwords",))
    assert "Example questions" not in card(())
