"""JSON, JSONL and CSV readers, streaming, and the interchange record round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.errors import TranscriptError
from assistant.io import (
    iter_transcripts,
    read_bytes,
    read_transcripts,
    turn_record,
    write_csv,
    write_jsonl,
)
from assistant.model import Evidence
from assistant.settings import Settings

DATA = Path(__file__).parent / "data" / "transcripts"


def test_io_tabular_json_one_transcript():
    (t,) = read_transcripts(DATA / "session.json")
    assert t.id == "json-demo"
    assert t.source["metadata"] == {"clinic": "north"}
    assert t.turns[0].start == 0.5
    assert t.turns[2].tags == ["reflection"]
    assert t.turns[2].attributes == {"reflection": {"depth": "simple"}}
    assert t.role_method == {"Therapist": "label", "Client": "label"}


def test_io_tabular_json_bare_list_takes_file_stem_as_id():
    data = json.dumps([{"speaker": "T", "text": "hi?"}, {"speaker": "C", "text": "hey"}])
    (t,) = read_bytes(data.encode(), "visit-7.json")
    assert t.id == "visit-7"


def test_io_tabular_jsonl_groups_conversations_and_keeps_metadata():
    first, second = read_transcripts(DATA / "batch.jsonl")
    assert (first.id, second.id) == ("b1", "b2")
    assert first.source["metadata"] == {"site": "east"}
    assert first.turns[2].meta["extra"] == {"note": "good"}
    assert first.turns[2].tags == ["reflection", "warmth"]
    assert first.roles == {"A": "therapist", "B": "client"}
    assert first.role_method == {"A": "inferred", "B": "inferred"}
    # An explicit role column wins over inference (R asks no question).
    assert second.roles == {"Q": "client", "R": "therapist"}
    assert second.role_method == {"Q": "label", "R": "label"}
    assert first.turns[1].meta["line"] == 2


def test_io_tabular_csv_tags_quotes_and_extra_columns():
    c1, c2 = read_transcripts(DATA / "batch.csv")
    assert c1.turns[0].text == "What would you like to work on, today?"
    assert c1.turns[2].text == 'Your temper. "Mostly" leaves room for more.'
    assert c1.turns[2].tags == ["reflection", "warmth"]
    assert c1.source["metadata"] == {"rater": "kim"}
    assert c2.roles == {"Speaker 1": "therapist", "Speaker 2": "client"}
    assert c2.source["line"] == 5


def test_io_tabular_csv_semicolon_delimiter_and_json_tags():
    text = 'conversation_id;speaker;text;tags\nx;T;Hello, you?;["open_question"]\nx;C;fine;\n'
    (t,) = read_bytes(text.encode(), "x.csv")
    assert t.turns[0].text == "Hello, you?"
    assert t.turns[0].tags == ["open_question"]


def test_io_tabular_record_round_trip_through_jsonl_and_csv():
    (t,) = read_transcripts(DATA / "session.json")
    t.turns[2].scores = {"reflection": 0.91}
    t.turns[2].evidence = {"reflection": [Evidence(kind="cue", text="Your dad", start=0, end=8)]}
    records = [turn_record(t, turn) for turn in t.turns]
    assert records[2]["evidence"]["reflection"][0]["text"] == "Your dad"
    assert records[0]["clinic"] == "north"
    assert set(records[0]) >= {"conversation_id", "turn_index", "speaker", "role", "text"}

    for writer, name in ((write_jsonl, "out.jsonl"), (write_csv, "out.csv")):
        buffer = io.StringIO()
        assert writer(records, buffer) == 3
        (back,) = read_bytes(buffer.getvalue().encode(), name)
        assert back.id == "json-demo"
        assert [turn_record(back, turn) for turn in back.turns] == records


def test_io_tabular_write_csv_cells():
    buffer = io.StringIO()
    write_csv([{"tags": ["a", "b"], "scores": {"a": 0.5}, "start": None, "x": 1}], buffer)
    header, row = buffer.getvalue().splitlines()
    cells = dict(zip(header.split(","), row.split(",", 9), strict=False))
    assert cells["tags"] == "a;b"
    assert cells["start"] == ""


def test_io_tabular_iter_streams_one_conversation_at_a_time(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        for c in range(50):
            for i, (speaker, text) in enumerate((("T", "How was it?"), ("C", "Fine."))):
                fh.write(
                    json.dumps(
                        {
                            "conversation_id": f"s{c}",
                            "turn_index": i,
                            "speaker": speaker,
                            "text": text,
                        }
                    )
                    + "\n"
                )
    stream = iter_transcripts(path, settings=Settings(max_upload_bytes=100))
    first = next(stream)
    assert first.id == "s0"
    assert sum(1 for _ in stream) == 49
    # The whole-file limit would refuse it; read_transcripts applies it.
    with pytest.raises(TranscriptError, match="over the limit"):
        read_transcripts(path, settings=Settings(max_upload_bytes=100))


def test_io_tabular_iter_reports_reappearing_conversation(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("conversation_id,speaker,text\na,T,hi?\na,C,hi\nb,T,yo?\nb,C,yo\na,T,again?\n")
    stream = iter_transcripts(path)
    assert next(stream).id == "a"
    # "b" is only complete when the next row arrives, and that row is the error.
    with pytest.raises(TranscriptError, match="appears again") as info:
        next(stream)
    assert info.value.line == 6
    with pytest.raises(TranscriptError, match="appears again"):
        read_transcripts(path)


@pytest.mark.parametrize(
    "name, text, line, message",
    [
        (
            "x.jsonl",
            '{"conversation_id": "a", "speaker": "T", "text": "hi"}\n{oops\n',
            2,
            "not valid JSON",
        ),
        ("x.jsonl", "[1, 2]\n", 1, "expected a JSON object"),
        ("x.jsonl", '{"conversation_id": "a", "speaker": "T"}\n', 1, "'text' is missing"),
        ("x.jsonl", '{"speaker": "T", "text": "a", "start": -1}\n', 1, "'start' must be"),
        ("x.jsonl", '{"speaker": "T", "text": "a", "start": 5, "end": 2}\n', 1, "before 'start'"),
        ("x.jsonl", '{"speaker": "T", "text": "a", "role": "boss"}\n', 1, "role 'boss'"),
        (
            "x.jsonl",
            '{"speaker": "T", "text": "a", "tags": "x", "attributes": "[1]"}\n',
            1,
            "attributes",
        ),
        ("x.csv", "speaker,words\nT,hi\n", 1, "header row"),
        ("x.csv", "speaker,text\nT,hi,extra\n", 2, "2 columns"),
        (
            "x.csv",
            "conversation_id,turn_index,speaker,text\na,1,T,hi?\na,1,C,hi\n",
            3,
            "turn_index 1",
        ),
        (
            "x.csv",
            "conversation_id,speaker,text\na,T,hi?\n,C,hi\n",
            3,
            "conversation_id' is missing",
        ),
        ("x.csv", "speaker,text,role\nT,hi?,client\nT,hi,therapist\n", 3, "one role per speaker"),
    ],
)
def test_io_tabular_bad_rows_name_the_line(name, text, line, message):
    with pytest.raises(TranscriptError, match=message) as info:
        read_bytes(text.encode(), name)
    assert info.value.line == line
    assert info.value.path == name


def test_io_tabular_json_errors():
    with pytest.raises(TranscriptError, match="not valid JSON") as info:
        read_bytes(b'{\n  "turns": [\n  oops', "x.json")
    assert info.value.line == 3
    with pytest.raises(TranscriptError, match="no 'turns' list"):
        read_bytes(b'{"id": "x"}', "x.json")
    with pytest.raises(TranscriptError, match=r"turns\[1\]: 'speaker'"):
        read_bytes(b'{"turns": [{"speaker": "T", "text": "a"}, {"text": "b"}]}', "x.json")


def test_io_tabular_one_speaker_conversation_is_an_error():
    with pytest.raises(TranscriptError, match="only one speaker") as info:
        read_bytes(b"conversation_id,speaker,text\na,T,hi?\na,C,hi\nb,T,hm\n", "x.csv")
    assert info.value.line == 4


def test_io_tabular_csv_with_other_common_column_names():
    # Research exports name the columns their own way.
    data = (
        "transcript_id,utterance_id,interlocutor,utterance_text,coder_note\n"
        "s1,0,therapist,What brings you in today?,a\n"
        "s1,1,client,My sleep is a mess.,b\n"
        "s2,0,therapist,How was the week?,c\n"
        "s2,1,client,Long.,d\n"
    )
    first, second = read_bytes(data.encode(), "export.csv")
    assert [first.id, second.id] == ["s1", "s2"]
    assert [t.speaker for t in first.turns] == ["therapist", "client"]
    assert [t.role.value for t in first.turns] == ["therapist", "client"]
    assert first.turns[1].text == "My sleep is a mess."
    assert [t.index for t in first.turns] == [0, 1]
    assert first.turns[1].meta["extra"] == {"coder_note": "b"}


def test_io_tabular_a_core_column_wins_over_its_alias_and_a_non_numeric_id_is_kept():
    rows = [
        {"speaker": "T", "text": "hi?", "content": "other", "utterance_id": "u1"},
        {"speaker": "C", "text": "hey", "content": "other", "utterance_id": "u2"},
    ]
    data = "\n".join(json.dumps(r) for r in rows)
    (t,) = read_bytes(data.encode(), "s.jsonl")
    assert [turn.text for turn in t.turns] == ["hi?", "hey"]
    assert t.turns[0].meta["extra"] == {"utterance_id": "u1"}
    assert t.source["metadata"] == {"content": "other"}


def test_io_tabular_csv_header_without_any_text_column_is_refused():
    with pytest.raises(TranscriptError, match="header row naming the columns"):
        read_bytes(b"interlocutor,notes\ntherapist,hello\n", "bad.csv")
