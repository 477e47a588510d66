"""The growth-edge rule (docs/feedback.md): one edge, chosen in a fixed order."""

from __future__ import annotations

import pytest

from assistant.feedback import choose_growth_edge, load_feedback_texts
from assistant.model import Role
from assistant.profile import build_profile
from tests.feedback_support import coded

T, C = Role.THERAPIST, Role.CLIENT
SX = {"reflection": {"depth": "simple"}}
CX = {"reflection": {"depth": "complex"}}
DISCLOSURE = {"self_disclosure": {"timing": "poorly_timed"}}


def _session(
    therapist: list[tuple[str, list[str], dict]], clients: list[tuple[str, list[str]]] | None = None
):
    """Client and therapist turns alternating, client first."""
    rows = []
    for i, (text, tags, attrs) in enumerate(therapist):
        client_text, client_tags = (
            (clients or [])[i]
            if clients and i < len(clients)
            else ("I guess it has been a hard week at work", [])
        )
        rows.append((C, client_text, client_tags, {}))
        rows.append((T, text, tags, attrs))
    return coded(rows)


def _choose(transcript):
    return choose_growth_edge(transcript, build_profile(transcript), load_feedback_texts())


GOOD = [
    ("you're worn out and still showing up", ["reflection", "warmth"], CX),
    ("the week took more than it gave", ["reflection", "collaboration"], CX),
    ("what would you like to focus on", ["open_question", "collaboration"], {}),
    ("it's been piling up", ["reflection", "warmth"], SX),
    ("and part of you wants a break from all of it", ["reflection"], CX),
    ("you handled that with real care", ["warmth", "reflection"], CX),
]


def test_feedback_rules_unrepaired_rupture_comes_first():
    therapist = list(GOOD)
    therapist[2] = (
        "you should just stop drinking",
        ["advice", "rigidity"],
        {"advice": {"permission": "unasked"}},
    )
    therapist[4] = (
        "when I was your age I drank too, all through college",
        ["self_disclosure", "poorly_timed_self_disclosure"],
        DISCLOSURE,
    )
    clients = (
        [("fine", [])] * 3 + [("sure, whatever you say", ["rupture_withdrawal"])] + [("ok", [])] * 2
    )
    transcript = _session(therapist, clients)
    choice = _choose(transcript)
    assert choice.edge.rule == 1
    assert choice.edge.skill == "withdrawal_rupture"
    assert choice.client.text == "sure, whatever you say"
    assert choice.therapist.index == choice.client.index + 1
    assert "turn 7" in choice.edge.rule_reason  # index 6, numbered from 1


def test_feedback_rules_confrontation_kind_names_its_skill():
    clients = [("this is pointless, you don't listen", ["rupture_confrontation"])] + [
        ("ok", [])
    ] * 5
    choice = _choose(_session(GOOD, clients))
    assert choice.edge.skill == "confrontation_rupture" and choice.edge.rule == 1


def test_feedback_rules_repaired_rupture_does_not_fire():
    therapist = list(GOOD)
    therapist[0] = ("I think I rushed us there, what would help", ["repair", "open_question"], {})
    clients = [("whatever", ["rupture_withdrawal"])] + [("ok", [])] * 5
    choice = _choose(_session(therapist, clients))
    assert choice.edge.rule != 1


def test_feedback_rules_rupture_after_straining_turn_is_the_moment():
    therapist = list(GOOD)
    therapist[2] = (
        "you need to fill in the log every day",
        ["advice", "rigidity"],
        {"advice": {"permission": "unasked"}},
    )
    clients = [("ok", [])] * 6
    clients[1] = ("I don't know", ["rupture_withdrawal"])
    clients[3] = ("sure. whatever you think", ["rupture_withdrawal"])  # right after the rigid turn
    choice = _choose(_session(therapist, clients))
    assert choice.client.text == "sure. whatever you think"


def test_feedback_rules_poorly_timed_disclosure_is_second():
    therapist = list(GOOD)
    therapist[3] = (
        "I went through a divorce too, it was the worst year of my life",
        ["self_disclosure", "poorly_timed_self_disclosure"],
        DISCLOSURE,
    )
    therapist[1] = ("you need to stop", ["rigidity"], {})
    therapist[2] = ("hang on, back to the log", ["rigidity"], {})
    choice = _choose(_session(therapist))
    assert choice.edge.rule == 2 and choice.edge.skill == "self_disclosure"
    assert choice.therapist.text.startswith("I went through a divorce")
    assert choice.client.index == choice.therapist.index - 1


def test_feedback_rules_rigidity_above_target_is_third():
    therapist = list(GOOD)
    therapist[1] = ("you need to stop", ["rigidity"], {})
    therapist[2] = ("hang on, back to the log", ["rigidity"], {})  # 2 of 6 = 3.3 per 10
    choice = _choose(_session(therapist))
    assert choice.edge.rule == 3 and choice.edge.skill == "flexibility"
    assert choice.edge.value == pytest.approx(3.33) and choice.edge.target == 1.0
    assert "rigidity" in choice.therapist.tags


def test_feedback_rules_one_rigid_turn_is_not_a_pattern():
    therapist = [GOOD[0]] * 10 + [("you need to stop", ["rigidity"], {})]
    choice = _choose(_session(therapist))
    assert choice.edge.skill != "flexibility"  # 0.9 per 10 is within the target


def test_feedback_rules_rq_gap_picks_reflection():
    therapist = [
        ("what happened then", ["open_question", "warmth", "collaboration"], {}),
        ("how did that feel", ["open_question", "warmth", "collaboration"], {}),
        ("did you go", ["closed_question", "warmth", "collaboration"], {}),
        ("you were scared", ["reflection", "warmth", "collaboration"], CX),
        ("what else", ["open_question", "warmth", "collaboration"], {}),
        ("and then", ["open_question", "warmth", "collaboration"], {}),
    ]
    clients = [("ok", [])] * 6
    clients[2] = ("I was so scared and alone that night", [])
    choice = _choose(_session(therapist, clients))
    assert choice.edge.rule == 4 and choice.edge.skill == "reflection" and choice.edge.focus is None
    # R:Q = 1/5 = 0.2 -> gap (2 - 0.2) / 2 = 0.9
    assert choice.edge.gap == pytest.approx(0.9)
    # The moment: the client turn with the most feeling, answered by a question.
    assert choice.client.text == "I was so scared and alone that night"
    assert "reflection" not in choice.therapist.tags


def test_feedback_rules_pct_cr_gap_gives_complex_focus():
    therapist = [("it's been hard", ["reflection", "warmth", "collaboration"], SX)] * 6
    choice = _choose(_session(therapist))
    assert choice.edge.rule == 4 and choice.edge.focus == "complex"
    assert choice.edge.metric == "percent_complex_reflections"
    assert choice.edge.gap == pytest.approx(1.0)
    assert "Complex" in choice.edge.title


def test_feedback_rules_largest_relative_gap_wins():
    # R:Q 1.5 (gap .25) against %CR 1/6 (gap .67): the complex focus wins.
    therapist = [("it's been hard", ["reflection", "warmth", "collaboration"], SX)] * 5
    therapist += [("you're exhausted", ["reflection", "warmth", "collaboration"], CX)]
    therapist += [("what now", ["open_question"], {})] * 4
    choice = _choose(_session(therapist))
    assert choice.edge.focus == "complex"
    therapist = [("you're tired and fed up", ["reflection", "warmth", "collaboration"], CX)] * 3
    therapist += [("what now", ["open_question", "warmth", "collaboration"], {})] * 3
    choice = _choose(_session(therapist))
    assert choice.edge.metric == "reflection_to_question"  # R:Q 1.0, gap .5; %CR 100%


def test_feedback_rules_warmth_then_collaboration():
    cold = [("you're worn out", ["reflection", "collaboration"], CX)] * 6
    choice = _choose(_session(cold))
    assert choice.edge.rule == 5 and choice.edge.skill == "warmth_validation"
    solo = [("you're worn out", ["reflection", "warmth"], CX)] * 6
    choice = _choose(_session(solo))
    assert choice.edge.rule == 5 and choice.edge.skill == "collaboration"


def test_feedback_rules_all_targets_met_falls_to_lowest_part():
    choice = _choose(_session(GOOD))
    assert choice.edge.rule == 6
    assert choice.edge.skill in {"reflection", "warmth_validation", "collaboration"}


def test_feedback_rules_short_session_reads_no_rates():
    short = _session(GOOD[:3])
    assert not build_profile(short).sufficient
    assert _choose(short) is None
    clients = [("whatever", ["rupture_withdrawal"]), ("ok", []), ("ok", [])]
    assert _choose(_session(GOOD[:3], clients)).edge.rule == 1


def test_feedback_rules_no_therapist_turns():
    transcript = coded([(C, "hello", [], {}), (C, "is anyone there", [], {})])
    assert _choose(transcript) is None
