"""The API routes, one module per resource; each is thin and calls the core."""

from __future__ import annotations

from typing import Any

from assistant.service.schemas import ErrorOut


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    text = {
        401: "Missing, unknown or revoked API token",
        403: "The token's user lacks the role this needs",
        404: "No such object among yours (another user's id looks the same)",
        413: "The request body is over the size limit",
        422: "The input broke a documented rule; the message says which",
        429: "Too many requests for this token; see Retry-After",
        503: "The database or the model is unavailable; see Retry-After",
    }
    return {code: {"model": ErrorOut, "description": text[code]} for code in codes}


# Every authenticated route: 422 covers malformed requests too (see service/errors.py).
AUTH_ERRORS = errors(401, 422, 429, 503)
