"""Example questions: a member asking like an example finds its passage; one asking like a declined
example is declined; examples follow their passage's wording into new guidance versions."""

from __future__ import annotations

from knowledge.asked import AskedEntry, Examples, load_asked, load_declined, parse_asked, resolve, unmatched_phrases
from knowledge.index import build_index, load_or_build_index
from knowledge.parse import parse_markdown
from knowledge.retrieval import Retriever

GUIDANCE = """# Guidance

## General Tips {#tips}

The following Do's and Don'ts help members.

### Do {#tips/do}

- Reply to residents
- Credit other people's work

### Don't {#tips/dont}

- Share your passwords
- Ignore legal advice

## Planning {#planning}

Avoid publishing anything that suggests you do not have an open mind about an application you will decide.
"""


def test_every_packaged_phrase_names_exactly_one_passage_of_the_bundled_guidance(document) -> None:
    asked = load_asked()
    assert len(asked) >= 30 and sum(len(e.questions) for e in asked) >= 200
    assert unmatched_phrases(document, asked) == ()
    assert len(load_declined()) >= 100


def test_a_question_asked_like_an_example_finds_its_passage_with_no_word_in_common(fake_embedder) -> None:
    document = parse_markdown(GUIDANCE)
    question = "is it fine if my assistant looks after my page for a fortnight"
    plain = Retriever(document, fake_embedder, build_index(document, fake_embedder)).retrieve(question)
    assert not plain.answered or "passwords" not in plain.hits[0].passage.text  # the words alone do not get there
    examples = resolve(document, (AskedEntry("share your passwords", (question,)),))
    taught = Retriever(document, fake_embedder, build_index(document, fake_embedder, examples))
    found = taught.retrieve(question)
    assert found.answered and found.hits[0].passage.text == "Don't: share your passwords"


def test_a_passage_its_examples_agree_on_beats_one_with_a_single_stray_example(fake_embedder) -> None:
    """One odd example question that happens to match must not outvote a passage whose examples agree."""
    document = parse_markdown(GUIDANCE)
    question = "kestrel nest pond photos"
    stray = ("share your passwords", (question, "council tax bands rota", "mileage claim form deadline"))
    agreeing = ("credit other people", ("kestrel nest pond photos from a birder", "kestrel nest pond photos by a neighbour"))
    examples = resolve(document, (AskedEntry(*stray), AskedEntry(*agreeing)))
    index = build_index(document, fake_embedder, examples)
    dense = index.similarities(fake_embedder.encode([question])[0]).dense
    texts = [p.text for p in document.passages]
    assert dense[texts.index("Do: credit other people's work")] > dense[texts.index("Don't: share your passwords")]
    alone = build_index(document, fake_embedder, resolve(document, (AskedEntry("share your passwords", (question,)),)))
    assert alone.similarities(fake_embedder.encode([question])[0]).dense[texts.index("Don't: share your passwords")] > 0.99


def test_a_question_like_a_declined_one_is_declined_even_sharing_words_with_the_guidance(fake_embedder) -> None:
    document = parse_markdown(GUIDANCE)
    question = "how do residents object to a planning application you will decide"
    assert Retriever(document, fake_embedder, build_index(document, fake_embedder)).retrieve(question).answered
    declined = Examples(declined=(question,))
    assert not Retriever(document, fake_embedder, build_index(document, fake_embedder, declined)).retrieve(question).answered


def test_examples_follow_the_wording_and_a_lead_in_owns_only_its_own_sentence() -> None:
    document = parse_markdown(GUIDANCE)
    entries = (
        AskedEntry("Share your PASSWORDS", ("q1",)),
        AskedEntry("open mind", ("q2",)),
        AskedEntry("help members", ("q3",)),  # the lead-in's own sentence
        AskedEntry("you", ("q4",)),  # in two passages: no single owner, so unused
        AskedEntry("Reply to residents", ("q5",)),  # the lead-in repeats this bullet: the bullet owns it
    )
    first = resolve(document, entries)
    owners = {q: document.passages[i].text for i, q in first.asked}
    lead_in = next(p.text for p in document.passages if p.kind == "lead-in")
    assert owners == {"q1": "Don't: share your passwords", "q2": document.passages[-1].text, "q3": lead_in, "q5": "Do: reply to residents"}
    assert unmatched_phrases(document, entries) == ("you",)
    revised = parse_markdown(GUIDANCE.replace("- Reply to residents\n", "").replace("open mind", "unbiased view"))
    moved = {q: revised.passages[i].text for i, q in resolve(revised, entries).asked}
    assert moved["q1"] == "Don't: share your passwords" and "q2" not in moved  # followed the bullet; the rewording dropped q2


def test_changing_the_examples_rebuilds_the_stored_index(tmp_path, fake_embedder) -> None:
    document = parse_markdown(GUIDANCE)
    plain = load_or_build_index(document, fake_embedder, tmp_path)
    examples = resolve(document, (AskedEntry("share your passwords", ("can my team use my login",)),), ("when are the bins collected",))
    taught = load_or_build_index(document, fake_embedder, tmp_path, examples)
    assert taught.index.ntotal == plain.index.ntotal + 2 and taught.asked_owners == (examples.asked[0][0],)
    again = load_or_build_index(document, fake_embedder, tmp_path, examples)
    assert again.asked_owners == taught.asked_owners and again.index.ntotal == taught.index.ntotal


def test_a_malformed_examples_file_names_the_entry() -> None:
    import pytest

    with pytest.raises(ValueError, match="entry 2 needs a 'passage' phrase"):
        parse_asked([{"passage": "x", "questions": ["a"]}, {"questions": ["b"]}])


def test_entries_filed_under_one_phrase_are_one_entry_so_a_preview_names_the_phrase_once() -> None:
    entries = parse_asked(
        [
            {"passage": "share your passwords", "questions": ["can my team use my login"]},
            {"passage": "no such wording", "questions": ["q"]},
            {"passage": "share your passwords ", "questions": ["my son posts for me, ok?"]},
        ]
    )
    assert [e.phrase for e in entries] == ["share your passwords", "no such wording"]
    assert entries[0].questions == ("can my team use my login", "my son posts for me, ok?")
    assert unmatched_phrases(parse_markdown(GUIDANCE), entries) == ("no such wording",)
