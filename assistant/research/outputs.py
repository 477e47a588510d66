"""The files a coding run writes: JSONL and CSV as it goes, Parquet at the end.

``turns.jsonl`` and ``sessions.jsonl`` are the record of truth. A conversation's turn
lines are flushed before its session line, so a conversation is complete exactly when
its session line exists; ``prepare(..., resume=True)`` cuts anything after the last
complete conversation (a killed run's partial line or half-written conversation) and
rebuilds the CSVs from the JSONL, and the run carries on appending. Conversation ids
are made unique across the whole output (``id#2`` ...) so turns and sessions join on
``conversation_id``.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.errors import TranscriptError, ValidationError
from assistant.io.records import CORE_FIELDS
from assistant.research.runinfo import RUN_FILE

if TYPE_CHECKING:
    from assistant.coding import CodedConversation

logger = logging.getLogger(__name__)

# The turn columns are the interchange format's core fields, defined once by the readers.
TURN_COLUMNS = list(CORE_FIELDS)
JSONL_FILES = ("turns.jsonl", "sessions.jsonl")
CSV_FILES = ("turns.csv", "sessions.csv")
PARQUET_FILES = ("turns.parquet", "sessions.parquet")
OUTPUT_FILES = (*JSONL_FILES, *CSV_FILES)
ALL_OUTPUTS = (*OUTPUT_FILES, *PARQUET_FILES, RUN_FILE)
PARQUET_BATCH = 10_000
E_PARQUET = (
    "Parquet output needs pyarrow, which is not installed; install it with: "
    "pip install 'alliance-assistant[parquet]' (or leave out --parquet)"
)
E_DAMAGED = (
    "{name} line {line} is damaged ({why}); the output folder was not written by an "
    "interrupted run alone: use --overwrite or another --out folder"
)


def source_key(path: str | Path) -> str:
    """A path as a comparable key (absolute, normalised)."""
    return os.path.normpath(os.path.abspath(str(path)))


@dataclass
class OutputState:
    """What is already in the output folder when a run starts."""

    out_dir: Path
    resumed: bool = False
    ids: list[str] = field(default_factory=list)
    turns: int = 0
    done: Counter[str] = field(default_factory=Counter)
    previous_run: dict[str, Any] | None = None

    def done_in(self, path: str | Path) -> int:
        """How many conversations of this input file are complete (they come first)."""
        return self.done.get(source_key(path), 0)


def _remove_outputs(out_dir: Path) -> None:
    for name in ALL_OUTPUTS:
        (out_dir / name).unlink(missing_ok=True)


def prepare(out_dir: Path, *, overwrite: bool = False, resume: bool = False) -> OutputState:
    """Check the output folder and, for ``resume``, cut it back to its complete conversations."""
    existing = [name for name in ALL_OUTPUTS if (out_dir / name).exists()]
    if existing and not (overwrite or resume):
        raise TranscriptError(
            f"already holds coded output ({', '.join(existing)}); pass --resume to continue "
            "that run, --overwrite to replace it, or choose another --out folder",
            path=out_dir,
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    if overwrite or not (out_dir / "sessions.jsonl").is_file():
        if resume and existing:
            logger.info("%s: no complete conversation to resume from; starting afresh", out_dir)
        _remove_outputs(out_dir)
        return OutputState(out_dir)
    state = OutputState(out_dir, resumed=True)
    state.previous_run = _read_run(out_dir)
    sessions = _complete_sessions(out_dir / "sessions.jsonl")
    turns_per_id = {s["conversation_id"]: int(s["turns"]) for s in sessions}
    state.ids = [s["conversation_id"] for s in sessions]
    state.done = Counter(source_key(s["source"]) for s in sessions if s.get("source"))
    state.turns = _cut_turns(out_dir / "turns.jsonl", turns_per_id)
    for name in (*PARQUET_FILES,):
        (out_dir / name).unlink(missing_ok=True)
    logger.info(
        "%s: resuming after %d complete conversations (%d turns)",
        out_dir,
        len(state.ids),
        state.turns,
    )
    return state


def _read_run(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / RUN_FILE
    if not path.is_file():
        logger.warning("%s: no run.json; the model of the earlier run cannot be checked", out_dir)
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValidationError(f"run.json is not readable JSON ({error})", path=path) from None
    return data if isinstance(data, dict) else None


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset after the line, line) for every line of a file."""
    offset = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            offset += len(line)
            yield number, offset, line


def _complete_sessions(path: Path) -> list[dict[str, Any]]:
    """The session rows up to the last complete line; a partial last line is cut off."""
    rows: list[dict[str, Any]] = []
    keep = 0
    for number, offset, line in _lines(path):
        if not line.endswith(b"\n"):
            break  # the line a killed run was writing
        try:
            row = json.loads(line)
            row["conversation_id"], row["turns"]  # noqa: B018
        except (ValueError, TypeError, KeyError) as error:
            raise ValidationError(
                E_DAMAGED.format(name=path.name, line=number, why=type(error).__name__),
                path=path,
            ) from None
        rows.append(row)
        keep = offset
    _truncate(path, keep)
    return rows


def _cut_turns(path: Path, turns_per_id: dict[str, int]) -> int:
    """Cut turns.jsonl after the turns of the last complete conversation; their count."""
    seen: Counter[str] = Counter()
    keep = 0
    if path.is_file():
        for number, offset, line in _lines(path):
            if not line.endswith(b"\n"):
                break
            try:
                conversation = json.loads(line)["conversation_id"]
            except (ValueError, TypeError, KeyError) as error:
                raise ValidationError(
                    E_DAMAGED.format(name=path.name, line=number, why=type(error).__name__),
                    path=path,
                ) from None
            if conversation not in turns_per_id:
                break  # the conversation a killed run was writing
            seen[conversation] += 1
            keep = offset
        _truncate(path, keep)
    short = [cid for cid, n in turns_per_id.items() if seen[cid] != n]
    if short:
        raise ValidationError(
            f"turns.jsonl does not hold the {turns_per_id[short[0]]} turns that sessions.jsonl "
            f"lists for {short[0]!r}; use --overwrite or another --out folder",
            path=path,
        )
    return sum(seen.values())


def _truncate(path: Path, size: int) -> None:
    if path.stat().st_size != size:
        logger.info("%s: cut %d bytes of an interrupted write", path, path.stat().st_size - size)
        with path.open("r+b") as handle:
            handle.truncate(size)


# ----------------------------------------------------------------------------- writing


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


def flatten_session(record: dict[str, Any]) -> dict[str, Any]:
    """A session row with scalar columns only (``n_<tag>`` counts, profile scalars)."""
    flat = {k: v for k, v in record.items() if k not in ("counts", "profile")}
    flat.update({f"n_{tag}": n for tag, n in record["counts"].items()})
    for key, value in record.get("profile", {}).items():
        if not isinstance(value, dict | list):
            flat[key] = value
    return flat


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


class OutputWriter:
    """Writes turns and sessions as JSONL and CSV, flushing after each conversation."""

    def __init__(self, out_dir: Path, state: OutputState | None = None):
        state = state or OutputState(out_dir)
        self.out_dir = out_dir
        self.ids = set(state.ids)
        self.conversations = len(state.ids)
        self.turns = state.turns
        self._files: list[IO[str]] = []
        mode = "a" if state.resumed else "w"
        self.turns_jsonl = self._open("turns.jsonl", mode)
        self.sessions_jsonl = self._open("sessions.jsonl", mode)
        self.turns_csv = csv.DictWriter(
            self._open("turns.csv", "w"), TURN_COLUMNS, extrasaction="ignore"
        )
        self.turns_csv.writeheader()
        self._sessions_csv_file = self._open("sessions.csv", "w")
        self.sessions_csv: csv.DictWriter | None = None
        if state.resumed:
            self._rebuild_csv()

    def _open(self, name: str, mode: str) -> IO[str]:
        handle = open(self.out_dir / name, mode, encoding="utf-8", newline="")  # noqa: SIM115
        self._files.append(handle)
        return handle

    def _rebuild_csv(self) -> None:
        """The CSVs again from the (already cut) JSONL, before appending to them."""
        for record in _jsonl(self.out_dir / "turns.jsonl"):
            self.turns_csv.writerow({k: _csv_cell(record.get(k)) for k in TURN_COLUMNS})
        for record in _jsonl(self.out_dir / "sessions.jsonl"):
            self._session_csv_row(record)

    def _unique(self, conversation_id: str) -> str:
        if conversation_id not in self.ids:
            return conversation_id
        number = 2
        while f"{conversation_id}#{number}" in self.ids:
            number += 1
        unique = f"{conversation_id}#{number}"
        logger.warning(
            "conversation id %r is used twice; writing it as %r", conversation_id, unique
        )
        return unique

    def write(self, conversation: CodedConversation) -> str:
        """Write one conversation; returns the id it was written under."""
        conversation_id = self._unique(conversation.conversation_id)
        self.ids.add(conversation_id)
        for record in conversation.turns:
            record = {**record, "conversation_id": conversation_id}
            self.turns_jsonl.write(_dumps(record))
            self.turns_csv.writerow({k: _csv_cell(record.get(k)) for k in TURN_COLUMNS})
        # Turns reach the disk before their session line: a session line means complete.
        self.turns_jsonl.flush()
        session = {**conversation.session, "conversation_id": conversation_id}
        self.sessions_jsonl.write(_dumps(session))
        self.sessions_jsonl.flush()
        self._session_csv_row(session)
        for handle in self._files:
            handle.flush()
        self.conversations += 1
        self.turns += len(conversation.turns)
        return conversation_id

    def _session_csv_row(self, session: dict[str, Any]) -> None:
        flat = flatten_session(session)
        if self.sessions_csv is None:
            self.sessions_csv = csv.DictWriter(
                self._sessions_csv_file, list(flat), extrasaction="ignore"
            )
            self.sessions_csv.writeheader()
        self.sessions_csv.writerow({k: _csv_cell(v) for k, v in flat.items()})

    def close(self) -> None:
        for handle in self._files:
            handle.close()


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


# ----------------------------------------------------------------------------- parquet


def require_pyarrow() -> None:
    """Raise the install hint now, before any coding, when pyarrow is missing."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ValidationError(E_PARQUET) from None


_SESSION_INTS = {"turns", "therapist_turns", "client_turns", "ruptures", "ruptures_repaired"}
_SESSION_STRINGS = {"conversation_id", "source", "note"}


def _session_type(name: str, pa: Any) -> Any:
    if name in _SESSION_STRINGS:
        return pa.string()
    if name == "sufficient":
        return pa.bool_()
    if name in _SESSION_INTS or name.startswith("n_"):
        return pa.int64()
    return pa.float64()


def _batches(records: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(out_dir: Path) -> None:
    """``turns.parquet`` and ``sessions.parquet`` from the JSONL, streamed in batches.

    Turns keep ``tags`` as a list and ``scores`` as a map; ``attributes`` and
    ``evidence`` are JSON text (as in the CSV). Sessions have the CSV's columns.
    """
    require_pyarrow()
    import pyarrow as pa
    import pyarrow.parquet as pq

    turn_schema = pa.schema(
        [
            ("conversation_id", pa.string()),
            ("turn_index", pa.int64()),
            ("speaker", pa.string()),
            ("role", pa.string()),
            ("text", pa.string()),
            ("start", pa.float64()),
            ("end", pa.float64()),
            ("tags", pa.list_(pa.string())),
            ("scores", pa.map_(pa.string(), pa.float64())),
            ("attributes", pa.string()),
            ("evidence", pa.string()),
        ]
    )

    def turn_row(record: dict[str, Any]) -> dict[str, Any]:
        row = {name: record.get(name) for name in TURN_COLUMNS}
        row["scores"] = list(record.get("scores", {}).items())
        for name in ("attributes", "evidence"):
            row[name] = json.dumps(record.get(name) or {}, ensure_ascii=False, sort_keys=True)
        return row

    with pq.ParquetWriter(out_dir / "turns.parquet", turn_schema) as writer:
        for batch in _batches(_jsonl(out_dir / "turns.jsonl"), PARQUET_BATCH):
            writer.write_table(pa.Table.from_pylist([turn_row(r) for r in batch], turn_schema))

    sessions = (flatten_session(r) for r in _jsonl(out_dir / "sessions.jsonl"))
    writer = None
    try:
        for batch in _batches(sessions, PARQUET_BATCH):
            if writer is None:
                schema = pa.schema([(name, _session_type(name, pa)) for name in batch[0]])
                writer = pq.ParquetWriter(out_dir / "sessions.parquet", schema)
            rows = [{name: row.get(name) for name in schema.names} for row in batch]
            writer.write_table(pa.Table.from_pylist(rows, schema))
    finally:
        if writer is not None:
            writer.close()
