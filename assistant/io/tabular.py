"""JSON (one transcript), JSONL and CSV (many, one row per turn) readers.

JSONL and CSV stream conversation by conversation: rows must be grouped by
``conversation_id`` and a conversation is built as soon as the next one starts, so
memory stays flat on large batch files. A conversation id that comes back after
another one is an error naming the line.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from assistant.errors import TranscriptError
from assistant.io.build import RawTurn, build_transcript
from assistant.io.records import core_columns, parse_row, split_metadata
from assistant.model import Transcript

logger = logging.getLogger(__name__)

_TURN_LIST_KEYS = ("turns", "utterances", "segments")
_HEADER_HELP = (
    "expected a header row naming the columns, at least 'speaker' and 'text' "
    "(usually also 'conversation_id'; optional 'turn_index', 'role', 'start', 'end', 'tags')"
)


class _Grouper:
    """Collects rows of one conversation at a time and builds each when it ends."""

    def __init__(self, path: str, stem: str, fmt: str, therapist: str | None, limit: int):
        self.path, self.stem, self.fmt = path, stem, fmt
        self.therapist, self.limit = therapist, limit
        self.current: str | None = None
        self.rows: list[RawTurn] = []
        self.first_line: int | None = None
        self.size = 0
        self.done: set[str] = set()
        self.has_ids: bool | None = None

    def add(self, conversation_id: str | None, raw: RawTurn) -> Transcript | None:
        if self.has_ids is None:
            self.has_ids = conversation_id is not None
        elif self.has_ids != (conversation_id is not None):
            raise TranscriptError(
                "'conversation_id' is missing here but given on other rows; expected it "
                "on every row or on none",
                path=self.path,
                line=raw.line,
            )
        key = conversation_id or self.stem
        finished = None
        if key != self.current:
            if key in self.done:
                raise TranscriptError(
                    f"conversation_id {key!r} appears again after another conversation; "
                    "expected the rows of each conversation together (sort the file by "
                    "conversation_id)",
                    path=self.path,
                    line=raw.line,
                )
            finished = self.finish()
            self.current, self.first_line, self.size = key, raw.line, 0
        self.size += len(raw.text.encode("utf-8"))
        if self.size > self.limit:
            raise TranscriptError(
                f"conversation {key!r} holds more than {self.limit} bytes of text "
                "(ALLIANCE_MAX_UPLOAD_BYTES); expected one session per conversation_id",
                path=self.path,
                line=raw.line,
            )
        self.rows.append(raw)
        return finished

    def finish(self) -> Transcript | None:
        if self.current is None:
            return None
        rows, self.rows = self.rows, []
        self.done.add(self.current)
        metadata = split_metadata(rows)
        return build_transcript(
            rows,
            transcript_id=self.current,
            path=self.path,
            fmt=self.fmt,
            therapist=self.therapist,
            metadata=metadata,
            line=self.first_line,
        )


def iter_jsonl(
    lines: Iterable[tuple[int, str]], *, path: str, stem: str, therapist: str | None, limit: int
) -> Iterator[Transcript]:
    grouper = _Grouper(path, stem, "jsonl", therapist, limit)
    for number, line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as error:
            detail = getattr(error, "msg", "too deeply nested")
            raise TranscriptError(
                f"not valid JSON ({detail}); expected one JSON object per line",
                path=path,
                line=number,
            ) from None
        if not isinstance(row, dict):
            raise TranscriptError(
                "expected a JSON object per line, like "
                '{"conversation_id": "s1", "speaker": "T", "text": "..."}',
                path=path,
                line=number,
            )
        conversation_id, raw = parse_row(row, path=path, line=number)
        finished = grouper.add(conversation_id, raw)
        if finished is not None:
            yield finished
    last = grouper.finish()
    if last is None:
        raise TranscriptError("no rows found; expected one JSON object per turn", path=path)
    yield last


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def iter_csv(
    lines: Iterable[tuple[int, str]], *, path: str, stem: str, therapist: str | None, limit: int
) -> Iterator[Transcript]:
    numbered = iter(lines)
    header_line = None
    for number, line in numbered:
        if line.strip():
            header_line = (number, line)
            break
    if header_line is None:
        raise TranscriptError("no header row; " + _HEADER_HELP, path=path)
    line_of_header = header_line[0]
    delimiter = _delimiter(header_line[1])
    position = {"line": line_of_header - 1}

    def physical() -> Iterator[str]:
        yield header_line[1] + "\n"
        position["line"] = line_of_header
        for number, line in numbered:
            position["line"] = number
            yield line + "\n"

    reader = csv.reader(physical(), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        lowered = [h.lower() for h in header]
        cores = set(core_columns(header).values())
        if "text" not in cores or not ({"speaker", "role"} & cores):
            raise TranscriptError(_HEADER_HELP, path=path, line=line_of_header)
        if len(set(lowered)) != len(lowered) or not all(header):
            raise TranscriptError(
                "the header row has an empty or repeated column name; expected unique names",
                path=path,
                line=line_of_header,
            )
        grouper = _Grouper(path, stem, "csv", therapist, limit)
        row_start = line_of_header + 1
        for cells in reader:
            number, row_start = row_start, position["line"] + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise TranscriptError(
                    f"this row has {len(cells)} cells but the header names {len(header)} "
                    "columns; expected one cell per column (quote text that holds the delimiter)",
                    path=path,
                    line=number,
                )
            row: dict[str, Any] = dict(zip(header, cells, strict=False))
            conversation_id, raw = parse_row(row, path=path, line=number)
            finished = grouper.add(conversation_id, raw)
            if finished is not None:
                yield finished
    except csv.Error as error:
        raise TranscriptError(
            f"not valid CSV ({error}); " + _HEADER_HELP, path=path, line=position["line"]
        ) from None
    last = grouper.finish()
    if last is None:
        raise TranscriptError("no rows under the header; expected one row per turn", path=path)
    yield last


def read_json(text: str, *, path: str, stem: str, therapist: str | None) -> list[Transcript]:
    """One transcript (an object with a turn list, or a bare list of turns), or a list of them."""
    try:
        data = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        detail = getattr(error, "msg", str(error))
        raise TranscriptError(
            f"not valid JSON ({detail}); expected an object with a 'turns' list",
            path=path,
            line=line,
        ) from None
    except RecursionError:
        raise TranscriptError("JSON nested too deeply", path=path) from None
    if isinstance(data, list) and data and all(isinstance(d, dict) and _turn_list(d) for d in data):
        return [
            _json_transcript(
                item, path=path, stem=f"{stem}-{i}", therapist=therapist, where=f"[{i}]"
            )
            for i, item in enumerate(data)
        ]
    return [_json_transcript(data, path=path, stem=stem, therapist=therapist, where="")]


def _turn_list(data: dict[str, Any]) -> str | None:
    return next((k for k in _TURN_LIST_KEYS if isinstance(data.get(k), list)), None)


def _json_transcript(
    data: Any, *, path: str, stem: str, therapist: str | None, where: str
) -> Transcript:
    metadata: dict[str, Any] = {}
    transcript_id = stem
    if isinstance(data, dict):
        key = _turn_list(data)
        if key is None:
            raise TranscriptError(
                f"{where or 'the JSON object'} has no 'turns' list; expected "
                '{"id": "...", "turns": [{"speaker": "T", "text": "..."}, ...]}',
                path=path,
            )
        items = data[key]
        for name in ("id", "conversation_id"):
            value = data.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                transcript_id = str(value).strip()
                break
        metadata = {k: v for k, v in data.items() if k not in (key, "id", "conversation_id")}
    elif isinstance(data, list):
        items = data
    else:
        raise TranscriptError(
            "expected a JSON object with a 'turns' list (or a list of turns)", path=path
        )
    raw: list[RawTurn] = []
    for i, item in enumerate(items):
        label = f"{where}turns[{i}]"
        if not isinstance(item, dict):
            raise TranscriptError(
                f"{label} is not an object; expected {{'speaker': ..., 'text': ...}}", path=path
            )
        row = {k: v for k, v in item.items() if core_columns([k]).get(str(k)) != "conversation_id"}
        _, turn = parse_row(row, path=path, line=None, where=label)
        raw.append(turn)
    return build_transcript(
        raw,
        transcript_id=transcript_id,
        path=path,
        fmt="json",
        therapist=therapist,
        metadata=metadata,
    )
