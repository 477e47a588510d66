"""Slot filling from the client's own words, and the wording files' checks."""

from __future__ import annotations

import pytest

from assistant.errors import ValidationError
from assistant.feedback import SKILLS, load_exemplars, load_feedback_texts
from assistant.feedback.slots import client_slots, pick_span, shift_pronouns
from assistant.feedback.texts import (
    ALTERNATIVE_SLOTS,
    MIN_EXEMPLARS_PER_SKILL,
    parse_exemplars,
    parse_feedback_texts,
)

LEXICON = {"scared": "scared", "graded": "judged", "tired": "worn out"}


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        ("I stayed until nine every night", "you stayed until nine every night"),
        ("my manager picks apart everything I do", "your manager picks apart everything you do"),
        ("I'm not sure I am ready", "you're not sure you are ready"),
        ("I was so tired", "you were so tired"),
        ("you never listen to me", "I never listen to you"),
        ("he told you that", "he told me that"),
        ("whatever you think", "whatever I think"),
    ],
)
def test_feedback_slots_pronoun_shift(said, reflected):
    assert shift_pronouns(said) == reflected


def test_feedback_slots_span_prefers_the_feeling_clause():
    text = "Work was busy. It just makes me feel like I'm being graded. Anyway."
    span, feeling = pick_span(text, LEXICON)
    assert span == "It just makes me feel like I'm being graded" and feeling == "judged"
    assert span in text


def test_feedback_slots_span_without_feeling_is_the_last_statement():
    text = "Work, honestly. My manager moved the deadline up again and I just- I stayed until nine every night this week."
    span, feeling = pick_span(text, LEXICON)
    assert span == "I stayed until nine every night this week" and feeling is None
    span, _ = pick_span("Can we talk about my sister instead? She's visiting next week.", LEXICON)
    assert span == "She's visiting next week"  # a statement, not the question


def test_feedback_slots_long_clause_is_trimmed_verbatim():
    text = "and then I get home and the only thing that, like, switches my brain off is a drink"
    span, _ = pick_span(text, LEXICON)
    assert span in text and len(span.split()) <= 12


def test_feedback_slots_values():
    slots = client_slots("I was so scared that night.", LEXICON)
    assert slots.client_phrase == "I was so scared that night"
    assert slots.client_words == "you were so scared that night"
    assert slots.feeling == "scared"
    assert client_slots("Oh. Okay.", LEXICON).client_words is None


def test_feedback_slots_shipped_texts_cover_every_skill():
    texts = load_feedback_texts()
    assert set(texts.skills) == set(SKILLS)
    for skill in texts.skills.values():
        assert len(skill.templates) >= 3
        for template in skill.templates + skill.complex_templates:
            assert template.slots <= ALTERNATIVE_SLOTS
    bank = load_exemplars()
    for skill in SKILLS:
        items = [e for e in bank if e.skill == skill]
        assert len(items) >= MIN_EXEMPLARS_PER_SKILL
        assert len({e.client for e in items}) == len(items)


def _minimal_texts() -> dict:
    skill = {
        "title": "t",
        "target_tags": ["reflection"],
        "explanation": "e",
        "templates": [{"id": f"a{i}", "text": "{client_words}."} for i in range(3)],
        "moment": "turn {turn}",
        "reflective_questions": ["what at turn {turn}?"],
    }
    keys = (
        "unrepaired_rupture",
        "poorly_timed_disclosure",
        "rigidity",
        "rq",
        "pct_cr",
        "warmth",
        "collaboration",
        "none",
    )
    strengths = (
        "repair",
        "complex_reflection",
        "reflection",
        "warmth",
        "collaboration",
        "self_disclosure",
        "open_question",
    )
    return {
        "skills": {s: dict(skill) for s in SKILLS},
        "rules": dict.fromkeys(keys, "r"),
        "strengths": {k: {"title": "t", "sentence": "s"} for k in strengths},
        "self_care": ["care"],
        "feelings": {"sad": "sad"},
    }


def test_feedback_slots_texts_reject_unknown_slot():
    data = _minimal_texts()
    parse_feedback_texts(data)
    data["skills"]["reflection"]["templates"] = [{"id": "x", "text": "{client_word}."}] * 3
    with pytest.raises(ValidationError, match="unknown slot"):
        parse_feedback_texts(data, "feedback.yaml")


def test_feedback_slots_texts_reject_missing_skill():
    data = _minimal_texts()
    del data["skills"]["flexibility"]
    with pytest.raises(ValidationError, match="missing \\['flexibility'\\]"):
        parse_feedback_texts(data)


def test_feedback_slots_exemplars_need_ten_per_skill():
    bank = {
        s: [{"id": f"{s}-{i}", "client": "c", "response": "r"} for i in range(10)] for s in SKILLS
    }
    assert len(parse_exemplars({"exemplars": bank})) == 10 * len(SKILLS)
    bank["reflection"] = bank["reflection"][:9]
    with pytest.raises(ValidationError, match="at least 10"):
        parse_exemplars({"exemplars": bank}, "exemplars.yaml")
