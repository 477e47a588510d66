"""Fuzzing the readers and the interchange format, beyond tests/test_io_properties.py.

That file feeds random text and bytes to each reader. This one aims where random
text rarely goes: pathological repetitions that make regular expressions backtrack,
megabyte lines, one conversation written in every format (which must all read the
same), the same transcript in every accepted encoding, the interchange records
written and read back, and damaged .docx packages. The contract is the same:
every input either parses or raises ``TranscriptError``; well-formed input reads
back exactly; and nothing hangs (a watchdog turns a runaway parse into a failure
naming the input; its limit is thousands of times what a parse takes).

Each property runs twice: a CI budget, and a ``long`` budget (``-m long``).
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.errors import TranscriptError
from assistant.io import iter_transcripts, read_bytes, turn_record, write_csv, write_jsonl
from assistant.model import ALL_TAGS, Evidence, Role, Transcript, Turn

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
TEXT_FORMATS = [f for f in NAMES if f != "docx"]
# A parse of the inputs below takes milliseconds (a megabyte line well under a second);
# a reader still running after this long is stuck (e.g. exponential backtracking).
WATCHDOG_S = 60
CI = 25
LONG = 2000
BUDGETS = [pytest.param(CI, id="ci"), pytest.param(LONG, id="long", marks=pytest.mark.long)]


class ReaderHang(AssertionError):
    pass


@contextmanager
def watchdog(what: str, seconds: int = WATCHDOG_S) -> Iterator[None]:
    """Fail (instead of hanging the run) when the block runs past ``seconds``."""

    def expire(_signum, _frame):
        raise ReaderHang(f"still running after {seconds} s: {what}")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse(data: bytes, fmt: str, therapist: str | None = None) -> list[Transcript] | None:
    """The transcripts, or None for the project's own error; anything else fails the test."""
    with watchdog(f"{fmt} reader on {len(data)} bytes starting {data[:60]!r}"):
        try:
            transcripts = read_bytes(data, NAMES[fmt], fmt=fmt, therapist=therapist)
        except TranscriptError as error:
            assert str(error), "a TranscriptError without a message"
            return None
    assert transcripts and all(t.turns for t in transcripts)
    return transcripts


def run_property(budget: int, strategy: st.SearchStrategy, check: Callable[[Any], None]) -> None:
    """Run ``check`` on ``budget`` examples drawn from ``strategy``."""

    @settings(
        max_examples=budget,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def prop(example: Any) -> None:
        check(example)

    prop()


# ----------------------------------------------------------------- pathological input
# Pieces that open a construct some reader's pattern looks for, and fillers that a
# pattern could match in many ways; "opener + filler * n + closer" is the classic
# shape of catastrophic backtracking.
OPENERS = [
    "",
    "<v",
    "<v ",
    "<v.",
    "T:",
    "T [",
    "Speaker 1 ",
    "**",
    "[",
    "(",
    "00:00:01.000 --> ",
    "1\n00:00:00,000 --> 00:00:01,000\n<v",
    "WEBVTT\n\n00:00.000 --> 00:01.000\n",
    "=== scene: a | modality: MI | start: 0\nT [",
    '{"turns": [{"speaker": "',
    "conversation_id,speaker,text\na,",
    "a@",
    "12 ",
]
FILLERS = [
    ".",
    " ",
    ":",
    "0",
    "0:",
    "a",
    "A ",
    "*",
    "-",
    "<",
    "&",
    ",",
    '"',
    "[",
    "{",
    "\t",
    "\\",
    "a.",
    ". ",
    "0 ",
]
CLOSERS = ["", "!", ":\n", "\n"]


def _adversarial(repeats: int) -> Iterator[str]:
    for opener in OPENERS:
        for filler in FILLERS:
            for closer in CLOSERS:
                yield opener + filler * repeats + closer


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_fuzz_readers_pathological_repetitions_finish(fmt):
    # 64 repeats: exponential backtracking never finishes, linear parsing takes microseconds.
    for text in _adversarial(64):
        for line in (text, f"T: hello\nC: {text}\nT: {text}\n"):
            parse(line.encode("utf-8"), fmt)


def _megabyte_inputs(fillers: list[str], size: int) -> Iterator[tuple[str, bytes]]:
    for filler in fillers:
        body = filler * (size // len(filler))
        yield f"one line of {filler!r}", body.encode()
        yield f"a turn of {filler!r}", f"T: hi?\nC: {body}\n".encode()


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_fuzz_readers_megabyte_lines_finish(fmt):
    # A quadratic pattern on a 1 MB line needs ~10^12 steps: the watchdog catches it.
    for what, data in _megabyte_inputs([" ", ".", "a:", "0:", "<v", "A "], 1_000_000):
        with watchdog(f"{fmt}: {what}"):
            parse(data, fmt)


@pytest.mark.long
@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_fuzz_readers_megabyte_lines_every_filler(fmt):
    for opener in OPENERS:
        for _what, data in _megabyte_inputs(FILLERS, 2_000_000):
            parse(opener.encode() + data, fmt)


def test_fuzz_readers_megabyte_turn_is_kept_whole():
    """A huge turn is read, not cut: nothing of it is lost on the way in."""
    words = "and then it all came back " * 40_000  # ~1 MB
    text = f"Therapist: What happened?\nClient: {words.strip()}\nTherapist: That is a lot.\n"
    (transcript,) = parse(text.encode(), "text")
    assert transcript.turns[1].text == words.strip()
    rows = [
        {"conversation_id": "s", "speaker": s, "text": t}
        for s, t in (("T", "What happened?"), ("C", words.strip()))
    ]
    (transcript,) = parse("\n".join(json.dumps(r) for r in rows).encode(), "jsonl")
    assert transcript.turns[1].text == words.strip()
    # Python's csv module refuses cells over 128 KiB: a clear error, nothing cut.
    with pytest.raises(TranscriptError, match="field limit"):
        read_bytes(_csv(rows).encode(), "x.csv")
    rows[1]["text"] = words[:120_000].strip()
    (transcript,) = parse(_csv(rows).encode(), "csv")
    assert transcript.turns[1].text == rows[1]["text"]


# ------------------------------------------------- one conversation, every format
LABELS = [
    "Therapist",
    "Client",
    "Speaker 1",
    "Speaker 2",
    "Anna Lee",
    "Bob",
    "Dr. Kim",
    "Jane de Vries",
    "Partner",
    "Interpreter",
]
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéøßĳ'’?.,!-", min_size=1, max_size=9)
SAY = st.lists(WORD, min_size=1, max_size=12).map(" ".join).filter(lambda s: s.strip(" .?!,-'’"))


@st.composite
def conversations(draw) -> list[tuple[str, str]]:
    """(speaker, words) turns; every speaker talks at least twice, neighbours differ."""
    speakers = draw(st.lists(st.sampled_from(LABELS), min_size=2, max_size=6, unique=True))
    order = draw(st.lists(st.sampled_from(speakers), min_size=len(speakers), max_size=30))
    order = speakers + speakers + order
    order = [s for i, s in enumerate(order) if i == 0 or s != order[i - 1]]
    assume(all(order.count(s) >= 2 for s in speakers))
    return [(speaker, draw(SAY).strip()) for speaker in order]


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    write_csv(rows, out)
    return out.getvalue()


def _docx(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render(turns: list[tuple[str, str]], fmt: str) -> bytes:
    """The conversation as a file of ``fmt``."""
    if fmt == "text":
        lines = []
        for n, (speaker, words) in enumerate(turns):
            # Timestamps, blank lines and wrapped lines, as real exports have them.
            stamp = f"[00:{n // 60:02d}:{n % 60:02d}] " if n % 3 == 0 else ""
            head, _, tail = words.partition(" ")
            lines.append(f"{stamp}{speaker}: {head}")
            if tail:
                lines.append(tail)
            if n % 4 == 1:
                lines.append("")
        return "\n".join(lines).encode()
    if fmt in ("vtt", "srt"):
        cues = []
        for n, (speaker, words) in enumerate(turns):
            sep = "." if fmt == "vtt" else ","
            timing = f"00:00:{n:02d}{sep}000 --> 00:00:{n:02d}{sep}900"
            said = f"<v {speaker}>{words}" if fmt == "vtt" else f"{speaker}: {words}"
            cues.append(f"{n + 1}\n{timing}\n{said}\n")
        return (("WEBVTT\n\n" if fmt == "vtt" else "") + "\n".join(cues)).encode()
    rows = [{"speaker": s, "text": t} for s, t in turns]
    if fmt == "json":
        return json.dumps({"id": "c", "turns": rows}, ensure_ascii=False).encode()
    rows = [{"conversation_id": "c", **row} for row in rows]
    if fmt == "jsonl":
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    if fmt == "csv":
        return _csv(rows).encode()
    if fmt == "docx":
        return _docx([f"{s}: {t}" for s, t in turns])
    raise ValueError(fmt)


ROLE_ERRORS = ("no therapist", "no client")


def _same_in(fmt: str, turns: list[tuple[str, str]]) -> None:
    therapist = turns[0][0]
    try:
        transcripts = read_bytes(render(turns, fmt), NAMES[fmt], fmt=fmt, therapist=therapist)
    except TranscriptError as error:
        # Well-formed input may only be refused when no client can be told apart.
        assert any(word in error.message for word in ROLE_ERRORS), (fmt, str(error))
        return
    (transcript,) = transcripts
    got = [(t.speaker, t.text) for t in transcript.turns]
    assert got == turns, fmt
    assert transcript.turns[0].role is Role.THERAPIST
    assert Role.CLIENT in {t.role for t in transcript.turns}


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("fmt", ["text", "vtt", "srt", "json", "jsonl", "csv", "docx"])
def test_fuzz_readers_one_conversation_reads_the_same_in_every_format(fmt, budget):
    run_property(
        budget // 2 if fmt == "docx" else budget, conversations(), lambda c: _same_in(fmt, c)
    )


# ----------------------------------------------------------------- encodings
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]


def _encoded_the_same(example: tuple[list[tuple[str, str]], str, str]) -> None:
    turns, fmt, encoding = example
    text = render(turns, fmt).decode("utf-8")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    if encoding == "cp1252" and not text.isascii():
        # cp1252 bytes that also form valid UTF-8 are read as UTF-8: ambiguous by nature.
        try:
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    reference = parse(text.encode("utf-8"), fmt, therapist=turns[0][0])
    if reference is None:
        return  # no client among the speakers: refused in every encoding alike
    got = parse(data, fmt, therapist=turns[0][0])
    if got is None and encoding in ("utf-16-le", "utf-16-be"):
        return  # UTF-16 without a BOM is recognised only when mostly ASCII
    assert got is not None, f"{encoding} refused what UTF-8 read"
    assert [t.model_dump() for t in got] == [t.model_dump() for t in reference], encoding


@pytest.mark.parametrize("budget", BUDGETS)
def test_fuzz_readers_every_accepted_encoding_reads_the_same(budget):
    strategy = st.tuples(
        conversations(),
        st.sampled_from(["text", "vtt", "jsonl", "csv", "json"]),
        st.sampled_from(ENCODINGS),
    )
    run_property(budget * 3, strategy, _encoded_the_same)


def _streamed_like_whole(example: tuple[list[dict[str, Any]], str, str, int]) -> None:
    rows, fmt, encoding, pad = example
    # Padding rows push the later ones past the 64 KiB the streaming reader sniffs.
    padding = [{"conversation_id": "pad", "speaker": s, "text": "x" * 200} for s in "TC" * pad]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in padding + rows)
    if fmt == "csv":
        body = _csv(padding + rows)
    try:
        data = body.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    fd, name = tempfile.mkstemp(suffix="." + fmt)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        with watchdog(f"streaming {fmt} in {encoding}"):
            try:
                streamed = [t.model_dump() for t in iter_transcripts(name)]
            except TranscriptError as error:
                streamed = error
        whole = parse(data, fmt)
    finally:
        os.unlink(name)
    if isinstance(streamed, TranscriptError):
        # Allowed: a late byte that does not decode as the sniffed encoding, named by line.
        if whole is not None:
            assert streamed.line is not None, str(streamed)
        return
    assert whole is not None, "streaming read what the whole-file reader refused"
    whole_dump = [t.model_dump() for t in whole]
    for item in whole_dump + streamed:
        item["source"].pop("path")
    assert streamed == whole_dump


@pytest.mark.parametrize("budget", BUDGETS)
def test_fuzz_readers_streamed_equals_whole_across_the_sniff_window(budget):
    row = st.fixed_dictionaries(
        {
            "conversation_id": st.sampled_from(["a", "b"]),
            "speaker": st.sampled_from(["T", "C", "Dana"]),
            "text": st.text(alphabet=st.characters(codec="cp1252"), min_size=1, max_size=30),
        }
    )
    strategy = st.tuples(
        st.lists(row, min_size=1, max_size=12),
        st.sampled_from(["jsonl", "csv"]),
        st.sampled_from(["utf-8", "utf-16", "cp1252"]),
        st.sampled_from([0, 200]),
    )
    run_property(max(10, budget // 2), strategy, _streamed_like_whole)


# ----------------------------------------------------------------- interchange format
SAFE_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"
) | st.sampled_from(["\t", ",", ";", '"', "\n", "\u2028", "=", "[", "{"])
CELL = st.text(alphabet=SAFE_CHARS, min_size=1, max_size=40).map(str.strip).filter(bool)
TAG = st.sampled_from(ALL_TAGS) | st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
SECONDS = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
SCORE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def coded_transcripts(draw) -> Transcript:
    speakers = draw(st.lists(CELL, min_size=2, max_size=4, unique_by=lambda s: s.casefold()))
    roles = {speakers[0]: Role.THERAPIST, speakers[1]: Role.CLIENT}
    for speaker in speakers[2:]:
        roles[speaker] = draw(st.sampled_from(list(Role)))
    turns = []
    index = draw(st.integers(0, 2))
    for position in range(draw(st.integers(2, 8))):
        index += draw(st.integers(1, 3)) if position else 0
        speaker = speakers[position % 2] if position < 2 else draw(st.sampled_from(speakers))
        start = draw(st.none() | SECONDS)
        end = None if start is None else draw(st.none() | SECONDS.map(lambda s, a=start: a + s))
        tags = draw(st.lists(TAG, max_size=3, unique=True))
        turns.append(
            Turn(
                index=index,
                speaker=speaker,
                role=roles[speaker],
                text=draw(CELL),
                start=start,
                end=end,
                tags=tags,
                scores=draw(st.dictionaries(TAG, SCORE, max_size=3)),
                attributes=draw(
                    st.dictionaries(TAG, st.dictionaries(CELL, CELL, max_size=2), max_size=2)
                ),
                evidence={
                    tag: [
                        Evidence(
                            kind=draw(st.sampled_from(["cue", "example", "rule"])), text=draw(CELL)
                        )
                    ]
                    for tag in tags[:1]
                },
            )
        )
    metadata = draw(st.dictionaries(st.sampled_from(["site", "cohort", "rater"]), CELL, max_size=2))
    return Transcript(
        id=draw(CELL),
        turns=turns,
        source={"metadata": metadata},
    )


def _records(transcripts: list[Transcript]) -> list[dict[str, Any]]:
    return [turn_record(t, turn) for t in transcripts for turn in t.turns]


def _round_trips(example: tuple[list[Transcript], str]) -> None:
    transcripts, fmt = example
    records = _records(transcripts)
    out = io.StringIO()
    if fmt == "jsonl":
        write_jsonl(records, out)
    else:
        write_csv(records, out)
    back = parse(out.getvalue().encode("utf-8"), fmt)
    assert back is not None, "the reader refused what the writer wrote"
    got = _records(back)
    if fmt == "csv":  # an empty cell and an absent column read the same
        columns = {k for r in records for k in r}
        got = [{k: r.get(k, "") if k not in _CORE else r[k] for k in columns} for r in got]
    assert got == _comparable(records, fmt)


def _comparable(records: list[dict[str, Any]], fmt: str) -> list[dict[str, Any]]:
    """What the reader gives back: CSV cells are text, so metadata values are strings, and
    a column one conversation has is an empty cell in the others."""
    if fmt == "jsonl":
        return records
    columns = {k for r in records for k in r}
    return [{k: r[k] if k in _CORE else str(r.get(k, "")) for k in columns} for r in records]


_CORE = {
    "conversation_id",
    "turn_index",
    "speaker",
    "role",
    "text",
    "start",
    "end",
    "tags",
    "scores",
    "attributes",
    "evidence",
}


@pytest.mark.parametrize("budget", BUDGETS)
def test_fuzz_readers_interchange_records_round_trip(budget):
    strategy = st.tuples(
        st.lists(coded_transcripts(), min_size=1, max_size=3, unique_by=lambda t: t.id),
        st.sampled_from(["jsonl", "csv"]),
    )
    run_property(budget * 2, strategy, _round_trips)


def test_fuzz_readers_interchange_times_written_as_python_floats_read_back():
    """Seconds the CSV writer writes (``str(float)``) are seconds the CSV reader reads."""
    for seconds in (1e-05, 0.30000000000000004, 12345678.123456789, 3661.234, 0.0, 1e16):
        records = [
            {"conversation_id": "c", "speaker": "T", "text": "Hi?", "start": seconds},
            {"conversation_id": "c", "speaker": "C", "text": "Hello.", "start": seconds},
        ]
        (transcript,) = parse(_csv(records).encode(), "csv")
        assert transcript.turns[0].start == seconds


# ----------------------------------------------------------------- damaged .docx
def _base_docx() -> bytes:
    return _docx(
        ["Therapist: What brings you in?", "Client: My sister.", "Therapist: Your sister?"]
    )


def _flip(data: bytes, spots: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in spots:
        out[position % len(out)] = value
    return bytes(out)


def _rezip(document_xml: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_base_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = document_xml if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item.filename, body)
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + f"]><w:document {W}><w:body><w:p><w:r><w:t>T: &i;</w:t></w:r></w:p></w:body></w:document>"
)
DEEP = f"<w:document {W}><w:body>" + "<w:p>" * 50_000 + "</w:p>" * 50_000 + "</w:body></w:document>"


def test_fuzz_readers_hostile_docx_packages_are_refused():
    for what, document in (("entity expansion", ENTITY_BOMB), ("deep nesting", DEEP)):
        with watchdog(f"docx with {what}"):
            parse(_rezip(document.encode()), "docx")


def _damaged_docx(example: tuple[str, Any]) -> None:
    kind, detail = example
    base = _base_docx()
    if kind == "flip":
        data = _flip(base, detail)
    elif kind == "cut":
        data = base[: detail % len(base)]
    else:
        data = _rezip(detail.encode("utf-8", errors="surrogatepass"))
    parse(data, "docx")


@pytest.mark.parametrize("budget", BUDGETS)
def test_fuzz_readers_damaged_docx_parses_or_raises(budget):
    xml_soup = st.lists(
        st.sampled_from(
            [
                "<w:p>",
                "</w:p>",
                "<w:r>",
                "</w:r>",
                "<w:t>",
                "</w:t>",
                "T: hi",
                "C: yo",
                "<w:tbl>",
                "<w:tc>",
                "&amp;",
                "<!--",
                "-->",
                "<![CDATA[",
            ]
        )
        | st.text(max_size=10),
        max_size=30,
    ).map(lambda parts: f"<w:document {W}><w:body>{''.join(parts)}</w:body></w:document>")
    strategy = st.one_of(
        st.tuples(
            st.just("flip"),
            st.lists(
                st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=20
            ),
        ),
        st.tuples(st.just("cut"), st.integers(0, 10**6)),
        st.tuples(st.just("xml"), xml_soup | st.text(max_size=200)),
    )
    run_property(budget, strategy, _damaged_docx)


def test_fuzz_readers_numbers_at_the_edges_are_refused_or_kept():
    """JSON numbers no database column holds are refused, not passed on."""
    base = [{"speaker": "T", "text": "Hi?"}, {"speaker": "C", "text": "Hello."}]
    for field, value in (
        ("turn_index", 10**30),
        ("turn_index", 2**31),
        ("start", 1e308),
        ("start", -0.0),
        ("start", 10**400),
    ):
        turns = [dict(base[0], **{field: value}), base[1]]
        data = json.dumps({"turns": turns}).encode()
        result = parse(data, "json")
        if result is not None and field == "turn_index":
            assert result[0].turns[0].index < 2**31, "an index no INTEGER column can store"
        if result is not None and field == "start":
            assert math.isfinite(result[0].turns[0].start)
