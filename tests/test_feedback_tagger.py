"""Feedback with the real tagger (slow: loads the shipped model and the encoder)."""

from __future__ import annotations

import pytest

from assistant.feedback import build_feedback, load_feedback_texts
from assistant.feedback.alternatives import check, fill
from assistant.feedback.slots import client_slots
from assistant.model import Role, Turn
from assistant.profile import build_profile
from tests.feedback_support import tagged_demo

pytestmark = pytest.mark.slow

# One client statement per skill, written for this test.
STATEMENTS = {
    "reflection": "My manager moved the deadline up again and I stayed until nine every night this week.",
    "warmth_validation": "I finally told my sister what happened. I was so scared she wouldn't believe me.",
    "collaboration": "I don't know what to do about the job offer, it's a lot more money but further away.",
    "withdrawal_rupture": "Sure. Whatever you think.",
    "confrontation_rupture": "Honestly I'm not sure this is helping at all. It just makes me feel like I'm being graded.",
    "self_disclosure": "I can't say anything back to him, because I need this job.",
    "flexibility": "Can we talk about my sister instead? She's visiting next week.",
}


@pytest.fixture(scope="module")
def tagger():
    from assistant.tagging import load_tagger

    return load_tagger()


@pytest.mark.parametrize("skill", sorted(STATEMENTS))
def test_feedback_tagger_templates_show_their_skill(tagger, skill):
    """At least two filled templates per skill pass the real tagger's check."""
    texts = load_feedback_texts()
    spec = texts.skills[skill]
    client = Turn(index=20, speaker="C", role=Role.CLIENT, text=STATEMENTS[skill])
    slots = client_slots(client.text, texts.feelings).as_dict()
    filled = [t for t in (fill(template, slots) for template in spec.templates) if t]
    passed = [t for t in filled if check(tagger, t, client, spec, None).passed]
    assert len(passed) >= 2, f"{skill}: only {passed} of {filled} carry {spec.target_tags}"


def test_feedback_tagger_checks_alternatives_on_hand_codes(tagger):
    transcript = tagged_demo()
    note = build_feedback(transcript, build_profile(transcript), tagger=tagger)
    assert note.growth_edge.skill == "withdrawal_rupture"
    assert len(note.try_instead) >= 2
    assert all("repair" in alt.checked_tags for alt in note.try_instead)
