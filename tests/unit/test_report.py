"""What members asked: redacted before storage, stored only as configured, reported by nearest section."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import bot.feedback
from bot.cli import main
from bot.contracts import AskResult, AskResultItem
from bot.feedback import FeedbackLog
from bot.redact import redact
from bot.report import build_report

PERSONAL = "Can I post that Jack Smith of 12 Acacia Avenue, AB1 2CD (07700 900123, jack.smith@gmail.com) complained?"


def test_redaction_removes_names_emails_phones_and_addresses() -> None:
    cleaned = redact(PERSONAL)
    for secret in ("Jack", "Smith", "12 Acacia Avenue", "AB1 2CD", "07700 900123", "jack.smith@gmail.com"):
        assert secret not in cleaned
    assert cleaned == "Can I post that [name] of [address], [postcode] ([phone], [email]) complained?"
    assert redact("Can I tweet about a planning application?") == "Can I tweet about a planning application?"
    assert redact("Mrs Patel rang from 01632 960123") == "[name] rang from [phone]"


def _at(monkeypatch: pytest.MonkeyPatch, stamp: str) -> None:
    monkeypatch.setattr(bot.feedback, "now_iso", lambda: stamp)


def _unanswered(question: str, nearest: str = "legal-considerations/copyright") -> AskResult:
    return AskResult(
        question=question, answered=False, guidance_version="1", message="",
        results=[AskResultItem(section_id=nearest, title="Copyright", passage="...", score=0.3)],
    )


@pytest.mark.parametrize(
    ("setting", "kept_unanswered", "kept_feedback"),
    [("unanswered", True, False), ("all", True, True), ("off", False, False)],
)
def test_store_questions_setting(tmp_path: Path, setting: str, kept_unanswered: bool, kept_feedback: bool) -> None:
    log = FeedbackLog(tmp_path, setting)
    log.record_ask("slack", "U1", _unanswered(PERSONAL))
    log.record("slack", "U1", False, "introduction", "1", PERSONAL)
    with log.store.connect() as db:
        (unanswered,) = db.execute("SELECT question FROM unanswered").fetchone()
        (feedback,) = db.execute("SELECT question FROM feedback").fetchone()
        members = {row[0] for row in db.execute("SELECT member FROM unanswered UNION SELECT member FROM feedback")}
    assert bool(unanswered) == kept_unanswered and bool(feedback) == kept_feedback
    for stored in (unanswered, feedback):
        assert "Jack" not in stored and "07700" not in stored and "gmail" not in stored
    assert members and "U1" not in "".join(members)  # a pseudonym, not the platform id


def test_answered_questions_are_not_logged(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path)
    log.record_ask("slack", "U1", AskResult(question="q?", answered=True, results=[], guidance_version="1", message=""))
    with log.store.connect() as db:
        assert db.execute("SELECT count(*) FROM unanswered").fetchone()[0] == 0


def test_report_groups_by_nearest_section_within_the_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = FeedbackLog(tmp_path, "all")
    _at(monkeypatch, "2026-03-01T10:00:00Z")
    log.record_ask("slack", "U1", _unanswered("Can I use a Taylor Swift song in my TikTok?"))
    log.record_ask("teams", "T2", _unanswered("Can I post a film clip?"))
    log.record("slack", "U1", False, "introduction", "1", "what counts as social media for Mr Jones?")
    log.record("slack", "U3", True, "introduction", "1", "what is social media?")
    _at(monkeypatch, "2026-04-15T10:00:00Z")
    log.record_ask("slack", "U1", _unanswered("outside the range"))

    report = build_report(tmp_path, date(2026, 3, 1), date(2026, 3, 31))
    assert (report["unanswered"], report["not_helpful"]) == (2, 1)
    first, second = report["sections"]  # type: ignore[misc]
    assert first["section_id"] == "legal-considerations/copyright"
    assert first["title"] == "Legal Considerations › Copyright"
    assert [q["question"] for q in first["unanswered"]] == ["Can I use a Taylor Swift song in my TikTok?", "Can I post a film clip?"]
    assert second["section_id"] == "introduction" and second["helpful"] == 1
    assert second["not_helpful"][0]["question"] == "what counts as social media for [name]?"
    assert build_report(tmp_path, date(2026, 4, 15), date(2026, 4, 15))["unanswered"] == 1
    with pytest.raises(ValueError, match="after"):
        build_report(tmp_path, date(2026, 4, 2), date(2026, 4, 1))


def test_report_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUIDANCE_BOT_DATA_DIR", str(tmp_path))
    _at(monkeypatch, "2026-03-02T09:00:00Z")
    FeedbackLog(tmp_path).record_ask("slack", "U1", _unanswered("Can I livestream from 4 High Street?"))
    assert main(["report", "--from", "2026-03-01", "--to", "2026-03-31", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sections"][0]["unanswered"][0]["question"] == "Can I livestream from [address]?"
    assert main(["report", "--from", "2026-03-01", "--to", "2026-03-31"]) == 0
    text = capsys.readouterr().out
    assert "Nearest section: Legal Considerations › Copyright" in text and "Unanswered: \"Can I livestream from [address]?\"" in text
    assert main(["report", "--from", "2026-03-31", "--to", "2026-03-01"]) == 2
    assert "after" in capsys.readouterr().err
    assert main(["report", "--from", "March"]) == 2
