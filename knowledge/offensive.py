"""Swearing detection: a UK-slang lexicon that sees through masking, with alt-profanity-check as a second signal.

The classifier (trained on US tweets) misses "bollocks", "bellend" and "f**k" and fires on "Cllr Dick
Smith", "gay" and "disgraceful", so it never decides alone: the lexicon finds swearing (including
masked and stretched spellings) and the classifier only adds words it is confident about that are
neither identity terms nor robust-but-clean criticism. Names and places ("Dick Whittington",
"Scunthorpe", "Twatt", "blue tits") are excluded. sklearn is imported on first use only.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

_TIERS = {
    "high": """fuck fucks fucked fucker fuckers fucking fuckin fuckwit fuckwits fuckface fuckhead fucktard motherfucker
        motherfuckers motherfucking clusterfuck clusterfucks mindfuck fuckup fuckups fuckery cunt cunts cunty twat twats twatting wanker wankers wank wanking wanky bellend bellends knobhead
        knobheads dickhead dickheads dick dicks cock cocks prick pricks bastard bastards fanny minge clunge pussy
        cocksucker fcuk fcuking fuk fuks fukin fuking fukn fuq phuck phucking phuk fck fckn fckin fcking fkn fking
        fook fooks fooked fookin fooking""",
    "medium": """shit shits shite shitty shitting shithead shitheads shitshow shitfest shitfaced bullshit bullshitting horseshit dipshit shitstorm shithole shitholes apeshit batshit shitbag shitbags shag shags shagging shagged shagfest shagger shaggers bollocksed wankfest
        bollocks bollock bollocking arsehole arseholes asshole assholes ass dumbass jackass piss pissed pissing pisstake
        tits bitch bitches bitching tosser tossers knob knobs jerkoff douchebag milf milfs stfu shyte bollox bollix bolloxed bollixed pisshead pissheads""",
    "low": "arse arsed arses crap crappy crapper bugger buggered feck fecking feckin effing effin frigging friggin ffs wtf wtaf omfg sod",
}
LEXICON: dict[str, str] = {w: tier for tier, words in _TIERS.items() for w in words.split()}
_PHRASES = re.compile(
    r"\b(?:bell(?:[- ]end|-ends)|(?:some|an?|you)\s+(?:absolute|total|utter|complete|proper|right)\s+c[- ]word(?!\s*[:–—-])|cock[- ]up|tits[- ]up|balls[- ]up|load of (?:old )?balls|talking balls|half[- ]arsed|"
    r"piss[- ]take|taking the piss|pissed off|piss off|sod off|bugger off|bugger all|give a toss|arse[- ]licking|"
    r"eff off|go\s+f\s+yourself|(?-i:f)\s+(?:yourself|off)|shut\s+the\s+f\s+up|f[\s.\-]+u[\s.\-]+c[\s.\-]+k(?:[\s.\-]+i[\s.\-]+n[\s.\-]+g)?\b|s[\s.\-]+h[\s.\-]+i[\s.\-]+t\b|"
    r"(?:stick|shove|put|ram|stuff)\s+(?:\w+\s+){1,4}?where\s+the\s+sun\s+(?:don['’]t|doesn['’]t)\s+shine|"
    r"(?:jerk(?:s|ed|ing)?\s+(?:him|her|your|my|them)sel(?:f|ves)|jerk(?:s|ing))\s+off\b(?!\s+(?:the|a|an|its|his|her|their|from|onto|into|of)\b))\b|🖕[\U0001F3FB-\U0001F3FF\uFE0F]?|\b(?:kiss|kick)\s+(?:my|your|his|her|their|some)\s+a[*$]{2,}(?!\w)",
    re.I,
)
# Rude gestures described in words: "gave the opposition benches the two fingers", "middle finger up at cabinet".
_GESTURES = re.compile(
    r"\b(?:gave|give|gives|giving|flick(?:ed|ing|s)?|stick(?:s|ing)?|stuck|flip(?:ped|ping|s)?|threw|throw(?:s|ing)?)\s+"
    r"(?:(?!(?:point\w*|wag\w*|on|in|with|of)\s)[\w']+\s+){0,6}?the\s+(?:two\s+fingers|(?:middle\s+)?finger|v['’]?s)\b(?!\s+in\s+the\s+dyke)"
    r"(?=\s*(?:$|[^\w\s]|(?:to|at|up|as|and|when|while|after|before|from|outside|across|behind|on|in|during|over|tonight|today|yesterday)\b))|"
    r"\bmiddle\s+finger\s+(?:up\s+)?(?:to|at)\b|\b(?:two\s+fingers|v[- ]signs?)\s+up\s+(?:to|at)\b|"
    r"\b(?:two|2|middle)[- ]finger(?:ed)?\s+salutes?\b|\bflip(?:ped|ping|s)?\s+(?:\w+\s+){0,4}?the\s+bird\b(?!\s*(?:box|boxes|feeder|feeders|table|bath|seed|food|hide|house|s)\b)|"
    r"\bflip(?:ped|ping|s)?\s+(?:him|her|them|us|me|you|everyone|everybody)\s+off\b",
    re.I,
)
# A lone "f" stands for the word it masks: in "f off" and "f yourself" only in lower case ("Flat F off Mill
# Road" is an address), in "go f yourself" and "shut the f up" in any case. The raised middle finger is the
# gesture itself, in any skin tone. "kiss my a**" needs its verb: an "A**" alone is an exam grade.
_PHRASE_TIER = {"bell end": "high", "bell-end": "high", "bell-ends": "high", "c-word": "high", "pissed off": "medium", "piss off": "medium", "🖕": "medium",
                "f off": "high", "f yourself": "high", "go f yourself": "high", "shut the f up": "high",
                "a**": "medium", "jerk off": "medium", "f u c k": "high", "f u c k i n g": "high", "s h i t": "medium",
                "where the sun don't shine": "medium"}
_SPELT_OUT = re.compile(r"[a-z](?:[\s.\-]+[a-z])+")
# Words that are also names, birds, puddings or tools; only these get the proper-noun exclusion.
_NAME_LIKE = frozenset("dick dicks cock cocks fanny knob knobs prick balls tits minge willy sod fook".split()) | {"bell end"}
_PLACES = frozenset("twatt shitterton penistone scunthorpe cockermouth clitheroe".split())
_CONTEXT_EXCEPTIONS = re.compile(
    r"spotted(?:-|\s+)dick\b|moby(?:-|\s+)dick\b|(?:blue|great|coal|long[- ]tailed|marsh|willow|crested)\s+tits|pussy\s*(?:willow|cats?)|"
    r"cock[- ]a[- ]hoop|cock[- ]ups?\b|weather\s*cock|cock\s+pheasant|turkey\s+cock|door\s*knobs?|knobs?\s+of\s+butter|"
    r"(?:pin|finger)\s*pricks?|pricks?\s+(?:up|of)|cut(?:ting)?\s+the\s+(?:first\s+)?sod|sod'?s\s+law|sod(?:-|\s+)(?:cutting|turning)\b|"
    r"(?:dog|bitch)\s+(?:breeding|breeders?)|(?:stud|breeding)\s+bitch|cock[- ]a[- ](?:doodle|leekie)",
    re.I,
)
_BIRD_CONTEXT = re.compile(
    r"\b(?:birds?|nest\s*box(?:es)?|robins?|wrens?|finch(?:es)?|sparrows?|blackbirds?|starlings?|cormorants?|gulls?|seabirds?|nesting|feeders?|rspb|birdwatch\w*|nature\s+reserve)\b",
    re.I,
)
_HONORIFIC_BEFORE = re.compile(
    r"\b(?:cllr|councillor|mr|mrs|ms|miss|mx|dr|sir|uncle|aunt|auntie|lord|lady|rev|father|saint|st|moby)\.?\s+$", re.I
)
_CAP_WORD_BEFORE = re.compile(r"(?<![.!?]\s)(?<![.!?])\b[A-Z][a-z]+\s+$")
_CAP_WORD_AFTER = re.compile(r"^\s+[A-Z][a-z]+")
# "Fanny's Lane", "Cock's Farm": a possessive naming a place is a place name, not swearing.
_PLACE_POSSESSIVE_AFTER = re.compile(
    r"^['’]s\s+(?:Lane|Road|Rd|Street|St|Hill|Farm|Wood|Green|Close|Way|Avenue|Ave|Bridge|Field|Cross|End|Park|Row|Walk|Yard|Court|Place|Bottom|Pond|Brook|Meadow|Common|Corner|Gate|Well|Mill|Bay|Cafe|Café|Shop|Bar|Barn|Pub|Inn|Arms|Hall|Stores?|Garage|Chippy|Kitchen|Diner|Bakery)\b"
)
_TOKEN = re.compile(r"[#@]?[A-Za-z0-9*$@!|#%]*[A-Za-z*$][A-Za-z0-9*$@!|#%]*")
_MASKS = "*#%"
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "i"})
_RUN3 = re.compile(r"([a-z])\1{2,}")
_COLLAPSED = {re.sub(r"([a-z])\1+", r"\1", w): w for w in LEXICON if len(w) > 3}
# Classifier favourites that are not swearing: identity words, slurs (a bullying matter), and the
# vocabulary of robust political criticism; the classifier may not flag these on its own.
NOT_OBSCENE = frozenset(
    """anal anus arrogant blow boobs butt buzz chambers chauvinist chink coon coons coward cretin crybaby cum damn
    dammit die dildo dirty disgrace disgusting donkey douche dumb dumbest dummy dyke dykes fag faggot faggots fags
    fart fascist fat fatty filth fool freak freaking freaky garbage gay goddamn hate hater hell ho hoe hoes homo
    homosexual hos hypocrisy hypocrite idiocy idiot idiotic idiots ignorant imbecile jerk jerks kill liar lick
    looser loser losers maggot masturbate masturbating mental moron moronic morons mouth nazi nazis negro nerd
    nerds nicca niccas nig nigga niggah niggas nigger niggers nigguh nigs nosed nutcase nuts pathetic pedophile
    penis pervert pig porn pretentious psychopath queer queers racist rapist rat retard retarded retards
    ridiculous rubbish screw scum scumbag scumbags semen sex shame shut sick skull slut smelly spic spiteful spout
    stink stinks stinky stupid stupidity suck sucked sucking sucks tranny ugliest ugly vagina whore""".split()
)


@dataclass(frozen=True)
class OffensiveHit:
    """A swear word found in a draft: its span in the original text and why it was flagged."""

    start: int
    end: int
    text: str
    canonical: str
    severity: str
    source: str  # "lexicon", "masked" or "classifier"


class _Classifier:
    """alt-profanity-check, loaded once on first use; the hot-word set is derived from it then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._predict = None
        self._hot: frozenset[str] = frozenset()

    def _load(self) -> None:
        with self._lock:
            if self._predict is not None:
                return
            from profanity_check import predict_prob  # lazy: sklearn costs ~1 s to import

            vocab = [w for w in predict_prob.__globals__["vectorizer"].vocabulary_ if w.isalpha() and len(w) > 2]
            probs = predict_prob(vocab)
            self._hot = frozenset(w for w, p in zip(vocab, probs) if p >= 0.95 and w not in NOT_OBSCENE)
            self._predict = predict_prob

    def scores(self, texts: list[str]) -> list[float]:
        if not texts:
            return []
        self._load()
        return [float(p) for p in self._predict(texts)]  # type: ignore[misc]

    def hot_words(self) -> frozenset[str]:
        self._load()
        return self._hot


_CLASSIFIER = _Classifier()


def profanity_scores(texts: list[str]) -> list[float]:
    """alt-profanity-check's probability that each text is offensive (loads the model on first call)."""
    return _CLASSIFIER.scores(texts)


def _unmask(core: str) -> str | None:
    """The lexicon word a masked, leet or stretched token stands for ("f**k", "sh!t", "b0ll0cks", "fuuuck")."""
    low = core.lower()
    if low.isalpha():
        if low in LEXICON:
            return low
        if _RUN3.search(low):
            return _COLLAPSED.get(re.sub(r"([a-z])\1+", r"\1", low))
        return None
    if any(c in _MASKS for c in low):
        if len(low) < 4 or not low[0].isalpha():
            return None
        pattern = re.compile("".join("[a-z]" if c in _MASKS else re.escape(c.translate(_LEET)) for c in low))
        matches = [w for w in LEXICON if pattern.fullmatch(w)]
        order = {"high": 0, "medium": 1, "low": 2}
        return min(matches, key=lambda w: order[LEXICON[w]]) if matches else None
    if low.isdigit() or not any(c.isalpha() for c in low):
        return None
    plain = low.translate(_LEET)
    return plain if plain.isalpha() and plain in LEXICON and plain != low else None


def _is_name_or_place(text: str, start: int, end: int, word: str) -> bool:
    token = text[start:end]
    if word.replace("-", " ") in _PLACES or token.lower() in _PLACES:
        return True
    before = text[max(0, start - 25) : start]
    window = text[max(0, start - 30) : end + 30]
    if _CONTEXT_EXCEPTIONS.search(window) and any(
        m.start() <= start - max(0, start - 30) < m.end() for m in _CONTEXT_EXCEPTIONS.finditer(window)
    ):
        return True
    if word in {"tit", "tits", "shag", "shags"} and _BIRD_CONTEXT.search(text[max(0, start - 80) : end + 80]):
        return True  # "lots of tits and robins this spring"
    if word not in _NAME_LIKE and word.replace("-", " ") not in _NAME_LIKE:
        return bool(_HONORIFIC_BEFORE.search(before)) and token[:1].isupper()
    if not token[:1].isupper() or token.isupper():
        return False
    if " " in token and all(part[:1].isupper() for part in token.split()):
        return True  # "Bell End", a place
    if re.search(r"(?:,|\b(?:happy\s+\w+|thanks|thank\s+you|cheers|congratulations|congrats|well\s+done|welcome|hello|hi|dear|to),?)\s*$", before, re.I):
        return True  # addressed by name: "Happy retirement, Dick!"
    after = text[end : end + 20]
    return bool(_HONORIFIC_BEFORE.search(before) or _CAP_WORD_BEFORE.search(before) or _CAP_WORD_AFTER.match(after) or _PLACE_POSSESSIVE_AFTER.match(after))


_NAME_LIKE_WORD = re.compile(r"\b(?:" + "|".join(sorted((w for w in _NAME_LIKE if " " not in w), key=len, reverse=True)) + r")\b", re.I)


def names_neutralised(text: str) -> str:
    """`text` with swear-alike words used as names ("Cllr Dick", "Dick Smith") swapped for a plain name; words
    inside a known phrase ("Moby Dick", "weather cock", "cock-a-doodle-doo") stay as written.

    For the semantic model, which reads words, not who they refer to: it would otherwise take "litter
    pick with Cllr Dick" for crude language. find_offensive below makes the same name exclusion."""
    phrases = [(p.start(), p.end()) for p in _CONTEXT_EXCEPTIONS.finditer(text)]  # found once, not per word

    def swap(m: re.Match[str]) -> str:
        in_phrase = any(start <= m.start() < end for start, end in phrases)
        # "weather cock", "cock-a-doodle-doo" stay as written: a phrase, not a name, and read as one.
        return "Sam" if not in_phrase and _is_name_or_place(text, m.start(), m.end(), m.group().lower()) else m.group()

    return _NAME_LIKE_WORD.sub(swap, text)


def find_offensive(text: str, use_classifier: bool = True) -> list[OffensiveHit]:
    """Swearing in `text` with spans into the original text; at most one hit per word."""
    hits: list[OffensiveHit] = []
    taken: set[int] = set()
    for m in _PHRASES.finditer(text):
        phrase = re.sub(r"\s+", " ", m.group().lower())
        phrase = (
            "🖕" if phrase.startswith("🖕") else "a**" if phrase[-2:] in ("**", "$$") else "jerk off" if phrase.startswith("jerk")
            else "c-word" if phrase.endswith("word") else phrase  # "some absolute c-word": only that phrase ends in "word"
        )
        if _SPELT_OUT.fullmatch(phrase):  # "F.U.C.K", "s-h-i-t": the word spelt out
            phrase = " ".join(ch for ch in phrase if ch.isalpha())
        elif phrase.endswith("shine"):  # "shove it where the sun don't shine"
            phrase = "where the sun don't shine"
        if _is_name_or_place(text, m.start(), m.end(), phrase.replace("-", " ")):
            continue
        hits.append(OffensiveHit(m.start(), m.end(), m.group(), phrase, _PHRASE_TIER.get(phrase, "low"), "lexicon"))
        taken.update(range(m.start(), m.end()))
    for m in _GESTURES.finditer(text):
        hits.append(OffensiveHit(m.start(), m.end(), m.group(), "rude gesture", "medium", "lexicon"))
        taken.update(range(m.start(), m.end()))
    candidates: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(text):
        if m.start() in taken:
            continue
        start, end = m.start(), m.end()
        core = m.group()
        while core and core[0] in "#@" and len(core) > 1 and core[1].isalpha():
            core, start = core[1:], start + 1
        while core.endswith("!") or core.endswith("|"):
            core, end = core[:-1], end - 1
        if core.startswith("*") and core.endswith("*"):  # markdown emphasis, not a mask
            inner = core.strip("*")
            start, core = start + core.index(inner[:1] or "*"), inner
            end = start + len(core)
        if not core:
            continue
        word = _unmask(core)
        if word is None and m.group().startswith("#"):
            tag_hits = _hashtag_hits(text, start, core)
            if tag_hits:
                hits.extend(tag_hits)
                continue
        if word is not None:
            if _is_name_or_place(text, start, end, word):
                continue
            source = "lexicon" if core.isalpha() and core.lower() == word else "masked"
            hits.append(OffensiveHit(start, end, text[start:end], word, LEXICON[word], source))
        elif use_classifier and core.isalpha() and len(core) > 2:
            candidates.append((start, end, core.lower()))
    if use_classifier:
        hits.extend(_classifier_hits(text, candidates))
    return sorted(hits, key=lambda h: h.start)


_HASHTAG_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_HASHTAG_SAFE = frozenset({"shag", "shags"})  # the seabird: "#ShagColony" has no other bird word to go by


def _hashtag_hits(text: str, start: int, core: str) -> list[OffensiveHit]:
    """Swearing inside a camel-case hashtag ("#FuckTheCuts", "#BollocksToBrexit"). Words that are also
    names, birds or plants are skipped ("#DickWhittington", "#ShagColony", "#PussyWillowWalk") with the same
    checks as words in the text, and so are capitals inside a longer tag, which are usually initials
    ("#FFSFunDay": Friends of Fairfield School)."""
    hits = []
    for part in _HASHTAG_PART.finditer(core):
        word = part.group().lower()
        s, e = start + part.start(), start + part.end()
        if word not in LEXICON or word in _NAME_LIKE or word in _HASHTAG_SAFE or part.group().isupper() or _is_name_or_place(text, s, e, word):
            continue
        hits.append(OffensiveHit(s, e, text[s:e], word, LEXICON[word], "lexicon"))
    return hits


def _classifier_hits(text: str, candidates: list[tuple[int, int, str]]) -> list[OffensiveHit]:
    """Words the classifier is sure of, confirmed by scoring the short window of words around them."""
    hot = _CLASSIFIER.hot_words()
    found = [(s, e, w) for s, e, w in candidates if w in hot and not _is_name_or_place(text, s, e, w)]
    if not found:
        return []
    windows = [text[max(0, s - 60) : e + 60] for s, e, _ in found]
    return [
        OffensiveHit(s, e, text[s:e], w, "medium", "classifier")
        for (s, e, w), p in zip(found, _CLASSIFIER.scores(windows))
        if p >= 0.6
    ]
