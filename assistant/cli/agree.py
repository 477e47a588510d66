"""``alliance agree A B``: agreement of coder B with reference coder A (kappa, F1, ICC)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.cli.app import app
from assistant.errors import ValidationError
from assistant.research.agreement import compare_files, report_csv, report_json

FORMATS = ("table", "csv", "json")


def _ci(entry: dict[str, Any]) -> str:
    if entry["estimate"] is None:
        return "n/a"
    if entry["low"] is None:
        return f"{entry['estimate']:.2f}"
    return f"{entry['estimate']:.2f} [{entry['low']:.2f}, {entry['high']:.2f}]"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def render_agreement(report: dict[str, Any], console: Console) -> None:
    """Per-tag turn agreement, then session-level ICCs, with their intervals."""
    level = int(round(report["bootstrap"]["level"] * 100))
    table = Table(
        title=Text(
            f"turn level: {report['turns']} turns in {report['sessions']} sessions, "
            f"B against A, [{level}% bootstrap CI]; precision and recall: --format json"
        )
    )
    table.add_column("tag", no_wrap=True)
    table.add_column("role")
    for column in ("turns", "A", "B", "agreement", "kappa", "F1"):
        table.add_column(column, justify="right", no_wrap=True)
    for tag, entry in report["tags"].items():
        table.add_row(
            Text(tag),
            entry["role"],
            str(entry["turns"]),
            str(entry["a_count"]),
            str(entry["b_count"]),
            _number(entry["percent_agreement"]["estimate"]),
            _ci(entry["kappa"]),
            _ci(entry["f1"]),
        )
    console.print(table)
    sessions = Table(title=Text("session level: ICC(2,1), absolute agreement"))
    sessions.add_column("measure", no_wrap=True)
    for column in ("ICC(2,1)", "sessions", "mean A", "mean B"):
        sessions.add_column(column, justify="right", no_wrap=True)
    groups = report["session_icc"]
    for prefix, group in (("count of ", groups["counts"]), ("", groups["summary_scores"])):
        for name, entry in group.items():
            sessions.add_row(
                Text(prefix + name),
                _ci(entry["icc"]),
                str(entry["sessions"]),
                _number(entry["mean_a"]),
                _number(entry["mean_b"]),
            )
        sessions.add_section()
    console.print(sessions)
    unmatched = {k: v for k, v in report["unmatched"].items() if v}
    if unmatched:
        details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in unmatched.items())
        console.print(Text(f"not compared: {details}"))


@app.command()
def agree(
    a: Path = typer.Argument(
        ..., help="Reference coder's file (e.g. human codes): JSONL/CSV with a 'tags' field."
    ),
    b: Path = typer.Argument(
        ..., help="Second coder's file (e.g. turns.jsonl from 'alliance code', or a 2nd human)."
    ),
    fmt: str = typer.Option("table", "--format", help="Output: table, csv or json."),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write the csv/json report to this file instead of stdout."
    ),
    tags: str = typer.Option(
        None, "--tags", help="Comma-separated tags to compare (default: every tag either used)."
    ),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", min=0, help="Bootstrap replicates over sessions (0: no intervals)."
    ),
    seed: int = typer.Option(13, "--seed", help="Seed of the bootstrap (results reproduce)."),
    level: float = typer.Option(
        0.95, "--level", min=0.5, max=0.999, help="Confidence level of the intervals."
    ),
) -> None:
    """Compare two coders of the same transcripts: per-tag kappa, agreement and F1 of B
    against A, and session-level ICC(2,1) for tag counts and MITI-style summary scores."""
    choice = fmt.strip().lower()
    if choice not in FORMATS:
        raise ValidationError(f"unknown --format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if out is not None and choice == "table":
        raise ValidationError("--out writes csv or json; add --format csv or --format json")
    chosen = [t.strip() for t in tags.split(",") if t.strip()] if tags else None
    report = compare_files(a, b, tags=chosen, replicates=bootstrap, seed=seed, level=level)
    if choice == "table":
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)  # piped or redirected: room for the intervals
        render_agreement(report, console)
        return
    text = report_json(report) if choice == "json" else report_csv(report)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
