"""Drills: start a statement, answer, retry, rate, progress; cohorts and assignments.

Thin routes over ``assistant.drills.practice`` and ``assistant.storage.drills``. A
trainee sees only their own attempts; a trainer sees a trainee's progress only
while the trainee is in one of the trainer's cohorts (anything else is 404).
Model responses and pitfalls are not sent with the statement: they come back with
the feedback, after the attempt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from assistant.core import Assistant
from assistant.drills import practice
from assistant.drills.practice import AttemptOutcome, Progress
from assistant.drills.schema import LEVELS, DrillItem, DrillLibrary, library_for
from assistant.drills.scoring import DrillScore
from assistant.drills.session import LevelChange, drill_from_statement
from assistant.errors import ValidationError
from assistant.model import Role
from assistant.service.deps import Core, CurrentUser, Db
from assistant.service.routes import AUTH_ERRORS, errors
from assistant.storage import drills as store
from assistant.storage import transcripts
from assistant.storage import users as user_store
from assistant.storage.tables import Cohort, DrillAssignment, DrillAttempt, User

router = APIRouter(prefix="/api/v1/drills", tags=["drills"], responses=AUTH_ERRORS)
NOT_FOUND = errors(404)
Level = Literal["beginner", "intermediate", "advanced"]


# --------------------------------------------------------------------------- models
class SkillOut(BaseModel):
    id: str
    title: str
    description: str
    items: dict[str, int] = Field(description="number of statements per level")


class ItemOut(BaseModel):
    """A statement to respond to; model responses come back after the attempt."""

    id: str
    skill: str
    level: str
    context: str
    client_statement: str
    criteria: list[str]

    @classmethod
    def from_item(cls, item: DrillItem) -> ItemOut:
        return cls(**item.model_dump(include=set(cls.model_fields)))


class StartIn(BaseModel):
    skill: str = Field(examples=["reflection"])
    level: Level | None = Field(default=None, description="default: where you left off")
    exclude: str | None = Field(default=None, description="an item id not to repeat")


class RehearseIn(BaseModel):
    """A session moment: the client's exact words, or a turn of one of your transcripts."""

    skill: str = Field(examples=["reflection"])
    client_statement: str | None = Field(default=None, max_length=2000)
    transcript_id: str | None = None
    turn_index: int | None = Field(default=None, ge=0, description="0-based turn index")

    @model_validator(mode="after")
    def _one_source(self) -> RehearseIn:
        if (self.client_statement is None) == (self.transcript_id is None):
            raise ValueError("give either client_statement or transcript_id and turn_index")
        if self.transcript_id is not None and self.turn_index is None:
            raise ValueError("transcript_id needs turn_index")
        return self


class AnswerIn(BaseModel):
    item_id: str
    answer: str = Field(min_length=1, max_length=2000)
    client_statement: str | None = Field(
        default=None, max_length=2000, description="for rehearse items: the statement"
    )
    skill: str | None = Field(default=None, description="for rehearse items: the skill")


class AttemptOut(BaseModel):
    attempt_id: int
    result: DrillScore
    next_level: LevelChange

    @classmethod
    def from_outcome(cls, outcome: AttemptOutcome) -> AttemptOut:
        return cls(attempt_id=outcome.attempt_id, result=outcome.result, next_level=outcome.level)


class RateIn(BaseModel):
    attempt_id: int
    rating: Literal["too_easy", "too_hard"]


class AttemptRow(BaseModel):
    id: int
    item_id: str
    skill: str
    level: str
    response: str
    score: float
    passed: bool
    rating: str
    created_at: datetime


class CohortIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)


class MemberIn(BaseModel):
    user: str = Field(description="the trainee's user name", min_length=1, max_length=120)


class MemberProgress(BaseModel):
    user_id: int
    name: str
    attempts: int
    success_rate: float
    skills: list[dict[str, object]] = Field(
        description="per skill: attempts, success_rate, trend, level"
    )


class CohortOut(BaseModel):
    id: int
    name: str
    members: list[MemberProgress]


class AssignmentIn(BaseModel):
    cohort_id: int
    skill: str
    level: Level
    note: str = Field(default="", max_length=2000)


class AssignmentOut(BaseModel):
    id: int
    cohort_id: int
    trainer_id: int
    skill: str
    level: str
    note: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: DrillAssignment) -> AssignmentOut:
        return cls(
            id=row.id,
            cohort_id=row.cohort_id,
            trainer_id=row.trainer_id,
            skill=row.skill,
            level=row.level,
            note=row.note,
            created_at=row.created_at,
        )


def _library(core: Core) -> DrillLibrary:
    return library_for(core.settings)


# --------------------------------------------------------------------------- practice
@router.get("/skills", summary="The drill skills and how many statements each has")
def skills(core: Core) -> list[SkillOut]:
    library = _library(core)
    return [
        SkillOut(
            id=skill.id,
            title=skill.title,
            description=skill.description,
            items={level: sum(i.level == level for i in skill.items) for level in LEVELS},
        )
        for skill in library.skills.values()
    ]


@router.post("/start", responses=errors(422), summary="The next statement to practise")
def start(body: StartIn, user: CurrentUser, db: Db, core: Core) -> ItemOut:
    """At ``level``, or the level your history leads to; least practised statements first."""
    item = practice.start(db, user.id, _library(core), body.skill, body.level, body.exclude)
    return ItemOut.from_item(item)


@router.post("/rehearse", responses=errors(404, 422), summary="Drill a session moment")
def rehearse(body: RehearseIn, user: CurrentUser, db: Db, core: Core) -> ItemOut:
    """A drill on the exact client statement (from a session's feedback); answer it with
    ``/answer`` sending ``client_statement`` and ``skill`` along."""
    statement = body.client_statement
    if body.transcript_id is not None:
        row = transcripts.get_transcript(db, user.id, body.transcript_id)
        turn = next((t for t in row.turns if t.index == body.turn_index), None)
        if turn is None or turn.role != Role.CLIENT.value:
            raise ValidationError(f"turn {body.turn_index} is not a client turn of this session")
        statement = turn.text
    library = _library(core)
    item = drill_from_statement(statement or "", body.skill, library, encoder=core.tagger)
    return ItemOut.from_item(item)


def _answer(
    body: AnswerIn, user_id: int, db: Session, core: Assistant, *, retry: bool
) -> AttemptOut:
    library = _library(core)
    item = practice.resolve_item(
        library,
        body.item_id,
        client_statement=body.client_statement,
        skill=body.skill,
        encoder=core.tagger,
    )
    outcome = practice.answer(db, user_id, library, core.tagger, item, body.answer, retry=retry)
    return AttemptOut.from_outcome(outcome)


# Plain ``def`` routes: FastAPI runs them in its threadpool, so tagging never blocks the loop.
@router.post("/answer", responses=errors(404, 422), summary="Answer a statement; get feedback")
def answer(body: AnswerIn, user: CurrentUser, db: Db, core: Core) -> AttemptOut:
    """Scores the answer, stores the attempt, and says the level of the next statement."""
    return _answer(body, user.id, db, core, retry=False)


@router.post("/retry", responses=errors(404, 422), summary="Answer the same statement again")
def retry(body: AnswerIn, user: CurrentUser, db: Db, core: Core) -> AttemptOut:
    """Like ``/answer``, stored as a retry of the same statement."""
    return _answer(body, user.id, db, core, retry=True)


@router.post("/rate", responses=errors(404, 422), summary="Mark a statement too easy or too hard")
def rate(body: RateIn, user: CurrentUser, db: Db) -> LevelChange:
    return practice.rate(db, user.id, body.attempt_id, body.rating)


@router.get("/attempts", summary="Your attempts, oldest first")
def attempts(user: CurrentUser, db: Db, skill: str | None = None) -> list[AttemptRow]:
    return [_attempt_row(row) for row in store.list_attempts(db, user.id, skill)]


def _attempt_row(row: DrillAttempt) -> AttemptRow:
    return AttemptRow(
        id=row.id,
        item_id=row.item_id,
        skill=row.skill,
        level=row.level,
        response=row.response,
        score=row.score,
        passed=row.passed,
        rating=row.rating or "",
        created_at=row.created_at,
    )


@router.get("/progress", summary="Your progress per skill, with an SVG plot")
def progress(user: CurrentUser, db: Db) -> Progress:
    return practice.own_progress(db, user.id)


@router.get(
    "/progress.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
    summary="Your progress plot",
)
def progress_plot(user: CurrentUser, db: Db) -> Response:
    return Response(practice.own_progress(db, user.id).svg, media_type="image/svg+xml")


@router.get(
    "/trainees/{trainee_id}/progress",
    responses=NOT_FOUND,
    summary="A trainee's progress (trainers, own cohorts only)",
)
def trainee_progress(trainee_id: int, user: CurrentUser, db: Db) -> Progress:
    rows = store.trainee_attempts(db, user, trainee_id)
    return practice.user_progress(store.records(rows))


# --------------------------------------------------------------------------- cohorts
def _cohort_out(db: Session, user: User, cohort: Cohort) -> CohortOut:
    members = []
    for member, rows in store.cohort_attempts(db, user, cohort.id):
        summary = practice.user_progress(store.records(rows))
        n = sum(s.attempts for s in summary.skills)
        members.append(
            MemberProgress(
                user_id=member.id,
                name=member.name,
                attempts=n,
                success_rate=round(sum(r.passed for r in rows) / n, 3) if n else 0.0,
                skills=[
                    s.model_dump(include={"skill", "attempts", "success_rate", "trend", "level"})
                    for s in summary.skills
                ],
            )
        )
    return CohortOut(id=cohort.id, name=cohort.name, members=members)


@router.post("/cohorts", status_code=201, responses=errors(422), summary="Create a cohort")
def create_cohort(body: CohortIn, user: CurrentUser, db: Db) -> CohortOut:
    """Trainers (and admins) only."""
    cohort = user_store.create_cohort(db, user, body.name)
    return CohortOut(id=cohort.id, name=cohort.name, members=[])


@router.get("/cohorts", summary="Your cohorts and their members' progress")
def list_cohorts(user: CurrentUser, db: Db) -> list[CohortOut]:
    return [_cohort_out(db, user, cohort) for cohort in store.list_cohorts(db, user)]


@router.get("/cohorts/{cohort_id}", responses=NOT_FOUND, summary="One of your cohorts")
def get_cohort(cohort_id: int, user: CurrentUser, db: Db) -> CohortOut:
    return _cohort_out(db, user, user_store.get_cohort(db, user, cohort_id))


@router.post(
    "/cohorts/{cohort_id}/members", responses=NOT_FOUND, summary="Add a trainee to a cohort"
)
def add_member(cohort_id: int, body: MemberIn, user: CurrentUser, db: Db) -> CohortOut:
    cohort = user_store.get_cohort(db, user, cohort_id)
    user_store.add_member(db, user, cohort.id, user_store.get_user(db, body.user))
    return _cohort_out(db, user, cohort)


# --------------------------------------------------------------------------- assignments
@router.post(
    "/assignments",
    status_code=201,
    responses=errors(404, 422),
    summary="Assign a drill set to your cohort",
)
def create_assignment(body: AssignmentIn, user: CurrentUser, db: Db, core: Core) -> AssignmentOut:
    _library(core).skill(body.skill)
    row = store.create_assignment(db, user, body.cohort_id, body.skill, body.level, body.note)
    return AssignmentOut.from_row(row)


@router.get("/assignments", summary="Drill sets assigned to you (or by you)")
def list_assignments(user: CurrentUser, db: Db) -> list[AssignmentOut]:
    return [AssignmentOut.from_row(row) for row in store.list_assignments(db, user)]
