"""Score the assistant on the JSONL evaluation formats in shared/eval.

Questions: `{"q", "gold": [phrases]}` is answered correctly when the top passage holds a gold phrase;
`{"q", "out": true}` should be declined. Drafts: `{"text", "must": [...], "may": [...]}`: flags in
`must` are required, those in `may` are tolerated, anything else is a false positive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from knowledge.draft_check import CATEGORIES

if TYPE_CHECKING:
    from bot.assistant import Assistant


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
    return rows


def score_questions(assistant: Assistant, rows: list[dict[str, Any]]) -> dict[str, Any]:
    in_scope = [r for r in rows if not r.get("out")]
    out_scope = [r for r in rows if r.get("out")]
    top1 = top3 = wrongly_declined = declined = 0
    misses: list[dict[str, Any]] = []
    longest = 0
    for row in in_scope:
        result = assistant.ask(row["q"])
        gold = [g.casefold() for g in row["gold"]]
        passages = [r.passage for r in result.results] if result.answered else []
        longest = max([longest, *(len(p) for p in passages)])
        hit1 = bool(passages) and any(g in passages[0].casefold() for g in gold)
        top1 += hit1
        top3 += any(g in p.casefold() for p in passages[:3] for g in gold)
        wrongly_declined += not result.answered
        if not hit1:
            misses.append({"q": row["q"], "answered": result.answered, "top": result.results[0].section_id if result.results else None})
    for row in out_scope:
        declined += not assistant.ask(row["q"]).answered
    return {
        "questions": len(in_scope),
        "top1": top1 / len(in_scope) if in_scope else None,
        "top3": top3 / len(in_scope) if in_scope else None,
        "wrongly_declined": wrongly_declined,
        "out_of_scope": len(out_scope),
        "abstention": declined / len(out_scope) if out_scope else None,
        "longest_passage": longest,
        "misses": misses,
    }


def score_drafts(assistant: Assistant, rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CATEGORIES}
    clean_total = clean_flagged = 0
    errors: list[dict[str, Any]] = []
    for row in rows:
        must, may = set(row.get("must", [])), set(row.get("may", []))
        got = {f.category for f in assistant.check(row["text"]).flags}
        for c in CATEGORIES:
            if c in must and c in got:
                counts[c]["tp"] += 1
            elif c in must:
                counts[c]["fn"] += 1
            elif c in got and c not in may:
                counts[c]["fp"] += 1
        if not must:  # a clean post; a flag its author listed under "may" is acceptable, any other is not
            clean_total += 1
            clean_flagged += bool(got - may)
        if (must - got) or (got - must - may):
            errors.append({"text_chars": len(row["text"]), "must": sorted(must), "got": sorted(got)})
    per_category = {}
    for c, k in counts.items():
        if k["tp"] + k["fp"] + k["fn"] == 0:
            continue
        precision = k["tp"] / (k["tp"] + k["fp"]) if k["tp"] + k["fp"] else 1.0
        recall = k["tp"] / (k["tp"] + k["fn"]) if k["tp"] + k["fn"] else 1.0
        per_category[c] = {"precision": precision, "recall": recall, **k}
    return {
        "drafts": len(rows),
        "per_category": per_category,
        "min_precision": min((v["precision"] for v in per_category.values()), default=1.0),
        "min_recall": min((v["recall"] for v in per_category.values()), default=1.0),
        "clean_drafts": clean_total,
        "clean_drafts_flagged": clean_flagged,
        "errors": errors,
    }


def print_report(console: Console, kind: str, report: dict[str, Any]) -> None:
    table = Table(title=f"Evaluation: {kind}")
    if kind == "questions":
        table.add_column("measure")
        table.add_column("value", justify="right")
        for key in ("questions", "top1", "top3", "wrongly_declined", "out_of_scope", "abstention", "longest_passage"):
            value = report[key]
            table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
        console.print(table)
        for miss in report["misses"]:
            console.print(f"  miss: {miss['q']}  → {miss['top']}{'' if miss['answered'] else ' (declined)'}", style="yellow")
        return
    for col in ("category", "precision", "recall", "tp", "fp", "fn"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for c, v in report["per_category"].items():
        table.add_row(c, f"{v['precision']:.2f}", f"{v['recall']:.2f}", str(v["tp"]), str(v["fp"]), str(v["fn"]))
    console.print(table)
    console.print(f"clean drafts flagged: {report['clean_drafts_flagged']} of {report['clean_drafts']}")
