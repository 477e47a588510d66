"""One transcript file in, one report file out: what ``alliance report`` calls.

Reads the file, codes it (or keeps the tags it already carries, e.g. ``turns.jsonl``
from ``alliance code`` or a scene file), builds the profile and the feedback note,
renders the chosen format and writes it in one step (a temporary file renamed into
place, so a failure never leaves half a report).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pydantic

from assistant.errors import AllianceError, TranscriptError, ValidationError
from assistant.feedback import Feedback, build_feedback
from assistant.measures import ORS, ORS_ITEMS, SRS, SRS_ITEMS, SessionMeasures
from assistant.model import Transcript
from assistant.profile import SessionProfile, build_profile

logger = logging.getLogger(__name__)

ReportFormat = Literal["html", "md", "json"]
REPORT_FORMATS: tuple[str, ...] = ("html", "md", "json")
E_SCORES = (
    "{option}: expected four numbers from 0 to 10 separated by commas ({items}), got {value!r}"
)


def parse_scores(value: str, kind: Literal["srs", "ors"]) -> SRS | ORS:
    """``"9,8.5,10,9"`` -> an SRS or ORS, or ``ValidationError`` naming the bad item."""
    items = SRS_ITEMS if kind == "srs" else ORS_ITEMS
    option = f"--{kind}"
    names = ", ".join(item.replace("_", " ") for item in items)
    pieces = [p.strip() for p in value.split(",")]
    try:
        numbers = [float(p) for p in pieces]
    except ValueError:
        raise ValidationError(E_SCORES.format(option=option, items=names, value=value)) from None
    if len(numbers) != len(items):
        raise ValidationError(E_SCORES.format(option=option, items=names, value=value))
    for item, number in zip(items, numbers, strict=True):
        if not 0 <= number <= 10:
            raise ValidationError(
                f"{option}: {item.replace('_', ' ')} is {number:g}, outside 0-10 "
                "(each item is marked on a 10 cm line)"
            )
    model = SRS if kind == "srs" else ORS
    try:
        return model(**dict(zip(items, numbers, strict=True)))
    except pydantic.ValidationError as error:  # pragma: no cover - the loop above checks the range
        raise ValidationError(f"{option}: {error.errors()[0]['msg']}") from None


def default_out(path: str | Path, fmt: str) -> Path:
    """``<file stem>.report.<ext>`` in the current directory."""
    return Path.cwd() / f"{Path(path).stem}.report.{fmt}"


@dataclass
class ReportResult:
    out: Path
    transcript: Transcript
    profile: SessionProfile
    feedback: Feedback
    model_name: str | None


def pick_conversation(
    transcripts: list[Transcript], conversation: str | None, path: Path
) -> Transcript:
    if conversation is not None:
        for transcript in transcripts:
            if transcript.id == conversation:
                return transcript
        known = ", ".join(t.id for t in transcripts[:10])
        raise TranscriptError(
            f"no conversation {conversation!r} in the file; it holds: {known}", path=path
        )
    if len(transcripts) > 1:
        known = ", ".join(t.id for t in transcripts[:10])
        more = f" and {len(transcripts) - 10} more" if len(transcripts) > 10 else ""
        raise TranscriptError(
            f"the file holds {len(transcripts)} conversations ({known}{more}); choose one with --conversation",
            path=path,
        )
    return transcripts[0]


def render(
    fmt: str,
    transcript: Transcript,
    profile: SessionProfile,
    feedback: Feedback,
    measures: SessionMeasures | None = None,
    model_name: str | None = None,
) -> str:
    from assistant.report.html import render_html
    from assistant.report.text import render_json, render_markdown

    if fmt == "html":
        return render_html(transcript, profile, feedback, measures, model_name=model_name)
    if fmt == "md":
        return render_markdown(transcript, profile, feedback, measures, model_name=model_name)
    if fmt == "json":
        return render_json(transcript, profile, feedback, measures, model_name=model_name)
    raise ValidationError(
        f"unknown report format {fmt!r}; choose one of: {', '.join(REPORT_FORMATS)}"
    )


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes the file private; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_report(
    path: str | Path,
    assistant,
    *,
    fmt: str = "html",
    out: str | Path | None = None,
    therapist: str | None = None,
    conversation: str | None = None,
    measures: SessionMeasures | None = None,
    retag: bool = False,
) -> ReportResult:
    """Read, code, profile, give feedback, render and write; returns where it went."""
    if fmt not in REPORT_FORMATS:
        raise ValidationError(
            f"unknown report format {fmt!r}; choose one of: {', '.join(REPORT_FORMATS)}"
        )
    path = Path(path)
    transcript = pick_conversation(assistant.read(path, therapist=therapist), conversation, path)
    already_coded = any(turn.tags for turn in transcript.turns)
    tagger = None
    model_name: str | None = None
    if already_coded and not retag:
        # Keep the file's tags; the tagger is still wanted to check the alternatives.
        try:
            tagger = assistant.tagger
        except AllianceError as error:
            logger.warning("no tagger to check alternatives (%s); they are shown unchecked", error)
        model_name = "the tags in the file"
    else:
        tagger = assistant.tagger
        transcript = tagger.transform_transcript(transcript)
        model_name = getattr(tagger, "name", None)
    profile = build_profile(transcript)
    feedback = build_feedback(transcript, profile, tagger=tagger, measures=measures)
    text = render(fmt, transcript, profile, feedback, measures, model_name)
    target = Path(out) if out is not None else default_out(path, fmt)
    write_atomically(target, text)
    return ReportResult(target, transcript, profile, feedback, model_name)
