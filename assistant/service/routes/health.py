"""Liveness and readiness: the only API routes that need no token."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from assistant import __version__
from assistant.service.deps import Core
from assistant.service.schemas import HealthOut, ReadyOut

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health")
def health() -> HealthOut:
    """Liveness: the process answers."""
    return HealthOut(status="ok", version=__version__)


@router.get("/ready", responses={503: {"model": ReadyOut, "description": "Not ready yet"}})
def ready(core: Core, response: Response) -> ReadyOut:
    """Readiness: the tagger is loaded (once, at start-up) and the database answers."""
    database = core.ping_database()
    result = ReadyOut(ready=core.ready and database, model=core.model_name, database=database)
    if not result.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return result
