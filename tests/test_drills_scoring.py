"""Scoring a drill answer: target tags, pitfalls, focus, length, and specific feedback.

The fast tests use a rule-based tagger (tests/drills_support.py); the slow test runs
the real tagger on the written answer set and checks the pair-ranking figure.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.drills.schema import DrillItem, load_library
from assistant.drills.scoring import PASS_SCORE, focus_counts, score_answer, sentences
from assistant.errors import ValidationError
from assistant.feedback.schema import SKILLS
from tests.drills_support import DrillFakeTagger

ANSWERS = Path(__file__).parent / "data" / "drill_answers.yaml"
PAIR_TARGET = 0.90


def make_item(**changes) -> DrillItem:
    fields = {
        "id": "t-b-01",
        "skill": "reflection",
        "level": "beginner",
        "context": "nurse, burnout",
        "client_statement": "I'm so tired, and I feel guilty for wanting to quit.",
        "criteria": ["Reflects the tiredness and the guilt", "Is a statement"],
        "target_tags": ["reflection"],
        "avoid_tags": ["advice", "closed_question"],
        "model_responses": [
            "You're worn out, and even wanting to leave makes you feel guilty.",
            "Part of you is done, and part of you feels you'd let the team down.",
        ],
        "pitfalls": ["Self-care tips"],
    }
    return DrillItem(**{**fields, **changes})


@pytest.fixture
def tagger() -> DrillFakeTagger:
    return DrillFakeTagger()


def test_drills_scoring_good_answer_passes_with_specific_feedback(tagger):
    result = score_answer(make_item(), "You're worn out and feel guilty for wanting out.", tagger)
    assert result.passed and result.score >= PASS_SCORE
    assert any("reflection" in line and "confidence 0.90" in line for line in result.worked)
    assert any("steers clear" in line for line in result.worked)
    assert result.model_response == make_item().model_responses[0]  # the nearest one
    assert result.change  # even a pass gets something to work on


def test_drills_scoring_advice_fails_and_names_the_pitfall(tagger):
    result = score_answer(make_item(), "You should try to sleep more and take a holiday.", tagger)
    assert not result.passed
    assert result.pitfall_scores["advice"] == pytest.approx(0.9)
    assert any("advice" in line for line in result.change)
    assert any("a reflection was asked for" in line for line in result.change)
    assert result.model_response in make_item().model_responses


def test_drills_scoring_mixed_answer_ranks_between_good_and_poor(tagger):
    item = make_item()
    good = score_answer(item, "You're exhausted, and leaving feels like letting them down.", tagger)
    partial = score_answer(item, "You're exhausted. Have you told your manager?", tagger)
    poor = score_answer(item, "Have you told your manager? You should try to rest.", tagger)
    assert good.score > partial.score > poor.score
    # the sentence-level pass sees the reflection inside the mixed answer
    assert "reflection" in partial.tags and "closed_question" in partial.tags
    assert not partial.passed
    assert sentences("You're exhausted. Have you told your manager?") == [
        "You're exhausted.",
        "Have you told your manager?",
    ]


def test_drills_scoring_focus_on_the_therapist_is_penalised(tagger):
    item = make_item(target_tags=[], avoid_tags=["self_disclosure"], skill="self_disclosure")
    about_me = score_answer(
        item, "I remember when I was a nurse, I had the same thing and I quit my job.", tagger
    )
    about_you = score_answer(item, "You're carrying the tiredness and the guilt together.", tagger)
    assert about_me.components["focus"] < 1.0
    assert any("Most of it is about you" in line for line in about_me.change)
    assert about_you.score > about_me.score
    assert focus_counts("I wonder if you're tired") == (0, 1)  # attending, not self-focus


def test_drills_scoring_owning_ones_part_is_not_self_focus_in_a_repair(tagger):
    item = make_item(skill="confrontation_rupture", target_tags=["repair"], avoid_tags=[])
    result = score_answer(item, "You're right, I pushed you there and I'm sorry I did.", tagger)
    assert result.components["focus"] == 1.0
    assert result.passed


def test_drills_scoring_disclosure_asked_for_must_hand_back(tagger):
    item = make_item(skill="self_disclosure", target_tags=["self_disclosure"], avoid_tags=[])
    kept = score_answer(item, "I had a hard year once, I also found it tough.", tagger)
    handed = score_answer(item, "I had a hard year once. What is it like for you?", tagger)
    assert kept.components["focus"] == 0.85
    assert handed.components["focus"] == 1.0 and handed.score > kept.score


def test_drills_scoring_length_sanity_and_empty_answer(tagger):
    short = score_answer(make_item(), "You're tired.", tagger)
    assert short.components["length"] == 0.5 and any("short" in c for c in short.change)
    long = score_answer(make_item(), "You're tired " + "and guilty " * 50, tagger)
    assert long.components["length"] == 0.85 and any("long" in c for c in long.change)
    with pytest.raises(ValidationError, match="empty"):
        score_answer(make_item(), "   ", tagger)


def pair_ranking(library, answers, tagger) -> tuple[int, int, list[str]]:
    """Pairs (good > partial, partial > poor, good > poor) ranked correctly; ties miss."""
    correct = total = 0
    misses = []
    for entry in answers:
        item = library.item(entry["item"])
        scores = {
            k: score_answer(item, entry[k], tagger).score for k in ("good", "partial", "poor")
        }
        for better, worse in (("good", "partial"), ("partial", "poor"), ("good", "poor")):
            total += 1
            if scores[better] > scores[worse]:
                correct += 1
            else:
                misses.append(
                    f"{item.id}: {better} {scores[better]:.3f} <= {worse} {scores[worse]:.3f}"
                )
    return correct, total, misses


def test_drills_scoring_answer_set_is_well_formed():
    answers = yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))["answers"]
    library = load_library()
    per_skill = Counter(library.item(entry["item"]).skill for entry in answers)
    assert set(per_skill) == set(SKILLS)
    assert min(per_skill.values()) >= 3, per_skill
    for entry in answers:
        assert all(entry[k].strip() for k in ("good", "partial", "poor")), entry["item"]


@pytest.mark.slow
def test_drills_scoring_ranks_good_partial_poor_with_the_real_tagger():
    from assistant.tagging import load_tagger

    answers = yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))["answers"]
    correct, total, misses = pair_ranking(load_library(), answers, load_tagger())
    share = correct / total
    print(f"\ndrill scorer pair ranking: {correct}/{total} = {share:.1%} of pairs")
    for miss in misses:
        print("  miss", miss)
    assert share >= PAIR_TARGET, misses
