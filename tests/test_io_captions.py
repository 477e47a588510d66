"""WebVTT and SRT readers: voice tags, 'Name:' prefixes, merged cues, kept times."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import TranscriptError
from assistant.io import read_bytes, read_transcripts

DATA = Path(__file__).parent / "data" / "transcripts"


def test_io_captions_vtt_voice_tags_merge_consecutive_cues():
    (t,) = read_transcripts(DATA / "voices.vtt")
    assert t.source["format"] == "vtt"
    assert [turn.speaker for turn in t.turns] == ["Speaker 1", "Speaker 2", "Speaker 1"]
    first, second, third = t.turns
    assert first.text == "So what brings you in this week?"
    assert (first.start, first.end) == (1.0, 6.0)
    # Entities decoded, inline tags dropped, classes on voice tags understood.
    assert second.text == "Mostly my mum & the move. It's been a lot."
    assert (second.start, second.end) == (6.5, 12.0)
    assert third.start == 12.5
    assert t.roles == {"Speaker 1": "therapist", "Speaker 2": "client"}
    assert set(t.role_method.values()) == {"inferred"}


def test_io_captions_vtt_name_prefixes_and_unlabelled_cue_continues():
    (t,) = read_transcripts(DATA / "zoom.vtt")
    assert [turn.speaker for turn in t.turns] == ["Counselor", "Patient", "Counselor"]
    assert t.turns[1].text == "My drinking, I think. It has crept up."
    assert t.turns[1].end == 8.0
    assert t.role_method == {"Counselor": "label", "Patient": "label"}


def test_io_captions_srt_with_crlf():
    (t,) = read_transcripts(DATA / "session.srt")
    assert t.source["format"] == "srt"
    assert [turn.speaker for turn in t.turns] == ["Therapist", "Client", "Therapist"]
    assert t.turns[1].text == "I did it twice. The second time was easier."
    assert (t.turns[1].start, t.turns[1].end) == (4.0, 8.25)


@pytest.mark.parametrize(
    "name, text, line, message",
    [
        ("x.srt", "1\n00:00:01,000 -> 00:00:02,000\nT: hi\n", 2, "timing line"),
        ("x.srt", "1\nT: hi\n", 2, "timing line"),
        ("x.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nT: hi\n", 3, "ends before"),
    ],
)
def test_io_captions_bad_cues_name_the_line(name, text, line, message):
    with pytest.raises(TranscriptError, match=message) as info:
        read_bytes(text.encode(), name)
    assert info.value.line == line


def test_io_captions_without_speakers():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n\n00:00:03.000 --> 00:00:04.000\nhi\n"
    with pytest.raises(TranscriptError, match="no speaker"):
        read_bytes(text.encode(), "x.vtt")
