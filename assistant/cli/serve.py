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
    demo: bool = typer.Option(
        False, "--demo", help="Code the bundled demo transcript and store it for the admin."
    ),
) -> None:
    """Start the API and web page (SQLite file under ./var unless ALLIANCE_DATABASE_URL is set).

    On the first start (no users yet) an 'admin' user is created and its token is
    printed here, once; it is stored only as a hash.
    """
    import uvicorn

    from assistant.core import Assistant
    from assistant.service.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    logging.getLogger().setLevel(settings.log_level)
    core = Assistant(settings)
    # Load the model and open the database before serving: a bad model folder or an
    # unreachable database is then one clear error line, not a start-up traceback.
    core.start(demo=demo)
    token = core.bootstrap(demo=demo)
    if token:
        # Printed to the terminal only, never logged.
        typer.echo("")
        typer.echo(
            "First start: created the user 'admin'. Its API token (shown once, store it now):"
        )
        typer.echo(f"    {token}")
        typer.echo(
            "Send it as 'Authorization: Bearer <token>'; more with 'alliance tokens create'."
        )
        typer.echo("")
    application = create_app(settings, demo=demo, core=core)
    typer.echo(f"Alliance Assistant is starting at http://{host}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())
