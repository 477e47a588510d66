"""Batch coding: read transcript files, tag them, and stream the results to disk.

A plain streaming function (spaCy ``cli/apply.py`` style): the ``alliance code``
command only checks its arguments and calls ``code_files``. Results are written
conversation by conversation and flushed, so a failure later in the batch never
loses what was already written; a bad file is reported and skipped unless
``strict`` is set.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assistant.errors import AllianceError, TranscriptError
from assistant.model import ALL_TAGS, Transcript

logger = logging.getLogger(__name__)

INPUT_SUFFIXES = {".txt", ".vtt", ".srt", ".json", ".jsonl", ".csv", ".docx"}
TURN_COLUMNS = [
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
]
OUTPUT_FILES = ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv")


@dataclass
class CodingSummary:
    files: int = 0
    conversations: int = 0
    turns: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Progress:
    """Passed to the progress callback after each conversation is written."""

    file: Path
    conversations: int
    turns: int


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders expanded (recursively) to the transcript files inside, sorted."""
    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files.extend(
                sorted(
                    p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
                )
            )
        elif item.exists():
            files.append(item)
        else:
            raise TranscriptError("no such file or folder", path=item)
    if not files:
        raise TranscriptError("no transcript files found in the inputs given")
    return files


def session_record(transcript: Transcript) -> dict[str, Any]:
    """One row per conversation: tag counts and the session profile."""
    from assistant.profile import build_profile

    counts = Counter(tag for turn in transcript.turns for tag in turn.tags)
    record: dict[str, Any] = {
        "conversation_id": transcript.id,
        "source": str(transcript.source.get("path", "")),
        "turns": len(transcript.turns),
        "therapist_turns": len(transcript.therapist_turns),
        "client_turns": len(transcript.client_turns),
        "counts": {tag: counts.get(tag, 0) for tag in ALL_TAGS}
        | {tag: n for tag, n in counts.items() if tag not in ALL_TAGS},
    }
    record["profile"] = build_profile(transcript).summary()
    return record


def _flatten_session(record: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in record.items() if k not in ("counts", "profile")}
    flat.update({f"n_{tag}": n for tag, n in record["counts"].items()})
    for key, value in record.get("profile", {}).items():
        if not isinstance(value, dict | list):
            flat[key] = value
    return flat


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


class OutputWriter:
    """Writes turns and sessions as JSONL and CSV, flushing after each conversation."""

    def __init__(self, out_dir: Path, *, overwrite: bool = False):
        self.out_dir = out_dir
        existing = [name for name in OUTPUT_FILES if (out_dir / name).exists()]
        if existing and not overwrite:
            raise TranscriptError(
                f"already holds coded output ({', '.join(existing)}); choose another --out "
                "folder or pass --overwrite",
                path=out_dir,
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        self._files: list[IO[str]] = []
        self.turns_jsonl = self._open("turns.jsonl")
        self.sessions_jsonl = self._open("sessions.jsonl")
        self.turns_csv = csv.DictWriter(
            self._open("turns.csv"), TURN_COLUMNS, extrasaction="ignore"
        )
        self.turns_csv.writeheader()
        self._sessions_csv_file = self._open("sessions.csv")
        self.sessions_csv: csv.DictWriter | None = None

    def _open(self, name: str) -> IO[str]:
        handle = open(self.out_dir / name, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._files.append(handle)
        return handle

    def write(self, transcript: Transcript) -> None:
        from assistant.io import turn_record

        for turn in transcript.turns:
            record = turn_record(transcript, turn)
            self.turns_jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.turns_csv.writerow({k: _csv_cell(record.get(k)) for k in TURN_COLUMNS})
        session = session_record(transcript)
        self.sessions_jsonl.write(json.dumps(session, ensure_ascii=False) + "\n")
        flat = _flatten_session(session)
        if self.sessions_csv is None:
            self.sessions_csv = csv.DictWriter(
                self._sessions_csv_file, list(flat), extrasaction="ignore"
            )
            self.sessions_csv.writeheader()
        self.sessions_csv.writerow({k: _csv_cell(v) for k, v in flat.items()})
        for handle in self._files:
            handle.flush()

    def close(self) -> None:
        for handle in self._files:
            handle.close()


def _transcripts_of(path: Path, fmt: str | None, therapist: str | None) -> Iterator[Transcript]:
    from assistant.io import iter_transcripts

    yield from iter_transcripts(path, fmt=fmt, therapist=therapist)


def code_files(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    tagger: Any,
    fmt: str | None = None,
    therapist: str | None = None,
    batch_size: int | None = None,
    strict: bool = False,
    overwrite: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> CodingSummary:
    """Code every transcript in ``inputs`` and write the outputs to ``out_dir``."""
    files = expand_inputs(inputs)
    writer = OutputWriter(Path(out_dir), overwrite=overwrite)
    summary = CodingSummary()
    try:
        for path in files:
            summary.files += 1
            try:
                stream = _transcripts_of(path, fmt, therapist)
                for coded in tagger.transform(stream, batch_size=batch_size):
                    writer.write(coded)
                    summary.conversations += 1
                    summary.turns += len(coded.turns)
                    if on_progress:
                        on_progress(Progress(path, summary.conversations, summary.turns))
            except AllianceError as error:
                if strict:
                    raise
                logger.warning("skipped %s: %s", path, error)
                summary.failed.append((str(path), str(error)))
    finally:
        writer.close()
    return summary
