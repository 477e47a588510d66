"""``alliance users`` and ``alliance tokens``: accounts in the configured database.

Tokens are printed once, here, and stored only as a hash; nothing logs them.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.core import Assistant
from assistant.settings import get_settings
from assistant.storage.users import ROLES

users_app = typer.Typer(help="Create and list users (roles: " + ", ".join(ROLES) + ").")
tokens_app = typer.Typer(help="Create and revoke API tokens.")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


def _core() -> Assistant:
    # The Settings database, migrated to the newest schema on open.
    return Assistant(get_settings())


@users_app.command("add")
def add_user(
    name: str = typer.Argument(..., help="A unique user name."),
    role: str = typer.Option("clinician", help="One of: " + ", ".join(ROLES) + "."),
    token: bool = typer.Option(False, "--token", help="Also create and print a first token."),
) -> None:
    """Add a user."""
    user, secret = _core().add_user(name, role, token_label="cli" if token else None)
    typer.echo(f"created user {user.name!r} (id {user.id}, role {user.role})")
    if secret:
        typer.echo(f"token (shown once, store it now): {secret}")


@users_app.command("list")
def list_users() -> None:
    """List users and their roles."""
    table = Table("id", "name", "role", "created")
    for user in _core().list_users():
        table.add_row(str(user.id), user.name, user.role, f"{user.created_at:%Y-%m-%d %H:%M}")
    Console().print(table)


@tokens_app.command("create")
def create_token(
    name: str = typer.Argument(..., help="The user the token is for."),
    label: str = typer.Option("", help="A note to recognise the token by (e.g. 'laptop')."),
) -> None:
    """Create an API token for a user and print it once."""
    secret = _core().create_token(name, label)
    typer.echo(f"token for {name!r} (shown once, store it now):")
    typer.echo(secret)


@tokens_app.command("revoke")
def revoke_tokens(name: str = typer.Argument(..., help="The user whose tokens to revoke.")) -> None:
    """Revoke every token of a user."""
    count = _core().revoke_tokens(name)
    typer.echo(f"revoked {count} token(s) of {name!r}")
