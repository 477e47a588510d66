"""The project's errors -> HTTP responses, in one place.

``NotFoundError`` is 404 (another user's id looks exactly like a missing one),
``ValidationError`` and ``TranscriptError`` are 422 with their message, a database
that is down is 503 with Retry-After, a missing model or component is 503. Bodies
are ``{"detail": "..."}`` like FastAPI's own errors. Malformed requests are
422 with one readable line too. Nothing here logs request content: messages may
quote what the user sent, so only the error type is logged.
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import (
    AllianceError,
    ModelError,
    NotFoundError,
    StorageError,
    TranscriptError,
    ValidationError,
)

logger = logging.getLogger(__name__)

STORAGE_RETRY_AFTER_S = 5
STATUS: list[tuple[type[AllianceError], int]] = [
    (NotFoundError, 404),
    (ValidationError, 422),
    (TranscriptError, 422),
    (StorageError, 503),
    (ModelError, 503),
    (AllianceError, 400),
]


def status_for(error: AllianceError) -> int:
    return next(code for kind, code in STATUS if isinstance(error, kind))


def _alliance_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AllianceError)
    status = status_for(error)
    headers = {"Retry-After": str(STORAGE_RETRY_AFTER_S)} if status == 503 else None
    logger.info("%s %s -> %d (%s)", request.method, request.url.path, status, type(error).__name__)
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


def describe_validation(error: RequestValidationError) -> str:
    """FastAPI's error list as one line: 'message: Field required; redact: ...'."""
    parts = []
    for item in error.errors():
        where = ".".join(
            str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "form")
        )
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", ""))
    return "; ".join(parts) or "invalid request"


def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    logger.info("%s %s -> 422 (request validation)", request.method, request.url.path)
    return JSONResponse({"detail": describe_validation(error)}, status_code=422)


class CatchUnexpected:
    """Answer 500 for an exception nothing else handled, and log it without its message.

    Starlette's own last-resort handler re-raises after answering, so the server logs
    the exception with its message, and library messages quote their input (turn
    text, names). Here the traceback is logged as frames only, and nothing re-raises.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            frames = "".join(traceback.format_tb(error.__traceback__))
            logger.error(
                "%s %s failed with %s\n%s",
                scope.get("method", ""),
                scope.get("path", ""),
                type(error).__name__,
                frames,
            )
            if not started:
                response = JSONResponse(
                    {"detail": "internal error; see the server log"}, status_code=500
                )
                await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AllianceError, _alliance_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_middleware(CatchUnexpected)
