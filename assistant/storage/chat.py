"""Chat conversations and their messages, scoped to their owner.

A conversation may be bound to one of the owner's transcripts; its ``state`` is the
coach's memory between messages (last intent, last skill, turns referred to ...).
Another user's conversation id is 'not found', never 'forbidden'.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from assistant.errors import NotFoundError
from assistant.storage.tables import ChatConversation, ChatMessage
from assistant.storage.transcripts import get_transcript

SENDERS = ("user", "assistant")


def create_conversation(
    session: Session, owner_id: int, transcript_id: str | None = None
) -> ChatConversation:
    """A new conversation; ``transcript_id`` must be one of the owner's transcripts."""
    if transcript_id is not None:
        get_transcript(session, owner_id, transcript_id)
    row = ChatConversation(
        id=uuid.uuid4().hex, owner_id=owner_id, transcript_id=transcript_id, state={}
    )
    session.add(row)
    session.flush()
    return row


def get_conversation(session: Session, owner_id: int, conversation_id: str) -> ChatConversation:
    row = session.get(ChatConversation, conversation_id)
    if row is None or row.owner_id != owner_id:
        raise NotFoundError(f"no conversation {conversation_id}")
    return row


def list_conversations(session: Session, owner_id: int) -> list[tuple[ChatConversation, int]]:
    """The owner's conversations, newest first, each with its message count."""
    counts = (
        select(ChatMessage.conversation_id, func.count().label("n"))
        .group_by(ChatMessage.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(ChatConversation, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.conversation_id == ChatConversation.id)
        .where(ChatConversation.owner_id == owner_id)
        .order_by(ChatConversation.created_at.desc(), ChatConversation.id)
    )
    return [(conversation, int(n)) for conversation, n in rows]


def add_message(
    session: Session,
    conversation: ChatConversation,
    sender: str,
    text: str,
    *,
    intent: str = "",
    references: list[dict[str, Any]] | None = None,
) -> ChatMessage:
    """Append a message to a conversation the caller already holds (owner checked)."""
    if sender not in SENDERS:
        raise ValueError(f"sender must be one of {SENDERS}")
    message = ChatMessage(
        conversation_id=conversation.id,
        sender=sender,
        text=text,
        intent=intent,
        references=list(references or []),
    )
    session.add(message)
    session.flush()
    return message


def set_state(conversation: ChatConversation, state: dict[str, Any]) -> None:
    # A new dict object, so SQLAlchemy sees the JSON column change.
    conversation.state = dict(state)


def messages_for(session: Session, owner_id: int, conversation_id: str) -> list[ChatMessage]:
    conversation = get_conversation(session, owner_id, conversation_id)
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation.id)
            .order_by(ChatMessage.id)
        )
    )


def delete_conversation(session: Session, owner_id: int, conversation_id: str) -> None:
    conversation = get_conversation(session, owner_id, conversation_id)
    session.execute(delete(ChatMessage).where(ChatMessage.conversation_id == conversation.id))
    session.delete(conversation)
    session.flush()
