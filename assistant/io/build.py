"""Raw turns from any reader -> a validated ``Transcript`` (roles decided here).

Every reader produces ``RawTurn`` objects and hands them to ``build_transcript``, so
role assignment, index checks and model validation happen once, and a pydantic
error becomes a ``TranscriptError`` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pydantic

from assistant.errors import E_NO_SPEAKERS, TranscriptError
from assistant.io.roles import assign_roles
from assistant.model import Evidence, Role, Transcript, Turn

MAX_SPEAKER_CHARS = 120  # the width of the stored speaker column


@dataclass
class RawTurn:
    speaker: str
    text: str
    line: int | None = None
    start: float | None = None
    end: float | None = None
    role: Role | None = None
    index: int | None = None
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _first_error(error: pydantic.ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(p) for p in detail.get("loc", ()))
    return f"{where}: {detail.get('msg', 'invalid value')}" if where else detail.get("msg", "")


def _check_storable(turn: RawTurn, path: str) -> None:
    """Refuse what no database column holds: NUL characters (JSON can spell them
    '\\u0000') and speaker labels longer than the speaker column."""
    if "\x00" in turn.text or "\x00" in turn.speaker:
        raise TranscriptError(
            "this turn holds a NUL character; expected plain text", path=path, line=turn.line
        )
    if len(turn.speaker) > MAX_SPEAKER_CHARS:
        raise TranscriptError(
            f"the speaker label is {len(turn.speaker)} characters long; expected at most "
            f"{MAX_SPEAKER_CHARS}",
            path=path,
            line=turn.line,
        )


def build_transcript(
    raw: list[RawTurn],
    *,
    transcript_id: str,
    path: str,
    fmt: str,
    therapist: str | None = None,
    metadata: dict[str, Any] | None = None,
    line: int | None = None,
    source_extra: dict[str, Any] | None = None,
) -> Transcript:
    """Decide roles and build the transcript; raise ``TranscriptError`` on any problem.

    ``line`` is where the conversation starts (used for errors about it as a whole).
    """
    if not raw:
        raise TranscriptError(E_NO_SPEAKERS, path=path, line=line)
    explicit: dict[str, Role] = {}
    for turn in raw:
        if turn.role is None:
            continue
        previous = explicit.setdefault(turn.speaker, turn.role)
        if previous is not turn.role:
            raise TranscriptError(
                f"speaker {turn.speaker!r} has role {turn.role.value!r} here but "
                f"{previous.value!r} earlier; expected one role per speaker",
                path=path,
                line=turn.line,
            )
    decision = assign_roles(
        [(t.speaker, t.text) for t in raw],
        path=path,
        line=line,
        explicit=explicit,
        therapist=therapist,
    )
    turns: list[Turn] = []
    previous_index = -1
    for item in raw:
        _check_storable(item, path)
    for position, item in enumerate(raw):
        index = position if item.index is None else item.index
        if index <= previous_index:
            raise TranscriptError(
                f"turn_index {index} is not after the previous turn's {previous_index}; "
                "expected turn indices that increase within a conversation",
                path=path,
                line=item.line,
            )
        previous_index = index
        meta: dict[str, Any] = {}
        if item.line is not None:
            meta["line"] = item.line
        if item.extra:
            meta["extra"] = item.extra
        try:
            turns.append(
                Turn(
                    index=index,
                    speaker=item.speaker,
                    role=decision.roles[item.speaker],
                    text=item.text,
                    start=item.start,
                    end=item.end,
                    tags=item.tags,
                    scores=item.scores,
                    attributes=item.attributes,
                    evidence=item.evidence,
                    meta=meta,
                )
            )
        except pydantic.ValidationError as error:
            raise TranscriptError(
                f"invalid turn ({_first_error(error)})", path=path, line=item.line
            ) from None
    source: dict[str, Any] = {"path": path, "format": fmt, "metadata": dict(metadata or {})}
    if line is not None:
        source["line"] = line
    if source_extra:
        source.update(source_extra)
    source["role_notes"] = decision.notes
    try:
        return Transcript(
            id=transcript_id,
            turns=turns,
            source=source,
            roles={s: r.value for s, r in decision.roles.items()},
            role_method=decision.method,
        )
    except pydantic.ValidationError as error:
        raise TranscriptError(
            f"invalid transcript ({_first_error(error)})", path=path, line=line
        ) from None
