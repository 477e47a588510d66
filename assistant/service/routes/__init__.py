"""The API routes, one module per resource; each is thin and calls the core."""

from __future__ import annotations

from typing import Any

from assistant.service.schemas import ErrorOut


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    text = {
        400: "The body could not be parsed (bytes that are not UTF-8, broken multipart)",
        401: "Missing, unknown or revoked API token",
        403: "The token's user lacks the role this needs",
        404: "No such object among yours (another user's id looks the same)",
        413: "The request body is over the size limit",
        422: "The input broke a documented rule; the message says which",
        429: "Too many requests for this token; see Retry-After",
        503: "The database or the model is unavailable; see Retry-After",
    }
    # Errors are JSON whatever the route answers on success (an HTML report, a CSV): say
    # so, or the schema would list an HTML route's 404 under text/html.
    json_error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    return {
        code: {"model": ErrorOut, "description": text[code], "content": json_error}
        for code in codes
    }


# Every authenticated route: 422 covers malformed requests too (see service/errors.py);
# FastAPI and the multipart parser answer 400 for a body they cannot even decode.
AUTH_ERRORS = errors(400, 401, 422, 429, 503)
