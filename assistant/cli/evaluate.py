"""``alliance evaluate --gold FILE [--model NAME] [--json]``: agreement with gold codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.tagging import load_tagger
from assistant.tagging.data import read_gold
from assistant.tagging.evaluate import evaluate_tagger


def render_report(report: dict[str, Any], console: Console, title: str = "") -> None:
    """Per-tag table, attribute accuracy and the confusion summary."""
    table = Table(title=title or f"{report.get('model', '')}: {report['turns']} turns")
    table.add_column("tag", no_wrap=True, min_width=28)
    for column in ("precision", "recall", "F1", "kappa", "support", "predicted"):
        table.add_column(column, justify="right")
    for tag, s in report["tags"].items():
        table.add_row(
            tag,
            f"{s['precision']:.3f}",
            f"{s['recall']:.3f}",
            f"{s['f1']:.3f}",
            f"{s['kappa']:.3f}",
            str(s["support"]),
            str(s["predicted"]),
        )
    table.add_section()
    table.add_row("macro F1", "", "", f"{report['macro_f1']:.3f}", "", "", "")
    table.add_row("micro F1", "", "", f"{report['micro_f1']:.3f}", "", "", "")
    console.print(table)
    for key, value in report.get("attributes", {}).items():
        console.print(f"{key} accuracy {value['accuracy']:.3f} (n={value['n']})", highlight=False)
    confusion = report.get("confusion", {})
    if confusion:
        console.print("confusion (missed -> predicted instead; spurious <- gold instead):")
        for tag, parts in confusion.items():
            missed = ", ".join(f"{t} {n}" for t, n in parts["missed_as"]) or "-"
            spurious = ", ".join(f"{t} {n}" for t, n in parts["spurious_on"]) or "-"
            console.print(
                f"  {tag}: missed as [{missed}]; spurious on [{spurious}]",
                highlight=False,
                markup=False,
            )


def wide_console() -> Console:
    """The table needs about 100 columns; piped output defaults to 80 and would cut it."""
    return Console(width=max(Console().width, 110))


@app.command()
def evaluate(
    gold: list[Path] = typer.Option(
        ..., "--gold", help="Gold-coded scenes folder/file, or JSONL/CSV with 'tags' (repeatable)."
    ),
    model: str = typer.Option(
        None, "--model", help="Model name under models/ or a folder path (default: settings)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Code gold-coded transcripts and print per-tag precision, recall, F1, kappa, support."""
    transcripts = read_gold(gold)
    tagger = load_tagger(model)
    report = evaluate_tagger(tagger, transcripts)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    render_report(report, wide_console())
