import pytest
from pydantic import ValidationError

from assistant.model import Role, Transcript, Turn


def test_model_turn_rejects_end_before_start():
    with pytest.raises(ValidationError):
        Turn(index=0, speaker="T", role=Role.THERAPIST, text="hi", start=5.0, end=1.0)


def test_model_turn_rejects_blank_speaker():
    with pytest.raises(ValidationError):
        Turn(index=0, speaker="  ", role=Role.THERAPIST, text="hi")


def test_model_transcript_needs_turns_in_order():
    turns = [
        Turn(index=1, speaker="T", role=Role.THERAPIST, text="a"),
        Turn(index=0, speaker="C", role=Role.CLIENT, text="b"),
    ]
    with pytest.raises(ValidationError):
        Transcript(id="x", turns=turns)
    with pytest.raises(ValidationError):
        Transcript(id="x", turns=[])


def test_model_previous_finds_the_client_turn_before(tiny_transcript):
    reflection = tiny_transcript.turn(2)
    before = tiny_transcript.previous(reflection, Role.CLIENT)
    assert before is not None and before.index == 1
    assert [t.index for t in tiny_transcript.therapist_turns] == [0, 2]
