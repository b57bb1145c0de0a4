"""Check a draft post for the risks the guidance names, each flag tied to the words that raised it.

Four signals, all driven by the YAML rules: patterns and lexicons (the precise core of the judgement,
with context and exceptions evaluated on the sentence the words are in), personal-data detection
(knowledge/pii.py), swearing detection with the offensive-language classifier as a second signal
(knowledge/offensive.py), and a semantic model over sentence embeddings that speaks only for categories
nothing more precise has flagged: for the real model, an encoder tuned on labelled posts
(knowledge/risk_model.py), else a linear model over the retrieval vectors (knowledge/draft_model.py). Each flag
quotes the guidance passage its rule names; for another council's guidance, whose section ids
differ, the nearest passage to the rule's description is quoted instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from knowledge.case_folding import fold_text
from knowledge.draft_model import SemanticModel
from knowledge.embedding import Embedder
from knowledge.model import GuidanceDocument, Passage
from knowledge.offensive import find_offensive, names_neutralised
from knowledge.pii import personal_data, sentence_bounds, sentence_of
from knowledge.risk_model import TunedRiskModel
from knowledge.rules import CATEGORIES, GuidanceRef, Rule

__all__ = ["CATEGORIES", "DraftChecker", "Flag"]

_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
MAX_FLAGS_PER_CATEGORY = 3


@dataclass(frozen=True)
class Flag:
    """One risk found in a draft: offsets into the text the checker was given."""

    category: str
    severity: str
    start: int
    end: int
    section_id: str
    passage: str
    advice: str
    suggestion: str | None
    rule_id: str
    message: str


@dataclass(frozen=True)
class _Hit:
    rule: Rule
    start: int
    end: int
    severity: str


def _outside(span: tuple[int, int], inner: tuple[int, int]) -> bool:
    """True when `span` is not wholly inside `inner`: an exception must say something the match did not."""
    return span[0] < inner[0] or span[1] > inner[1]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span from its first letter or digit, without trailing separators. A span with none ("🖕🏻", the
    gesture itself) keeps its visible characters rather than becoming empty and dropping the flag."""
    first = start
    while first < end and not text[first].isalnum():
        first += 1
    if first == end:
        while start < end and (text[start].isspace() or unicodedata.category(text[start]) in ("Cf", "Zs")):
            start += 1
    else:
        start = first
    while end > start and text[end - 1] in " \t\n,;:-–":
        end -= 1
    return start, end


class DraftChecker:
    """Holds the compiled rules and the passage each rule quotes; immutable, so safe across threads."""

    def __init__(
        self,
        document: GuidanceDocument,
        rules: tuple[Rule, ...],
        embedder: Embedder,
        semantic: SemanticModel | None = None,
        semantic_embedder: Embedder | None = None,
    ) -> None:
        """`semantic_embedder` is the encoder whose vectors `semantic` reads (default: `embedder`)."""
        self.document = document
        self.rules = rules
        self._embedder = embedder
        self._semantic_embedder = semantic_embedder or embedder
        self._passages = {rule.id: self._resolve(rule.guidance) for rule in rules}
        self._semantic = semantic
        semantic_rules = [r for r in rules if r.spec.detector == "semantic"] if semantic else []
        # A semantic rule's context is a cue the post must carry (obscene: something crude or sexual), judged
        # on the whole post as the model reads it, so it is checked once per post, not per sentence.
        self._semantic_cues = {r.category: r.context for r in semantic_rules}
        self._semantic_rules = {r.category: replace(r, context=()) for r in semantic_rules}
        # A category's exceptions say what its safe phrasings look like ("I'll listen to all sides",
        # "with permission"); the semantic model, which cannot see such nuance, defers to them, and to
        # its own rule's exceptions, which name what it tends to mistake for the category.
        self._safe_phrasings = {c: tuple(x for r in rules if r.category == c for x in r.exceptions) for c in self._semantic_rules}

    def _resolve(self, ref: GuidanceRef) -> Passage:
        """The passage a rule quotes: by section and phrase, by phrase anywhere, else the nearest by meaning."""
        found = self.document.find_passage(ref.section, ref.contains) or (
            self.document.search_passage(ref.contains) if ref.contains else None
        )
        if found is not None:
            return found
        passages = self.document.passages
        query = ref.describe or ref.contains or ref.section.replace("-", " ")
        vectors = self._embedder.encode([query] + [p.text for p in passages])
        return passages[int(np.argmax(vectors[1:] @ vectors[0]))]

    @property
    def semantic(self) -> SemanticModel | None:
        return self._semantic

    @property
    def tuned(self) -> TunedRiskModel | None:
        """The tuned encoder and its head, for the next guidance version to reuse; None when the semantic
        model reads the retrieval vectors."""
        if self._semantic is None or self._semantic_embedder is self._embedder:
            return None
        return TunedRiskModel(self._semantic_embedder, self._semantic)

    def passage_for(self, rule_id: str) -> Passage:
        return self._passages[rule_id]

    def check(self, text: str) -> list[Flag]:
        bounds = sentence_bounds(text)
        folded_text = fold_text(text)  # None: match case-blind (see knowledge/case_folding.py)
        hits: list[_Hit] = []
        for rule in self.rules:
            detector = rule.spec.detector
            if detector == "patterns":
                hits.extend(self._pattern_hits(rule, text, folded_text, bounds))
            elif detector == "personal_data":
                spans = [(s.start, s.end) for s in personal_data(text)]
                hits.extend(self._filtered(rule, text, bounds, spans))
            elif detector == "offensive_language":
                for hit in find_offensive(text):
                    hits.extend(_Hit(rule, h.start, h.end, hit.severity) for h in self._filtered(rule, text, bounds, [(hit.start, hit.end)]))
        hits.extend(self._semantic_hits(text, bounds, {h.rule.category for h in hits}))
        return self._merge(text, hits)

    def _filtered(self, rule: Rule, text: str, bounds: list[int], spans: list[tuple[int, int]]) -> list[_Hit]:
        """Keep spans whose sentence, or the one before it, has the rule's context, and whose sentence has
        none of its exceptions. (A post names its subject first: "On planning for the Greenhill bypass next
        week. I'm backing it 100%, whatever the objectors say.")"""
        kept = []
        for start, end in spans:
            s0, s1 = sentence_of(bounds, start, end)
            sentence = text[s0:s1]
            before = sentence_of(bounds, s0 - 1, s0 - 1)[0] if s0 > 0 else s0
            if rule.context and not any(c.search(text[before:s1]) for c in rule.context):
                continue
            inner = (start - s0, end - s0)
            if any(_outside(m.span(), inner) for x in rule.exceptions for m in x.finditer(sentence)):
                continue
            kept.append(_Hit(rule, start, end, rule.spec.severity))
        return kept

    def _pattern_hits(self, rule: Rule, text: str, folded_text: str | None, bounds: list[int]) -> list[_Hit]:
        spans = []
        for matcher, folded in zip(rule.matchers, rule.folded, strict=True):
            found = folded.finditer(folded_text) if folded is not None and folded_text is not None else matcher.finditer(text)
            for m in found:
                if "ev" in m.re.groupindex and m.group("ev"):
                    spans.append(m.span("ev"))
                elif m.end() > m.start():
                    spans.append(m.span())
        return self._filtered(rule, text, bounds, spans)

    def _semantic_hits(self, text: str, bounds: list[int], already: set[str]) -> list[_Hit]:
        """Categories nothing else flagged whose probability for the whole post passes their threshold.

        The model was trained on whole posts, so it judges the whole post (one encode, ~10 ms); only
        when it flags something are the sentences encoded, to point at the one most likely to blame.
        The category's safe phrasings excuse the flag only when they are in that sentence: "Nobody asked
        me, but..." does not excuse an insult in the next one.
        """
        rules = {c: r for c, r in self._semantic_rules.items() if c not in already}
        if not rules or self._semantic is None or len(text.split()) < 3:
            return []
        post = self._semantic.probabilities(self._semantic_embedder.encode([names_neutralised(text.strip())]))[0]
        thresholds = self._semantic.thresholds
        flagged = [c for c in rules if post[CATEGORIES.index(c)] >= thresholds[CATEGORIES.index(c)]]
        if not flagged and not any(r.spec.companions for r in rules.values()):
            return []
        blame = _Blame(self._semantic, self._semantic_embedder, text, bounds)
        hits = [h for c in flagged for h in self._blamed_hits(blame, rules[c], text, bounds)]
        # A companion counts only once it is really flagged (by a rule, or by the model and not excused);
        # a category its head never flags (threshold above 1) stays unflagged.
        present = already | {h.rule.category for h in hits}
        for category, rule in rules.items():
            column = CATEGORIES.index(category)
            if category in flagged or thresholds[column] > 1.0:
                continue
            if any(o in present and post[column] >= min(t, thresholds[column]) for o, t in rule.spec.companions.items()):
                hits.extend(self._blamed_hits(blame, rule, text, bounds))
        return hits

    def _blamed_hits(self, blame: _Blame, rule: Rule, text: str, bounds: list[int]) -> list[_Hit]:
        """The model's flag on the sentence to blame, unless a safe phrasing there or a missing cue excuses it."""
        s, e = blame.sentence(CATEGORIES.index(rule.category))
        if any(x.search(text[s:e]) for x in self._safe_phrasings[rule.category]):
            return []
        cues = self._semantic_cues[rule.category]
        if cues and not any(c.search(text) for c in cues):
            return []
        return self._filtered(rule, text, bounds, [(s, e)])

    def _merge(self, text: str, hits: list[_Hit]) -> list[Flag]:
        """One flag per stretch of words per category: overlapping hits merge, the most severe rule speaks."""
        flags: list[Flag] = []
        for category in CATEGORIES:
            mine = sorted((h for h in hits if h.rule.category == category), key=lambda h: (h.start, _SEVERITY_RANK[h.severity]))
            groups: list[list[_Hit]] = []
            for hit in mine:
                if groups and hit.start < max(h.end for h in groups[-1]):
                    groups[-1].append(hit)
                else:
                    groups.append([hit])
            groups.sort(key=lambda g: min(_SEVERITY_RANK[h.severity] for h in g))
            for group in groups[:MAX_FLAGS_PER_CATEGORY]:
                lead = min(group, key=lambda h: _SEVERITY_RANK[h.severity])
                start, end = _trim(text, min(h.start for h in group), max(h.end for h in group))
                if end <= start:
                    continue
                passage = self._passages[lead.rule.id]
                flags.append(
                    Flag(
                        category=category,
                        severity=lead.severity,
                        start=start,
                        end=end,
                        section_id=passage.section_id,
                        passage=passage.text,
                        advice=lead.rule.spec.advice,
                        suggestion=lead.rule.spec.suggestion,
                        rule_id=lead.rule.id,
                        message=lead.rule.spec.message,
                    )
                )
        return sorted(flags, key=lambda f: (f.start, f.category))


class _Blame:
    """Points a semantic flag at the sentence most likely to blame; the sentences are encoded once, on
    first need, since most posts the model reads are flagged for nothing."""

    def __init__(self, model: SemanticModel, embedder: Embedder, text: str, bounds: list[int]) -> None:
        self._model, self._embedder, self._text = model, embedder, text
        starts = [0] + bounds[:-1]
        # A line of only emoji is not a sentence to blame (and would leave no words to underline).
        self._sentences = [(s, e) for s, e in zip(starts, bounds) if any(ch.isalnum() for ch in text[s:e])] or [(0, len(text))]
        self._by_sentence: np.ndarray | None = None

    def sentence(self, column: int) -> tuple[int, int]:
        """The span of the sentence the model finds most likely to carry the category in `column`."""
        if len(self._sentences) == 1:
            return self._sentences[0]
        if self._by_sentence is None:
            texts = [names_neutralised(self._text[s:e].strip()) for s, e in self._sentences]
            self._by_sentence = self._model.probabilities(self._embedder.encode(texts))
        return self._sentences[int(np.argmax(self._by_sentence[:, column]))]
