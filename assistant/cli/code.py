"""``alliance code``: tag transcript files or folders and write turns/sessions outputs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.cli.app import app
from assistant.coding import Progress as CodingProgress
from assistant.coding import code_files, expand_inputs
from assistant.core import Assistant
from assistant.settings import get_settings


@app.command()
def code(
    inputs: list[Path] = typer.Argument(
        ..., help="Transcript files or folders (any reader format)."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder for turns.jsonl, sessions.jsonl and CSVs."
    ),
    fmt: str = typer.Option(
        None, "--format", help="Force a reader format (default: by extension)."
    ),
    therapist: str = typer.Option(None, help="Speaker label to treat as the therapist."),
    batch_size: int = typer.Option(None, min=1, help="Turns encoded per batch."),
    model: str = typer.Option(None, help="Tagger model name or folder (default: bundled)."),
    strict: bool = typer.Option(False, help="Stop at the first file that fails."),
    overwrite: bool = typer.Option(False, help="Replace outputs already in --out."),
) -> None:
    """Code transcripts: one JSON object per turn with tags, scores and evidence."""
    settings = get_settings()
    if model:
        settings = settings.model_copy(update={"model": model})
    console = Console(stderr=True)
    files = expand_inputs(inputs)
    core = Assistant(settings)
    with console.status("loading the tagger"):
        tagger = core.tagger
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} files"),
        TextColumn("{task.fields[turns]} turns"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("coding", total=len(files), turns=0)
        seen: set[Path] = set()

        def update(event: CodingProgress) -> None:
            if event.file not in seen:
                seen.add(event.file)
                progress.update(task, completed=len(seen) - 1)
            progress.update(task, turns=event.turns, description=event.file.name[:30])

        summary = code_files(
            files,
            out,
            tagger=tagger,
            fmt=fmt,
            therapist=therapist,
            batch_size=batch_size,
            strict=strict,
            overwrite=overwrite,
            on_progress=update,
        )
        progress.update(task, completed=len(files), description="done")
    console.print(
        f"coded {summary.conversations} conversations, {summary.turns} turns "
        f"from {summary.files} files into {out}/"
    )
    for path, error in summary.failed:
        console.print(f"[red]skipped[/red] {path}: {error}")
    if summary.failed:
        raise typer.Exit(code=1)
