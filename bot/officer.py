"""Officer commands, platform-free: preview a guidance or rules file, publish it, cancel, history and rollback.

Slack, Teams and the CLI all call the same `OfficerDesk`, which checks who is asking (GUIDANCE_OFFICERS
holds platform-qualified ids such as slack:U123), records every publish, rollback and refused attempt
in the audit log, and returns neutral `OfficerResult`s (bot/officer_results.py) that adapters render (a preview carries its id
for the Publish and Cancel buttons). The methods block (a publish builds an index): adapters call them
off the event loop, e.g. `await asyncio.to_thread(desk.publish, actor, preview_id)`. A `.yaml` file is
a draft-check rules file: its preview lists the rules added, removed and changed, and publishing it
makes a new version with the same guidance and the new rules.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from bot.officer_results import Actor, OfficerResult, Preview, is_officer
from knowledge.asked import dropped_examples
from knowledge.changes import compare
from knowledge.ingest import Ingested, IngestError, ingest, parse_text
from knowledge.rules import RulesError
from knowledge.rules_upload import PreparedRules, is_rules_file, prepare_rules
from knowledge.store import GuidanceStore, StoreDamaged, StoreError
from knowledge.store_records import rules_changed

if TYPE_CHECKING:
    from bot.settings import Settings
    from knowledge.embedding import Embedder

PREVIEW_TTL_SECONDS = 3600
REFUSAL = (
    "Sorry, only the council's guidance officers can publish or change the guidance. "
    "If you should be one, ask democratic services to add you."
)
USAGE = (
    "Officer commands: send me the guidance file (Markdown, text, Word or PDF) or a draft-check rules file "
    "(.yaml) to see what would change, "
    "then Publish or Cancel. Also: `history`, `rollback VERSION`."
)
_COMMAND = re.compile(r"^\s*(?:/?guidance\s+)?(publish|cancel|history|rollback|help)\b\s*((?:to|version)\s+|v)?(\S*)\s*$", re.I)


class OfficerCommand(NamedTuple):
    """An officer text command: its verb and its one argument (a version, a preview id, or empty)."""

    verb: str  # publish, cancel, history, rollback or help
    arg: str


def parse_officer_command(text: str) -> OfficerCommand | None:
    """The command when the whole text is one verb and at most one argument, else None: "history of the
    rules on tweeting?" is a question. The desk and the Slack adapter's routing both read commands with it."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    verb, arg = match.group(1).lower(), match.group(3)
    if verb != "rollback" and arg and (match.group(2) or "").lower() == "v":  # "v2" names a version; a preview id may start with v
        arg = match.group(2) + arg
    return OfficerCommand(verb, arg)


@dataclass
class _Pending:
    item: Ingested
    data: bytes | None
    base_version: int
    preview: Preview
    rules: PreparedRules | None = None
    rules_source: str = ""
    created: float = field(default_factory=time.monotonic)


class OfficerDesk:
    def __init__(
        self,
        store: GuidanceStore,
        officers: frozenset[str],
        embedder: Callable[[], Embedder | None] | None = None,
        announce_channel: str = "",
        local: bool = False,
    ) -> None:
        """`embedder` returns the running model so a publish builds its index with it; `local` trusts
        every caller (the CLI, whose user already holds the data dir)."""
        self.store = store
        self.officers = officers
        self._embedder = embedder or (lambda: None)
        self.announce_channel = announce_channel
        self._local = local
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Callable[[], Embedder | None] | None = None, local: bool = False) -> OfficerDesk:
        return cls(GuidanceStore.open(settings.data_dir), settings.officer_ids, embedder, settings.announce_channel, local)

    def is_officer(self, actor: Actor) -> bool:
        return self._local or is_officer(actor.qualified, self.officers)

    def _refuse(self, actor: Actor, action: str, detail: str = "") -> OfficerResult:
        self.store.audit(actor.label, action, "refused: not an officer", detail)
        return OfficerResult(False, "refused", REFUSAL)

    def preview(self, actor: Actor, data: bytes, filename: str) -> OfficerResult:
        """Preview a guidance file, or (a .yaml file) a draft-check rules file replacing its category's rules."""
        if is_rules_file(filename):
            return self.preview_change(actor, rules={filename: data}, rules_source=filename)
        return self.preview_change(actor, guidance=(data, filename))

    def preview_change(
        self,
        actor: Actor,
        guidance: tuple[bytes, str] | None = None,
        rules: dict[str, bytes] | None = None,
        whole_rules: bool = False,
        rules_source: str = "",
    ) -> OfficerResult:
        """Validate a new guidance file and/or rules (a folder's files with `whole_rules`, else files that
        replace their categories' rules) and show the change; nothing is written but the audit log."""
        label = guidance[1] if guidance else rules_source
        if not self.is_officer(actor):
            return self._refuse(actor, "publish", label)
        base = self.store.current_number()
        try:
            item = ingest(*guidance) if guidance else self._current_item(base)
            prepared = None
            if rules is not None:
                prepared = prepare_rules(self.store.rule_files(base), rules, whole_rules, item.document, self._checking_embedder())
        except (IngestError, RulesError) as exc:
            self.store.audit(actor.label, "publish", f"refused: {exc}", label)
            return OfficerResult(False, "error", f"Not published: {exc}")
        changes = compare(self.store.document(base), item.document, f"version {base}", item.filename)
        numbers = [v.number for v in self.store.versions()]
        preview = Preview(
            secrets.token_urlsafe(9), label, max(numbers) + 1, base, changes.added, changes.removed,
            changes.changed, changes.diff, len(item.document.sections), len(item.document.passages),
            guidance_changed=guidance is not None, rules=prepared.changes if prepared else None,
            examples_dropped=dropped_examples(self.store.document(base), item.document),
        )
        with self._lock:
            self._expire()
            self._pending[preview.preview_id] = _Pending(item, guidance[0] if guidance else None, base, preview, prepared, rules_source)
        if prepared is not None and prepared.changes.empty and (guidance is None or changes.empty):
            return OfficerResult(True, "preview", preview.summary + "\nNothing would change.", preview=preview)
        if guidance is not None and changes.empty:
            return OfficerResult(True, "preview", preview.summary + "\nThe text is the same as the current version.", preview=preview)
        return OfficerResult(True, "preview", preview.summary, preview=preview)

    def _current_item(self, number: int) -> Ingested:
        """The current version's guidance as an upload, so a rules-only publish keeps it unchanged."""
        info = self.store.version(number)
        text = self.store.text(number)
        return Ingested(info.source_name, "markdown" if info.format == "markdown" else "text", text, info.format, parse_text(text, info.format, info.source_name))

    def _checking_embedder(self) -> Embedder:
        """The running model when there is one; the rules' examples only need it to place quoted passages."""
        embedder = self._embedder()
        if embedder is None:
            from knowledge.embedding import HashingEmbedder

            embedder = HashingEmbedder()
        return embedder

    def _expire(self) -> None:
        cutoff = time.monotonic() - PREVIEW_TTL_SECONDS
        for key in [k for k, p in self._pending.items() if p.created < cutoff]:
            del self._pending[key]

    def publish(self, actor: Actor, preview_id: str | None = None, *, data: bytes | None = None, filename: str = "", note: str = "") -> OfficerResult:
        """Publish a previewed file (by its id), or a file given directly (preview and publish in one)."""
        if not self.is_officer(actor):
            return self._refuse(actor, "publish", filename or preview_id or "")
        if preview_id is None:
            if data is None:
                return OfficerResult(False, "error", "Send the guidance file to publish (Markdown, text, Word or PDF).")
            shown = self.preview(actor, data, filename)
            if shown.preview is None:
                return shown
            preview_id = shown.preview.preview_id
        with self._lock:
            self._expire()
            pending = self._pending.pop(preview_id, None)
        if pending is None:
            return OfficerResult(False, "error", "That preview has expired or was already used: send the file again.")
        current = self.store.current_number()
        if current != pending.base_version:
            self.store.audit(actor.label, "publish", f"refused: guidance changed since the preview (now version {current})", pending.item.filename)
            return OfficerResult(False, "error", f"The guidance changed since this preview (it is now version {current}): send the file again to see the up-to-date changes.")
        prepared = pending.rules
        try:
            info = self.store.publish(
                pending.item, actor.label, note, self._embedder(), pending.data,
                rules=prepared.files if prepared else None, rules_source=pending.rules_source,
            )
        except StoreError as exc:  # e.g. someone published rules meanwhile
            self.store.audit(actor.label, "publish", f"refused: {exc}", pending.preview.filename)
            return OfficerResult(False, "error", f"Not published: {exc}")
        except (OSError, StoreDamaged) as exc:
            self.store.audit(actor.label, "publish", f"failed: {exc}", pending.item.filename)
            return OfficerResult(False, "error", f"Publishing failed and nothing changed: {exc}")
        p = pending.preview
        lines = [f"The social media guidance has been updated to version {info.number}."]
        lines += [f"{label}: " + "; ".join(r.title for r in refs) for label, refs in (("New", p.added), ("Changed", p.changed), ("Removed", p.removed)) if refs and p.guidance_changed]
        if p.rules is not None:
            lines.append("The draft check has been updated: " + p.rules.summary())
        if note:
            lines.append(f"Note: {note}")
        announcement = "\n".join(lines)
        return OfficerResult(True, "publish", f"Published {p.filename} as guidance version {info.number}; it is now current.", version=info, announcement=announcement, announce_channel=self.announce_channel)

    def cancel(self, actor: Actor, preview_id: str) -> OfficerResult:
        if not self.is_officer(actor):
            return self._refuse(actor, "cancel", preview_id)
        with self._lock:
            pending = self._pending.pop(preview_id, None)
        return OfficerResult(True, "cancel", "Cancelled: nothing was published." if pending else "Nothing to cancel: that preview had already gone.")

    def history(self, actor: Actor) -> OfficerResult:
        if not self.is_officer(actor):
            return self._refuse(actor, "history")
        versions = tuple(reversed(self.store.versions()))
        changed = rules_changed(list(versions))
        text = "\n".join(
            f"v{v.number}{' (current)' if v.current else ''} · {v.published_at} · {v.published_by} · {v.source_name}"
            f"{' · new draft-check rules: ' + v.rules_label if v.number in changed else ''}{' · ' + v.note if v.note else ''}"
            for v in versions
        )
        return OfficerResult(True, "history", text, history=versions)

    def rollback(self, actor: Actor, version: int) -> OfficerResult:
        if not self.is_officer(actor):
            return self._refuse(actor, "rollback", f"to version {version}")
        try:
            info = self.store.rollback(version, actor.label)
        except (StoreError, StoreDamaged) as exc:
            self.store.audit(actor.label, "rollback", f"refused: {exc}", version=version)
            return OfficerResult(False, "error", f"Not rolled back: {exc}")
        announcement = f"The social media guidance has been rolled back to version {info.number}."
        return OfficerResult(True, "rollback", f"Guidance version {info.number} is current again.", version=info, announcement=announcement, announce_channel=self.announce_channel)

    def handle_text(self, actor: Actor, text: str) -> OfficerResult | None:
        """A text command ("/guidance history", "rollback 3", "publish <id>"), or None when the text should go
        to the assistant. Only "/guidance ..." is a command for everyone (others are refused politely);
        "guidance history" or a bare "history" is a command only for officers, a question for members."""
        slash = bool(re.match(r"^\s*/guidance\b", text, re.I))
        command = parse_officer_command(text)
        if not self.is_officer(actor):
            return self._refuse(actor, "command", text.strip()[:80]) if slash else None
        if command is None:
            return OfficerResult(False, "error", USAGE) if slash else None
        verb, arg = command
        if verb == "help":
            return OfficerResult(True, "help", USAGE)
        if verb == "history":
            return self.history(actor)
        if verb == "rollback":
            if not arg.isdigit():
                return OfficerResult(False, "error", "Say which version to roll back to, e.g. `rollback 2` (see `history`).")
            return self.rollback(actor, int(arg))
        if verb == "cancel":
            return self.cancel(actor, arg)
        if not arg:
            return OfficerResult(True, "help", "Send me the guidance file (Markdown, text, Word or PDF) and I'll show what would change before anything is published.")
        return self.publish(actor, arg)
