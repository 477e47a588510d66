"""Drill attempts and assignments in the database: stored in full, scoped to their user,
visible to a trainer only for trainees in the trainer's cohorts (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from assistant.drills import practice
from assistant.drills.schema import load_library
from assistant.errors import NotFoundError, ValidationError
from assistant.storage import drills as store
from assistant.storage import users
from assistant.storage.tables import User
from tests.drills_support import DrillFakeTagger

GOOD = "You're worn out, and even wanting to leave comes with guilt."
POOR = "You should try to sleep more."


@pytest.fixture(scope="module")
def library():
    return load_library()


def people(database) -> dict[str, int]:
    with database.session() as s:
        made = {
            "tess": users.create_user(s, "tess", "clinician"),
            "mallory": users.create_user(s, "mallory", "clinician"),
            "trainer": users.create_user(s, "trina", "trainer"),
            "other_trainer": users.create_user(s, "otto", "trainer"),
        }
        return {name: user.id for name, user in made.items()}


def attempt(database, user_id, library, text, item_id="reflection-b-01"):
    with database.session() as s:
        item = library.item(item_id)
        return practice.answer(s, user_id, library, DrillFakeTagger(), item, text)


def test_drills_storage_every_attempt_is_stored_in_full(database, library):
    ids = people(database)
    outcome = attempt(database, ids["tess"], library, GOOD)
    with database.session() as s:
        rows = store.list_attempts(s, ids["tess"])
        assert len(rows) == 1
        row = rows[0]
        assert (row.user_id, row.item_id, row.skill, row.level) == (
            ids["tess"],
            "reflection-b-01",
            "reflection",
            "beginner",
        )
        assert row.response == GOOD and row.passed is True
        assert row.score == pytest.approx(outcome.result.score)
        assert row.details["model_response"] == outcome.result.model_response
        assert row.details["worked"] and row.details["retry"] is False
        assert row.created_at is not None


def test_drills_storage_attempts_are_isolated_per_user(database, library):
    ids = people(database)
    outcome = attempt(database, ids["tess"], library, GOOD)
    with database.session() as s:
        assert store.list_attempts(s, ids["mallory"]) == []
        with pytest.raises(NotFoundError):
            store.get_attempt(s, ids["mallory"], outcome.attempt_id)
        with pytest.raises(NotFoundError):
            store.rate_attempt(s, ids["mallory"], outcome.attempt_id, "too_easy")
        with pytest.raises(NotFoundError):
            store.get_attempt(s, ids["tess"], outcome.attempt_id + 1000)
        with pytest.raises(ValidationError, match="unknown rating"):
            store.rate_attempt(s, ids["tess"], outcome.attempt_id, "meh")
    with database.session() as s:
        assert store.get_attempt(s, ids["tess"], outcome.attempt_id).rating == ""


def test_drills_storage_level_adapts_from_stored_history(database, library):
    ids = people(database)
    levels = []
    for item_id in ("reflection-b-01", "reflection-b-02", "reflection-b-03"):
        levels.append(attempt(database, ids["tess"], library, GOOD, item_id).level.level)
    assert levels == ["beginner", "beginner", "intermediate"]
    with database.session() as s:
        item = practice.start(s, ids["tess"], library, "reflection")
    assert item.level == "intermediate"
    # misses at intermediate bring the trainee back down
    for item_id in ("reflection-i-01", "reflection-i-02"):
        attempt(database, ids["tess"], library, POOR, item_id)
    outcome = attempt(database, ids["tess"], library, POOR, "reflection-i-03")
    assert outcome.level.level == "beginner"
    # marking that intermediate statement too easy moves one above it, whatever came before
    with database.session() as s:
        change = practice.rate(s, ids["tess"], outcome.attempt_id, "too_easy")
    assert change.level == "advanced"
    with database.session() as s:
        progress = practice.own_progress(s, ids["tess"])
    reflection = progress.skills[0]
    assert reflection.attempts == 6 and reflection.passed == 3
    assert reflection.level == "advanced"
    assert "<svg" in progress.svg


def test_drills_storage_trainer_sees_only_their_cohort(database, library):
    ids = people(database)
    attempt(database, ids["tess"], library, GOOD)
    attempt(database, ids["mallory"], library, POOR)
    with database.session() as s:
        trainer = s.get(User, ids["trainer"])
        cohort = users.create_cohort(s, trainer, "spring")
        users.add_member(s, trainer, cohort.id, s.get(User, ids["tess"]))
        cohort_id = cohort.id
    with database.session() as s:
        trainer = s.get(User, ids["trainer"])
        other = s.get(User, ids["other_trainer"])
        tess = s.get(User, ids["tess"])
        assert [r.response for r in store.trainee_attempts(s, trainer, ids["tess"])] == [GOOD]
        with pytest.raises(NotFoundError):
            store.trainee_attempts(s, trainer, ids["mallory"])  # not in the cohort
        with pytest.raises(NotFoundError):
            store.trainee_attempts(s, other, ids["tess"])  # another trainer's trainee
        with pytest.raises(NotFoundError):
            store.trainee_attempts(s, tess, ids["tess"])  # a trainee is nobody's trainer
        overview = store.cohort_attempts(s, trainer, cohort_id)
        assert [(u.name, len(rows)) for u, rows in overview] == [("tess", 1)]
        with pytest.raises(NotFoundError):
            store.cohort_attempts(s, other, cohort_id)
        assert [c.id for c in store.list_cohorts(s, trainer)] == [cohort_id]
        assert store.list_cohorts(s, other) == []


def test_drills_storage_assignments_reach_cohort_members_only(database):
    ids = people(database)
    with database.session() as s:
        trainer = s.get(User, ids["trainer"])
        cohort = users.create_cohort(s, trainer, "spring")
        users.add_member(s, trainer, cohort.id, s.get(User, ids["tess"]))
        row = store.create_assignment(s, trainer, cohort.id, "reflection", "beginner", " weekly ")
        assert row.note == "weekly"
        cohort_id = cohort.id
    with database.session() as s:
        tess = s.get(User, ids["tess"])
        mallory = s.get(User, ids["mallory"])
        trainer = s.get(User, ids["trainer"])
        other = s.get(User, ids["other_trainer"])
        assert [(a.skill, a.level) for a in store.list_assignments(s, tess)] == [
            ("reflection", "beginner")
        ]
        assert len(store.list_assignments(s, trainer)) == 1
        assert store.list_assignments(s, mallory) == []
        with pytest.raises(NotFoundError):
            store.create_assignment(s, other, cohort_id, "reflection", "beginner")
        with pytest.raises(ValidationError, match="unknown level"):
            store.create_assignment(s, trainer, cohort_id, "reflection", "expert")
