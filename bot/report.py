"""`guidance-bot report`: what members asked that the guidance did not answer, and which answers they
marked not helpful, for a date range, grouped by the nearest guidance section.

This is how officers learn what the guidance is missing. Everything shown was redacted before it was
stored (bot/feedback.py); the report adds nothing personal.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import TypedDict

from bot.feedback import FeedbackLog

NO_SECTION = "(no nearby section)"


class ReportItem(TypedDict):
    at: str
    guidance_version: str
    question: str


class SectionReport(TypedDict):
    section_id: str
    title: str
    helpful: int
    unanswered: list[ReportItem]
    not_helpful: list[ReportItem]


# What `--json` prints. Functional form because "from" is a keyword; typed so the sums and the sort are checked.
Report = TypedDict("Report", {"from": str, "to": str, "unanswered": int, "not_helpful": int, "sections": list[SectionReport]})


def _titles(log: FeedbackLog) -> dict[str, str]:
    """Section titles from every stored version, newest last, so an old section id still has a name."""
    titles: dict[str, str] = {}
    for info in log.store.versions():
        try:
            for section in log.store.document(info.number).sections:
                titles[section.id] = " › ".join(section.heading_path)
        except Exception:  # a damaged old version must not stop the report
            continue
    return titles


def build_report(data_dir: Path, start: date, end: date) -> Report:
    """Unanswered questions and not-helpful answers from `start` to `end` inclusive (UTC days)."""
    if start > end:
        raise ValueError(f"--from ({start}) is after --to ({end}).")
    log = FeedbackLog(data_dir)
    low, high = f"{start.isoformat()}T00:00:00Z", f"{(end + timedelta(days=1)).isoformat()}T00:00:00Z"
    unanswered: dict[str, list[ReportItem]] = defaultdict(list)
    not_helpful: dict[str, list[ReportItem]] = defaultdict(list)
    helpful: dict[str, int] = defaultdict(int)
    with log.store.connect() as db:
        for at, section, version, question in db.execute(
            "SELECT at, nearest_section, guidance_version, question FROM unanswered WHERE at >= ? AND at < ? ORDER BY at", (low, high)
        ):
            unanswered[section or NO_SECTION].append(ReportItem(at=at, guidance_version=version, question=question))
        for at, section, version, question, was_helpful in db.execute(
            "SELECT at, section_id, guidance_version, question, helpful FROM feedback WHERE at >= ? AND at < ? ORDER BY at", (low, high)
        ):
            if was_helpful:
                helpful[section or NO_SECTION] += 1
            else:
                not_helpful[section or NO_SECTION].append(ReportItem(at=at, guidance_version=version, question=question))
    titles = _titles(log)
    sections = [
        SectionReport(
            section_id=sid, title=titles.get(sid, sid), helpful=helpful.get(sid, 0), unanswered=unanswered[sid], not_helpful=not_helpful[sid]
        )
        for sid in dict.fromkeys([*unanswered, *not_helpful])
    ]
    sections.sort(key=lambda s: (-(len(s["unanswered"]) + len(s["not_helpful"])), s["section_id"]))
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "unanswered": sum(len(s["unanswered"]) for s in sections),
        "not_helpful": sum(len(s["not_helpful"]) for s in sections),
        "sections": sections,
    }


def render_report(report: Report) -> str:
    lines = [
        f"What members asked, {report['from']} to {report['to']}: "
        f"{report['unanswered']} unanswered question(s), {report['not_helpful']} answer(s) marked not helpful."
    ]
    for section in report["sections"]:
        lines.append("")
        lines.append(f"Nearest section: {section['title']} [{section['section_id']}]")
        for label, items in (("Unanswered", section["unanswered"]), ("Not helpful", section["not_helpful"])):
            for item in items:
                shown = f'"{item["question"]}"' if item["question"] else "(question text not stored)"
                lines.append(f"  {label}: {shown}  ({item['at'][:10]}, version {item['guidance_version']})")
    if not report["sections"]:
        lines.append("Nothing to report for these dates.")
    return "\n".join(lines)
