"""The chat coach: one message in, a grounded reply out; conversations are stored."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from assistant.service.deps import Core, CurrentUser
from assistant.service.routes import AUTH_ERRORS, errors
from assistant.service.schemas import (
    ChatRequest,
    ChatResponse,
    ConversationDetail,
    ConversationSummary,
)

router = APIRouter(prefix="/api/v1/chat", tags=["chat"], responses=AUTH_ERRORS)


@router.post("", responses=errors(404, 422), summary="Send a message to the coach")
def chat(body: ChatRequest, user: CurrentUser, core: Core) -> ChatResponse:
    """Starts a conversation when ``conversation_id`` is omitted (bound to
    ``transcript_id`` when given). The reply quotes turns by their index."""
    result = core.chat(
        user.id,
        body.message,
        conversation_id=body.conversation_id,
        transcript_id=body.transcript_id,
    )
    return ChatResponse(
        conversation_id=result.conversation_id,
        transcript_id=result.transcript_id,
        reply=result.reply.text,
        intent=result.reply.intent,
        clarifying=bool(result.reply.clarifying),
        references=result.references,
        drill=result.drill,
    )


@router.get("/conversations", summary="Your conversations, newest first")
def list_conversations(user: CurrentUser, core: Core) -> list[ConversationSummary]:
    return [ConversationSummary.from_row(row, n) for row, n in core.conversations(user.id)]


@router.get(
    "/conversations/{conversation_id}",
    responses=errors(404),
    summary="A conversation with its messages",
)
def get_conversation(conversation_id: str, user: CurrentUser, core: Core) -> ConversationDetail:
    return ConversationDetail.from_rows(*core.conversation(user.id, conversation_id))


@router.delete(
    "/conversations/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404),
    summary="Delete a conversation",
)
def delete_conversation(conversation_id: str, user: CurrentUser, core: Core) -> Response:
    core.delete_conversation(user.id, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
