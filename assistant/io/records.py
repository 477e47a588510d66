"""The interchange record: one flat dict per turn, written as JSONL or CSV.

``turn_record`` is what every batch output, export and gold file uses; the JSONL and
CSV readers accept the same fields back (``parse_row``), so a coded file can be read
again as gold. CSV cells hold lists and dicts as JSON, and ``tags`` as ``a;b``.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

import pydantic

from assistant.errors import TranscriptError
from assistant.io.build import RawTurn
from assistant.io.roles import parse_role_value
from assistant.model import Evidence, Transcript, Turn

CORE_FIELDS: tuple[str, ...] = (
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
)
# Other names research files give the core columns ("interlocutor", "utterance_text",
# "transcript_id" ...). A core name present in the row wins over its aliases; the
# first alias present fills it otherwise; later ones stay extra columns.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "conversation_id": (
        "conversation", "session_id", "session", "transcript_id", "dialogue_id",
        "dialog_id", "call_id", "interview_id",
    ),
    "turn_index": (
        "turn", "turn_id", "turn_number", "turn_no", "utterance_index", "utterance_id",
        "utterance_number", "utt_id",
    ),
    "speaker": ("interlocutor", "speaker_label", "speaker_name", "speaker_id", "participant"),
    "role": ("speaker_role", "interlocutor_role"),
    "text": ("utterance", "utterance_text", "turn_text", "content", "message", "sentence"),
    "start": ("start_time", "start_seconds", "start_sec"),
    "end": ("end_time", "end_seconds", "end_sec"),
}  # fmt: skip
_ALIAS_OF = {alias: core for core, aliases in COLUMN_ALIASES.items() for alias in aliases}
MAX_TURN_INDEX = 2**31 - 1  # what an INTEGER column holds on every database
_FLOAT = re.compile(r"^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$", re.ASCII)
_TIMESTAMP = re.compile(r"^(?:(?:(\d{1,6}):)?(\d{1,2}):)?(\d{1,9}(?:[.,]\d{1,9})?)$", re.ASCII)


def turn_record(transcript: Transcript, turn: Turn) -> dict[str, Any]:
    """The flat interchange record of one turn, with the transcript's extra metadata."""
    record: dict[str, Any] = {
        "conversation_id": transcript.id,
        "turn_index": turn.index,
        "speaker": turn.speaker,
        "role": turn.role.value,
        "text": turn.text,
        "start": turn.start,
        "end": turn.end,
        "tags": list(turn.tags),
        "scores": dict(turn.scores),
        "attributes": {tag: dict(attrs) for tag, attrs in turn.attributes.items()},
        "evidence": {
            tag: [item.model_dump() for item in items] for tag, items in turn.evidence.items()
        },
    }
    extra = {**transcript.source.get("metadata", {}), **turn.meta.get("extra", {})}
    for key, value in extra.items():
        record.setdefault(key, value)
    return record


def write_jsonl(records: Iterable[Mapping[str, Any]], fh: IO[str]) -> int:
    """Write one JSON object per line; returns the number written."""
    count = 0
    for record in records:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _csv_cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "tags" and isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(
    records: Iterable[Mapping[str, Any]], fh: IO[str], columns: list[str] | None = None
) -> int:
    """Write records as CSV with a header; returns the number of rows.

    Without ``columns`` the records are gathered first to find every column (core
    fields first); pass ``columns`` to stream a large output.
    """
    if columns is None:
        records = list(records)
        seen = dict.fromkeys(CORE_FIELDS)
        for record in records:
            seen.update(dict.fromkeys(record))
        columns = list(seen)
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([_csv_cell(c, record.get(c)) for c in columns])
        count += 1
    return count


# ----------------------------------------------------------------------------- reading


def parse_timestamp(value: str) -> float | None:
    """Seconds from '83.5', '01:23.5', '1:02:03,250'; None when it is not a time."""
    match = _TIMESTAMP.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds.replace(",", "."))


class _RowError(Exception):
    """A field problem; turned into a TranscriptError with the row's path and line."""


def _as_text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _RowError(f"'{name}' must be a string")
    return str(value).strip()


def _as_json(value: Any, name: str, kind: type) -> Any:
    """A JSON value given as itself (JSONL) or as a JSON string in a cell (CSV)."""
    if isinstance(value, str):
        if not value.strip():
            return kind()
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise _RowError(
                f"'{name}' is not valid JSON; expected a JSON {kind.__name__}"
            ) from None
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise _RowError(f"'{name}' must be a JSON {'object' if kind is dict else 'list'}")
    return value


def _number(value: Any) -> float | None:
    """A finite float from a JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _time(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    seconds = parse_timestamp(value) if isinstance(value, str) else _number(value)
    if seconds is None and isinstance(value, str) and _FLOAT.match(value.strip()):
        seconds = float(value)  # what write_csv writes for a float such as 1e-05
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise _RowError(f"'{name}' must be seconds >= 0 or a time like 00:01:02.5")
    return seconds


def _tags(value: Any) -> list[str]:
    if isinstance(value, str) and not value.strip().startswith("["):
        return [t.strip() for t in re.split(r"[;,]", value) if t.strip()]
    tags = _as_json(value, "tags", list)
    if not all(isinstance(t, str) and t.strip() for t in tags):
        raise _RowError("'tags' must be a list of tag names")
    return [t.strip() for t in tags]


def _attributes(value: Any) -> dict[str, dict[str, str]]:
    attributes = _as_json(value, "attributes", dict)
    for tag, attrs in attributes.items():
        if not isinstance(attrs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()
        ):
            raise _RowError(
                f"'attributes' for {tag!r} must map names to values, e.g. "
                '{"reflection": {"depth": "complex"}}'
            )
    return attributes


def _scores(value: Any) -> dict[str, float]:
    scores = _as_json(value, "scores", dict)
    out: dict[str, float] = {}
    for tag, score in scores.items():
        number = _number(score)
        if number is None:
            raise _RowError(f"'scores' for {tag!r} must be a number")
        out[tag] = number
    return out


def _evidence(value: Any) -> dict[str, list[Evidence]]:
    evidence = _as_json(value, "evidence", dict)
    out: dict[str, list[Evidence]] = {}
    for tag, items in evidence.items():
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _RowError(f"'evidence' for {tag!r} must be a list of objects")
        try:
            out[tag] = [Evidence(**item) for item in items]
        except (pydantic.ValidationError, TypeError):
            raise _RowError(f"'evidence' for {tag!r} has an invalid item") from None
    return out


def _turn_index(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TURN_INDEX:
        return value
    raise _RowError(f"'turn_index' must be a whole number from 0 to {MAX_TURN_INDEX}")


def column_key(name: object) -> str:
    """How column names are compared: case, spaces and hyphens do not matter."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def core_columns(names: Iterable[object]) -> dict[str, str]:
    """Column name -> the core field it fills (``CORE_FIELDS``, by name or alias)."""
    keys = {str(name): column_key(name) for name in names}
    exact = set(keys.values()) & set(CORE_FIELDS)
    out: dict[str, str] = {}
    for name, key in keys.items():
        core = key if key in CORE_FIELDS else _ALIAS_OF.get(key)
        # An alias of a core name present in the row, a repeated name or a second
        # alias stays an extra column.
        if core is None or core in out.values() or (core != key and core in exact):
            continue
        out[name] = core
    return out


def parse_row(
    row: Mapping[str, Any], *, path: str, line: int | None, where: str = ""
) -> tuple[str | None, RawTurn]:
    """(conversation_id or None, RawTurn) from one interchange row.

    Column names are matched case-insensitively, and common other names for them
    (``COLUMN_ALIASES``) are understood; unknown columns are kept in ``RawTurn.extra``
    under their own name.
    """
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    cores = core_columns(row.keys())
    for key, value in row.items():
        core = cores.get(str(key))
        if core is not None:
            fields[core] = value
        else:
            extra[str(key)] = value
    aliased_index = next((k for k, c in cores.items() if c == "turn_index"), None)
    if aliased_index is not None and column_key(aliased_index) != "turn_index":
        # "utterance_id" may hold "u12": only a whole number is taken as the index.
        try:
            _turn_index(fields["turn_index"])
        except _RowError:
            extra[aliased_index] = fields.pop("turn_index")
    prefix = f"{where}: " if where else ""
    try:
        conversation = fields.get("conversation_id")
        conversation_id = _as_text(conversation, "conversation_id") or None
        role_text = _as_text(fields.get("role"), "role")
        role = None
        if role_text:
            role = parse_role_value(role_text)
            if role is None:
                raise _RowError(
                    f"role {role_text!r} is not known; expected therapist, client or other"
                )
        speaker = _as_text(fields.get("speaker"), "speaker") or role_text
        if not speaker:
            raise _RowError("'speaker' is missing or empty; expected who is talking")
        text = _as_text(fields.get("text"), "text")
        if not text:
            raise _RowError("'text' is missing or empty; expected the words of the turn")
        raw = RawTurn(
            speaker=speaker,
            text=text,
            line=line,
            start=_time(fields.get("start"), "start"),
            end=_time(fields.get("end"), "end"),
            role=role,
            index=_turn_index(fields.get("turn_index")),
            tags=_tags(fields["tags"]) if fields.get("tags") is not None else [],
            attributes=_attributes(fields.get("attributes")),
            scores=_scores(fields.get("scores")),
            evidence=_evidence(fields.get("evidence")),
            extra=extra,
        )
    except _RowError as error:
        raise TranscriptError(f"{prefix}{error}", path=path, line=line) from None
    if raw.start is not None and raw.end is not None and raw.end < raw.start:
        raise TranscriptError(f"{prefix}'end' is before 'start'", path=path, line=line)
    return conversation_id, raw


def split_metadata(raw: list[RawTurn]) -> dict[str, Any]:
    """Move extra columns that hold one value for the whole conversation into metadata."""
    if not raw:
        return {}
    first = raw[0].extra
    constant = {
        key: value
        for key, value in first.items()
        if all(key in t.extra and t.extra[key] == value for t in raw[1:])
    }
    for turn in raw:
        turn.extra = {k: v for k, v in turn.extra.items() if k not in constant}
    return constant
