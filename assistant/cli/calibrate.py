"""``alliance calibrate --gold FILE --out FOLDER [--model NAME]``: re-tune a model's
thresholds on a lab's own coded transcripts, checked on transcripts held out."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.cli.evaluate import wide_console
from assistant.tagging import load_tagger
from assistant.tagging.calibrate import Calibration, calibrate_tagger, write_calibrated
from assistant.tagging.data import read_gold


def render_calibration(calibration: Calibration, console: Console) -> None:
    table = Table(
        title=f"{calibration.model}: {calibration.turns} turns, "
        f"{calibration.transcripts} transcripts"
    )
    table.add_column("tag", no_wrap=True)
    for column in ("support", "trained", "chosen", "held-out F1", "wins", "moved"):
        table.add_column(column, justify="right")
    table.add_column("why")
    for c in calibration.tags:
        held = f"{c.held_out_trained:.3f} -> {c.held_out_chosen:.3f}" if c.halves else "-"
        table.add_row(
            c.tag,
            str(c.support),
            f"{c.trained:.3f}",
            f"{c.chosen:.3f}",
            held,
            f"{c.wins}/{c.halves}" if c.halves else "-",
            "yes" if c.changed else "no",
            c.reason,
        )
    console.print(table)


@app.command()
def calibrate(
    gold: list[Path] = typer.Option(
        ...,
        "--gold",
        help="Gold-coded transcripts (folder/file, JSONL/CSV with 'tags'; repeatable).",
    ),
    out: Path = typer.Option(
        None,
        "--out",
        help="New model folder to write with the moved thresholds (omit: report only).",
    ),
    model: str = typer.Option(
        None, "--model", help="Model name under models/ or a folder path (default: settings)."
    ),
    tags: str = typer.Option(
        None, "--tags", help="Comma-separated tags to calibrate (default: all the model's tags)."
    ),
    repeats: int = typer.Option(
        5, "--repeats", min=1, max=100, help="Random halvings of the transcripts to check on."
    ),
    seed: int = typer.Option(13, "--seed", help="Seed for the halvings."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Move a tag's threshold only where, chosen on half the transcripts, it raises F1 on
    the other half in most halvings; weights and rules stay as trained."""
    transcripts = read_gold(gold)
    tagger = load_tagger(model)
    wanted = [t.strip() for t in tags.split(",") if t.strip()] if tags else None
    calibration = calibrate_tagger(tagger, transcripts, wanted, repeats=repeats, seed=seed)
    if out is not None:
        write_calibrated(tagger, calibration, out, [str(p) for p in gold])
    if as_json:
        typer.echo(json.dumps(calibration.to_dict(), indent=2))
    else:
        render_calibration(calibration, wide_console())
        if out is not None:
            typer.echo(f"wrote {out}; compare: alliance evaluate --gold ... --model {out}")
