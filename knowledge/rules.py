"""Draft-check rules as data: YAML files under knowledge/rules/, one file per risk category.

Officers can read and change a rule without touching code, and every rule carries the positive and
negative examples the test suite runs, so a change that breaks a rule's own examples fails the build.
A rules file that does not validate is refused with the file, the rule and the problem named.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.case_folding import fold_pattern

CATEGORIES: tuple[str, ...] = (
    "defamation",
    "copyright",
    "data_protection",
    "bias_predetermination",
    "obscene",
    "bullying_discrimination",
    "password_sharing",
    "inflammatory",
)
Severity = Literal["high", "medium", "low"]
Detector = Literal["patterns", "personal_data", "offensive_language", "semantic"]


class RulesError(ValueError):
    """A rules file is missing, unreadable or invalid; the message names the file and the problem."""


class GuidanceRef(BaseModel):
    """Which guidance passage a flag quotes: a section id and a phrase of the passage, with a
    description used to find the nearest passage when another council's guidance has other ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: str
    contains: str = ""
    describe: str = ""


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    positive: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)


class RuleSpec(BaseModel):
    """One rule. `patterns` are regular expressions and `lexicon` plain words or phrases (both matched
    case-insensitively); `context` (if given) must also occur in the same sentence; an `exceptions`
    match in the sentence, outside the matched words, suppresses the flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # cached and shared by every assistant built (parse_rules_file)
    id: str
    detector: Detector = "patterns"
    severity: Severity = "medium"
    patterns: list[str] = Field(default_factory=list)
    lexicon: list[str] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list)
    exceptions: list[str] = Field(default_factory=list)
    message: str
    advice: str
    suggestion: str | None = None
    guidance: GuidanceRef | None = None
    examples: Examples = Field(default_factory=Examples)
    # A semantic rule only: a lower threshold for its category when a companion category is flagged in the
    # same post (a post already flagged as inflammatory needs less evidence to be bullying too).
    companions: dict[str, float] = Field(default_factory=dict)

    @field_validator("companions")
    @classmethod
    def _known_companions(cls, values: dict[str, float]) -> dict[str, float]:
        for category, threshold in values.items():
            if category not in CATEGORIES:
                raise ValueError(f"unknown companion category {category!r}; use one of {', '.join(CATEGORIES)}")
            if not 0.0 < threshold < 1.0:
                raise ValueError(f"companion threshold for {category} must be between 0 and 1, not {threshold}")
        return values

    @model_validator(mode="after")
    def _companions_need_the_model(self) -> RuleSpec:
        if self.companions and self.detector != "semantic":
            raise ValueError("companions apply only to a rule with detector: semantic")
        return self

    @field_validator("patterns", "context", "exceptions")
    @classmethod
    def _compiles(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regular expression {value!r}: {exc}") from None
        return values


class CategoryFile(BaseModel):
    """A category's rules; `terms` are named word lists that patterns use as `{name}`, so a list of,
    say, protected groups is written once and shared by every pattern that needs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    category: str
    guidance: GuidanceRef
    terms: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[RuleSpec]

    @field_validator("category")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; use one of {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _companions_are_other_categories(self) -> CategoryFile:
        for rule in self.rules:
            if self.category in rule.companions:
                raise ValueError(f"rule {rule.id}: a category cannot be its own companion ({self.category})")
        return self


@dataclass(frozen=True)
class Rule:
    """A validated rule with its expressions compiled once, ready for the checker."""

    spec: RuleSpec
    category: str
    guidance: GuidanceRef
    matchers: tuple[re.Pattern[str], ...]
    folded: tuple[re.Pattern[str] | None, ...]  # each matcher for lower-cased text (case_folding.py); None: use it
    context: tuple[re.Pattern[str], ...]
    exceptions: tuple[re.Pattern[str], ...]

    @property
    def id(self) -> str:
        return self.spec.id


def _compile(expr: str) -> re.Pattern[str]:
    return re.compile(expr, re.IGNORECASE)


def _lexicon_pattern(words: list[str]) -> list[re.Pattern[str]]:
    if not words:
        return []
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return [_compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")]


def _expand_terms(expr: str, terms: dict[str, str]) -> str:
    """Replace `{name}` with the alternation of that term list; regex counts like {0,50} are left alone."""
    return re.sub(r"\{([a-z_]+)\}", lambda m: terms.get(m.group(1), m.group(0)), expr)


def _rules_of(data: CategoryFile, name: str) -> list[Rule]:
    terms = {
        key: "(?:" + "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True)) + ")"
        for key, words in data.terms.items()
    }
    # A term may name another ("urging" opens with "{call_to_act}"): one level, so no cycle can loop.
    terms = {key: _expand_terms(value, terms) for key, value in terms.items()}
    rules = []
    for spec in data.rules:
        try:
            matchers = tuple([_compile(_expand_terms(p, terms)) for p in spec.patterns] + _lexicon_pattern(spec.lexicon))
            rules.append(
                Rule(
                    spec=spec,
                    category=data.category,
                    guidance=spec.guidance or data.guidance,
                    matchers=matchers,
                    folded=tuple(fold_pattern(m, [*spec.examples.positive, *spec.examples.negative]) for m in matchers),
                    context=tuple(_compile(_expand_terms(c, terms)) for c in spec.context),
                    exceptions=tuple(_compile(_expand_terms(e, terms)) for e in spec.exceptions),
                )
            )
        except re.error as exc:
            raise RulesError(f"{name}: rule {spec.id}: bad regular expression after expanding terms: {exc}") from None
    return rules


@functools.lru_cache(maxsize=32)
def parse_rules_file(text: str, name: str) -> tuple[Rule, ...]:
    """One category file's rules, compiled. Cached on the text: a guidance-only publish keeps the rules
    files, and compiling their ~700 expressions again was most of a hot reload's time (rules and their specs are frozen)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{name}: not valid YAML ({exc})") from None
    try:
        data = CategoryFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RulesError(f"{name}: {problems}") from None
    return tuple(_rules_of(data, name))


def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    """Every rule in the folder (default: the packaged knowledge/rules/), with ids checked unique."""
    if directory is None:
        files = sorted(
            (f.name, f.read_text(encoding="utf-8"))
            for f in resources.files("knowledge").joinpath("rules").iterdir()
            if f.name.endswith(".yaml")
        )
    else:
        if not directory.is_dir():
            raise RulesError(f"{directory}: not a folder of rules files")
        files = sorted((f.name, f.read_text(encoding="utf-8")) for f in directory.glob("*.yaml"))
    if not files:
        raise RulesError("no rules files (*.yaml) found")
    rules: list[Rule] = []
    for name, text in files:
        rules.extend(parse_rules_file(text, name))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RulesError(f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
    return tuple(rules)
