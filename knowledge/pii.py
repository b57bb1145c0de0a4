"""Personal-data detectors for draft posts: where a draft would publish a private individual's details.

A councillor's posts are full of things that *look* like personal data but are not: venue addresses,
the council's 0300 number, planning@ mailboxes, "Cllr Jones". So every detector reports a strength:
"strong" spans (a private mobile or e-mail, NI number, vehicle registration, a named child with age or
school) are personal data on their own; "weak" spans (a street address, postcode, landline, name after
an honorific) only become personal data when tied to a private person in the same sentence.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# Common UK given names (capitalised, matched case-sensitively) so a bare "Jack Smith" reads as a person.
FIRST_NAMES = frozenset(
    """Aaron Abdul Abigail Adam Adrian Ahmed Aisha Alan Albert Alex Alexander Alfie Alice Alison Amanda Amber
    Amelia Amir Amy Andrew Angela Ann Anna Anne Anthony Archie Arthur Ava Barbara Barry Ben Benjamin Beth
    Bethany Bill Billy Bob Brian Callum Carl Carol Caroline Catherine Charles Charlie Charlotte Chloe Chris
    Christine Christopher Claire Colin Connor Craig Daniel Danny Darren Dave David Dawn Dean Deborah Debbie
    Dennis Derek Diane Donna Dorothy Dylan Edward Eileen Elaine Eleanor Elizabeth Ella Ellen Ellie Emily Emma
    Eric Ethan Eve Evie Fatima Finley Fiona Frank Freddie Freya Gary Gemma Geoff George Georgia Gillian
    Gordon Grace Graham Hannah Harry Harvey Hassan Hayley Heather Helen Henry Holly Ian Imran Isaac Isabel
    Isabella Isla Jack Jacob Jade Jake James Jamie Jan Jane Janet Jason Jay Jean Jennifer Jenny Jessica Jill
    Jim Jo Joan Joanne Joe John Jonathan Joseph Josh Joshua Joyce Julia Julie Karen Kate Katie Kath Kathleen
    Kay Keith Kelly Kevin Khalid Kieran Kim Laura Lauren Layla Leah Lee Leo Leon Lewis Liam Lily Linda Lisa
    Logan Lola Louis Louise Lucy Luke Lynn Mandy Margaret Maria Marie Mark Martin Mary Mason Matthew Matt
    Maureen Max Megan Mia Michael Michelle Mike Millie Mohammed Muhammad Molly Nathan Neil Nicola Nicholas
    Nick Nigel Noah Oliver Olivia Oscar Owen Pamela Patricia Patrick Paul Paula Pauline Peter Philip Phil
    Poppy Priya Rachel Raj Rebecca Richard Rita Rob Robert Robin Rosie Ruby Ryan Sadie Sally Sam Samantha
    Samuel Sandra Sara Sarah Scott Sean Sharon Shaun Sheila Simon Sofia Sophie Stacey Stephen Steve Steven
    Stuart Susan Tariq Theo Thomas Tim Tina Toby Tom Tommy Tony Tracey Tracy Usman Valerie Vicky Victoria
    Wayne William Yasmin Zara Zoe Ron Ronald Reg Stan Bert Ernie Brenda Shirley Sue Trevor Terry Kenneth Ken Roy
    Raymond Ray Les Leslie Norman Harold Walter Alf Fred Frederick Gladys Edna Irene Vera Betty Pat Hilda Mavis
    Marjorie June Iris Ivy Elsie Nellie Pete Kev Mick Clive Malcolm Dan Jordan Kyle Ashley Shane Bradley Reece
    Kayleigh Chantelle Jodie Kerry Leanne Gail Lorraine Andrea Jackie Jacqueline Hazel Rose Daisy Ali Omar Yusuf
    Bilal Aaliyah Amina Zainab Sanjay Ravi Anil Sunita Deepak Harpreet Gurpreet Jaspreet Piotr Tomasz Agnieszka
    Katarzyna Marek Andrzej Kwame Kofi Doreen Gwen Glenys Dylan Rhys Gareth Siobhan Sinead Declan Niamh Fergus
    Morag Hamish Ewan Alistair Duncan Kirsty Shona""".split()
)
# Words that make "Grace Church" or "Victoria Park" a place, not a person.
PLACE_WORDS = frozenset(
    """Street St Road Rd Lane Avenue Ave Park Hall Centre Center Church Chapel School Primary Academy Close Way
    Drive Court Gardens Square Place Terrace Crescent Hill House Library Line Bridge Station Green Common Wood
    Field Fields Row Walk Mews Grove Rise Vale Estate Ward Day Week Month Trust Foundation Fund Appeal Cup
    Award Awards Memorial Hospital Infirmary Surgery Museum Gallery Theatre Arms Inn Hotel Club Stadium Ground
    Leisure Pool Baths College University Nursery Infants Junior Juniors Parish Community Council Dock
    Embankment Quay Market Shopping Mall Road Clinic Medical Care Home Homes Ltd Limited""".split()
)

_NAME_WORD = r"[A-Z][a-z'’-]+"
_FIRST = "(?:" + "|".join(sorted(FIRST_NAMES, key=len, reverse=True)) + ")"
HONORIFIC_NAME = rf"(?-i:\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master)\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})?)"
FULL_NAME = rf"(?-i:(?<!Cllr )(?<!Councillor )(?<!St )(?<!St\. )(?<!Saint )\b{_FIRST}\s+{_NAME_WORD}\b)"
PRIVATE_NOUN = r"\b(?:my|our|a|the|his|her|their|local|elderly)\s+(?:neighbours?|tenants?|constituents?|residents?|lodgers?|pensioners?)\b"

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-]{1,64})@((?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24})\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0044\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)")
_POSTCODE = re.compile(r"(?-i:\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b)")
_STREET_TYPES = (
    r"Street|St|Road|Rd|Lane|Avenue|Ave|Close|Way|Drive|Court|Gardens|Crescent|Place|Terrace|Grove|Square|Hill|Row|"
    r"Walk|Mews|Rise|View|Green|Vale|Parade|Meadows?|Fields|Chase|Croft|Gate|Wharf|Yard|Park|"
    r"Cottages|Villas|Buildings|Mansions|Heights|Boulevard|Approach|Circle|Wynd|Orchard|Paddock|Garth|Dene"
)
_ADDRESS = re.compile(
    rf"(?-i:\b(?:(?:Flat|Apartment|Unit)\s+\d{{1,4}}[a-z]?,?\s+)?\d{{1,4}}[a-zA-Z]?,?\s+(?:{_NAME_WORD}\s+){{1,3}}(?:{_STREET_TYPES})\b)"
)
_HONORIFIC = re.compile(HONORIFIC_NAME)
_FIRST_NAME_ONLY = re.compile(rf"(?-i:(?<!Cllr )(?<!Councillor )(?<!St )\b{_FIRST}\b)")
_FULL_NAME = re.compile(FULL_NAME)
_PRIVATE_NOUN = re.compile(PRIVATE_NOUN, re.I)
_VEHICLE = re.compile(r"(?-i:\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b|\b[A-Z]\d{1,3}\s[A-Z]{3}\b)")
_VEHICLE_CONTEXT = re.compile(r"\b(?:car|van|vehicle|reg|registration|plate|lorry|taxi|motorbike|truck|parked|parks|parking|driver|driving)\b", re.I)
_NI = re.compile(r"(?-i:\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b)")
_CHILD_AGE = re.compile(
    rf"(?-i:\b{_FIRST}(?:\s+{_NAME_WORD})?)(?:\s*,\s*(?:aged\s+|age\s+)?|\s+\((?:aged\s+|age\s+)?|\s+aged\s+)(\d{{1,2}})\b(?!\s*(?:am|pm|years? (?:ago|service)|[-:.]\d|(?-i:[A-Z])))"
    rf"|\b(\d{{1,2}})[- ]year[- ]old\s+(?:(?:son|daughter|boy|girl|grandson|granddaughter|nephew|niece|pupil)\s+)?(?-i:{_FIRST})\b",
    re.I,
)
_CHILD_SCHOOL = re.compile(
    rf"(?-i:\b{_FIRST}(?:\s+{_NAME_WORD})?)\b([^.!?\n]{{0,40}}?)\b(?:at|from|of|attends|goes to)\s+(?-i:(?:St\.?\s+)?(?:[A-Z][\w'’]*\s+){{1,4}})"
    r"(?:Primary|Infants?|Junior|Secondary|Academy|School|High|Grammar|Nursery)\b"
    rf"|\b(?:year|yr)\s*\d{{1,2}}\s+(?:pupil|student)\s+(?-i:{_FIRST})\b",
    re.I,
)
_ADULT_ROLE = re.compile(r"\b(?:teacher|head|headteacher|staff|governor|principal|caretaker|assistant|chair|cllr|councillor|volunteer|parent|mum|dad|manager|cook|lollipop|crossing|coach)\b", re.I)

_FREE_MAIL = re.compile(
    r"^(?:gmail|googlemail|hotmail|outlook|live|yahoo|icloud|me|aol|btinternet|btopenworld|sky|virginmedia|ntlworld|"
    r"talktalk|protonmail|proton|gmx|msn|blueyonder|tiscali|mail)\.", re.I
)
_ORG_DOMAIN = re.compile(r"\.(?:gov|nhs|police|sch|ac|parliament|mod)\.uk$|\.nhs\.net$|\.gov$", re.I)
_ROLE_LOCAL = re.compile(
    r"^(?:info|enquiries|enquiry|contact|hello|admin|office|planning|licensing|council|customer\.?services|help|support|"
    r"press|media|comms|communications|bookings?|events?|reception|mail|team|democratic\.?services|elections|highways|"
    r"waste|recycling|housing|parking|foi|dpo|complaints|feedback|no-?reply|webmaster|general|secretary|clerk|chair|"
    r"membership|volunteers?|services|accounts|finance|sales|orders|tickets)$",
    re.I,
)
_GROUP_LOCAL = re.compile(r"fair|fete|club|group|society|association|friends|team|ward|residents|village|community|parish|choir|church|band|labour|tory|conservative|libdem|green|party|appeal|charity|events|info|office|trust|\bfc\b", re.I)
# The councillor giving their own contact ("email me at", "my mobile is", "I'm on") or an organisation's.
# "me" alone is not enough: in "stop messaging me, Lee: lee@..." the address is someone else's.
_SELF_OR_ORG = re.compile(
    r"(?:\b(?:e-?mail|contact|call|ring|text|message|phone|reach|dm|whats-?app|write\s+to|get\s+in\s+touch\s+with|find|catch)\s+me"
    r"|\bme\s+(?:at|on|via|direct(?:ly)?)|\b(?:i['’]?m|i\s+am)\s+on|\bmy(?:self)?"
    r"|\b(?:cllr|councillor|office|team|line|helpline|hotline|reception|switchboard|desk|bookings?|box office|"
    r"hall|centre|center|library|church|school|surgery|club|council|services?|shop|charity|group|organisers?|secretary|clerk))\b[^.!?\n]{0,25}$",
    re.I,
)
_VENUE_BEFORE = re.compile(
    r"\b(?:hall|centre|center|library|church|chapel|school|pub|club|caf[eé]|park|venue|office|shop|surgery|mosque|temple|gurdwara|"
    r"synagogue|institute|hotel|inn|museum|theatre|arms|pavilion|room|rooms|hub|academy|college|station|depot|tip)\b[^.!?\n]{0,12}$",
    re.I,
)
# Special-category details (health, pregnancy) are personal data when tied to a named private person.
_HEALTH = re.compile(
    r"\b(?:dementia|alzheimer'?s|cancer|chemo(?:therapy)?|hospice|dialysis|stroke|heart\s+attack|overdose|miscarriage|"
    r"HIV|terminal(?:ly)?\s+ill|housebound|bedbound|sectioned|mental\s+health\s+(?:crisis|problems|issues)|depression|rehab|diagnosed\s+with|"
    r"anxiety|panic\s+attacks|PTSD|bipolar|schizophreni\w*|eating\s+disorder|self-harm(?:ing)?|suicidal|addiction|alcoholi(?:c|sm)|"
    r"(?:benefits?|universal\s+credit|PIP|ESA)\s+(?:sanction(?:ed)?|appeal|tribunal|assessment)|"
    r"(?:in|on\s+the\s+\w+\s+ward\s+at|on\s+the\s+\w+\s+ward|admitted\s+to)\s+(?:the\s+)?(?:hospital|general|infirmary|royal)|"
    r"(?:on|claims?|claiming)\s+(?:disability\s+)?benefits|food\s+bank\s+parcels?)\b"
    r"(?!\s+(?:cafe|café|friendly|awareness|group|support|services?|charity|week|month|walk|research|nurses?|team|society|"
    r"action|champions?|fund|appeal|screening|unit|centre|center))",
    re.I,
)
_LIVES = re.compile(r"\b(?:lives?|living|lived|home|house|owner|owners|occupants?|family|household|resides)\b(?:\s+\w+){0,2}\s*(?:at|of|on|in|is)?\s*$", re.I)
_SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bNo)(?<!\bCllr)[.!?]+(?=\s)|\n")


@dataclass(frozen=True)
class PiiSpan:
    """One piece of (possible) personal data; `strength` says whether it is personal data on its own."""

    kind: str
    start: int
    end: int
    text: str
    strength: str  # "strong" or "weak"


def sentence_bounds(text: str) -> list[int]:
    """Sorted end offsets of the sentences of `text`, for cheap look-up of the sentence round a hit."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends or ends[-1] < len(text):
        ends.append(len(text))
    return ends


def sentence_of(bounds: list[int], start: int, end: int) -> tuple[int, int]:
    """The (start, end) of the sentence(s) holding the span [start, end)."""
    i = bisect.bisect_right(bounds, start)
    j = bisect.bisect_left(bounds, end)
    return (bounds[i - 1] if i > 0 else 0), bounds[min(j, len(bounds) - 1)]


def _before(text: str, start: int, width: int = 40) -> str:
    return text[max(0, start - width) : start]


def _emails(text: str) -> list[PiiSpan]:
    spans = []
    for m in _EMAIL.finditer(text):
        local, domain = m.group(1), m.group(2)
        if _ROLE_LOCAL.match(local) or "cllr" in local.lower() or "councillor" in local.lower() or _ORG_DOMAIN.search(domain):
            continue
        if _SELF_OR_ORG.search(_before(text, m.start())):
            continue
        strong = bool(_FREE_MAIL.match(domain)) and not _GROUP_LOCAL.search(local)
        spans.append(PiiSpan("email", m.start(), m.end(), m.group(), "strong" if strong else "weak"))
    return spans


def _phones(text: str) -> list[PiiSpan]:
    spans = []
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        national = digits[2:] if digits.startswith("44") else digits[4:] if digits.startswith("0044") else digits[1:]
        if len(national) not in (9, 10) or national[0] not in "127":
            continue  # 03/08/09 numbers belong to organisations
        if _SELF_OR_ORG.search(_before(text, m.start())):
            continue
        strength = "strong" if national.startswith("7") else "weak"
        spans.append(PiiSpan("phone", m.start(), m.end(), m.group(), strength))
    return spans


def _children(text: str) -> list[PiiSpan]:
    spans = []
    for m in _CHILD_AGE.finditer(text):
        age = int(m.group(1) or m.group(2))
        if 0 < age < 18:
            spans.append(PiiSpan("child", m.start(), m.end(), m.group(), "strong"))
    for m in _CHILD_SCHOOL.finditer(text):
        if m.group(1) and _ADULT_ROLE.search(m.group(1)):
            continue
        if _ADULT_ROLE.search(_before(text, m.start(), 25)):
            continue
        spans.append(PiiSpan("child", m.start(), m.end(), m.group(), "strong"))
    return spans


def find_pii(text: str) -> list[PiiSpan]:
    """Every personal-data-like span in `text`, sorted by position, each with its strength."""
    spans = _emails(text) + _phones(text) + _children(text)
    for m in _POSTCODE.finditer(text):
        spans.append(PiiSpan("postcode", m.start(), m.end(), m.group(), "weak"))
    for m in _ADDRESS.finditer(text):
        strong = bool(_LIVES.search(_before(text, m.start(), 30)))
        spans.append(PiiSpan("address", m.start(), m.end(), m.group(), "strong" if strong else "weak"))
    for m in _VEHICLE.finditer(text):
        window = text[max(0, m.start() - 60) : m.end() + 60]
        if " " in m.group() and m.group()[1].isalpha() or _VEHICLE_CONTEXT.search(window):
            spans.append(PiiSpan("vehicle", m.start(), m.end(), m.group(), "strong"))
    for m in _HEALTH.finditer(text):
        spans.append(PiiSpan("health", m.start(), m.end(), m.group(), "weak"))
    for m in _NI.finditer(text):
        spans.append(PiiSpan("ni_number", m.start(), m.end(), m.group(), "strong"))
    for regex in (_HONORIFIC, _FULL_NAME, _PRIVATE_NOUN):
        spans.extend(PiiSpan("person", m.start(), m.end(), m.group(), "weak") for m in regex.finditer(text))
    return sorted(spans, key=lambda s: (s.start, -s.end))


def _inside_person(people: list[PiiSpan], offset: int) -> bool:
    return any(p.start <= offset < p.end for p in people)


def personal_data(text: str) -> list[PiiSpan]:
    """The spans a post should not publish, merged per sentence into one span from first to last detail.

    A weak detail counts only when a private person is named in the same sentence and the detail is
    not introduced as a venue ("the library, 5 Market Street"); a person named with no detail is fine.
    """
    spans = find_pii(text)
    if not spans:
        return []
    bounds = sentence_bounds(text)
    people = [s for s in spans if s.kind == "person"]
    # Health is special-category data: "Jean ... diagnosed with dementia" identifies Jean to her neighbours.
    first_names = [PiiSpan("person", m.start(), m.end(), m.group(), "weak") for m in _FIRST_NAME_ONLY.finditer(text)]
    chosen: list[PiiSpan] = []
    for span in spans:
        if span.kind == "person":
            continue
        if span.strength == "weak":
            sent = sentence_of(bounds, span.start, span.end)
            venue = _VENUE_BEFORE.search(_before(text, span.start, 30))
            if venue and not _inside_person(people, max(0, span.start - 30) + venue.start()):
                continue  # "the library, 5 Market Street" is a venue; "Ron Hall, who..." is a person
            candidates = people + first_names if span.kind == "health" else people
            near = [p for p in candidates if sent[0] <= p.start < sent[1] and abs(p.start - span.start) < 120]
            if not near:
                continue
            span = PiiSpan(span.kind, min(span.start, near[0].start), span.end, "", "strong")
        chosen.append(span)
    merged: list[PiiSpan] = []
    for span in sorted(chosen, key=lambda s: s.start):
        prev = merged[-1] if merged else None
        if prev and sentence_of(bounds, prev.start, prev.start) == sentence_of(bounds, span.start, span.start):
            start, end = prev.start, max(prev.end, span.end)
            kinds = prev.kind if span.kind in prev.kind.split("+") else f"{prev.kind}+{span.kind}"
            merged[-1] = PiiSpan(kinds, start, end, text[start:end], "strong")
        else:
            merged.append(PiiSpan(span.kind, span.start, span.end, text[span.start : span.end], "strong"))
    return merged
