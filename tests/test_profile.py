import pytest

from assistant.model import Role, Transcript, Turn
from assistant.profile import build_profile, find_ruptures


def _transcript(rows) -> Transcript:
    turns = []
    for i, (role, text, tags, attrs) in enumerate(rows):
        turns.append(
            Turn(
                index=i,
                speaker="T" if role is Role.THERAPIST else "C",
                role=role,
                text=text,
                tags=tags,
                attributes=attrs,
            )
        )
    return Transcript(id="p", turns=turns)


T, C = Role.THERAPIST, Role.CLIENT
CX = {"reflection": {"depth": "complex"}}
SX = {"reflection": {"depth": "simple"}}


def _session():
    return _transcript(
        [
            (T, "What brings you in", ["open_question"], {}),
            (C, "my drinking", [], {}),
            (T, "the drinking worries you", ["reflection"], SX),
            (C, "I guess", ["rupture_withdrawal"], {}),
            (T, "you don't want to be here", ["reflection"], CX),
            (C, "not really", [], {}),
            (T, "I pushed too fast, sorry. what would help today", ["repair", "open_question"], {}),
            (C, "this is pointless", ["rupture_confrontation"], {}),
            (T, "you should go to AA", ["advice", "rigidity"], {"advice": {"permission": "unasked"}}),
            (C, "ok", [], {}),
            (T, "did you go", ["closed_question"], {}),
            (C, "no", [], {}),
            (T, "that took courage to say", ["warmth"], {}),
        ]
    )


def test_profile_miti_summary_scores():
    profile = build_profile(_session())
    assert profile.reflections == 2 and profile.complex_reflections == 1
    assert profile.questions == 3 and profile.open_questions == 2
    assert profile.reflection_to_question == pytest.approx(2 / 3, abs=1e-3)
    assert profile.percent_complex_reflections == pytest.approx(0.5)
    assert profile.rating("percent_complex_reflections") == "good"
    assert profile.rating("reflection_to_question") == "below fair"


def test_profile_ruptures_and_repair_window():
    events = find_ruptures(_session())
    assert [(e.turn_index, e.type, e.repaired) for e in events] == [
        (3, "withdrawal", True),
        (7, "confrontation", False),
    ]
    assert events[0].repair_turn_index == 6


def test_profile_overall_rises_with_building_and_falls_with_straining():
    base = build_profile(_session()).overall
    strained = _session()
    for turn in strained.therapist_turns:
        turn.tags = [*turn.tags, "rigidity"]
    assert build_profile(strained).overall < base
    warm = _session()
    for turn in warm.therapist_turns:
        turn.tags = [*turn.tags, "warmth", "collaboration"]
    assert build_profile(warm).overall > base
    assert 0 <= base <= 100


def test_profile_too_short_and_no_therapist():
    short = _transcript([(T, "hi", [], {}), (C, "hi", [], {})])
    profile = build_profile(short)
    assert not profile.sufficient and "too few" in profile.note
    none = _transcript([(C, "hello", [], {}), (C, "anyone", [], {})])
    profile = build_profile(none)
    assert profile.overall is None and "No therapist turns" in profile.note


def test_profile_talk_share_by_time_only_with_timestamps():
    t = _session()
    assert build_profile(t).therapist_talk_share_time is None
    for i, turn in enumerate(t.turns):
        turn.start, turn.end = float(i * 10), float(i * 10 + (6 if turn.is_therapist else 4))
    share = build_profile(t).therapist_talk_share_time
    assert share == pytest.approx(42 / (42 + 24), abs=1e-3)
