"""Bytes -> text: encodings accepted, and clear errors for files that are not text."""

from __future__ import annotations

import codecs

import pytest

from assistant.errors import TranscriptError
from assistant.io import read_bytes, read_transcripts
from assistant.settings import Settings

SESSION = "T: Wie geht’s – café?\nC: Müde… sehr müde.\n"


@pytest.mark.parametrize(
    "data",
    [
        SESSION.encode("utf-8"),
        codecs.BOM_UTF8 + SESSION.encode("utf-8"),
        SESSION.encode("utf-16"),  # with BOM
        SESSION.encode("utf-16-le"),  # without BOM
        SESSION.encode("utf-16-be"),
        SESSION.encode("cp1252"),
        SESSION.replace("\n", "\r\n").encode("utf-8"),
        SESSION.replace("\n", "\r").encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "cp1252", "crlf", "cr"],
)
def test_io_decoding_accepted_encodings(data):
    (t,) = read_bytes(data, "s.txt")
    assert [turn.text for turn in t.turns] == ["Wie geht’s – café?", "Müde… sehr müde."]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"  \n\n\t\n", "empty"),
        (b"T: hi\x00\x01\x02\x03 there\nC: hi\n", "binary"),
        (bytes(range(0, 32)) * 20, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
        (b"T: caf\x81\x8d\x8f\x90\x9d\nC: hi\n", "could not decode"),
    ],
    ids=["empty", "blank", "nul", "controls", "png", "undecodable"],
)
def test_io_decoding_rejects_non_text(data, message):
    with pytest.raises(TranscriptError, match=message) as info:
        read_bytes(data, "upload.txt")
    assert info.value.path == "upload.txt"


@pytest.mark.parametrize(
    "name", ["s.txt", "s.vtt", "s.srt", "s.json", "s.jsonl", "s.csv", "s.docx"]
)
def test_io_decoding_size_limit_applies_to_every_format(name):
    with pytest.raises(TranscriptError, match="over the limit of 10 bytes"):
        read_bytes(b"T: hello there\nC: hi\n", name, settings=Settings(max_upload_bytes=10))


def test_io_decoding_file_errors(tmp_path):
    with pytest.raises(TranscriptError, match="no such file"):
        read_transcripts(tmp_path / "missing.txt")
    with pytest.raises(TranscriptError, match="folder"):
        read_transcripts(tmp_path)
    big = tmp_path / "big.txt"
    big.write_text("T: hi\nC: hello\n" * 10)
    with pytest.raises(TranscriptError, match="ALLIANCE_MAX_UPLOAD_BYTES"):
        read_transcripts(big, settings=Settings(max_upload_bytes=50))


def test_io_decoding_stream_reports_bad_bytes_late_in_file(tmp_path):
    from assistant.io import iter_transcripts

    path = tmp_path / "late.jsonl"
    good = b'{"conversation_id": "a", "speaker": "T", "text": "hi?"}\n' * 1
    good += b'{"conversation_id": "a", "speaker": "C", "text": "hi"}\n'
    filler = b'{"conversation_id": "b", "speaker": "T", "text": "' + b"x" * 70_000 + b'"}\n'
    path.write_bytes(
        good + filler + b'{"conversation_id": "b", "speaker": "C", "text": "\xff\xfe"}\n'
    )
    stream = iter_transcripts(path)
    assert next(stream).id == "a"
    with pytest.raises(TranscriptError, match="could not decode") as info:
        next(stream)
    assert info.value.line == 4
