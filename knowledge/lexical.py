"""The lexical side of retrieval: tokens, a light stemmer, a members'-vocabulary thesaurus and BM25.

Members ask in everyday words ("tweet", "login", "planning app") while guidance is written in
formal ones ("social media", "passwords", "planning applications"). The thesaurus in
`knowledge/thesaurus.yaml` bridges the two for BM25; it is data about how people talk about social
media and council business, not about any one guidance document, so it applies to other councils too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml
from rank_bm25 import BM25Okapi

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers
    him his how i if in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself ok okay allowed anything something someone thing things get
    got go going want wants need needs let say said tell does did done also really still even ever much many
    guidance guide councillor councillors cllr member members""".split()
)

_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly")


def stem(word: str) -> str:
    """Strip common English suffixes; crude, but it only has to agree with itself on both sides."""
    word = word.replace("’", "'").split("'")[0]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


@lru_cache(maxsize=1)
def thesaurus() -> dict[str, tuple[str, ...]]:
    """Stemmed member word -> stemmed guidance words it should also match."""
    raw = yaml.safe_load(resources.files("knowledge").joinpath("thesaurus.yaml").read_text(encoding="utf-8"))
    table: dict[str, list[str]] = {}
    for entry in raw.get("groups", []):
        targets = [t for phrase in entry["guidance"] for t in tokens(str(phrase))]
        for phrase in entry["members"]:
            for word in tokens(str(phrase)):
                table.setdefault(word, []).extend(targets)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def expand(query_tokens: list[str]) -> list[str]:
    """The query's own tokens followed by the guidance words its everyday words stand for."""
    table = thesaurus()
    extra = [t for tok in query_tokens for t in table.get(tok, ()) if t not in query_tokens]
    return query_tokens + list(dict.fromkeys(extra))


class LexicalIndex:
    """BM25 over passages (with their headings); scores are squashed to 0..1 so they fuse with cosines."""

    def __init__(self, texts: list[str]) -> None:
        self._docs = [tokens(t) for t in texts]
        self._bm25 = BM25Okapi(self._docs if any(self._docs) else [["_"]], k1=1.2, b=0.6)
        self.vocabulary = frozenset(t for doc in self._docs for t in doc)

    def scores(self, query: str, saturation: float = 3.0) -> np.ndarray:
        query_tokens = [t for t in expand(tokens(query)) if t in self.vocabulary]
        if not query_tokens:
            return np.zeros(len(self._docs), dtype=np.float32)
        raw = np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)
        return raw / (raw + saturation)

    def known_terms(self, query: str) -> int:
        """How many of the query's own words (before expansion) appear anywhere in the guidance."""
        return sum(1 for t in set(tokens(query)) if t in self.vocabulary)
