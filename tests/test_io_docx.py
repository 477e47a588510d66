"""DOCX reader: paragraphs and tables from a word processor, bad packages refused."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from assistant.errors import TranscriptError
from assistant.io import read_bytes, read_transcripts


def _document(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_io_docx_paragraphs(tmp_path):
    path = tmp_path / "session 4.docx"
    path.write_bytes(
        _document(
            [
                "Session 4 transcript",
                "",
                "Counsellor: What stood out for you this week?",
                "Client: The panic on the train.",
                "It came out of nowhere.",
                "Counsellor: It caught you off guard.",
            ]
        )
    )
    (t,) = read_transcripts(path)
    assert t.id == "session 4"
    assert t.source["format"] == "docx"
    assert [turn.speaker for turn in t.turns] == ["Counsellor", "Client", "Counsellor"]
    assert t.turns[1].text == "The panic on the train. It came out of nowhere."
    assert t.source["preamble"] == "Session 4 transcript"


def test_io_docx_table_rows_with_times():
    data = _document(
        ["Transcript"],
        table=[
            ["00:00:05", "Interviewer", "How did you sleep?"],
            ["00:00:09", "Participant", "Badly."],
        ],
    )
    (t,) = read_bytes(data, "t.docx")
    assert [(turn.speaker, turn.start, turn.text) for turn in t.turns] == [
        ("Interviewer", 5.0, "How did you sleep?"),
        ("Participant", 9.0, "Badly."),
    ]


def test_io_docx_refuses_other_files():
    with pytest.raises(TranscriptError, match="not a valid .docx"):
        read_bytes(b"T: this is text, not a document\nC: yes\n", "fake.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "T: hi")
    with pytest.raises(TranscriptError, match="not a valid .docx"):
        read_bytes(buffer.getvalue(), "zip.docx")


def test_io_docx_without_speakers():
    with pytest.raises(TranscriptError, match="no speaker"):
        read_bytes(_document(["Just a letter.", "Kind regards"]), "letter.docx")
