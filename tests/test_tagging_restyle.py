"""Transcription styles used to train a tagger that reads ASR output and clean transcripts."""

from assistant.model import Role, Transcript, Turn
from assistant.tagging.restyle import (
    asr_style,
    clean_style,
    looks_asr,
    other_style,
    restyle_transcript,
)


def _transcript(*texts: str) -> Transcript:
    turns = [
        Turn(
            index=i,
            speaker="T" if i % 2 else "C",
            role=Role.THERAPIST if i % 2 else Role.CLIENT,
            text=t,
        )
        for i, t in enumerate(texts)
    ]
    return Transcript(id="s1", turns=turns)


def test_asr_style_drops_case_and_punctuation_but_keeps_apostrophes():
    assert (
        asr_style("So, what's   kept you going?  Honestly!") == "so what's kept you going honestly"
    )
    assert asr_style("...") == ""


def test_clean_style_adds_sentence_case_a_capital_i_and_an_end_mark():
    assert clean_style("i think i'm done") == "I think I'm done."
    assert clean_style("did you go?") == "Did you go?"
    assert clean_style("   ") == ""


def test_a_scene_in_asr_style_gets_a_clean_copy_and_the_other_way_round():
    asr = _transcript("i dunno", "what happened then", "nothing much")
    clean = _transcript("I don't know.", "What happened then?", "Nothing much.")
    assert looks_asr(asr) and not looks_asr(clean)
    assert other_style(asr) == "clean" and other_style(clean) == "asr"


def test_restyled_copy_keeps_codes_and_order_and_marks_its_id():
    original = _transcript("I don't know.", "What happened then?")
    original.turns[1].tags.append("open_question")
    copy = restyle_transcript(original, "asr")
    assert copy.id == "s1~asr"
    assert [t.text for t in copy.turns] == ["i don't know", "what happened then"]
    assert copy.turns[1].tags == ["open_question"]
    assert original.turns[1].text == "What happened then?"  # the original is untouched
