"""Whether a refit of the draft model is taken: the rule written before each refit, applied to counts.

    .venv/bin/python -m benchmarks.refit_acceptance --save before.json     # the shipped model, before the refit
    .venv/bin/python -m benchmarks.refit_acceptance --against before.json  # the refit: its table and verdict

It scores the tree's whole draft check (the bundled rules, and the risk model the tree ships) on the 23
unread held-out sets and the two clean comparators, from a fresh data dir, in one model load (~3 min),
and prints counts only: no post's text. With `--against` it exits 1 when the refit is not taken. The
rule (training/pending/README.md) is the one the refits since 2026-11-27 were judged by, written before
each ran, and is fixed here so none is judged by one chosen after it: clean posts flagged over every
clean source may rise by at most 3, recall on the unread sets may fall by at most 10, and the two
weakest categories, inflammatory and bullying, together must not fall. Both counts must come from the
same posts and rules, and from different model files (the same file means no refit happened).
`pytest tests/slow` must pass as well; that is the suite's to say, not this script's. Refused when the
tree's risk model does not match its training posts (the check would run its fallback).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RULES = Path(__file__).resolve().parent.parent / "knowledge" / "rules"  # the bundled rules a fresh data dir is seeded with
UNREAD = [DATA / "heldout" / f"drafts-blind{n}.jsonl" for n in (*range(20, 25), *range(27, 45))]
COMPARATORS = [DATA / "drafts-clean-e.jsonl", DATA / "drafts-clean-f.jsonl"]
WEAKEST = ("inflammatory", "bullying_discrimination")
CLEAN_RISE, RECALL_FALL = 3, 10


@dataclass(frozen=True)
class Counts:
    """What one model does on the sources the rule reads; all counts, no text."""

    found: int  # risks the unread sets' authors marked "must", found
    risks: int
    false_flags: int  # flags on the unread sets no author marked "must" or "may"
    found_by_category: dict[str, int]
    unread_clean_flagged: int
    unread_clean: int
    comparators_clean_flagged: int
    comparators_clean: int
    measured_on: str = ""  # a digest of the sets and the rules
    model: str = ""  # a digest of the risk model's file

    @property
    def totals(self) -> tuple[object, ...]:
        return self.measured_on, self.risks, self.unread_clean, self.comparators_clean, sorted(self.found_by_category)

    @property
    def clean_flagged(self) -> int:
        return self.unread_clean_flagged + self.comparators_clean_flagged

    @property
    def weakest_found(self) -> int:
        return sum(self.found_by_category.get(c, 0) for c in WEAKEST)


def tally(unread: list[dict[str, Any]], comparators: list[dict[str, Any]]) -> Counts:
    """Pool bot.evaluate.score_drafts reports: one per unread set, one per comparator."""
    by_category: dict[str, int] = {}
    found = risks = false_flags = 0
    for report in unread:
        for category, k in report["per_category"].items():
            by_category[category] = by_category.get(category, 0) + k["tp"]
            found, risks, false_flags = found + k["tp"], risks + k["tp"] + k["fn"], false_flags + k["fp"]
    return Counts(
        found,
        risks,
        false_flags,
        by_category,
        sum(r["clean_drafts_flagged"] for r in unread),
        sum(r["clean_drafts"] for r in unread),
        sum(r["clean_drafts_flagged"] for r in comparators),
        sum(r["clean_drafts"] for r in comparators),
    )


def verdict(before: Counts, after: Counts) -> list[tuple[str, bool]]:
    """Each part of the rule, said with its figures, and whether the refit meets it."""
    return [
        ("measured on the same posts, rules and categories as before", after.totals == before.totals),
        ("a different risk model file from the one measured before", after.model != before.model),
        (f"clean posts flagged, every clean source: {before.clean_flagged} -> {after.clean_flagged} (at most +{CLEAN_RISE})", after.clean_flagged <= before.clean_flagged + CLEAN_RISE),
        (f"unread risks found: {before.found} -> {after.found} of {after.risks} (at most -{RECALL_FALL})", after.found >= before.found - RECALL_FALL),
        (f"unread inflammatory + bullying found: {before.weakest_found} -> {after.weakest_found} (must not fall)", after.weakest_found >= before.weakest_found),
    ]


def digest(paths: list[Path]) -> str:
    whole = hashlib.sha256()
    for path in paths:
        whole.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return whole.hexdigest()[:16]


def measure() -> Counts:
    """The tree's draft check on every source, from a fresh data dir: the bundled guidance and rules, and
    no ONNX graph cached from another model."""
    from dataclasses import replace

    from bot.evaluate import read_jsonl, score_drafts
    from bot.runtime import build_assistant
    from bot.settings import Settings
    from knowledge.ask_model import load_retrieval_embedder
    from knowledge.draft_model import load_training
    from knowledge.encoder_adapters import shipped_adapters_path
    from knowledge.risk_model import load_risk_model

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="refit-acceptance-")), guidance_file=None)
    embedder = load_retrieval_embedder(settings.encoder, settings.model_cache_dir)
    tuned = load_risk_model(embedder, settings.encoder, settings.model_cache_dir, None, load_training())
    if tuned is None:
        raise SystemExit("the tree's risk model does not match its training posts: finish the refit first")
    assistant = build_assistant(settings, embedder=embedder, tuned=tuned)
    counts = tally([score_drafts(assistant, read_jsonl(p)) for p in UNREAD], [score_drafts(assistant, read_jsonl(p)) for p in COMPARATORS])
    rules = sorted(RULES.glob("*.yaml"))
    return replace(counts, measured_on=digest([*UNREAD, *COMPARATORS, *rules]), model=digest([shipped_adapters_path("risk")]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--save", type=Path, metavar="FILE", help="write this tree's counts (the model before a refit)")
    side.add_argument("--against", type=Path, metavar="FILE", help="judge this tree's model against counts saved before")
    args = parser.parse_args(argv)
    before = None
    if args.against is not None:
        try:
            before = Counts(**json.loads(args.against.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            parser.error(f"{args.against}: not counts saved by --save ({exc})")
    elif args.save.exists() or not args.save.parent.is_dir():
        # Never over an earlier save: step 0 run again after the refit would make the refit its own baseline.
        parser.error(f"{args.save}: {'already there' if args.save.exists() else 'its folder does not exist'}; counts are saved to a new file")
    after = measure()
    print(f"unread: found {after.found} of {after.risks}, false flags {after.false_flags}, clean flagged {after.unread_clean_flagged} of {after.unread_clean}")
    print(f"comparators: clean flagged {after.comparators_clean_flagged} of {after.comparators_clean}")
    print("unread found by category: " + ", ".join(f"{c} {n}" for c, n in sorted(after.found_by_category.items())))
    if before is None:
        args.save.write_text(json.dumps(asdict(after), indent=1) + "\n")
        print(f"saved to {args.save}")
        return 0
    parts = verdict(before, after)
    for said, met in parts:
        print(f"{'met   ' if met else 'FAILED'} {said}")
    taken = all(met for _, met in parts)
    print("taken (if pytest tests/slow passes)" if taken else "not taken")
    return 0 if taken else 1


if __name__ == "__main__":
    sys.exit(main())
