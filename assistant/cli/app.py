"""The Typer application object; each command module adds its commands to it."""

import typer

app = typer.Typer(
    name="alliance",
    help="Alliance Assistant: code therapy sessions for alliance-building behaviour, "
    "get deliberate-practice feedback, and run skills drills. Runs entirely on this machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Keep ``alliance`` a command group even while it has a single command."""
