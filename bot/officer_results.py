"""What officer commands return and who may run them: the contracts between OfficerDesk and the adapters.

Kept apart from bot/officer.py (which does the work) so Slack and Teams can render a preview or a result
from these plain dataclasses without reading the desk's machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.contracts import Reply

if TYPE_CHECKING:
    from knowledge.changes import SectionRef
    from knowledge.rules_upload import RulesChanges
    from knowledge.store import VersionInfo


def is_officer(platform_user_id: str, officers: frozenset[str] | str) -> bool:
    """True when `platform:user-id` is listed; the platform part is matched case-insensitively."""
    if isinstance(officers, str):
        officers = frozenset(o.strip() for o in officers.split(",") if o.strip())
    platform, _, user = platform_user_id.partition(":")
    wanted = f"{platform.lower()}:{user}"
    return bool(user) and any(f"{o.partition(':')[0].lower()}:{o.partition(':')[2]}" == wanted for o in officers)


@dataclass(frozen=True)
class Actor:
    """Who is asking: the platform, their id on it, and a display name for the audit log."""

    platform: str
    user_id: str
    name: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.qualified})" if self.name and self.platform != "cli" else self.name or self.qualified


@dataclass(frozen=True)
class Preview:
    """What publishing a file would do; `preview_id` is what the Publish / Cancel buttons carry."""

    preview_id: str
    filename: str
    version: int  # the number it would become
    current_version: int
    added: tuple[SectionRef, ...]
    removed: tuple[SectionRef, ...]
    changed: tuple[SectionRef, ...]
    diff: str
    sections: int
    passages: int
    guidance_changed: bool = True  # False for a rules-only publish: the guidance text is kept
    rules: RulesChanges | None = None  # set when the publish brings new draft-check rules
    # Phrases of knowledge/training/asked.yaml that name a passage now but none in the new text: the
    # example questions under them stop helping members' wordings find that passage.
    examples_dropped: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        def names(refs: tuple[SectionRef, ...]) -> str:
            return "; ".join(r.title for r in refs) or "none"

        head = f"{self.filename} would become guidance version {self.version} (now {self.current_version}): "
        if not self.guidance_changed:
            text = head + f"the same guidance ({self.sections} sections) with new draft-check rules."
        else:
            text = (
                head + f"{self.sections} sections, {self.passages} passages.\n"
                f"Added: {names(self.added)}\nRemoved: {names(self.removed)}\nChanged: {names(self.changed)}"
            )
        if self.examples_dropped:
            quoted = "; ".join(f'"{p}"' for p in self.examples_dropped)
            text += (
                f"\nExample questions no longer matched ({len(self.examples_dropped)} passages reworded or removed: {quoted}): "
                "members' own wordings for those passages will be recognised less well."
            )
        if self.rules is not None:
            text += "\n" + self.rules.summary()
        return text


@dataclass(frozen=True)
class OfficerResult:
    """Neutral outcome of an officer command; `text` is the plain fallback every platform can show."""

    ok: bool
    action: str  # preview | publish | cancel | history | rollback | help | refused | error
    text: str
    preview: Preview | None = None
    version: VersionInfo | None = None
    history: tuple[VersionInfo, ...] = ()
    announcement: str = ""  # post this to `announce_channel` when both are set
    announce_channel: str = ""

    def reply(self) -> Reply:
        return Reply("officer" if self.ok else "error", self.text, private=True)
