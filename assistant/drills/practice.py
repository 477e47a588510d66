"""One practice step over the database: pick, answer, rate, progress.

The terminal drill and the API routes both call these, so a drill behaves the same
wherever it runs: the answer is scored, stored, and the level adapted from the
stored history. Each function takes an open SQLAlchemy ``Session`` (one unit of
work) and the caller's user id; it never commits itself.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from assistant.drills.schema import DrillItem, DrillLibrary
from assistant.drills.scoring import DrillScore, DrillTagger, score_answer
from assistant.drills.session import (
    REHEARSE_PREFIX,
    AttemptRecord,
    LevelChange,
    SkillProgress,
    adapt_level,
    current_level,
    drill_from_statement,
    ladder,
    pick_item,
    progress,
    progress_svg,
)
from assistant.errors import ValidationError
from assistant.storage import drills as store


class AttemptOutcome(BaseModel):
    attempt_id: int
    result: DrillScore
    level: LevelChange = Field(description="the level for the next statement, and why")


class Progress(BaseModel):
    skills: list[SkillProgress]
    svg: str = Field(description="inline SVG plot of the rolling success rate per skill")


def history(session: Session, user_id: int, skill: str) -> list[AttemptRecord]:
    return ladder(store.records(store.list_attempts(session, user_id, skill)))


def start(
    session: Session,
    user_id: int,
    library: DrillLibrary,
    skill: str,
    level: str | None = None,
    exclude: str | None = None,
) -> DrillItem:
    """The next statement for the user: at ``level``, or where their history left them."""
    library.skill(skill)
    past = history(session, user_id, skill)
    level = level or current_level(past)
    return pick_item(library, skill, level, past, exclude=exclude)


def resolve_item(
    library: DrillLibrary,
    item_id: str,
    *,
    client_statement: str | None = None,
    skill: str | None = None,
    encoder=None,
) -> DrillItem:
    """A library item by id, or a rehearse item rebuilt from its statement and skill."""
    if not item_id.startswith(REHEARSE_PREFIX):
        return library.item(item_id)
    if not client_statement or not skill:
        raise ValidationError(
            "a rehearse item needs its client_statement and skill with every answer"
        )
    item = drill_from_statement(client_statement, skill, library, encoder=encoder)
    if item.id != item_id:
        raise ValidationError(
            f"item {item_id!r} does not match the client statement and skill given"
        )
    return item


def answer(
    session: Session,
    user_id: int,
    library: DrillLibrary,
    tagger: DrillTagger,
    item: DrillItem,
    text: str,
    *,
    retry: bool = False,
) -> AttemptOutcome:
    """Score an answer, store the attempt, and decide the next level."""
    result = score_answer(item, text, tagger)
    extra = {}
    if item.id.startswith(REHEARSE_PREFIX):
        extra["client_statement"] = item.client_statement
    row = store.save_attempt(session, user_id, result, text.strip(), retry=retry, extra=extra)
    if item.id.startswith(REHEARSE_PREFIX):
        level = LevelChange(
            level=item.level, previous=item.level, reason="a rehearsed session moment"
        )
    else:
        level = adapt_level(history(session, user_id, item.skill), item.level)
    return AttemptOutcome(attempt_id=row.id, result=result, level=level)


def rate(session: Session, user_id: int, attempt_id: int, rating: str) -> LevelChange:
    """Mark an attempt's statement too easy or too hard; returns the level to continue at."""
    row = store.rate_attempt(session, user_id, attempt_id, rating)
    past = history(session, user_id, row.skill)
    # The mark moves the level only when it is on the latest attempt of the skill.
    return adapt_level(past, past[-1].level) if past else adapt_level([], row.level)


def user_progress(records: list[AttemptRecord], title: str = "") -> Progress:
    return Progress(skills=progress(records), svg=progress_svg(records, title=title))


def own_progress(session: Session, user_id: int) -> Progress:
    return user_progress(store.records(store.list_attempts(session, user_id)))
