"""Speaker -> role: known words, behaviour-based inference and the override."""

from __future__ import annotations

import logging

import pytest

from assistant.errors import TranscriptError
from assistant.io.roles import assign_roles, known_role
from assistant.model import Role


@pytest.mark.parametrize(
    "label, role",
    [
        ("Therapist", Role.THERAPIST),
        ("T", Role.THERAPIST),
        ("TH", Role.THERAPIST),
        ("counsellor", Role.THERAPIST),
        ("Dr. Kim", Role.THERAPIST),
        ("Interviewer", Role.THERAPIST),
        ("C", Role.CLIENT),
        ("CL", Role.CLIENT),
        ("Client 2", Role.CLIENT),
        ("P1", Role.CLIENT),
        ("Participant", Role.CLIENT),
        ("Provider", Role.THERAPIST),
        ("MI practitioner", Role.THERAPIST),
        ("Family therapist", Role.THERAPIST),
        ("Tom T", None),  # a one- or two-letter word at the end is not a role word
        ("Practitioner", Role.THERAPIST),
        ("Health Coach", Role.THERAPIST),
        ("coach", Role.THERAPIST),
        ("Service user", Role.CLIENT),
        ("Caller", Role.CLIENT),
        ("Speaker 1", None),
        ("Jane", None),
        ("Tom", None),
    ],
)
def test_io_roles_known_words(label, role):
    assert known_role(label) is role


def test_io_roles_inference_prefers_the_question_asker_even_when_second(caplog):
    turns = [
        ("Speaker 1", "I had a rough week."),
        ("Speaker 2", "What made it rough?"),
        ("Speaker 1", "My boss."),
        ("Speaker 2", "You felt singled out."),
        ("Speaker 1", "Yes."),
        ("Speaker 2", "How did you respond?"),
    ]
    with caplog.at_level(logging.INFO, logger="assistant.io.roles"):
        decision = assign_roles(turns, path="x.txt")
    assert decision.roles == {"Speaker 2": Role.THERAPIST, "Speaker 1": Role.CLIENT}
    assert decision.method == {"Speaker 1": "inferred", "Speaker 2": "inferred"}
    assert "questions in 2/3" in decision.notes["Speaker 2"]
    assert "speaker 2 of 2 -> therapist" in caplog.text  # by position: labels can be names


def test_io_roles_first_speaker_breaks_a_tie():
    turns = [("A", "Hello."), ("B", "Hi."), ("A", "Okay."), ("B", "Sure.")]
    assert assign_roles(turns, path="x").roles["A"] is Role.THERAPIST


def test_io_roles_known_client_makes_the_other_the_therapist():
    decision = assign_roles([("Client", "Hi."), ("Maya", "Hello.")], path="x")
    assert decision.roles == {"Client": Role.CLIENT, "Maya": Role.THERAPIST}
    assert decision.method == {"Client": "label", "Maya": "inferred"}


def test_io_roles_explicit_roles_win():
    decision = assign_roles(
        [("A", "What brings you?"), ("B", "Stuff.")],
        path="x",
        explicit={"A": Role.CLIENT, "B": Role.THERAPIST},
    )
    assert decision.roles == {"A": Role.CLIENT, "B": Role.THERAPIST}


def test_io_roles_override_swaps_labels_with_two_speakers():
    decision = assign_roles([("T", "Hi."), ("C", "Hello?")], path="x", therapist="c")
    assert decision.roles == {"C": Role.THERAPIST, "T": Role.CLIENT}
    assert decision.method == {"C": "override", "T": "override"}


def test_io_roles_override_by_unique_first_name():
    decision = assign_roles([("Ann Lee", "Hi."), ("Bo Chen", "Hello?")], path="x", therapist="ann")
    assert decision.roles["Ann Lee"] is Role.THERAPIST


@pytest.mark.parametrize(
    "turns, therapist, message",
    [
        ([], None, "no speaker"),
        ([("A", "x"), ("A", "y")], None, "only one speaker"),
        ([("A", "x"), ("B", "y")], "Zoe", "not a speaker"),
        ([("T", "x"), ("Therapist", "y")], None, "no client"),
    ],
)
def test_io_roles_errors(turns, therapist, message):
    with pytest.raises(TranscriptError, match=message):
        assign_roles(turns, path="x", therapist=therapist)
