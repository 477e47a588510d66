"""Transcriber's noise marks are dropped before coding; marks about the speaker stay in
client turns and go from therapist turns."""

import pytest

from assistant.model import Role
from assistant.tagging.marks import coded_text, noise_spans, original_span
from assistant.tagging.pipeline import W_EMPTY, prepare_text


@pytest.mark.parametrize(
    "written, coded",
    [
        ("how often does she call? [crosstalk]", "how often does she call?"),
        ("so it [inaudible 00:12:31] gets away from you", "so it gets away from you"),
        ("<clears throat> okay so what happened", "okay so what happened"),
        ("you should(unclear) try it", "you should try it"),
        ("(unclear, two words) you said no", "you said no"),
        ("{Inaudible} and then [brief cross-talk] fine", "and then fine"),
        ("[overlapping speech] yeah", "yeah"),
        # A bracket that only mentions a noise word among other words is speech or a note.
        ("[inaudible] [he was so unclear about it all]", "[he was so unclear about it all]"),
    ],
)
def test_noise_marks_are_dropped(written, coded):
    assert coded_text(written)[0] == coded


@pytest.mark.parametrize(
    "written",
    [
        "(long pause)",
        "[laughs] I know, I know",
        "it's fine (crying) it's fine",
        "(sighs) whatever",
        "[NAME] said it again",
        "I'd (and I mean this) stop there",
    ],
)
def test_marks_about_the_speaker_and_other_brackets_stay(written):
    assert coded_text(written)[0] == written


def test_spaces_collapse_as_before_when_there_is_no_mark():
    text = "  you   said\tyou were  tired "
    assert noise_spans(text) == []
    assert coded_text(text)[0] == " ".join(text.split()) == prepare_text(text, 2000)[0]


def test_every_kept_character_maps_back_to_the_same_character():
    written = "  so [inaudible]  you  (cough) should  try it [crosstalk]"
    coded, origin = coded_text(written)
    assert coded == "so you should try it"
    assert len(origin) == len(coded)
    assert all(written[origin[i]] == ch for i, ch in enumerate(coded) if ch != " ")
    start = coded.index("should try")
    s, e = original_span(origin, start, start + len("should try"))
    assert written[s:e] == "should  try"


def test_a_turn_that_is_only_a_noise_mark_is_empty():
    text, warnings = prepare_text("[inaudible]", 2000)
    assert text == ""
    assert warnings == [W_EMPTY]


@pytest.mark.parametrize(
    "written, coded",
    [
        ("(laughs) I'll print you a fresh diary sheet", "I'll print you a fresh diary sheet"),
        ("so you (long pause) you felt left out", "so you you felt left out"),
        ("[laughs softly] yeah that sounds like her", "yeah that sounds like her"),
        ("[5 second pause] what happened then", "what happened then"),
        ("(both laugh) okay", "okay"),
        ("(laughs, tearful) I know", "I know"),
        ("you said [NAME] was there", "you said [NAME] was there"),
        ("she [the mother] said no", "she [the mother] said no"),
        ("(puts pen down) right", "(puts pen down) right"),
    ],
)
def test_a_therapists_notes_about_the_speaker_are_dropped_and_placeholders_stay(written, coded):
    assert coded_text(written, drop_speaker_notes=True)[0] == coded
    assert prepare_text(written, 2000, Role.THERAPIST)[0] == coded


def test_a_clients_notes_about_the_speaker_stay():
    # A client's long pause or tears is what withdrawal and disclosure timing read.
    for written in ("(long pause) I don't know", "it's fine [crying] it's fine"):
        assert prepare_text(written, 2000, Role.CLIENT)[0] == written
        assert prepare_text(written, 2000)[0] == written
