"""Build the FastAPI application around one core object (datasette-style).

The CLI and the server build the same ``Assistant`` core; routes only translate HTTP
to calls on it. The tagger is loaded once, at start-up, never per request.
"""

from __future__ import annotations

import html
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from assistant import __version__
from assistant.core import Assistant
from assistant.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, demo: bool = False) -> FastAPI:
    settings = settings or get_settings()
    core = Assistant(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        core.start(demo=demo)
        yield

    app = FastAPI(
        title="Alliance Assistant",
        version=__version__,
        description="Local-first reflective-practice assistant for psychotherapists.",
        lifespan=lifespan,
    )
    app.state.core = core

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/v1/ready", tags=["health"])
    def ready(request: Request) -> dict[str, object]:
        """Readiness: the tagger model is loaded."""
        state = request.app.state.core
        return {"ready": state.ready, "model": state.model_name}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> str:
        state = request.app.state.core
        demo_line = ""
        if state.demo_summary:
            demo_line = f"<p>Demo transcript loaded: {html.escape(state.demo_summary)}</p>"
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Alliance Assistant</title></head><body>"
            "<h1>Alliance Assistant</h1><p>The service is up.</p>"
            f"<p>Model: {html.escape(state.model_name or 'not loaded')}</p>{demo_line}"
            "<p>API documentation: <a href='/docs'>/docs</a></p></body></html>"
        )

    return app
