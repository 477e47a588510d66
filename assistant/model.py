"""The one conversation model every part of the assistant shares.

Like ConvoKit's ``Corpus``/``Utterance``, a ``Transcript`` holds ``Turn`` objects and
every analysis (tagger, profile, feedback, chat, drills, reports, storage) reads and
writes these. Annotations live on the turn: ``tags``, ``scores``, ``attributes``
and ``evidence``; they are empty until a tagger (or a gold file) fills them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Role(StrEnum):
    THERAPIST = "therapist"
    CLIENT = "client"
    OTHER = "other"


THERAPIST_TAGS: tuple[str, ...] = (
    "reflection",
    "open_question",
    "closed_question",
    "warmth",
    "collaboration",
    "advice",
    "rigidity",
    "self_disclosure",
    "poorly_timed_self_disclosure",
    "repair",
)
CLIENT_TAGS: tuple[str, ...] = ("rupture_withdrawal", "rupture_confrontation")
ALL_TAGS: tuple[str, ...] = THERAPIST_TAGS + CLIENT_TAGS
QUESTION_TAGS: tuple[str, ...] = ("open_question", "closed_question")

# Tag -> attribute name -> allowed values.
TAG_ATTRIBUTES: dict[str, dict[str, tuple[str, ...]]] = {
    "reflection": {"depth": ("simple", "complex")},
    "advice": {"permission": ("asked", "unasked")},
    "self_disclosure": {"timing": ("well_timed", "poorly_timed")},
}


class Evidence(BaseModel):
    """Why a tag was given: a cue span in the text, a codebook example, or a rule."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="'cue', 'example' or 'rule'")
    text: str = Field(description="the matched span, the example, or the rule's explanation")
    start: int | None = Field(default=None, description="character offset of a cue span")
    end: int | None = Field(default=None, description="end character offset of a cue span")
    source: str = Field(default="", description="pattern id, example id or rule name")
    similarity: float | None = None


class Turn(BaseModel):
    """One speaker turn. ``index`` is its position in the transcript (0-based)."""

    model_config = ConfigDict(validate_assignment=True)

    index: int = Field(ge=0)
    speaker: str
    role: Role
    text: str
    start: float | None = Field(default=None, ge=0, description="start time in seconds")
    end: float | None = Field(default=None, ge=0, description="end time in seconds")
    # Tag ids are not checked against ours here: a lab may train on its own label set.
    tags: list[str] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = Field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("speaker")
    @classmethod
    def _speaker_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("speaker must not be blank")
        return value

    @model_validator(mode="after")
    def _check(self) -> Turn:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"turn {self.index}: end time {self.end} is before start {self.start}")
        return self

    @property
    def is_therapist(self) -> bool:
        return self.role is Role.THERAPIST

    @property
    def is_client(self) -> bool:
        return self.role is Role.CLIENT

    def has(self, tag: str) -> bool:
        return tag in self.tags

    def attribute(self, tag: str, name: str) -> str | None:
        return self.attributes.get(tag, {}).get(name)


class Transcript(BaseModel):
    """A session: an id, where it came from, how roles were decided, and its turns."""

    model_config = ConfigDict(validate_assignment=True)

    id: str
    turns: list[Turn]
    source: dict[str, Any] = Field(
        default_factory=dict, description="path, format and any extra metadata from the input"
    )
    roles: dict[str, str] = Field(
        default_factory=dict, description="speaker label -> role, as decided by the reader"
    )
    role_method: dict[str, str] = Field(
        default_factory=dict,
        description="speaker label -> how its role was decided: 'label', 'inferred' or 'override'",
    )

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("transcript id must not be blank")
        return value

    @model_validator(mode="after")
    def _check_turns(self) -> Transcript:
        if not self.turns:
            raise ValueError(f"transcript {self.id!r} has no turns")
        indices = [t.index for t in self.turns]
        if indices != sorted(indices) or len(set(indices)) != len(indices):
            raise ValueError(f"transcript {self.id!r}: turn indices must be unique and increasing")
        return self

    @property
    def therapist_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.role is Role.THERAPIST]

    @property
    def client_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.role is Role.CLIENT]

    def turn(self, index: int) -> Turn:
        for t in self.turns:
            if t.index == index:
                return t
        raise KeyError(index)

    def previous(self, turn: Turn, role: Role | None = None) -> Turn | None:
        """The nearest earlier turn (of ``role`` when given)."""
        pos = self.turns.index(turn)
        for earlier in reversed(self.turns[:pos]):
            if role is None or earlier.role is role:
                return earlier
        return None
