"""Request and response models of the API, so the OpenAPI schema says what comes back.

Rows and domain objects become these with small ``from_*`` constructors; the routes
only pick the constructor. Field descriptions are the API documentation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.core import LoadedSession
from assistant.model import Evidence, Role, Turn
from assistant.storage.tables import (
    ChatConversation,
    ChatMessage,
    StoredMeasure,
    StoredTranscript,
    User,
)


class ErrorOut(BaseModel):
    detail: str = Field(description="what went wrong, and how to fix it where possible")


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str


class ReadyOut(BaseModel):
    ready: bool = Field(description="the tagger is loaded and the database answers")
    model: str | None = Field(description="name of the loaded tagger model")
    database: bool = Field(description="the database answered a trivial query")


# --------------------------------------------------------------------------- users
class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Literal["clinician", "trainer", "researcher", "admin"]

    @classmethod
    def from_row(cls, user: User) -> UserOut:
        return cls.model_validate(user)


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    role: Literal["clinician", "trainer", "researcher", "admin"] = "clinician"


class UserCreated(BaseModel):
    user: UserOut
    token: str = Field(description="the API token; shown this once and never again")


# --------------------------------------------------------------------------- transcripts
class TranscriptSummary(BaseModel):
    id: str
    title: str
    client_code: str
    session_date: str = Field(description="ISO date (YYYY-MM-DD) or empty")
    source_format: str
    filename: str
    model: str = Field(description="the tagger model that coded it")
    created_at: datetime
    turn_count: int
    therapist_turns: int
    client_turns: int
    overall: float | None = Field(description="0-100 summary of alliance-building practice")
    sufficient: bool = Field(description="enough therapist turns for stable rates")
    redactions: dict[str, int] | None = Field(
        description="what redaction replaced, per kind; null when the upload was not redacted"
    )

    @classmethod
    def from_row(cls, row: StoredTranscript) -> TranscriptSummary:
        profile = row.profile or {}
        return cls(
            id=row.id,
            title=row.title,
            client_code=row.client_code,
            session_date=row.session_date,
            source_format=row.source_format,
            filename=row.filename,
            model=row.model,
            created_at=row.created_at,
            turn_count=int(profile.get("turns", 0)),
            therapist_turns=int(profile.get("therapist_turns", 0)),
            client_turns=int(profile.get("client_turns", 0)),
            overall=profile.get("overall"),
            sufficient=bool(profile.get("sufficient", False)),
            redactions=(row.meta or {}).get("redactions"),
        )


class TurnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    index: int = Field(description="0-based position in the transcript; quoted as the turn id")
    speaker: str
    role: Role
    text: str
    start: float | None = Field(description="start time in seconds")
    end: float | None = Field(description="end time in seconds")
    tags: list[str]
    scores: dict[str, float] = Field(description="tag -> probability")
    attributes: dict[str, dict[str, str]] = Field(description="e.g. reflection depth")
    evidence: dict[str, list[Evidence]] = Field(description="why each tag was given")

    @classmethod
    def from_turn(cls, turn: Turn) -> TurnOut:
        return cls.model_validate(turn)


class TranscriptDetail(TranscriptSummary):
    roles: dict[str, str] = Field(description="speaker label -> role")
    role_method: dict[str, str] = Field(description="how each role was decided")
    turns: list[TurnOut]

    @classmethod
    def from_loaded(cls, loaded: LoadedSession) -> TranscriptDetail:
        summary = TranscriptSummary.from_row(loaded.row)
        return cls(
            **summary.model_dump(),
            roles=loaded.transcript.roles,
            role_method=loaded.transcript.role_method,
            turns=[TurnOut.from_turn(t) for t in loaded.transcript.turns],
        )


class TranscriptJSON(BaseModel):
    """The JSON reader's format (documentation of the request body)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = Field(default=None, description="your id for the session (optional)")
    turns: list[dict[str, Any]] = Field(
        description='[{"speaker": "T", "text": "...", "role"?: "therapist", '
        '"start"?: 0.0, "end"?: 3.2}, ...]'
    )


class MeasureOut(BaseModel):
    id: int
    kind: Literal["srs", "ors"]
    values: dict[str, Any] = Field(description="the items, total and derived flags")
    total: float
    created_at: datetime

    @classmethod
    def from_row(cls, row: StoredMeasure) -> MeasureOut:
        return cls(
            id=row.id, kind=row.kind, values=row.values, total=row.total, created_at=row.created_at
        )


# --------------------------------------------------------------------------- chat
class ChatRequest(BaseModel):
    message: str = Field(min_length=1, description="what the clinician says")
    conversation_id: str | None = Field(
        default=None, description="continue this conversation; omit to start a new one"
    )
    transcript_id: str | None = Field(
        default=None,
        description="bind a new conversation to one of your transcripts (or repeat the "
        "bound one); omit for a reflection without a transcript",
    )


class Reference(BaseModel):
    turn_index: int = Field(description="the 0-based index of the quoted turn")
    quote: str = Field(description="verbatim words from that turn")


class DrillSuggestion(BaseModel):
    model_config = ConfigDict(extra="allow")

    skill: str
    client_statement: str | None = None


class ChatResponse(BaseModel):
    conversation_id: str
    transcript_id: str | None
    reply: str
    intent: str
    clarifying: bool = Field(description="the coach asks a question instead of guessing")
    references: list[Reference]
    drill: DrillSuggestion | None = None


class ConversationSummary(BaseModel):
    id: str
    transcript_id: str | None
    created_at: datetime
    messages: int

    @classmethod
    def from_row(cls, row: ChatConversation, messages: int) -> ConversationSummary:
        return cls(
            id=row.id, transcript_id=row.transcript_id, created_at=row.created_at, messages=messages
        )


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sender: Literal["user", "assistant"]
    text: str
    intent: str
    references: list[Reference]
    created_at: datetime


class ConversationDetail(BaseModel):
    id: str
    transcript_id: str | None
    created_at: datetime
    messages: list[MessageOut]

    @classmethod
    def from_rows(cls, row: ChatConversation, messages: list[ChatMessage]) -> ConversationDetail:
        return cls(
            id=row.id,
            transcript_id=row.transcript_id,
            created_at=row.created_at,
            messages=[MessageOut.model_validate(m) for m in messages],
        )


def feedback_model() -> Any:
    """The feedback note's pydantic model when assistant.feedback is installed."""
    try:
        from assistant.feedback.schema import Feedback
    except ImportError:
        return dict[str, Any]
    return Feedback
