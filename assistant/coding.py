"""Batch coding: read transcript files, tag them, and stream the results to disk.

A plain streaming function (spaCy ``cli/apply.py`` style): the ``alliance code``
command only checks its arguments and calls ``code_files``. The unit of work is a
run of consecutive input files (``plan_units``, by file size), coded by
``code_unit`` in chunks of about ``CHUNK_TURNS`` turns. Three engines run units and
hand their events back in input order: this process, a pool of worker processes
(``jobs``; ``assistant.research.pool_engine``) or a Ray cluster
(``assistant.research.ray_engine``). The tagger always sees the same chunks, whichever
engine runs, and only the parent writes, so the outputs are the same bytes. Results
are flushed conversation by conversation: a killed run loses nothing that was
written, and ``resume`` carries on from there (re-coding at most the chunk that was
cut, so even a resumed output is byte-identical to an uninterrupted one).
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AllianceError, TranscriptError, ValidationError
from assistant.model import ALL_TAGS, Transcript
from assistant.settings import Settings

logger = logging.getLogger(__name__)

INPUT_SUFFIXES = {".txt", ".vtt", ".srt", ".json", ".jsonl", ".csv", ".docx"}
ENGINES = ("local", "ray")
SCORE_DECIMALS = 4  # fixed rounding, so outputs are byte-identical across engines
CHUNK_TURNS = 2048  # turns per tagger call: big length-sorted batches, bounded memory
UNIT_BYTES = 256 * 1024  # input bytes per unit of work handed to a worker or actor


@dataclass
class CodingSummary:
    files: int = 0
    conversations: int = 0
    turns: int = 0
    resumed: int = 0  # conversations already in the output and skipped
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Progress:
    """Passed to the progress callback after each conversation (and each file) is written."""

    file: Path
    files_done: int
    files_total: int
    conversations: int
    turns: int


@dataclass(frozen=True)
class CodingOptions:
    """How files are read and coded; picklable, so workers and Ray actors get the same."""

    fmt: str | None = None
    therapist: str | None = None
    batch_size: int | None = None
    settings: Settings | None = None


@dataclass(frozen=True)
class ModelLoader:
    """Loads a tagger model folder; picklable, so each worker or actor loads it once."""

    folder: Path
    settings: Settings | None = None

    def __call__(self) -> Any:
        from assistant.tagging import load_tagger

        return load_tagger(self.folder, self.settings)


@dataclass
class CodedConversation:
    """One coded conversation as output records: its turn rows and its session row."""

    conversation_id: str
    turns: list[dict[str, Any]]
    session: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """What coding a unit produces, in input order: a coded conversation of input
    ``order``, or the end of that input file (with its reading error, if any)."""

    order: int
    conversation: CodedConversation | None = None
    error: str | None = None

    @property
    def file_done(self) -> bool:
        return self.conversation is None


@dataclass(frozen=True)
class UnitFile:
    order: int  # position among all the inputs
    path: str
    done: int = 0  # conversations of this file already in the output (resume)


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


def session_record(transcript: Transcript, labels: Sequence[str] = ()) -> dict[str, Any]:
    """One row per conversation: tag counts and the session profile.

    ``counts`` has every tag of ours and of ``labels`` (the model's own label set), zero
    when absent, so every row has the same columns.
    """
    from assistant.profile import build_profile

    counts = Counter(tag for turn in transcript.turns for tag in turn.tags)
    names = list(dict.fromkeys([*ALL_TAGS, *labels, *sorted(counts)]))
    record: dict[str, Any] = {
        "conversation_id": transcript.id,
        "source": str(transcript.source.get("path", "")),
        "turns": len(transcript.turns),
        "therapist_turns": len(transcript.therapist_turns),
        "client_turns": len(transcript.client_turns),
        "counts": {tag: counts.get(tag, 0) for tag in names},
    }
    record["profile"] = build_profile(transcript).summary()
    return record


def coded_conversation(transcript: Transcript, labels: Sequence[str] = ()) -> CodedConversation:
    from assistant.io import turn_record

    turns = []
    for turn in transcript.turns:
        record = turn_record(transcript, turn)
        record["scores"] = {
            tag: round(float(p), SCORE_DECIMALS) for tag, p in record["scores"].items()
        }
        turns.append(record)
    return CodedConversation(transcript.id, turns, session_record(transcript, labels))


def plan_units(files: Sequence[Path], skips: Sequence[int]) -> list[list[UnitFile]]:
    """Consecutive files grouped until a group holds ``UNIT_BYTES`` of input.

    Depends only on the inputs (names, order, sizes), so every engine, and a resumed
    run, cuts the same units and the tagger sees the same chunks.
    """
    units: list[list[UnitFile]] = []
    current: list[UnitFile] = []
    size = 0
    for order, path in enumerate(files):
        current.append(UnitFile(order, str(path), skips[order]))
        size += path.stat().st_size if path.is_file() else 0
        if size >= UNIT_BYTES:
            units.append(current)
            current, size = [], 0
    if current:
        units.append(current)
    return units


def code_unit(unit: Sequence[UnitFile], tagger: Any, options: CodingOptions) -> Iterator[Event]:
    """Code the files of one unit: events for each conversation and each file's end.

    Conversations are gathered across the unit's files into chunks that close after
    the conversation that reaches ``CHUNK_TURNS`` turns, at a reading error and at the
    end of the unit; each chunk is one ``tagger.transform`` call. A chunk whose
    conversations are all in the output already (resume) is not coded; a chunk cut by
    an interrupted run is coded whole and only its missing conversations are emitted.
    """
    from assistant.io import iter_transcripts

    labels = tuple(getattr(tagger, "labels", ()))
    pending: list[tuple[UnitFile, int, Transcript] | Event] = []
    turns = 0

    def flush() -> Iterator[Event]:
        nonlocal pending, turns
        items, pending, turns = pending, [], 0
        work = [item for item in items if not isinstance(item, Event)]
        coded = None
        if any(ordinal >= file.done for file, ordinal, _ in work):
            transcripts = [transcript for _, _, transcript in work]
            coded = tagger.transform(transcripts, batch_size=options.batch_size)
        for item in items:
            if isinstance(item, Event):
                yield item
                continue
            file, ordinal, _ = item
            transcript = next(coded) if coded is not None else None
            if transcript is not None and ordinal >= file.done:
                yield Event(file.order, coded_conversation(transcript, labels))

    for file in unit:
        error = None
        try:
            stream = iter_transcripts(
                file.path, fmt=options.fmt, therapist=options.therapist, settings=options.settings
            )
            for ordinal, transcript in enumerate(stream):
                pending.append((file, ordinal, transcript))
                turns += len(transcript.turns)
                if turns >= CHUNK_TURNS:
                    yield from flush()
        except AllianceError as problem:
            error = str(problem)
        pending.append(Event(file.order, error=error))
        if error is not None:
            yield from flush()  # a reading error closes the chunk
    yield from flush()


def _local_events(
    units: Sequence[Sequence[UnitFile]], tagger: Any, options: CodingOptions
) -> Iterator[Event]:
    for unit in units:
        yield from code_unit(unit, tagger, options)


# ----------------------------------------------------------------------------- driver


def _events(
    units: Sequence[Sequence[UnitFile]],
    *,
    engine: str,
    jobs: int | None,
    address: str | None,
    tagger: Any,
    loader: Callable[[], Any] | None,
    options: CodingOptions,
    work_dir: Path,
) -> Iterator[Event]:
    """Every unit's events, in input order, from the chosen engine."""
    if engine == "ray":
        from assistant.research.ray_engine import ray_events

        assert loader is not None
        yield from ray_events(units, loader, options, address=address, actors=jobs)
    elif (jobs or 1) > 1:
        from assistant.research.pool_engine import pool_events

        assert loader is not None
        yield from pool_events(units, loader, options, jobs=jobs or 1, work_dir=work_dir)
    else:
        yield from _local_events(units, tagger, options)


def code_files(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    tagger: Any = None,
    loader: Callable[[], Any] | None = None,
    jobs: int | None = None,
    engine: str = "local",
    address: str | None = None,
    fmt: str | None = None,
    therapist: str | None = None,
    batch_size: int | None = None,
    settings: Settings | None = None,
    strict: bool = False,
    overwrite: bool = False,
    resume: bool = False,
    parquet: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> CodingSummary:
    """Code every transcript in ``inputs``; write the outputs and ``run.json`` to ``out_dir``.

    ``tagger`` is a loaded tagger for coding in this process; ``loader`` a picklable
    callable that loads one, for ``jobs`` > 1 and for Ray (each worker or actor calls
    it once). ``resume`` skips the conversations already complete in ``out_dir``.
    """
    from assistant.research import outputs, runinfo
    from assistant.settings import get_settings

    if engine not in ENGINES:
        raise ValidationError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if jobs is not None and jobs < 1:
        raise ValidationError(f"--jobs must be 1 or more (got {jobs})")
    if resume and overwrite:
        raise ValidationError("--resume and --overwrite contradict each other; choose one")
    settings = settings or get_settings()
    parallel = engine == "ray" or (jobs or 1) > 1
    if parallel and loader is None:
        folder = getattr(tagger, "path", None)
        if folder is None:
            raise ValidationError("coding with several workers needs a model folder to load")
        loader = ModelLoader(Path(folder), settings)
    if not parallel and tagger is None:
        if loader is None:
            raise ValidationError("code_files needs a tagger or a loader")
        tagger = loader()
    if parquet:
        outputs.require_pyarrow()
    files = expand_inputs(inputs)
    out = Path(out_dir)
    options = CodingOptions(fmt, therapist, batch_size, settings)
    model = runinfo.describe_model(tagger if tagger is not None else loader)

    state = outputs.prepare(out, overwrite=overwrite, resume=resume)
    if state.previous_run is not None:
        runinfo.check_same_model(state.previous_run, model, out)
    skips = [state.done_in(path) for path in files]
    record = runinfo.RunRecord(
        out,
        model=model,
        settings={
            "engine": engine,
            "jobs": jobs,
            "address": address,
            "format": fmt,
            "therapist": therapist,
            "batch_size": batch_size or settings.batch_size,
            "max_turn_chars": settings.max_turn_chars,
            "chunk_turns": CHUNK_TURNS,
            "unit_bytes": UNIT_BYTES,
            "strict": strict,
            "resume": resume,
            "parquet": parquet,
        },
        previous=state.previous_run,
    )
    record.start()
    writer = outputs.OutputWriter(out, state)
    summary = CodingSummary(resumed=sum(skips))
    work_dir = out / ".work"

    def report(path: Path) -> None:
        if on_progress:
            event = Progress(path, summary.files, len(files), summary.conversations, summary.turns)
            on_progress(event)

    status = "failed"
    try:
        events = _events(
            plan_units(files, skips),
            engine=engine,
            jobs=jobs,
            address=address,
            tagger=tagger,
            loader=loader,
            options=options,
            work_dir=work_dir,
        )
        started: set[int] = set()
        for event in events:
            path = files[event.order]
            if event.order not in started:
                started.add(event.order)
                record.add_input(path, skipped=skips[event.order])
            if event.conversation is not None:
                writer.write(event.conversation)
                summary.conversations += 1
                summary.turns += len(event.conversation.turns)
                record.count(path, len(event.conversation.turns))
            elif event.error is not None:
                if strict:
                    raise TranscriptError(event.error)
                logger.warning("skipped %s: %s", path, event.error)
                summary.failed.append((str(path), event.error))
                record.fail(path, event.error)
            if event.file_done:
                summary.files += 1
            report(path)
        writer.close()
        if parquet:
            outputs.write_parquet(out)
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        writer.close()
        shutil.rmtree(work_dir, ignore_errors=True)
        record.finish(
            status, summary, {"conversations": writer.conversations, "turns": writer.turns}
        )
    return summary
