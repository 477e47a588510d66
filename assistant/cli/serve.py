"""``alliance serve``: start the service on this machine."""

from __future__ import annotations

import logging

import typer

from assistant.cli.app import app
from assistant.settings import get_settings


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to bind (default ALLIANCE_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default ALLIANCE_PORT, 8000)."),
    demo: bool = typer.Option(False, "--demo", help="Load and code the bundled demo transcript."),
) -> None:
    """Start the API and web page (SQLite file under ./var unless ALLIANCE_DATABASE_URL is set)."""
    import uvicorn

    from assistant.service.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    logging.getLogger().setLevel(settings.log_level)
    application = create_app(settings, demo=demo)
    typer.echo(f"Alliance Assistant is starting at http://{host}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())
