"""Remove personal data from a member's question before it is stored for the officers' report.

It reuses the draft checker's detectors (knowledge/pii.py) so "what counts as personal data" is
decided in one place; every span they find, weak or strong, is replaced by a label, because a stored
question has no context that could make a name or an address harmless.
"""

from __future__ import annotations

import re

from knowledge.pii import _EMAIL, _PHONE, FIRST_NAMES, PiiSpan, find_pii

_LONE_FIRST_NAME = re.compile(r"\b(?:" + "|".join(sorted(FIRST_NAMES, key=len, reverse=True)) + r")\b")

LABELS = {
    "email": "[email]",
    "phone": "[phone]",
    "postcode": "[postcode]",
    "address": "[address]",
    "person": "[name]",
    "child": "[child]",
    "vehicle": "[vehicle]",
    "ni_number": "[NI number]",
}


def redact(text: str) -> str:
    """`text` with names, e-mail addresses, phone numbers, addresses and similar replaced by [labels]."""
    spans = sorted(find_pii(text) + _unconditional(text), key=lambda s: (s.start, -s.end))
    if not spans:
        return text
    out: list[str] = []
    cursor = 0
    for span in spans:  # sorted by start, longest first at a tie
        if span.end <= cursor:
            continue
        start = max(span.start, cursor)
        if text[start : span.end].startswith("(") and ")" not in text[start : span.end]:
            start += 1  # a phone pattern takes the bracket that opens "(07700 ...": keep it
        out.append(text[cursor:start])
        out.append(LABELS.get(span.kind, "[redacted]"))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def _unconditional(text: str) -> list[PiiSpan]:
    """The draft checker lets a councillor publish their own or an office's number or mailbox, and a
    first name on its own; a stored question keeps none of them. Same patterns, no exemptions."""
    spans = [PiiSpan("email", m.start(), m.end(), m.group(), "strong") for m in _EMAIL.finditer(text)]
    spans += [PiiSpan("phone", m.start(), m.end(), m.group(), "strong") for m in _PHONE.finditer(text)]
    spans += [PiiSpan("person", m.start(), m.end(), m.group(), "weak") for m in _LONE_FIRST_NAME.finditer(text)]
    return spans
