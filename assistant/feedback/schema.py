"""The feedback note as data: what the generator produces and every renderer reads.

``index`` fields are 0-based turn indices, as everywhere in the data model; the
human-readable texts (``rule_reason``, questions, notes) number turns from 1, as the
report shows them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Skill ids shared with the drills (one id per trainable skill).
SKILLS: tuple[str, ...] = (
    "reflection",
    "warmth_validation",
    "collaboration",
    "withdrawal_rupture",
    "confrontation_rupture",
    "self_disclosure",
    "flexibility",
)

Confidence = Literal["high", "medium", "low"]


class TurnQuote(BaseModel):
    """A verbatim span of one turn, with where and when it was said."""

    index: int = Field(ge=0, description="0-based turn index")
    time: float | None = Field(default=None, description="start time in seconds, if known")
    speaker: str
    role: str
    quote: str = Field(description="a verbatim substring of the turn's text")
    partial: bool = Field(default=False, description="the quote is a part of a longer turn")


class Strength(BaseModel):
    key: str = Field(description="what went well: repair, complex_reflection, reflection, ...")
    title: str
    sentence: str
    quotes: list[TurnQuote] = Field(default_factory=list)


class GrowthEdge(BaseModel):
    skill: str = Field(description="one of SKILLS: the drill skill to practise")
    rule: int = Field(ge=1, description="which rule of docs/feedback.md chose it (1 = first)")
    rule_reason: str = Field(description="why this rule fired, with the numbers")
    gap: float | None = Field(
        default=None, description="relative gap to the target, 0..1 (1 = furthest away)"
    )
    metric: str | None = None
    value: float | None = None
    target: float | None = None
    focus: str | None = Field(default=None, description="a narrower focus, e.g. 'complex'")
    title: str = ""
    explanation: str = Field(default="", description="why the skill matters, briefly cited")


class Moment(BaseModel):
    client_turn: TurnQuote | None = None
    therapist_turn: TurnQuote | None = None
    why: str = ""


class Alternative(BaseModel):
    text: str
    source: Literal["template", "exemplar"]
    source_id: str
    checked: bool = Field(description="the tagger checked it (False when no tagger was given)")
    checked_tags: list[str] = Field(default_factory=list, description="tags the tagger predicted")
    score: float | None = Field(default=None, description="tagger probability of the target tag")
    similarity: float | None = Field(
        default=None, description="for exemplars: similarity of its client statement to ours"
    )


class Rehearse(BaseModel):
    client_statement: str = Field(description="verbatim client words to respond to again")
    turn_index: int = Field(ge=0)
    skill: str
    drill_item_id: str | None = None


class Feedback(BaseModel):
    conversation_id: str
    strengths: list[Strength] = Field(default_factory=list, max_length=2)
    growth_edge: GrowthEdge | None = None
    moment: Moment | None = None
    try_instead: list[Alternative] = Field(default_factory=list, max_length=3)
    rehearse: Rehearse | None = None
    reflective_question: str | None = None
    self_care: str | None = None
    confidence: Confidence = "low"
    confidence_reason: str = ""
    notes: list[str] = Field(default_factory=list)

    def quotes(self) -> list[TurnQuote]:
        """Every quote the note makes, in reading order."""
        found = [quote for strength in self.strengths for quote in strength.quotes]
        if self.moment is not None:
            found += [q for q in (self.moment.client_turn, self.moment.therapist_turn) if q]
        return found
