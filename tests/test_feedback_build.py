"""build_feedback on the hand-coded demo and on small sessions built here."""

from __future__ import annotations

import re

import pytest

from assistant.feedback import SKILLS, build_feedback, load_exemplars, load_feedback_texts
from assistant.feedback.alternatives import fill
from assistant.feedback.texts import Template
from assistant.measures import SRS, SessionMeasures
from assistant.model import Role, Turn
from assistant.profile import build_profile
from tests.feedback_support import RuleTagger, coded, tagged_demo

T, C = Role.THERAPIST, Role.CLIENT
CX = {"reflection": {"depth": "complex"}}

# Words a note must never use about a client or a clinician (no diagnosis, no verdicts).
BANNED = re.compile(
    r"\b(disorder|diagnos\w*|borderline|narcissis\w*|pathological|resistant|non-?compliant|"
    r"manipulative|failed|failure|bad therapist|incompetent|wrong with)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def demo():
    return tagged_demo()


@pytest.fixture(scope="module")
def demo_note(demo):
    return build_feedback(demo, build_profile(demo), tagger=RuleTagger())


def test_feedback_build_demo_note_has_every_part(demo, demo_note):
    assert 1 <= len(demo_note.strengths) <= 2
    assert all(s.quotes for s in demo_note.strengths)
    edge = demo_note.growth_edge
    assert edge.skill == "withdrawal_rupture" and edge.rule == 1 and edge.skill in SKILLS
    # Two unrepaired withdrawals (turns 15 and 31); 31 follows the poorly timed disclosure.
    assert demo_note.moment.client_turn.index == 31
    assert demo_note.moment.client_turn.quote == "Oh. Okay."
    assert demo_note.moment.therapist_turn.index == 32
    assert 2 <= len(demo_note.try_instead) <= 3
    assert demo_note.rehearse.client_statement == demo.turn(31).text
    assert demo_note.rehearse.drill_item_id.startswith("rehearse-withdrawal_rupture-")
    assert demo_note.reflective_question and "?" in demo_note.reflective_question
    assert demo_note.self_care  # four ruptures in the session


def test_feedback_build_alternatives_carry_the_target_tag(demo, demo_note):
    for alt in demo_note.try_instead:
        assert alt.checked and "repair" in alt.checked_tags
        assert "rigidity" not in alt.checked_tags
        assert alt.score == pytest.approx(0.9)
    assert len({a.text for a in demo_note.try_instead}) == len(demo_note.try_instead)


def test_feedback_build_checks_each_alternative_in_context(demo):
    tagger = RuleTagger()
    note = build_feedback(demo, build_profile(demo), tagger=tagger)
    client_turn = demo.turn(note.moment.client_turn.index)
    assert tagger.calls, "the tagger was never asked"
    for _text, role, context in tagger.calls:
        assert role is Role.THERAPIST
        assert [t.text for t in context] == [client_turn.text]


class _ExemplarOnlyTagger(RuleTagger):
    """Finds the skill only in the exemplar bank's wording: templates all fail."""

    def __init__(self, accepted: set[str]):
        super().__init__()
        self.accepted = accepted

    def transform_turn(self, text, role=Role.THERAPIST, context=()):
        turn = super().transform_turn(text, role, context)
        tags = ["repair"] if text in self.accepted else ["closed_question"]
        return Turn(
            index=turn.index,
            speaker="T",
            role=role,
            text=text,
            tags=tags,
            scores={t: 0.8 for t in tags},
        )


def test_feedback_build_falls_back_to_exemplars_that_pass(demo):
    bank = [e for e in load_exemplars() if e.skill == "withdrawal_rupture"]
    accepted = {e.response for e in bank}
    note = build_feedback(demo, build_profile(demo), tagger=_ExemplarOnlyTagger(accepted))
    assert note.try_instead, "no exemplar was offered"
    assert all(
        a.source == "exemplar" and a.checked and "repair" in a.checked_tags
        for a in note.try_instead
    )
    sims = [a.similarity for a in note.try_instead]
    assert sims == sorted(sims, reverse=True)
    assert any("left out" in n for n in note.notes)


def test_feedback_build_no_alternative_passes(demo):
    note = build_feedback(demo, build_profile(demo), tagger=_ExemplarOnlyTagger(set()))
    assert note.try_instead == []
    assert any("No alternative passed" in n for n in note.notes)


def test_feedback_build_without_tagger_marks_alternatives_unchecked(demo):
    note = build_feedback(demo, build_profile(demo), tagger=None)
    assert note.try_instead and not any(a.checked for a in note.try_instead)
    assert any("not checked" in n for n in note.notes)
    assert note.confidence != "high"


def test_feedback_build_fills_templates_with_client_words():
    transcript = coded(
        [(C, "hi", [], {}), (T, "hello", [], {})] * 3
        + [
            (C, "It just makes me feel like I'm being graded.", [], {}),
            (T, "did you do the log", ["closed_question"], {}),
        ]
        + [(C, "ok", [], {}), (T, "what else", ["open_question"], {})] * 3
    )
    note = build_feedback(transcript, build_profile(transcript), tagger=RuleTagger())
    assert note.growth_edge.skill == "reflection"
    assert note.moment.client_turn.quote.startswith("It just makes me feel")
    texts = " ".join(a.text for a in note.try_instead)
    assert "you're being graded" in texts  # pronouns turned round
    assert "I'm being graded" not in texts


def test_feedback_build_no_therapist_turns():
    transcript = coded([(C, "hello?", [], {}), (C, "anyone", [], {})])
    note = build_feedback(transcript, build_profile(transcript))
    assert note.growth_edge is None and note.strengths == [] and note.moment is None
    assert note.confidence == "low"
    assert "no therapist turns" in note.confidence_reason


def test_feedback_build_short_session_says_so_and_gives_what_it_can():
    transcript = coded(
        [
            (C, "my dad died in march", [], {}),
            (T, "you're carrying a lot since march", ["reflection"], CX),
            (C, "whatever. it's fine", ["rupture_withdrawal"], {}),
            (T, "ok so homework", ["advice"], {"advice": {"permission": "unasked"}}),
        ]
    )
    note = build_feedback(transcript, build_profile(transcript), tagger=RuleTagger())
    assert note.confidence == "low" and "too few" in note.confidence_reason
    assert "Only 2 therapist turns" in note.confidence_reason
    assert note.growth_edge.skill == "withdrawal_rupture"


def test_feedback_build_calm_session_has_no_self_care():
    transcript = coded(
        [
            (C, "I had a good week honestly", [], {}),
            (T, "a good week, and you sound lighter", ["reflection", "warmth"], CX),
        ]
        * 6
    )
    note = build_feedback(transcript, build_profile(transcript))
    assert note.self_care is None


def test_feedback_build_srs_concern_is_noted(demo):
    measures = SessionMeasures(
        srs=SRS(relationship=9, goals_and_topics=8, approach_or_method=9, overall=9)
    )
    note = build_feedback(demo, build_profile(demo), measures=measures)
    assert any("SRS total was 35" in n for n in note.notes)
    assert any("goals and topics" in n for n in note.notes)


def test_feedback_build_is_stable(demo):
    first = build_feedback(demo, build_profile(demo), tagger=RuleTagger())
    second = build_feedback(demo, build_profile(demo), tagger=RuleTagger())
    assert first == second


def test_feedback_build_template_with_missing_slot_is_skipped():
    template = Template("x", "So {client_words}, and you're {feeling}.")
    assert fill(template, {"client_words": "you stayed late"}) is None
    assert (
        fill(template, {"client_words": "you stayed late", "feeling": "tired"})
        == "So you stayed late, and you're tired."
    )


def _prose(texts) -> list[str]:
    out = []
    for skill in texts.skills.values():
        out += [skill.title, skill.explanation, skill.moment, *(skill.reflective_questions)]
        out += [f["explanation"] for f in skill.focus.values()]
        out += [t.text for t in skill.templates + skill.complex_templates]
    out += list(texts.rules.values()) + list(texts.self_care)
    out += [s["title"] + " " + s["sentence"] for s in texts.strengths.values()]
    return out


def test_feedback_build_language_is_supportive():
    for text in _prose(load_feedback_texts()):
        assert not BANNED.search(text), text
    for exemplar in load_exemplars():
        assert not BANNED.search(exemplar.response), exemplar.id


def test_feedback_build_note_prose_has_no_banned_words(demo_note):
    prose = [demo_note.reflective_question or "", demo_note.self_care or "", *demo_note.notes]
    prose += [s.sentence for s in demo_note.strengths] + [
        demo_note.growth_edge.rule_reason,
        demo_note.moment.why,
    ]
    prose += [a.text for a in demo_note.try_instead]
    for text in prose:
        assert not BANNED.search(text), text


def test_feedback_build_slot_after_a_full_stop_gets_a_capital():
    template = Template("x", "That makes sense. {client_words}, and it shows.")
    assert (
        fill(template, {"client_words": "you were scared"})
        == "That makes sense. You were scared, and it shows."
    )
