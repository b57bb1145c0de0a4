"""Officers publish draft-check rules as YAML: the gate, the merge with the current rules, and the change.

A rules upload is refused, before anything is written, when a file is too large, not YAML, names an
unknown category, has a bad regular expression, or when any rule's own positive or negative examples
stop passing against the guidance it will be served with. Files are stored as `<category>.yaml`, one
per category, so a single uploaded file replaces that category's rules and a folder replaces them all.
"""

from __future__ import annotations

import difflib
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import yaml

from knowledge.rules import Rule, RulesError, load_rules, parse_rules_file

if TYPE_CHECKING:
    from knowledge.embedding import Embedder
    from knowledge.model import GuidanceDocument

MAX_RULES_BYTES = 1024 * 1024
RULES_SUFFIXES = (".yaml", ".yml")
RuleFiles = dict[str, str]  # stored file name (<category>.yaml) -> YAML text
# Detectors whose examples depend only on the YAML; a semantic rule's examples depend on the trained
# model (and the real embedder), so they are checked by the slow test suite instead, as in test_rules.
PRECISE_DETECTORS = frozenset({"patterns", "personal_data", "offensive_language"})


def is_rules_file(filename: str) -> bool:
    return PurePath(filename or "").suffix.lower() in RULES_SUFFIXES


def rules_hash(files: RuleFiles) -> str:
    """One hash for a whole rule set, independent of the order the files were read in."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


def decode_rules_file(data: bytes, filename: str) -> tuple[str, str]:
    """Check one uploaded rules file and return (category, text); RulesError names the file and problem."""
    name = PurePath(filename or "").name or "the rules file"
    if len(data) > MAX_RULES_BYTES:
        raise RulesError(f"{name} is {len(data) / 1_048_576:.1f} MB; a rules file may be at most 1 MB.")
    if not is_rules_file(name):
        suffix = PurePath(name).suffix.lower()
        shown = f"a {suffix} file" if suffix else "a file without an extension"
        raise RulesError(f"{name} is {shown}; draft-check rules must be YAML (.yaml or .yml).")
    if not data.strip():
        raise RulesError(f"{name} is empty.")
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise RulesError(f"{name} is not UTF-8 text: save it as UTF-8 and send it again.") from None
    parse_rules_file(text, name)  # raises RulesError naming the file, rule and problem
    category = yaml.safe_load(text)["category"]  # validated above: a mapping with a known category
    return str(category), text


def read_rules_path(path: Path) -> tuple[dict[str, bytes], bool]:
    """The files under a rules PATH and whether they are a whole set (a folder) or one category (a file)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_rules_file(p.name))
        if not files:
            raise RulesError(f"{path} has no rules files (*.yaml).")
        for p in files:
            if p.stat().st_size > MAX_RULES_BYTES:  # refuse before reading it all
                raise RulesError(f"{p.name} is {p.stat().st_size / 1_048_576:.1f} MB; a rules file may be at most 1 MB.")
        return {p.name: p.read_bytes() for p in files}, True
    if not path.is_file():
        raise RulesError(f"no such rules file or folder: {path}")
    if path.stat().st_size > MAX_RULES_BYTES:
        raise RulesError(f"{path.name} is {path.stat().st_size / 1_048_576:.1f} MB; a rules file may be at most 1 MB.")
    return {path.name: path.read_bytes()}, False


def merge_upload(base: RuleFiles, upload: dict[str, bytes], whole: bool) -> RuleFiles:
    """The rule set after the upload: a folder replaces every file, a file replaces its category's file."""
    decoded: RuleFiles = {}
    sources: dict[str, str] = {}
    for filename, data in sorted(upload.items()):
        category, text = decode_rules_file(data, filename)
        stored = f"{category}.yaml"
        if stored in decoded:
            raise RulesError(f"{sources[stored]} and {filename} are both rules for {category}; send one file per category.")
        decoded[stored], sources[stored] = text, filename
    return decoded if whole else {**base, **decoded}


def validate_rule_files(files: RuleFiles) -> tuple[Rule, ...]:
    """Load the set exactly as the assistant will (load_rules on a folder), so ids are checked unique too."""
    with tempfile.TemporaryDirectory(prefix="rules-check-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        return load_rules(Path(tmp))


def failing_examples(rules: tuple[Rule, ...], document: GuidanceDocument, embedder: Embedder) -> list[str]:
    """Each rule's positive examples must raise a flag of its category and negatives none, as in the test
    suite, checked against the guidance the rules will be served with; one line per failure."""
    from knowledge.draft_check import DraftChecker

    checker = DraftChecker(document, rules, embedder)
    failures: list[str] = []
    for rule in (r for r in rules if r.spec.detector in PRECISE_DETECTORS):
        for draft in rule.spec.examples.positive:
            if not any(f.category == rule.category for f in checker.check(draft)):
                failures.append(f"rule {rule.id} no longer flags its positive example {draft!r}")
        for draft in rule.spec.examples.negative:
            if any(f.category == rule.category for f in checker.check(draft)):
                failures.append(f"rule {rule.id} flags its negative example {draft!r}")
    return failures


@dataclass(frozen=True)
class RulesChanges:
    """Rules added, removed and changed by id, and a unified diff of the YAML files."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    diff: str

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.diff)

    def summary(self) -> str:
        if self.empty:
            return "Draft-check rules: unchanged."
        parts = [f"{label} ({len(ids)}): " + ", ".join(ids) for label, ids in (("added", self.added), ("removed", self.removed), ("changed", self.changed)) if ids]
        return "Draft-check rules " + ("; ".join(parts) if parts else "reworded (no rule's behaviour changed)") + "."

    def as_dict(self) -> dict[str, object]:
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed), "diff": self.diff}


def _fingerprint(rule: Rule) -> tuple[object, ...]:
    return (
        rule.category,
        rule.spec.model_dump_json(),
        rule.guidance.model_dump_json(),
        tuple(m.pattern for m in rule.matchers + rule.context + rule.exceptions),  # catches edited term lists
    )


def compare_rules(old_files: RuleFiles, new_files: RuleFiles, old_label: str = "current", new_label: str = "new") -> RulesChanges:
    old = {r.id: r for name in sorted(old_files) for r in parse_rules_file(old_files[name], name)}
    new = {r.id: r for name in sorted(new_files) for r in parse_rules_file(new_files[name], name)}
    diff_lines: list[str] = []
    for name in sorted(set(old_files) | set(new_files)):
        diff_lines.extend(
            difflib.unified_diff(
                old_files.get(name, "").splitlines(), new_files.get(name, "").splitlines(),
                fromfile=f"{old_label}/{name}", tofile=f"{new_label}/{name}", n=2, lineterm="",
            )
        )
    return RulesChanges(
        added=tuple(i for i in new if i not in old),
        removed=tuple(i for i in old if i not in new),
        changed=tuple(i for i in new if i in old and _fingerprint(old[i]) != _fingerprint(new[i])),
        diff="\n".join(diff_lines),
    )


@dataclass(frozen=True)
class PreparedRules:
    """A validated rule set ready to publish, and what it changes against the base version's rules."""

    files: RuleFiles
    rules: tuple[Rule, ...]
    changes: RulesChanges


def prepare_rules(base: RuleFiles, upload: dict[str, bytes], whole: bool, document: GuidanceDocument, embedder: Embedder) -> PreparedRules:
    """Merge, validate and example-check an upload against the guidance it will serve with; RulesError
    (naming the file, rule or example) when any of it fails, before anything is written."""
    files = merge_upload(base, upload, whole)
    rules = validate_rule_files(files)
    failures = failing_examples(rules, document, embedder)
    if failures:
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise RulesError("the rules' own examples fail: " + "; ".join(failures[:3]) + more)
    return PreparedRules(files, rules, compare_rules(base, files))
