"""Format choice: by extension, by a peek for scene files, or forced with fmt=."""

from __future__ import annotations

import pytest

from assistant.errors import TranscriptError
from assistant.io import FORMATS, detect_format, read_bytes, read_transcripts

SCENES = """\
# reviewer note
=== scene: demo-1 | modality: MI | start: 3
C: the weekend was kind of a mess
T [reflection:simple]: a messy weekend
"""


def test_io_formats_registry_names():
    assert set(FORMATS) == {"text", "vtt", "srt", "json", "jsonl", "csv", "docx", "scenes"}


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("a.txt", "text"),
        ("A.TXT", "text"),
        ("a.vtt", "vtt"),
        ("a.srt", "srt"),
        ("a.json", "json"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.csv", "csv"),
        ("dir/a.docx", "docx"),
    ],
)
def test_io_formats_by_extension(name, fmt):
    assert detect_format(name) == fmt


def test_io_formats_scene_files_are_detected_and_read(tmp_path):
    path = tmp_path / "scenes.txt"
    path.write_text(SCENES)
    assert detect_format(path) == "scenes"
    (scene,) = read_transcripts(path)
    assert scene.id == "demo-1"
    assert scene.source["format"] == "scenes"
    assert scene.source["metadata"]["modality"] == "MI"
    assert scene.turns[1].tags == ["reflection"]


def test_io_formats_scene_errors_name_the_line():
    with pytest.raises(TranscriptError, match="needs an attribute") as info:
        read_bytes(SCENES.replace("simple", "").encode(), "s.txt")
    assert info.value.line == 4


def test_io_formats_forced_format_overrides_extension():
    (t,) = read_bytes(b"T: hi?\nC: hello\n", "notes.log", fmt="text")
    assert t.source["format"] == "text"
    with pytest.raises(TranscriptError, match="unknown format 'xml'"):
        read_bytes(b"T: hi\n", "a.txt", fmt="xml")


@pytest.mark.parametrize(
    "name, message",
    [("a.log", "--format"), ("a.doc", "save it as .docx"), ("a.pdf", "PDF")],
)
def test_io_formats_unknown_extensions(name, message):
    with pytest.raises(TranscriptError, match=message):
        read_bytes(b"T: hi?\nC: hello\n", name)


def test_io_formats_vtt_sniffed_without_extension():
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nT: hi?\n\n00:00:02.000 --> 00:00:03.000\nC: yes\n"
    (t,) = read_bytes(data, "captions")
    assert t.source["format"] == "vtt"
