"""Drill attempts, cohort views and assignments, scoped to their user.

A trainee reads and rates only their own attempts. A trainer reads the attempts of
a trainee only while that trainee is in one of the trainer's cohorts; any other id
is 'not found', never 'forbidden', so nothing leaks about who exists.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from assistant.drills.schema import SKILL_ID_PATTERN, check_level
from assistant.drills.scoring import DrillScore
from assistant.drills.session import RATINGS, AttemptRecord
from assistant.errors import NotFoundError, ValidationError
from assistant.storage.tables import (
    Cohort,
    CohortMember,
    DrillAssignment,
    DrillAttempt,
    User,
)
from assistant.storage.users import cohort_member_ids, get_cohort, trains


def save_attempt(
    session: Session,
    user_id: int,
    result: DrillScore,
    response: str,
    *,
    retry: bool = False,
    extra: dict[str, Any] | None = None,
) -> DrillAttempt:
    """Store one scored attempt: who, which item, what they said, the scores, when."""
    details = result.model_dump(
        include={
            "components",
            "tags",
            "target_scores",
            "pitfall_scores",
            "worked",
            "change",
            "model_response",
        }
    )
    details["retry"] = retry
    details.update(extra or {})
    row = DrillAttempt(
        user_id=user_id,
        item_id=result.item_id,
        skill=result.skill,
        level=result.level,
        response=response,
        score=result.score,
        passed=result.passed,
        details=details,
    )
    session.add(row)
    session.flush()
    return row


def list_attempts(session: Session, user_id: int, skill: str | None = None) -> list[DrillAttempt]:
    """The user's attempts, oldest first (of one skill when given)."""
    query = select(DrillAttempt).where(DrillAttempt.user_id == user_id)
    if skill is not None:
        query = query.where(DrillAttempt.skill == skill)
    return list(session.scalars(query.order_by(DrillAttempt.created_at, DrillAttempt.id)))


def get_attempt(session: Session, user_id: int, attempt_id: int) -> DrillAttempt:
    row = session.get(DrillAttempt, attempt_id)
    if row is None or row.user_id != user_id:
        raise NotFoundError(f"no drill attempt {attempt_id}")
    return row


def rate_attempt(session: Session, user_id: int, attempt_id: int, rating: str) -> DrillAttempt:
    """Mark the statement of an attempt too easy or too hard ('' clears the mark)."""
    if rating not in (*RATINGS, ""):
        raise ValidationError(f"unknown rating {rating!r}; choose one of: {', '.join(RATINGS)}")
    row = get_attempt(session, user_id, attempt_id)
    row.rating = rating
    session.flush()
    return row


def records(rows: list[DrillAttempt]) -> list[AttemptRecord]:
    """Stored attempts as the practice loop's records."""
    return [
        AttemptRecord(
            item_id=row.item_id,
            skill=row.skill,
            level=row.level,
            score=row.score,
            passed=row.passed,
            rating=row.rating or "",
            created_at=row.created_at,
        )
        for row in rows
    ]


# --------------------------------------------------------------------- trainers
def trainee_attempts(
    session: Session, trainer: User, trainee_id: int, skill: str | None = None
) -> list[DrillAttempt]:
    """A trainee's attempts, for a trainer who has them in a cohort; else not found."""
    if not trains(session, trainer, trainee_id):
        raise NotFoundError(f"no trainee {trainee_id}")
    return list_attempts(session, trainee_id, skill)


def list_cohorts(session: Session, trainer: User) -> list[Cohort]:
    return list(
        session.scalars(select(Cohort).where(Cohort.trainer_id == trainer.id).order_by(Cohort.id))
    )


def cohort_attempts(
    session: Session, trainer: User, cohort_id: int
) -> list[tuple[User, list[DrillAttempt]]]:
    """Each member of the trainer's cohort with their attempts (another's cohort: not found)."""
    members = cohort_member_ids(session, trainer, cohort_id)
    users = session.scalars(select(User).where(User.id.in_(members)).order_by(User.id))
    return [(user, list_attempts(session, user.id)) for user in users]


def create_assignment(
    session: Session, trainer: User, cohort_id: int, skill: str, level: str, note: str = ""
) -> DrillAssignment:
    """Assign a drill set (skill and level) to the trainer's own cohort."""
    cohort = get_cohort(session, trainer, cohort_id)
    if not re.match(SKILL_ID_PATTERN, skill):
        raise ValidationError(f"invalid skill id {skill!r}")
    check_level(level)
    row = DrillAssignment(
        cohort_id=cohort.id, trainer_id=trainer.id, skill=skill, level=level, note=note.strip()
    )
    session.add(row)
    session.flush()
    return row


def list_assignments(session: Session, user: User) -> list[DrillAssignment]:
    """Assignments for the cohorts the user is in, and those the user gave, newest first."""
    member_of = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
    return list(
        session.scalars(
            select(DrillAssignment)
            .where(
                or_(
                    DrillAssignment.cohort_id.in_(member_of),
                    DrillAssignment.trainer_id == user.id,
                )
            )
            .order_by(DrillAssignment.created_at.desc(), DrillAssignment.id.desc())
        )
    )
