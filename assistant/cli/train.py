"""``alliance train --data FILE --out models/NAME``: train a tagger head on coded data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.cli.app import app
from assistant.cli.evaluate import render_report, wide_console
from assistant.errors import ValidationError
from assistant.tagging.adapter import AdapterConfig
from assistant.tagging.data import read_gold
from assistant.tagging.train import TrainConfig, record_test, train_tagger


@app.command()
def train(
    data: list[Path] = typer.Option(
        ..., "--data", help="Gold-coded scenes folder/file, or JSONL/CSV with 'tags' (repeatable)."
    ),
    out: Path = typer.Option(..., "--out", help="Model folder to write, e.g. models/my-tagger."),
    test: list[Path] = typer.Option(
        None, "--test", help="Held-out gold data: evaluated once, metrics go into the manifest."
    ),
    codebook: Path = typer.Option(
        None,
        "--codebook",
        help="Codebook YAML for the cue features (default prompts/codebook.yaml).",
    ),
    name: str = typer.Option(
        None, "--name", help="Model name in the manifest (default: folder name)."
    ),
    seed: int = typer.Option(13, "--seed", help="Random seed (training is reproducible)."),
    folds: int = typer.Option(
        5, "--folds", min=1, max=20, help="Cross-fitting folds (= ensemble members); 1 = no dev."
    ),
    adapter_layers: int = typer.Option(
        3,
        "--adapter-layers",
        min=0,
        max=5,
        help="Encoder layers (from the top) tuned with LoRA on the codes; 0 = frozen encoder "
        "(faster training, lower accuracy).",
    ),
    adapter_epochs: int = typer.Option(
        6, "--adapter-epochs", min=1, max=50, help="Epochs for each adapter."
    ),
    restyle: bool = typer.Option(
        True,
        "--restyle/--no-restyle",
        help="Also train on every turn rewritten in the other transcription style (ASR "
        "lowercase without punctuation / clean sentence case), so the tagger reads both.",
    ),
    rising_tone: float = typer.Option(
        0.0,
        "--rising-tone",
        min=0.0,
        max=1.0,
        help="Share of reflections (not also questions) that the clean training copies end "
        "with '?', for coders who code a mirror said with a rising tone as a reflection "
        "(our codebook does). 0 = off; 0.3 was measured (docs/tagger.md). Needs --restyle.",
    ),
) -> None:
    """Train the multi-label head (folds by transcript, thresholds tuned out of fold)."""
    if rising_tone > 0 and not restyle:
        raise ValidationError(
            "--rising-tone edits the training copies, which --no-restyle turns off"
        )
    transcripts = read_gold(data)
    held_out = read_gold(test) if test else None
    console = Console(stderr=True)
    config = TrainConfig(
        seed=seed,
        members=folds,
        style_copies=restyle,
        rising=rising_tone,
        adapter=AdapterConfig(
            layers=adapter_layers, epochs=adapter_epochs, restyle=0.5 if restyle else 0.0
        ),
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        manifest = train_tagger(
            transcripts,
            out,
            name=name,
            codebook_path=codebook,
            config=config,
            progress=progress,
            sources=[str(p) for p in data],
        )
    training = manifest["training"]
    typer.echo(
        f"trained {manifest['name']} on {training['transcripts']} transcripts / "
        f"{training['turns']} turns -> {out}"
    )
    dev = manifest["metrics"].get("out_of_fold_f1", {})
    if dev:
        table = Table(title=f"held-out dev: out-of-fold over {len(training['dev_folds'])} folds")
        table.add_column("tag")
        table.add_column("dev F1", justify="right")
        table.add_column("threshold", justify="right")
        weights = manifest.get("adapter_weights", {})
        if weights:
            table.add_column("adapter weight", justify="right")
        for tag, f1 in dev.items():
            row = [tag, f"{f1:.3f}", f"{manifest['thresholds'][tag]:.3f}"]
            table.add_row(*row, *([f"{weights.get(tag, 0.0):.2f}"] if weights else []))
        Console().print(table)
    if held_out:
        report = record_test(out, manifest, held_out)
        render_report(report, wide_console(), title=f"test: {report['turns']} turns")
