"""Coded transcripts, their turns and client-rated measures, scoped to their owner."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from assistant.errors import NotFoundError
from assistant.measures import ORS, SRS
from assistant.model import Evidence, Role, Transcript, Turn
from assistant.storage.tables import StoredMeasure, StoredTranscript, StoredTurn


def save_transcript(
    session: Session,
    owner_id: int,
    transcript: Transcript,
    *,
    profile: dict[str, Any] | None = None,
    title: str = "",
    client_code: str = "",
    session_date: str = "",
    model: str = "",
) -> StoredTranscript:
    """Store a coded transcript in one unit of work (all turns or nothing)."""
    row = StoredTranscript(
        id=uuid.uuid4().hex,
        owner_id=owner_id,
        title=(title or transcript.id)[:200],  # a file name can be longer than the column
        client_code=client_code,
        session_date=session_date,
        source_format=str(transcript.source.get("format", "")),
        filename=str(transcript.source.get("filename", transcript.source.get("path", "")))[-255:],
        model=model,
        meta={"roles": transcript.roles, "role_method": transcript.role_method},
        profile=profile or {},
    )
    row.turns = [
        StoredTurn(
            index=t.index,
            speaker=t.speaker,
            role=t.role.value,
            text=t.text,
            start=t.start,
            end=t.end,
            tags=list(t.tags),
            scores=dict(t.scores),
            attributes=dict(t.attributes),
            evidence={k: [e.model_dump() for e in v] for k, v in t.evidence.items()},
        )
        for t in transcript.turns
    ]
    session.add(row)
    session.flush()
    return row


def get_transcript(session: Session, owner_id: int, transcript_id: str) -> StoredTranscript:
    """The owner's transcript; another user's id is 'not found', never 'forbidden'."""
    row = session.get(StoredTranscript, transcript_id)
    if row is None or row.owner_id != owner_id:
        raise NotFoundError(f"no transcript {transcript_id}")
    return row


def list_transcripts(session: Session, owner_id: int) -> list[StoredTranscript]:
    return list(
        session.scalars(
            select(StoredTranscript)
            .where(StoredTranscript.owner_id == owner_id)
            .order_by(StoredTranscript.created_at.desc(), StoredTranscript.id)
        )
    )


def count_transcripts(session: Session, owner_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(StoredTranscript)
        .where(StoredTranscript.owner_id == owner_id)
    )


def delete_transcript(session: Session, owner_id: int, transcript_id: str) -> None:
    row = get_transcript(session, owner_id, transcript_id)
    # Explicit deletes so turns, measures and chats go on every backend, FK pragma or not.
    from assistant.storage.tables import ChatConversation, ChatMessage

    conversation_ids = list(
        session.scalars(select(ChatConversation.id).where(ChatConversation.transcript_id == row.id))
    )
    if conversation_ids:
        session.execute(
            delete(ChatMessage).where(ChatMessage.conversation_id.in_(conversation_ids))
        )
        session.execute(delete(ChatConversation).where(ChatConversation.id.in_(conversation_ids)))
    spoken = session.scalars(select(StoredTurn.text).where(StoredTurn.transcript_id == row.id))
    _forget_rehearsed_words(session, owner_id, {text.strip() for text in spoken})
    session.execute(delete(StoredTurn).where(StoredTurn.transcript_id == row.id))
    session.execute(delete(StoredMeasure).where(StoredMeasure.transcript_id == row.id))
    session.delete(row)
    session.flush()


def _forget_rehearsed_words(session: Session, owner_id: int, spoken: set[str]) -> None:
    """Drill attempts on this session's moments stay (they are the clinician's practice)
    but lose the client's words they quoted."""
    from assistant.storage.tables import DrillAttempt

    for attempt in session.scalars(select(DrillAttempt).where(DrillAttempt.user_id == owner_id)):
        statement = (attempt.details or {}).get("client_statement")
        if isinstance(statement, str) and statement.strip() in spoken:
            attempt.details = {**attempt.details, "client_statement": ""}


def to_transcript(row: StoredTranscript) -> Transcript:
    """Back to the shared domain model, tags and evidence included."""
    return Transcript(
        id=row.id,
        source={"format": row.source_format, "filename": row.filename, "title": row.title},
        roles=row.meta.get("roles", {}),
        role_method=row.meta.get("role_method", {}),
        turns=[
            Turn(
                index=t.index,
                speaker=t.speaker,
                role=Role(t.role),
                text=t.text,
                start=t.start,
                end=t.end,
                tags=list(t.tags),
                scores=dict(t.scores),
                attributes=dict(t.attributes),
                evidence={k: [Evidence(**e) for e in v] for k, v in t.evidence.items()},
            )
            for t in row.turns
        ],
    )


def attach_measure(
    session: Session, owner_id: int, transcript_id: str, measure: SRS | ORS
) -> StoredMeasure:
    """Attach an already validated SRS or ORS to the owner's transcript."""
    row = get_transcript(session, owner_id, transcript_id)
    kind = "srs" if isinstance(measure, SRS) else "ors"
    stored = StoredMeasure(
        transcript_id=row.id, kind=kind, values=measure.model_dump(), total=measure.total
    )
    session.add(stored)
    session.flush()
    return stored


def measures_for(session: Session, owner_id: int, transcript_id: str) -> list[StoredMeasure]:
    row = get_transcript(session, owner_id, transcript_id)
    return list(
        session.scalars(
            select(StoredMeasure)
            .where(StoredMeasure.transcript_id == row.id)
            .order_by(StoredMeasure.id)
        )
    )
