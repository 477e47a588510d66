"""``alliance drill``: an interactive deliberate-practice drill in the terminal.

Shows a client statement, reads the trainee's answer, prints feedback (what worked,
what to change, a model response) and offers retry / next / too easy / too hard /
quit. Runs offline; every attempt is saved in the local database (the Settings one).
"""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt

from assistant.cli.app import app
from assistant.core import Assistant
from assistant.drills import practice
from assistant.drills.schema import LEVELS, DrillItem, DrillLibrary, check_level, load_library
from assistant.errors import NotFoundError
from assistant.settings import Settings, get_settings
from assistant.storage import users

CHOICES = {"r": "retry", "n": "next", "e": "too easy", "h": "too hard", "q": "quit"}


def build_core(settings: Settings) -> Assistant:
    """The core the drill runs on (a seam for tests, which hand in a small tagger)."""
    return Assistant(settings)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "me"


def _user_id(core: Assistant, name: str, console: Console) -> int:
    with core.database.session() as session:
        try:
            return users.get_user(session, name).id
        except NotFoundError:
            user = users.create_user(session, name, "clinician")
            console.print(f"created local user [bold]{escape(name)}[/bold]")
            return user.id


def _ask(console: Console, prompt: str, **kwargs) -> str | None:
    """One line from the trainee; None at the end of input (Ctrl+D)."""
    try:
        return Prompt.ask(prompt, console=console, **kwargs)
    except EOFError:
        return None


def _show_item(
    console: Console, library: DrillLibrary, item: DrillItem, number: int, count: int
) -> None:
    title = library.skill(item.skill).title
    criteria = "\n".join(f"  - {escape(c)}" for c in item.criteria)
    body = (
        f"[dim]{escape(item.context)}[/dim]\n\n"
        f'[bold]Client:[/bold] "{escape(item.client_statement)}"\n\n'
        f"[dim]A good response:[/dim]\n{criteria}"
    )
    console.print(
        Panel(body, title=f"{escape(title)} | {item.level} | {number}/{count}", subtitle=item.id)
    )


def _show_result(console: Console, outcome: practice.AttemptOutcome) -> None:
    result = outcome.result
    verdict = "[green]passed[/green]" if result.passed else "[yellow]not yet[/yellow]"
    console.print(f"Score {result.score:.2f} ({verdict})")
    for line in result.worked:
        console.print(f"  [green]worked:[/green] {escape(line)}")
    for line in result.change:
        console.print(f"  [yellow]change:[/yellow] {escape(line)}")
    console.print(f'  [cyan]model response:[/cyan] "{escape(result.model_response)}"')


@app.command()
def drill(
    skill: str = typer.Option(
        "reflection",
        "--skill",
        help="Skill to practise: reflection, warmth_validation, collaboration, "
        "withdrawal_rupture, confrontation_rupture, self_disclosure, flexibility "
        "(or a skill from your own drill files).",
    ),
    level: str = typer.Option(
        None, "--level", help=f"{', '.join(LEVELS)} (default: where you left off)."
    ),
    user: str = typer.Option(
        None, "--user", help="Whose progress to save (default: your login name)."
    ),
    count: int = typer.Option(5, "--count", min=1, help="Client statements in this set."),
) -> None:
    """Practise a skill on client statements, with feedback after every answer."""
    if level is not None:
        check_level(level)
    settings = get_settings()
    library = load_library(settings=settings)
    library.skill(skill)
    console = Console(highlight=False)
    core = build_core(settings)
    user_id = _user_id(core, user or _login_name(), console)
    with console.status("loading the tagger"):
        tagger = core.tagger
    console.print(
        "Answer as you would say it to the client. After each answer: "
        + ", ".join(f"[bold]{key}[/bold] {label}" for key, label in CHOICES.items())
        + "."
    )
    attempts = passed = 0
    previous: str | None = None
    quit_now = False
    for number in range(1, count + 1):
        with core.database.session() as session:
            item = practice.start(session, user_id, library, skill, level, exclude=previous)
        previous = item.id
        _show_item(console, library, item, number, count)
        retry = False
        while True:
            text = _ask(console, "[bold]Your response[/bold]")
            if text is None:
                quit_now = True
                break
            if not text.strip():
                console.print("Type what you would say to the client (or Ctrl+D to stop).")
                continue
            with core.database.session() as session:
                outcome = practice.answer(
                    session, user_id, library, tagger, item, text, retry=retry
                )
            attempts += 1
            passed += outcome.result.passed
            _show_result(console, outcome)
            choice = _ask(console, "Next", choices=list(CHOICES), default="n")
            if choice == "r":
                retry = True
                console.print(f'Again: "{escape(item.client_statement)}"')
                continue
            if choice in ("e", "h"):
                rating = "too_easy" if choice == "e" else "too_hard"
                with core.database.session() as session:
                    change = practice.rate(session, user_id, outcome.attempt_id, rating)
            else:
                change = outcome.level
            if change.changed:
                console.print(f"[magenta]level:[/magenta] {escape(change.reason)}")
            level = change.level
            quit_now = choice in (None, "q")
            break
        if quit_now:
            break
    with core.database.session() as session:
        summary = practice.own_progress(session, user_id)
    console.print(f"\nThis set: {attempts} attempts, {passed} passed.")
    for entry in summary.skills:
        if entry.skill == skill:
            console.print(
                f"{escape(skill)} overall: {entry.attempts} attempts, "
                f"{entry.success_rate:.0%} passed, trend {entry.trend} ({entry.trend_reason}); "
                f"next level {entry.level}."
            )
