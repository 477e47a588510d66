"""``alliance version``."""

import platform

import typer

from assistant import __version__
from assistant.cli.app import app


@app.command()
def version() -> None:
    """Print the package version and the Python it runs on."""
    typer.echo(f"alliance-assistant {__version__} (Python {platform.python_version()})")
