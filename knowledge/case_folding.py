"""Rule patterns run on lower-cased text without IGNORECASE, where that provably matches the same.

Why: case-insensitive matching made Python's re ~45% slower over the packaged rules (3.3 ms against
1.8 ms for a 280-character post, most of a draft check's rule time). Folding is an optimisation only,
so every doubt falls back to the original case-blind pattern:

- a pattern is folded only when nothing in it depends on case beyond its plain literals (no
  case-sensitive or ASCII-only inline flags, no characters written as codes, no uppercase letter in a
  character class, no letter that lower-cases oddly), and only if it then finds the same spans on
  its rule's own examples;
- a text is folded only when lower-casing keeps every offset and it holds none of the letters that
  IGNORECASE treats as equal to a different lower case (dotless "ı" is "i", long "ſ" is "s"...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Escapes, named groups, backreferences by name and conditionals keep their case.
_KEEP = re.compile(r"\\.|\(\?P<[^>]*>|\(\?P=[^)]*\)|\(\?\([^)]*\)|\(\?P", re.DOTALL)
_CASE_DEPENDENT = re.compile(
    r"\(\?[aiLmsux]*(?:-|a)"  # (?-i:...), (?s-i:...), (?a): case-sensitive or ASCII-only parts
    r"|\\(?:[xuUN0]|[0-7]{3})"  # \x41, \u0041, \N{...}, \101: characters written as codes
)
_CLASS = re.compile(r"\[\^?\]?[^\]]*\]")  # a character class, once escapes are blanked out
_RANGE = re.compile(r"(.)-(.)")
_ASCII_UPPER = re.compile(r"[A-Z]")


def _case_traps() -> frozenset[str]:
    """Letters whose lower case is themselves but which IGNORECASE also equates with another letter."""
    traps = set()
    for point in range(128, 0x10000):
        char = chr(point)
        if char.lower() == char and char.upper() != char and char.upper().lower() != char:
            traps.add(char)
    return frozenset(traps)


CASE_TRAPS = _case_traps()


def fold_text(text: str) -> str | None:
    """The text folded patterns run on, or None when they cannot be trusted on it."""
    lowered = text.lower()
    if len(lowered) != len(text) or not CASE_TRAPS.isdisjoint(text):  # "İ" lower-cases to two characters
        return None
    return lowered


def fold_pattern(original: re.Pattern[str], examples: Iterable[str] = ()) -> re.Pattern[str] | None:
    """`original` (compiled with IGNORECASE) for folded text, or None where folding could change a match."""
    expr = original.pattern
    if _CASE_DEPENDENT.search(expr):
        return None
    blanked = _KEEP.sub(lambda m: "_" * len(m.group()), expr)
    for klass in _CLASS.finditer(blanked):
        for low, high in _RANGE.findall(klass.group()):
            if (low.isupper() or high.isupper()) and not (_ASCII_UPPER.match(low) and _ASCII_UPPER.match(high)):
                return None  # [A-z] lower-cased is [a-z], which no longer matches "_" or "^"; [A-Z] is fine
    if any(len(c.lower()) != 1 or c in CASE_TRAPS for c in blanked if not c.isascii()):
        return None
    parts, at = [], 0
    for kept in _KEEP.finditer(expr):
        parts += [expr[at : kept.start()].lower(), kept.group()]
        at = kept.end()
    parts.append(expr[at:].lower())
    try:
        folded = re.compile("".join(parts))
    except re.error:
        return None
    for text in examples:
        lowered = fold_text(text)
        if lowered is not None and match_spans(original, text) != match_spans(folded, lowered):
            return None
    return folded


def match_spans(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], ...]]:
    """Every match's span and every group's span: what must not change when a pattern is folded."""
    return [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in pattern.finditer(text)]
