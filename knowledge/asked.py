"""Example questions: ones members ask, tied to the passage that answers them, and ones the guidance declines.

Why: all-MiniLM-L6-v2 puts a member's question nearer to another question about the same situation than
to the formal paragraph that answers it ("can my ward team have my login?" vs "Don't: share your
passwords"). So each example question is one more view of its passage in the dense index, and the
declined examples (knowledge/scope.yaml) tell "about this guidance" from "about council business"
question to question. Measured on the three blind question sets never developed on: top-1 0.70, 0.70,
0.67 -> 0.85, 0.89, 0.87 and out-of-scope abstention 0.78, 0.78, 0.80 -> 0.89, 1.00, 0.90 (README).

Examples are tied to a passage by a phrase of its text, not by its id, so they follow the passage into a
new guidance version while its wording survives and simply drop out where it does not.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from knowledge.embedding import is_real_model
from knowledge.model import GuidanceDocument


@dataclass(frozen=True)
class AskedEntry:
    """Questions answered by the one passage whose text contains `phrase` (case-insensitive)."""

    phrase: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Examples:
    """What the index embeds besides the passages: (passage index, question) pairs and declined questions."""

    asked: tuple[tuple[int, str], ...] = ()
    declined: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for owner, question in self.asked:
            digest.update(f"{owner}\x1f{question}\x1e".encode())
        digest.update(b"\x1d")
        for question in self.declined:
            digest.update(f"{question}\x1e".encode())
        return digest.hexdigest()


@functools.cache
def packaged_yaml(*path: str) -> Any:
    """A YAML file packaged under knowledge/, parsed once per process (callers only read it).

    Through libyaml when present: the example files are read at every start, and the pure-Python
    parser took ~140 ms of a ~1.7 s one-shot `ask` on them; scope.yaml is read by two loaders.
    """
    text = resources.files("knowledge").joinpath(*path).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def load_asked() -> tuple[AskedEntry, ...]:
    """The packaged example questions (knowledge/training/asked.yaml)."""
    return parse_asked(packaged_yaml("training", "asked.yaml") or [])


def parse_asked(raw: object) -> tuple[AskedEntry, ...]:
    if not isinstance(raw, list):
        raise ValueError("asked.yaml must be a list of {passage, questions} entries")
    # Entries sharing a phrase are one entry, so previews and start-up checks see each phrase once.
    merged: dict[str, list[str]] = {}
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not str(item.get("passage", "")).strip() or not isinstance(item.get("questions"), list):
            raise ValueError(f"asked.yaml entry {n} needs a 'passage' phrase and a list of 'questions'")
        merged.setdefault(str(item["passage"]).strip(), []).extend(str(q) for q in item["questions"] if str(q).strip())
    return tuple(AskedEntry(phrase, tuple(questions)) for phrase, questions in merged.items())


def load_declined() -> tuple[str, ...]:
    """The packaged questions the assistant declines (knowledge/scope.yaml, `declined_questions`)."""
    raw = packaged_yaml("scope.yaml") or {}
    return tuple(str(q) for topic in raw.get("declined_questions", []) for q in topic.get("questions", []) if str(q).strip())


def owner_of(document: GuidanceDocument, phrase: str) -> int | None:
    """The index of the one passage containing `phrase`, or None when none or several do.

    A list's lead-in passage repeats its first items, so it never owns a phrase one of them holds; it
    owns a phrase of its own sentence ("who wrote the do's and don'ts?" is answered by "The Local
    Government Association have produced the following Do's and Don'ts").
    """
    needle = phrase.casefold()
    found = [i for i, p in enumerate(document.passages) if needle in p.text.casefold()]
    items = [i for i in found if document.passages[i].kind != "lead-in"]
    owners = items or found
    return owners[0] if len(owners) == 1 else None


def resolve(document: GuidanceDocument, asked: tuple[AskedEntry, ...], declined: tuple[str, ...] = ()) -> Examples:
    """The examples that apply to this guidance version: entries whose phrase names exactly one passage."""
    pairs: list[tuple[int, str]] = []
    for entry in asked:
        owner = owner_of(document, entry.phrase)
        if owner is not None:
            pairs.extend((owner, question) for question in entry.questions)
    return Examples(tuple(pairs), tuple(declined))


def unmatched_phrases(document: GuidanceDocument, asked: tuple[AskedEntry, ...]) -> tuple[str, ...]:
    """Phrases that name no single passage of this version, so their questions are not used."""
    return tuple(entry.phrase for entry in asked if owner_of(document, entry.phrase) is None)


def dropped_examples(current: GuidanceDocument, new: GuidanceDocument, asked: tuple[AskedEntry, ...] | None = None) -> tuple[str, ...]:
    """Phrases whose example questions apply to `current` but would not apply to `new` (shown in the preview)."""
    asked = load_asked() if asked is None else asked
    return tuple(e.phrase for e in asked if owner_of(current, e.phrase) is not None and owner_of(new, e.phrase) is None)


def packaged_examples(document: GuidanceDocument, model_name: str) -> Examples:
    """The packaged examples for this version, for the model they were measured with.

    The declined margin and the examples' pull were calibrated in all-MiniLM-L6-v2's space. With another
    embedder (in practice the unit tests' bag-of-words fake, where several hundred short questions
    collide on shared small words) they would add noise, not knowledge, so they are left out.
    """
    if not is_real_model(model_name):
        return Examples()
    return resolve(document, load_asked(), load_declined())
