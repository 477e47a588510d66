"""``alliance evaluate --gold FILE [--model NAME] [--baseline NAME] [--json]``: agreement with
gold codes, or two models compared on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.tagging import load_tagger
from assistant.tagging.compare import DEFAULT_MIN_SUPPORT, compare_taggers
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


def render_comparison(report: dict[str, Any], console: Console) -> None:
    """Both models' F1 per tag and the candidate's difference with its bootstrap interval."""
    boot = report["bootstrap"]
    level = int(round(boot["level"] * 100))
    table = Table(
        title=(
            f"{report['candidate']} against {report['baseline']}: {report['turns']} turns, "
            f"{report['sessions']} transcripts"
        )
    )
    table.add_column("tag", no_wrap=True, min_width=28)
    for column in ("support", "baseline F1", "candidate F1", "difference"):
        table.add_column(column, justify="right")
    table.add_column(f"{level}% interval", justify="right", no_wrap=True)
    table.add_column("ahead in", justify="right")

    def span(interval: list[float] | None) -> str:
        return f"[{interval[0]:+.3f}, {interval[1]:+.3f}]" if interval else "-"

    def ahead(share: float | None) -> str:
        return f"{share:.0%}" if share is not None else "-"

    for tag, s in report["tags"].items():
        table.add_row(
            tag if s["in_macro"] else f"{tag} *",
            str(s["support"]),
            f"{s['baseline_f1']:.3f}",
            f"{s['candidate_f1']:.3f}",
            f"{s['difference']:+.3f}",
            span(s["interval"]),
            ahead(s["share_better"]),
        )
    macro = report["macro_f1"]
    table.add_section()
    table.add_row(
        f"macro F1 ({len(macro['tags'])} tags)",
        "",
        f"{macro['baseline']:.3f}",
        f"{macro['candidate']:.3f}",
        f"{macro['difference']:+.3f}",
        span(macro["interval"]),
        ahead(macro["share_better"]),
    )
    console.print(table)
    console.print(
        f"* fewer than {boot['min_support']} gold positives: left out of macro F1",
        highlight=False,
    )
    if macro["share_better"] is not None:
        console.print(
            f"ahead in: the share of {boot['replicates']} bootstrap resamples of the "
            "transcripts in which the candidate scores higher",
            highlight=False,
        )


def wide_console() -> Console:
    """The table needs about 115 columns; piped output defaults to 80 and would cut it."""
    return Console(width=max(Console().width, 125))


@app.command()
def evaluate(
    gold: list[Path] = typer.Option(
        ..., "--gold", help="Gold-coded scenes folder/file, or JSONL/CSV with 'tags' (repeatable)."
    ),
    model: str = typer.Option(
        None, "--model", help="Model name under models/ or a folder path (default: settings)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    baseline: str = typer.Option(
        None,
        "--baseline",
        help="A second model (name or folder): compare --model against it, turn for turn.",
    ),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", min=0, help="With --baseline: bootstrap replicates over transcripts."
    ),
    min_support: int = typer.Option(
        DEFAULT_MIN_SUPPORT,
        "--min-support",
        min=1,
        help="With --baseline: tags need this many gold positives to count in macro F1.",
    ),
) -> None:
    """Code gold-coded transcripts and print per-tag precision, recall, F1, kappa, support;
    with --baseline, both models' F1 and their difference with a bootstrap interval."""
    transcripts = read_gold(gold)
    tagger = load_tagger(model)
    if baseline is not None:
        comparison = compare_taggers(
            load_tagger(baseline),
            tagger,
            transcripts,
            replicates=bootstrap,
            min_support=min_support,
        )
        # Two folders often carry the same model name; the arguments tell them apart.
        comparison["baseline"] = baseline
        comparison["candidate"] = model or f"{tagger.name} (default)"
        if as_json:
            typer.echo(json.dumps(comparison, indent=2))
        else:
            render_comparison(comparison, wide_console())
        return
    report = evaluate_tagger(tagger, transcripts)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    render_report(report, wide_console())
