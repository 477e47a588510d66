"""Build the FastAPI application around one core object (datasette-style).

The CLI and the server build the same ``Assistant`` core; routes only translate HTTP
to calls on it. The tagger is loaded once, at start-up, never per request. Every
``/api/v1`` route except health and readiness needs a bearer token; CORS stays
closed unless ``ALLIANCE_CORS_ORIGINS`` lists origins.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from assistant import __version__
from assistant.core import Assistant
from assistant.service.bodylimit import BodySizeLimit
from assistant.service.deps import current_user
from assistant.service.errors import install_error_handlers
from assistant.service.logs import install_log_filters
from assistant.service.ratelimit import RateLimiter
from assistant.service.routes import (
    apidocs,
    chat,
    drills,
    health,
    transcripts,
    users,
    web,
    web_support,
)
from assistant.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Room for multipart boundaries and form fields around a file of the largest size.
BODY_OVERHEAD_BYTES = 64 * 1024


def create_app(
    settings: Settings | None = None, *, demo: bool = False, core: Assistant | None = None
) -> FastAPI:
    """The application; ``core`` lets the CLI, tests and benchmarks hand in their own."""
    settings = settings or (core.settings if core else get_settings())
    core = core or Assistant(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        core.start(demo=demo)
        yield

    app = FastAPI(
        title="Alliance Assistant",
        version=__version__,
        description="Local-first reflective-practice assistant for psychotherapists. "
        "Every route but health and readiness needs `Authorization: Bearer <token>` "
        "(create one with `alliance tokens create NAME`). Turn ids are 0-based indices.",
        lifespan=lifespan,
        # Swagger/ReDoc load scripts from a CDN; /docs is our own offline page instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.core = core
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    install_error_handlers(app)
    install_log_filters()
    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes + BODY_OVERHEAD_BYTES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )

    app.include_router(health.router)
    app.include_router(users.router)
    app.include_router(transcripts.router)
    app.include_router(chat.router)
    # The same token check on every drill route, whatever the router declares.
    app.include_router(drills.router, dependencies=[Depends(current_user)])

    app.include_router(apidocs.router)
    app.include_router(web_support.router)
    app.include_router(web.router)

    return app
