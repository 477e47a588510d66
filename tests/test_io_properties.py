"""Property tests: any text or bytes either parses or raises TranscriptError, nothing else."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import TranscriptError
from assistant.io import iter_transcripts, read_bytes
from assistant.model import Transcript

NAMES = {
    "text": "x.txt",
    "vtt": "x.vtt",
    "srt": "x.srt",
    "json": "x.json",
    "jsonl": "x.jsonl",
    "csv": "x.csv",
    "docx": "x.docx",
    "scenes": "x.txt",
}
# Pieces that reach the readers' deeper branches far more often than random text.
PIECES = [
    "T:",
    "C:",
    "Therapist:",
    "Client:",
    "Speaker 1:",
    "Speaker 2 (00:03):",
    "Jane Doe:",
    "[00:01:02]",
    "00:00:01,000 --> 00:00:02,000",
    "00:00:05.000 --> 00:00:01.000",
    "WEBVTT",
    "NOTE",
    "<v A>",
    "</v>",
    "<v.x B>",
    "&amp;",
    "1",
    "===",
    "=== scene: a | modality: MI | start: 0",
    "T [reflection:simple]:",
    "{",
    "}",
    "[",
    "]",
    '"speaker"',
    '"text"',
    '"turns"',
    ":",
    ",",
    ";",
    '"conversation_id"',
    "conversation_id,speaker,text",
    "a,T,hi",
    "a,C,yo",
    '"',
    "?",
    "\t",
    "\r",
    '{"speaker": "T", "text": "hi?"}',
    '{"speaker": "C", "text": "no", "start": -1}',
    '{"conversation_id": 1, "speaker": "x", "text": "y", "tags": "a;b", "turn_index": 3}',
    "NaN",
    "1e999",
    "Infinity",
    "turn_index",
    "role",
    "therapist",
    "tags",
    "attributes",
]
LABELS = ["T:", "C:", "Therapist:", "Client:", "Speaker 1:", "Speaker 2:", "<v A>", "<v B>"]
words = st.text(alphabet="abc XYZ?.,:'-&<>", max_size=12)
turn_line = st.tuples(st.sampled_from(LABELS), words).map(" ".join)
cue = st.tuples(st.sampled_from(["", "1\n", "x\n"]), st.sampled_from(PIECES[8:10]), turn_line).map(
    lambda parts: f"{parts[0]}{parts[1]}\n{parts[2]}\n"
)
line_soup = st.lists(
    st.one_of(
        st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=6).map(" ".join),
        turn_line,
        turn_line,
        cue,
        words,
    ),
    max_size=12,
).map("\n".join)
any_text = st.one_of(st.text(max_size=400), line_soup)


def _check(data: bytes, fmt: str) -> None:
    try:
        transcripts = read_bytes(data, NAMES[fmt], fmt=fmt)
    except TranscriptError as error:
        assert str(error)
        return
    assert transcripts
    for transcript in transcripts:
        assert isinstance(transcript, Transcript)
        assert transcript.turns
        roles = {turn.role.value for turn in transcript.turns}
        assert fmt == "scenes" or {"therapist", "client"} <= roles


FORMATS = list(NAMES)
# About 180 examples per format over the three tests below; the streamed-rows test adds 150.
per_format = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("fmt", FORMATS)
@per_format
@given(text=any_text)
def test_io_properties_any_text_parses_or_raises_transcript_error(fmt, text):
    _check(text.encode("utf-8", errors="surrogatepass"), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@per_format
@given(data=st.binary(max_size=400))
def test_io_properties_any_bytes_parse_or_raise_transcript_error(fmt, data):
    _check(data, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@per_format
@given(
    text=line_soup,
    encoding=st.sampled_from(["utf-16", "utf-16-le", "cp1252", "utf-8-sig", "latin-1"]),
)
def test_io_properties_other_encodings_parse_or_raise(fmt, text, encoding):
    _check(text.encode(encoding, errors="replace"), fmt)


rows = st.lists(
    st.fixed_dictionaries(
        {
            "conversation_id": st.sampled_from(["a", "b", "c", ""]),
            "speaker": st.sampled_from(["T", "C", "A", "B", ""]),
            "text": st.one_of(st.text(max_size=20), st.just("What now?")),
        },
        optional={
            "turn_index": st.one_of(st.integers(-2, 5), st.text(max_size=3)),
            "role": st.sampled_from(["therapist", "client", "other", "boss", ""]),
            "start": st.one_of(st.floats(allow_nan=True), st.text(max_size=6)),
            "tags": st.one_of(st.lists(st.text(max_size=5), max_size=3), st.text(max_size=8)),
            "attributes": st.one_of(
                st.dictionaries(st.text(max_size=3), st.text(max_size=3)), st.text(max_size=5)
            ),
        },
    ),
    max_size=8,
)


@fast
@given(records=rows, fmt=st.sampled_from(["jsonl", "csv"]))
def test_io_properties_streamed_rows_parse_or_raise(records, fmt):
    if fmt == "jsonl":
        body = "\n".join(json.dumps(r) for r in records)
    else:
        columns = ["conversation_id", "speaker", "text", "turn_index", "role", "start", "tags"]
        body = (
            ",".join(columns)
            + "\n"
            + "\n".join(
                ",".join(json.dumps(str(r.get(c, "")))[1:-1].replace(",", " ") for c in columns)
                for r in records
            )
        )
    fd, name = tempfile.mkstemp(suffix=f".{fmt}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(body)
        streamed: list[Transcript] | None
        try:
            streamed = list(iter_transcripts(name))
        except TranscriptError:
            streamed = None
        _check(body.encode("utf-8", errors="surrogatepass"), fmt)
        if streamed is not None:
            whole = read_bytes(body.encode("utf-8", errors="surrogatepass"), name)
            assert [t.model_dump() for t in whole] == [t.model_dump() for t in streamed]
    finally:
        os.unlink(name)
