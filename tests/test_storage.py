import pytest

from assistant.errors import NotFoundError, ValidationError
from assistant.measures import SRS
from assistant.storage import transcripts as store
from assistant.storage import users


def test_storage_users_and_hashed_tokens(database):
    with database.session() as s:
        alice = users.create_user(s, "alice", "clinician")
        token = users.create_token(s, alice)
    with database.session() as s:
        assert users.user_for_token(s, token).name == "alice"
        assert users.user_for_token(s, token + "x") is None
        assert users.user_for_token(s, None) is None
        from sqlalchemy import select

        from assistant.storage.tables import ApiToken

        stored = s.scalars(select(ApiToken.token_hash)).all()
        assert token not in stored and users.hash_token(token) in stored


def test_storage_rejects_bad_users(database):
    with database.session() as s:
        users.create_user(s, "bob", "clinician")
    with pytest.raises(ValidationError, match="already exists"), database.session() as s:
        users.create_user(s, "bob", "trainer")
    with pytest.raises(ValidationError, match="unknown role"), database.session() as s:
        users.create_user(s, "carol", "wizard")


def test_storage_transcript_roundtrip_and_isolation(database, tiny_transcript):
    tiny_transcript.turns[0].tags = ["open_question"]
    tiny_transcript.turns[0].scores = {"open_question": 0.97}
    with database.session() as s:
        alice = users.create_user(s, "alice", "clinician")
        mallory = users.create_user(s, "mallory", "clinician")
        row = store.save_transcript(s, alice.id, tiny_transcript, profile={"overall": 50})
        tid, alice_id, mallory_id = row.id, alice.id, mallory.id
    with database.session() as s:
        back = store.to_transcript(store.get_transcript(s, alice_id, tid))
        assert [t.text for t in back.turns] == [t.text for t in tiny_transcript.turns]
        assert back.turns[0].tags == ["open_question"]
        assert back.turns[0].scores == {"open_question": 0.97}
        with pytest.raises(NotFoundError):
            store.get_transcript(s, mallory_id, tid)
        assert store.list_transcripts(s, mallory_id) == []
        with pytest.raises(NotFoundError):
            store.delete_transcript(s, mallory_id, tid)


def test_storage_delete_removes_turns_and_measures(database, tiny_transcript):
    with database.session() as s:
        alice = users.create_user(s, "alice", "clinician")
        row = store.save_transcript(s, alice.id, tiny_transcript)
        store.attach_measure(
            s,
            alice.id,
            row.id,
            SRS(relationship=9, goals_and_topics=9, approach_or_method=9, overall=9),
        )
        tid, alice_id = row.id, alice.id
    with database.session() as s:
        store.delete_transcript(s, alice_id, tid)
    with database.session() as s:
        from sqlalchemy import func, select

        from assistant.storage.tables import StoredMeasure, StoredTurn

        assert s.scalar(select(func.count()).select_from(StoredTurn)) == 0
        assert s.scalar(select(func.count()).select_from(StoredMeasure)) == 0


def test_storage_failed_unit_of_work_stores_nothing(database, tiny_transcript):
    with database.session() as s:
        alice_id = users.create_user(s, "alice", "clinician").id
    with pytest.raises(RuntimeError), database.session() as s:
        store.save_transcript(s, alice_id, tiny_transcript)
        raise RuntimeError("upload failed half-way")
    with database.session() as s:
        assert store.count_transcripts(s, alice_id) == 0


def test_storage_cohorts_scope_trainers(database):
    with database.session() as s:
        trainer = users.create_user(s, "tina", "trainer")
        other = users.create_user(s, "otto", "trainer")
        trainee = users.create_user(s, "tom", "clinician")
        cohort = users.create_cohort(s, trainer, "autumn")
        users.add_member(s, trainer, cohort.id, trainee)
        assert users.trains(s, trainer, trainee.id)
        assert not users.trains(s, other, trainee.id)
        with pytest.raises(NotFoundError):
            users.cohort_member_ids(s, other, cohort.id)
        with pytest.raises(ValidationError):
            users.create_cohort(s, trainee, "mine")
