"""``alliance code``: tag transcript files or folders and write turns/sessions outputs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assistant.cli.app import app
from assistant.coding import ENGINES, ModelLoader, code_files, expand_inputs
from assistant.coding import Progress as CodingProgress
from assistant.errors import ValidationError
from assistant.settings import Settings, get_settings


def _tagger_or_loader(settings: Settings, parallel: bool, console: Console) -> tuple[Any, Any]:
    """A loaded tagger for this process, or a loader for workers (they load it themselves)."""
    from assistant.tagging import load_tagger, resolve_model

    folder = resolve_model(settings.model, settings)
    if parallel:
        return None, ModelLoader(folder, settings)
    with console.status("loading the tagger"):
        return load_tagger(folder, settings), None


@app.command()
def code(
    inputs: list[Path] = typer.Argument(
        ..., help="Transcript files or folders (any reader format)."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder for turns/sessions JSONL and CSV, and run.json."
    ),
    fmt: str = typer.Option(
        None, "--format", help="Force a reader format (default: by extension)."
    ),
    therapist: str = typer.Option(None, help="Speaker label to treat as the therapist."),
    batch_size: int = typer.Option(None, min=1, help="Turns encoded per batch."),
    model: str = typer.Option(None, help="Tagger model name or folder (default: bundled)."),
    jobs: int = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        help="Worker processes, each loading the model once (default 1); with --engine ray, "
        "the number of Ray actors (default: one per CPU of the cluster).",
    ),
    resume: bool = typer.Option(
        False, help="Continue a run in --out: skip conversations already written."
    ),
    parquet: bool = typer.Option(
        False, help="Also write turns.parquet and sessions.parquet (needs the 'parquet' extra)."
    ),
    engine: str = typer.Option(
        "local", help="'local' (this machine) or 'ray' (a Ray cluster; needs the 'ray' extra)."
    ),
    address: str = typer.Option(
        None, help="Ray cluster address, e.g. 'auto' or 'ray://head:10001' (default: local Ray)."
    ),
    strict: bool = typer.Option(False, help="Stop at the first file that fails."),
    overwrite: bool = typer.Option(False, help="Replace outputs already in --out."),
) -> None:
    """Code transcripts: one JSON object per turn with tags, scores and evidence."""
    if engine not in ENGINES:
        raise ValidationError(f"unknown --engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if address and engine != "ray":
        raise ValidationError("--address is for --engine ray")
    if parquet:
        from assistant.research.outputs import require_pyarrow

        require_pyarrow()
    if engine == "ray":
        from assistant.research.ray_engine import require_ray

        require_ray()
    settings = get_settings()
    if model:
        settings = settings.model_copy(update={"model": model})
    console = Console(stderr=True)
    files = expand_inputs(inputs)
    parallel = engine == "ray" or (jobs or 1) > 1
    tagger, loader = _tagger_or_loader(settings, parallel, console)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files  {task.fields[turns]} turns  {task.fields[rate]} turns/s"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("coding", total=len(files), turns=0, rate="-")
        started = time.monotonic()

        def update(event: CodingProgress) -> None:
            elapsed = time.monotonic() - started
            rate = f"{event.turns / elapsed:,.0f}" if elapsed > 0 and event.turns else "-"
            progress.update(
                task,
                completed=event.files_done,
                turns=event.turns,
                rate=rate,
                description=event.file.name[:30],
            )

        summary = code_files(
            files,
            out,
            tagger=tagger,
            loader=loader,
            jobs=jobs,
            engine=engine,
            address=address,
            fmt=fmt,
            therapist=therapist,
            batch_size=batch_size,
            settings=settings,
            strict=strict,
            overwrite=overwrite,
            resume=resume,
            parquet=parquet,
            on_progress=update,
        )
        progress.update(task, completed=len(files), description="done")
    resumed = f" ({summary.resumed} already there, skipped)" if summary.resumed else ""
    console.print(
        f"coded {summary.conversations} conversations, {summary.turns} turns "
        f"from {summary.files} files into {out}/{resumed}; run record: {out}/run.json",
        highlight=False,
        soft_wrap=True,
    )
    for path, error in summary.failed:
        console.print(
            f"[red]skipped[/red] {escape(path)}: {escape(error)}", highlight=False, soft_wrap=True
        )
    if summary.failed:
        raise typer.Exit(code=1)
