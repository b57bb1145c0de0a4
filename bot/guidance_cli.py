"""`guidance-bot guidance ...` and `guidance-bot report`: the officers' command line.

publish [FILE] [--rules PATH] --by NAME [--note TEXT] [--dry-run], history [--json], diff A B,
rollback VERSION --by NAME,
show [SECTION_ID], export VERSION, audit [--json]; report --from DATE --to DATE [--json]. Exit 0 on
success, 2 when the input or request is refused (the message says why), 1 when the store is damaged.
A running `serve` on the same data dir picks up a publish or rollback within a second or two.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from knowledge.embedding import Embedder

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
TEST_EMBEDDER_ENV = "GUIDANCE_BOT_TEST_EMBEDDER"  # "hashing": tests publish without loading the model


class Refused(Exception):
    """Exit 2 with this message."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    guidance = sub.add_parser("guidance", help="publish, inspect and roll back guidance versions (officers)")
    verbs = guidance.add_subparsers(dest="verb", required=True)
    publish = verbs.add_parser("publish", help="validate a guidance file and/or draft-check rules, show the change and make it current")
    publish.add_argument("file", nargs="?", help="Markdown, plain text, Word (.docx) or PDF, at most 5 MB (default: keep the current guidance)")
    publish.add_argument("--rules", metavar="PATH", help="a folder of rules files (*.yaml) replacing all the rules, or one .yaml file replacing its category's rules; at most 1 MB a file")
    publish.add_argument("--by", required=True, help="who is publishing (recorded in the audit log)")
    publish.add_argument("--note", default="", help="why: recorded with the version")
    publish.add_argument("--dry-run", action="store_true", help="print the change and exit without publishing")
    history = verbs.add_parser("history", help="list the versions, newest first")
    history.add_argument("--json", action="store_true", help="print a JSON list of versions")
    diff = verbs.add_parser("diff", help="what changed from version A to version B")
    diff.add_argument("a", type=int)
    diff.add_argument("b", type=int)
    rollback = verbs.add_parser("rollback", help="make an earlier version current again")
    rollback.add_argument("version", type=int)
    rollback.add_argument("--by", required=True, help="who is rolling back (recorded in the audit log)")
    show = verbs.add_parser("show", help="list the current version's sections, or print one")
    show.add_argument("section_id", nargs="?")
    export = verbs.add_parser("export", help="print the stored text of a version")
    export.add_argument("version", type=int)
    audit = verbs.add_parser("audit", help="every publish, rollback and refused attempt")
    audit.add_argument("--json", action="store_true")
    report = sub.add_parser("report", help="unanswered questions and not-helpful answers, by nearest section")
    today = date.today()
    report.add_argument("--from", dest="start", type=date.fromisoformat, default=today - timedelta(days=30), help="first day, YYYY-MM-DD (default 30 days ago)")
    report.add_argument("--to", dest="end", type=date.fromisoformat, default=today, help="last day, YYYY-MM-DD (default today)")
    report.add_argument("--json", action="store_true")


def _embedder(engine: str = "onnx", cache_dir: Path | None = None) -> Embedder:
    if os.environ.get(TEST_EMBEDDER_ENV) == "hashing":
        from knowledge.embedding import HashingEmbedder

        return HashingEmbedder()
    from knowledge.ask_model import load_retrieval_embedder

    return load_retrieval_embedder(engine, cache_dir)


def _print(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from bot.officer import OfficerDesk
    from bot.officer_results import Actor

    if args.file is None and args.rules is None:
        raise Refused("give the guidance FILE to publish, --rules PATH, or both.")
    guidance: tuple[bytes, str] | None = None
    if args.file is not None:
        path = Path(args.file)
        if not path.is_file():
            raise Refused(f"no such file: {path}")
        from knowledge.ingest import MAX_BYTES

        if path.stat().st_size > MAX_BYTES:  # refuse before reading it all
            raise Refused(f"{path.name} is {path.stat().st_size / 1_048_576:.1f} MB; the limit is {MAX_BYTES // 1_048_576} MB.")
        guidance = (path.read_bytes(), path.name)
    rules: dict[str, bytes] | None = None
    whole = False
    if args.rules is not None:
        from knowledge.rules import RulesError
        from knowledge.rules_upload import read_rules_path

        try:
            rules, whole = read_rules_path(Path(args.rules))
        except RulesError as exc:
            raise Refused(str(exc)) from None
    if not args.by.strip():
        raise Refused("--by must name who is publishing.")
    desk = OfficerDesk.from_settings(settings, embedder=functools.cache(functools.partial(_embedder, settings.encoder, settings.model_cache_dir)), local=True)  # load the model once
    actor = Actor("cli", args.by.strip(), args.by.strip())
    rules_source = Path(args.rules).name if args.rules is not None else ""
    shown = desk.preview_change(actor, guidance=guidance, rules=rules, whole_rules=whole, rules_source=rules_source)
    if shown.preview is None:
        raise Refused(shown.text)
    _print(shown.text)
    if shown.preview.diff and shown.preview.guidance_changed:
        _print()
        _print(shown.preview.diff)
    if shown.preview.rules is not None and shown.preview.rules.diff:
        _print()
        _print(shown.preview.rules.diff)
    if args.dry_run:
        _print("\nDry run: nothing was published.")
        return EXIT_OK
    done = desk.publish(actor, shown.preview.preview_id, note=args.note)
    if not done.ok:
        raise Refused(done.text)
    _print("\n" + done.text)
    return EXIT_OK


def _history(args: argparse.Namespace, store) -> int:  # type: ignore[no-untyped-def]
    from knowledge.store_records import rules_changed

    versions = list(reversed(store.versions()))
    changed = rules_changed(versions)
    if args.json:
        _print(json.dumps([{**v.as_dict(), "rules_changed": v.number in changed} for v in versions], ensure_ascii=False))
        return EXIT_OK
    for v in versions:
        note = f" · {v.note}" if v.note else ""
        rules = f"  new rules: {v.rules_label}" if v.number in changed else ""
        _print(f"{v.number:>3}{' *' if v.current else '  '} {v.published_at}  {v.published_by}  {v.source_name}  {v.content_hash[:12]}{rules}{note}")
    _print("(* current; \"new rules\" marks a version whose draft-check rules differ from the one before)")
    return EXIT_OK


def _diff(args: argparse.Namespace, store) -> int:  # type: ignore[no-untyped-def]
    from knowledge.changes import compare

    from knowledge.rules_upload import compare_rules

    changes = compare(store.document(args.a), store.document(args.b), f"version {args.a}", f"version {args.b}")
    rules = compare_rules(store.rule_files(args.a), store.rule_files(args.b), f"version {args.a}", f"version {args.b}")
    _print(changes.summary())
    _print(rules.summary())
    if changes.diff:
        _print()
        _print(changes.diff)
    if rules.diff:
        _print()
        _print(rules.diff)
    return EXIT_OK


def _show(args: argparse.Namespace, store) -> int:  # type: ignore[no-untyped-def]
    number = store.current_number()
    document = store.document(number)
    if args.section_id is None:
        _print(f"Guidance version {number}: {document.meta.title}")
        for section in document.sections:
            _print(f"{'  ' * (section.level - 2)}{section.id}  {section.title}  ({len(section.passages)} passages)")
        return EXIT_OK
    section = document.section(args.section_id)
    if section is None:
        raise Refused(f"There is no section {args.section_id!r} in version {number}; `guidance show` lists them.")
    _print(" › ".join(section.heading_path) + f"  [{section.id}] (version {number})")
    _print()
    _print("\n\n".join(p.text for p in section.passages))
    return EXIT_OK


def _audit(args: argparse.Namespace, store) -> int:  # type: ignore[no-untyped-def]
    entries = store.audit_log()
    if args.json:
        _print(json.dumps([e.as_dict() for e in entries], ensure_ascii=False))
        return EXIT_OK
    for e in entries:
        version = f" v{e.version}" if e.version is not None else ""
        _print(f"{e.at}  {e.actor}  {e.action}{version}  {e.outcome}{'  ' + e.detail if e.detail else ''}")
    if not entries:
        _print("The audit log is empty.")
    return EXIT_OK


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.report import build_report, render_report

    try:
        report = build_report(settings.data_dir, args.start, args.end)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    _print(json.dumps(report, ensure_ascii=False) if args.json else render_report(report))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Dispatch `guidance <verb>` and `report`, turning every refusal into a message and an exit code."""
    from knowledge.store import GuidanceStore, StoreDamaged, StoreError
    from knowledge.rules import RulesError

    try:
        settings = load_settings()
        if args.command == "report":
            return _report(args, settings)
        if args.verb == "publish":
            return _publish(args, settings)
        store = GuidanceStore.open(settings.data_dir)
        if args.verb == "rollback":
            from bot.officer import OfficerDesk
            from bot.officer_results import Actor

            if not args.by.strip():
                raise Refused("--by must name who is rolling back.")
            result = OfficerDesk(store, frozenset(), local=True).rollback(Actor("cli", args.by.strip(), args.by.strip()), args.version)
            if not result.ok:
                raise Refused(result.text)
            _print(result.text)
            return EXIT_OK
        if args.verb == "export":
            sys.stdout.write(store.text(args.version))
            return EXIT_OK
        handler = {"history": _history, "diff": _diff, "show": _show, "audit": _audit}[args.verb]
        return handler(args, store)
    except (Refused, StoreError, SettingsError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return EXIT_USAGE
    except (StoreDamaged, OSError, RulesError) as exc:  # RulesError here: stored rules this program cannot read
        sys.stderr.write(f"Error: the guidance store could not be used: {exc}\n")
        return EXIT_FAILURE
