from __future__ import annotations

import pytest

from assistant.errors import NotFoundError
from assistant.storage import chat, users
from assistant.storage import transcripts as store


def _two_users(database, transcript):
    with database.session() as s:
        alice = users.create_user(s, "alice", "clinician")
        mallory = users.create_user(s, "mallory", "clinician")
        tid = store.save_transcript(s, alice.id, transcript).id
    return alice.id, mallory.id, tid


def test_storage_chat_messages_and_state_roundtrip(database, tiny_transcript):
    alice, _, tid = _two_users(database, tiny_transcript)
    with database.session() as s:
        conversation = chat.create_conversation(s, alice, tid)
        chat.add_message(s, conversation, "user", "how was my warmth?")
        chat.add_message(
            s,
            conversation,
            "assistant",
            "At turn 2 ...",
            intent="skill_feedback",
            references=[{"turn_index": 2, "quote": "You're worried"}],
        )
        chat.set_state(conversation, {"last_intent": "skill_feedback", "cursor": [2]})
        cid = conversation.id
    with database.session() as s:
        conversation = chat.get_conversation(s, alice, cid)
        assert conversation.transcript_id == tid
        assert conversation.state == {"last_intent": "skill_feedback", "cursor": [2]}
        messages = chat.messages_for(s, alice, cid)
        assert [(m.sender, m.intent) for m in messages] == [
            ("user", ""),
            ("assistant", "skill_feedback"),
        ]
        assert messages[1].references == [{"turn_index": 2, "quote": "You're worried"}]
        assert [(c.id, n) for c, n in chat.list_conversations(s, alice)] == [(cid, 2)]


def test_storage_chat_is_scoped_to_its_owner(database, tiny_transcript):
    alice, mallory, tid = _two_users(database, tiny_transcript)
    with database.session() as s:
        cid = chat.create_conversation(s, alice).id
    with database.session() as s:
        with pytest.raises(NotFoundError):
            chat.get_conversation(s, mallory, cid)
        with pytest.raises(NotFoundError):
            chat.messages_for(s, mallory, cid)
        with pytest.raises(NotFoundError):
            chat.delete_conversation(s, mallory, cid)
        with pytest.raises(NotFoundError):
            chat.create_conversation(s, mallory, tid)  # someone else's transcript
        assert chat.list_conversations(s, mallory) == []
    with database.session() as s:
        assert chat.get_conversation(s, alice, cid).owner_id == alice


def test_storage_chat_delete_conversation_and_transcript(database, tiny_transcript):
    alice, _, tid = _two_users(database, tiny_transcript)
    with database.session() as s:
        bound = chat.create_conversation(s, alice, tid)
        chat.add_message(s, bound, "user", "hi")
        free = chat.create_conversation(s, alice)
        chat.add_message(s, free, "user", "hello")
        bound_id, free_id = bound.id, free.id
    with database.session() as s:
        store.delete_transcript(s, alice, tid)  # takes its conversations along
    with database.session() as s:
        with pytest.raises(NotFoundError):
            chat.get_conversation(s, alice, bound_id)
        chat.delete_conversation(s, alice, free_id)
    with database.session() as s:
        assert chat.list_conversations(s, alice) == []


def test_storage_chat_rejects_unknown_sender(database, tiny_transcript):
    alice, _, _ = _two_users(database, tiny_transcript)
    with pytest.raises(ValueError, match="sender"), database.session() as s:
        chat.add_message(s, chat.create_conversation(s, alice), "system", "x")
