"""The chat route: conversations are created, continued with the coach's memory, and
stored; the real coach answers intents and follow-ups with verified quotes (slow)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.service_support import FakeCoach, close_harness, make_harness

CHAT = "/api/v1/chat"


@pytest.fixture
def api(database, tmp_path):
    harness = make_harness(database, tmp_path, coach=FakeCoach(), max_chat_chars=200)
    harness.add_user("alice")
    yield harness
    close_harness(harness)


def test_service_chat_follow_ups_use_the_stored_memory(api):
    tid = api.upload("alice").json()["id"]
    first = api.client.post(
        CHAT,
        headers=api.auth("alice"),
        json={"message": "how was my warmth?", "transcript_id": tid},
    ).json()
    assert first["transcript_id"] == tid and first["intent"] == "skill_feedback"
    assert first["references"] == [
        {"turn_index": 8, "quote": "What would make this week a little easie"}
    ]
    assert first["drill"]["skill"] == "reflection"
    cid = first["conversation_id"]

    second = api.client.post(
        CHAT,
        headers=api.auth("alice"),
        json={"message": "and the one before that?", "conversation_id": cid},
    ).json()
    third = api.client.post(
        CHAT,
        headers=api.auth("alice"),
        json={"message": "and before that?", "conversation_id": cid, "transcript_id": tid},
    ).json()
    assert second["conversation_id"] == third["conversation_id"] == cid
    assert [second["references"][0]["turn_index"], third["references"][0]["turn_index"]] == [6, 4]
    # The coach got back exactly the state it returned last time.
    assert api.core.coach.seen_states[1:] == [{"count": 1, "cursor": 4}, {"count": 2, "cursor": 3}]

    stored = api.client.get(f"{CHAT}/conversations/{cid}", headers=api.auth("alice")).json()
    assert [m["sender"] for m in stored["messages"]] == ["user", "assistant"] * 3
    assert stored["messages"][0]["text"] == "how was my warmth?"
    assert stored["messages"][3]["intent"] == "follow_up"
    assert stored["messages"][3]["references"] == second["references"]


def test_service_chat_without_a_transcript_and_clarifying(api):
    first = api.client.post(
        CHAT, headers=api.auth("alice"), json={"message": "I had a hard session"}
    ).json()
    assert first["transcript_id"] is None and first["intent"] == "reflection"
    unclear = api.client.post(
        CHAT,
        headers=api.auth("alice"),
        json={"message": "???", "conversation_id": first["conversation_id"]},
    ).json()
    assert unclear["clarifying"] is True and unclear["references"] == []


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"message": ""}, 422, "message"),
        ({"message": "   "}, 422, "empty"),
        ({"message": "x" * 201}, 422, "limit is 200"),
        ({}, 422, "message"),
        ({"message": "hi", "conversation_id": "f" * 32}, 404, "no conversation"),
        ({"message": "hi", "transcript_id": "f" * 32}, 404, "no transcript"),
    ],
)
def test_service_chat_refuses_bad_requests_and_stores_nothing(api, body, status, message):
    answer = api.client.post(CHAT, headers=api.auth("alice"), json=body)
    assert answer.status_code == status
    assert message in answer.json()["detail"]
    assert api.counts()["conversations"] == 0 and api.counts()["messages"] == 0


def test_service_chat_conversation_stays_on_its_transcript(api):
    first_id = api.upload("alice").json()["id"]
    other_id = api.upload("alice").json()["id"]
    cid = api.client.post(
        CHAT, headers=api.auth("alice"), json={"message": "hi", "transcript_id": first_id}
    ).json()["conversation_id"]
    answer = api.client.post(
        CHAT,
        headers=api.auth("alice"),
        json={"message": "hi", "conversation_id": cid, "transcript_id": other_id},
    )
    assert answer.status_code == 422 and "start a new conversation" in answer.json()["detail"]
    assert api.counts()["messages"] == 2


def test_service_chat_delete_conversation(api):
    cid = api.client.post(CHAT, headers=api.auth("alice"), json={"message": "hi"}).json()[
        "conversation_id"
    ]
    assert (
        api.client.delete(f"{CHAT}/conversations/{cid}", headers=api.auth("alice")).status_code
        == 204
    )
    assert api.counts()["messages"] == 0
    assert (
        api.client.get(f"{CHAT}/conversations/{cid}", headers=api.auth("alice")).status_code == 404
    )


# --- the real tagger and coach --------------------------------------------------------

HAS_COACH = importlib.util.find_spec("assistant.chat") is not None


@pytest.mark.slow
@pytest.mark.skipif(not HAS_COACH, reason="assistant.chat (the coach) is not installed")
def test_service_chat_real_coach_intents_and_follow_ups(database, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.core import Assistant
    from assistant.service.app import create_app
    from assistant.settings import Settings
    from assistant.storage import users as user_store

    settings = Settings(data_dir=tmp_path / "var")
    core = Assistant(settings, database=database)
    with database.session() as session:
        token = user_store.create_token(
            session, user_store.create_user(session, "alice", "clinician")
        )
    headers = {"Authorization": f"Bearer {token}"}
    demo = (settings.models_dir.parent / "data" / "demo" / "demo_session.txt").read_bytes()
    with TestClient(create_app(settings, core=core)) as client:
        uploaded = client.post(
            "/api/v1/transcripts", headers=headers, files={"file": ("demo.txt", demo, "text/plain")}
        )
        assert uploaded.status_code == 201, uploaded.text
        tid = uploaded.json()["id"]
        turns = {
            t["index"]: t["text"]
            for t in client.get(f"/api/v1/transcripts/{tid}", headers=headers).json()["turns"]
        }

        def say(message: str, cid: str | None) -> dict:
            body = {"message": message, "transcript_id": tid}
            if cid:
                body["conversation_id"] = cid
            answer = client.post(CHAT, headers=headers, json=body)
            assert answer.status_code == 200, answer.text
            reply = answer.json()
            for ref in reply["references"]:  # every quote is verbatim from its turn
                assert ref["quote"] in turns[ref["turn_index"]]
            return reply

        first = say("show me the rupture", None)
        cid = first["conversation_id"]
        assert first["intent"] in {"rupture", "lost_client"}
        assert first["references"]
        follow = say("and the one before that?", cid)
        assert follow["intent"] == "follow_up"
        warmth = say("how was my warmth?", cid)
        assert warmth["intent"] == "skill_feedback"
        diagnosis = say("what does the client have, is it alcoholism?", cid)
        assert diagnosis["intent"] in {"diagnosis_request", "clinical_advice"}
        stored = client.get(f"{CHAT}/conversations/{cid}", headers=headers).json()
        assert len(stored["messages"]) == 8
