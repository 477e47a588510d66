"""Plain-text reader: speaker prefixes, continuation lines, colon sentences, roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import TranscriptError
from assistant.io import read_bytes, read_transcripts
from assistant.model import Role

DATA = Path(__file__).parent / "data" / "transcripts"


def _read(text: str, name: str = "s.txt", **kwargs):
    (transcript,) = read_bytes(text.encode("utf-8"), name, **kwargs)
    return transcript


def test_io_text_labels_and_continuation_lines():
    (t,) = read_transcripts(DATA / "labels.txt")
    assert t.id == "labels"
    assert [turn.speaker for turn in t.turns] == ["T", "C", "T", "C", "C"]
    # The continuation lines (and the colon sentence in them) join the client's turn;
    # the timestamp-only line and the blank line are skipped.
    assert t.turns[1].text == (
        "Honestly I'm not sure. Here's the thing: I've been sleeping badly since "
        "January, and work is a lot right now."
    )
    # A speaker's consecutive turns stay separate in plain text.
    assert [turn.text for turn in t.turns[3:]] == ["Yeah.", "And my sister keeps calling."]
    assert t.roles == {"T": "therapist", "C": "client"}
    assert t.role_method == {"T": "label", "C": "label"}
    assert t.source["format"] == "text"
    assert t.source["preamble"].startswith("Intake session")
    assert t.turns[1].meta["line"] == 4


def test_io_text_names_with_timestamps_get_inferred_roles():
    (t,) = read_transcripts(DATA / "names.txt")
    assert t.roles == {"Dana Reyes": "therapist", "Sam Ortiz": "client"}
    assert t.role_method == {"Dana Reyes": "inferred", "Sam Ortiz": "inferred"}
    assert [turn.start for turn in t.turns[:3]] == [2.0, 9.0, 13.0]
    assert t.turns[0].text.startswith("Hi Sam")


def test_io_text_otter_style_label_lines():
    (t,) = read_transcripts(DATA / "otter.txt")
    assert [turn.speaker for turn in t.turns] == ["Speaker 1", "Speaker 2"] * 2
    assert t.turns[1].text == "I guess with the argument on Sunday. It got out of hand."
    assert t.turns[2].start == 15.0
    assert t.roles["Speaker 1"] == "therapist"


@pytest.mark.parametrize(
    "line, speaker, text, start",
    [
        ("Therapist: hello there", "Therapist", "hello there", None),
        ("Dr. Kim: hello there", "Dr. Kim", "hello there", None),
        ("[00:01:02] Client: hello there", "Client", "hello there", 62.0),
        ("SPEAKER 1: hello there", "SPEAKER 1", "hello there", None),
        ("Speaker 1 (00:03): hello there", "Speaker 1", "hello there", 3.0),
        ("**Counselor:** hello there", "Counselor", "hello there", None),
        ("Jane de Vries: hello there", "Jane de Vries", "hello there", None),
    ],
)
def test_io_text_accepts_label_styles(line, speaker, text, start):
    other = (
        "Patient: fine"
        if "Kim" in line or "Counselor" in line or "Therapist" in line
        else "T: fine?"
    )
    t = _read(f"{line}\n{other}\n{line}\n")
    assert t.turns[0].speaker == speaker
    assert t.turns[0].text == text
    assert t.turns[0].start == start


def test_io_text_one_off_colon_sentence_is_not_a_speaker():
    t = _read(
        "T: What happened?\nC: I told him\nBottom line: I was done.\nT: You were done.\nC: Yes.\n"
    )
    assert [turn.speaker for turn in t.turns] == ["T", "C", "T", "C"]
    assert t.turns[1].text == "I told him Bottom line: I was done."


def test_io_text_same_speaker_case_insensitive():
    t = _read("Therapist: Hi?\nclient: hi\nTHERAPIST: so\nClient: yes\n")
    assert t.roles == {"Therapist": "therapist", "client": "client"}
    assert [turn.speaker for turn in t.turns] == ["Therapist", "client", "Therapist", "client"]


def test_io_text_third_speaker_is_other():
    t = _read(
        "Therapist: How is it at home?\nMaria: Loud.\nLuis: She exaggerates.\n"
        "Therapist: Maria, loud how?\nMaria: Everyone shouts.\nLuis: Not everyone.\nMaria: You do.\n"
    )
    assert t.roles == {"Therapist": "therapist", "Maria": "client", "Luis": "other"}
    assert t.role_method["Maria"] == "inferred"


def test_io_text_therapist_override(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("Alex: I feel stuck.\nBea: What does stuck feel like?\n" * 2)
    (t,) = read_transcripts(path, therapist="alex")
    assert t.roles == {"Alex": "therapist", "Bea": "client"}
    assert t.role_method == {"Alex": "override", "Bea": "override"}
    (inferred,) = read_transcripts(path)
    assert inferred.roles["Bea"] == "therapist"


def test_io_text_override_naming_nobody_is_an_error():
    with pytest.raises(TranscriptError, match="'Zed' is not a speaker"):
        _read("T: hi\nC: hi\n", therapist="Zed")


@pytest.mark.parametrize(
    "text, message",
    [
        ("just some notes\nwithout speakers\n", "no speaker-labelled turns"),
        ("T: hello\nT: anyone?\n", "only one speaker"),
        ("Client: hello\nPatient: hi\n", "no therapist"),
    ],
)
def test_io_text_bad_transcripts(text, message):
    with pytest.raises(TranscriptError, match=message) as info:
        _read(text, name="bad.txt")
    assert info.value.path == "bad.txt"


def test_io_text_roles_become_turn_roles():
    t = _read("T: What now?\nC: Not sure.\n")
    assert [turn.role for turn in t.turns] == [Role.THERAPIST, Role.CLIENT]
